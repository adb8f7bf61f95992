"""``openclaw models status --probe``: tiny real requests per credential, against the fake upstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, Cli
from openclaw.paths import resolve_paths
from openclaw.testing import FakeUpstream, Reply
from openclaw.usage.sqlite_store import SqliteStore

KEY_3 = "sk-or-test-3333333333333333333333333333aaaa"
KEY_4 = "sk-or-test-4444444444444444444444444444bbbb"


def write_config(home: Path, base_url: str) -> None:
    config = {
        "agents": {"defaults": {"model": {"primary": "openrouter/openai/gpt-4o-mini"}}},
        "models": {"providers": {"openrouter": {"baseUrl": base_url}}},
    }
    state = home / ".openclaw"
    state.mkdir(exist_ok=True)
    (state / "openclaw.json").write_text(json.dumps(config))


@pytest.fixture
def keys_env() -> dict[str, str]:
    return {
        "OPENROUTER_API_KEY": FAKE_KEY,
        "OPENROUTER_API_KEY_2": FAKE_KEY_2,
        "OPENROUTER_API_KEY_3": KEY_3,
        "OPENROUTER_API_KEY_4": KEY_4,
    }


def test_probe_buckets_per_credential(
    cli: Cli, home: Path, upstream_thread: FakeUpstream, keys_env: dict[str, str]
) -> None:
    write_config(home, upstream_thread.base_url)
    upstream_thread.on_key(FAKE_KEY_2, Reply.status(401, "Invalid API key"))
    upstream_thread.on_key(KEY_3, Reply.status(429))
    upstream_thread.on_key(KEY_4, Reply.status(402, "Insufficient credits"))
    result = cli("models", "status", "--probe", "--json", extra_env=keys_env)
    assert result.code == 0, result.output
    probes = json.loads(result.stdout)["auth"]["probes"]
    by_label = {p["profileId"]: p for p in probes}
    assert by_label["env:OPENROUTER_API_KEY"]["status"] == "ok"
    assert by_label["env:OPENROUTER_API_KEY_2"]["status"] == "auth"
    assert by_label["env:OPENROUTER_API_KEY_2"]["httpStatus"] == 401
    assert by_label["env:OPENROUTER_API_KEY_3"]["status"] == "rate_limit"
    assert by_label["env:OPENROUTER_API_KEY_4"]["status"] == "billing"
    assert all(p["model"] == "openrouter/openai/gpt-4o-mini" for p in probes)
    chats = upstream_thread.chat_requests
    assert len(chats) == 4
    assert {c.json["model"] for c in chats} == {"openai/gpt-4o-mini"}
    assert all(c.json.get("max_completion_tokens", c.json.get("max_tokens")) == 8 for c in chats)
    for secret in (FAKE_KEY, FAKE_KEY_2, KEY_3, KEY_4):
        assert secret not in result.output
    # every probe is an attempt in the ledger
    store = SqliteStore(resolve_paths({"HOME": str(home), "OPENCLAW_HOME": str(home)}).usage_db)
    rows = list(store.rows())
    store.close()
    assert len(rows) == 4
    assert sorted(r["status"] for r in rows) == ["error", "error", "error", "ok"]
    ok = next(r for r in rows if r["status"] == "ok")
    assert ok["cost_source"] == "provider" and ok["cost"] == pytest.approx(0.000051)
    assert {r["profile_id"] for r in rows} == set(by_label)


def test_probe_text_filters_and_timeout(
    cli: Cli, home: Path, upstream_thread: FakeUpstream, keys_env: dict[str, str]
) -> None:
    write_config(home, upstream_thread.base_url)
    upstream_thread.on_key(FAKE_KEY, Reply.hang())
    result = cli(
        "models",
        "status",
        "--probe",
        "--probe-provider",
        "openrouter",
        "--probe-profile",
        "env:OPENROUTER_API_KEY",
        "--probe-timeout",
        "300",
        "--probe-max-tokens",
        "3",
        extra_env=keys_env,
    )
    assert result.code == 0, result.output
    probe_lines = [line for line in result.stdout.splitlines() if line.startswith("- openrouter env:")]
    assert len(probe_lines) == 1
    assert "env:OPENROUTER_API_KEY -> openrouter/openai/gpt-4o-mini: timeout" in probe_lines[0]
    assert "Probes (1, timeout 300 ms)" in result.stdout
    assert len(upstream_thread.chat_requests) == 1
    assert upstream_thread.chat_requests[0].json.get("max_completion_tokens") == 3


def test_probe_without_a_key_says_missing_credential(cli: Cli, home: Path) -> None:
    # the real openrouter.ai base URL and no key: nothing may be sent (the network guard checks)
    write_config(home, "https://openrouter.ai/api/v1")
    result = cli("models", "status", "--probe", "--json")
    assert result.code == 0, result.output
    (probe,) = json.loads(result.stdout)["auth"]["probes"]
    assert (probe["status"], probe["reasonCode"]) == ("auth", "missing_credential")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--probe", "--plain"], "--probe cannot be used with --plain output."),
        (["--probe", "--probe-timeout", "0"], "--probe-timeout must be a positive number (ms)."),
        (["--probe", "--probe-concurrency", "0"], "--probe-concurrency must be > 0."),
        (["--probe", "--probe-max-tokens", "-1"], "--probe-max-tokens must be > 0."),
    ],
)
def test_probe_flag_errors(cli: Cli, home: Path, args: list[str], message: str) -> None:
    result = cli("models", "status", *args)
    assert result.code == 2
    assert message in result.stderr


def test_status_without_probe_sends_nothing(
    cli: Cli, home: Path, upstream_thread: FakeUpstream, keys_env: dict[str, str]
) -> None:
    write_config(home, upstream_thread.base_url)
    result = cli("models", "status", "--json", extra_env=keys_env)
    assert result.code == 0, result.output
    assert "probes" not in json.loads(result.stdout)["auth"]
    assert upstream_thread.requests == []
