"""``openclaw models status``: text and JSON exactly as OpenClaw 2026.9 prints them (captures/models)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, Cli
from openclaw.auth.store import AuthProfile, AuthStore
from openclaw.cli.models_status_data import build_status
from openclaw.redact import mask_key
from openclaw.runtime import Runtime, load_snapshot
from openclaw.state.base import Cooldown

CAPTURES = Path("/work/shared/spec/captures")
ONBOARD = ["onboard", "--non-interactive", "--accept-risk", "--skip-health", "--openrouter-api-key", FAKE_KEY]


def _capture(name: str, home: Path, anchor: str = "home-main") -> str:
    text = (CAPTURES / name).read_text().replace(f"<anchors>/{anchor}", str(home))
    return text.replace("sk-or-v1...test0000", mask_key(FAKE_KEY)).replace(
        "sk-or-v1...00000000", mask_key(FAKE_KEY_2)
    )


@pytest.fixture
def onboarded(cli: Cli, home: Path) -> Path:
    result = cli(*ONBOARD)
    assert result.code == 0, result.stderr
    return home


def _write_config(home: Path, edit: Any) -> None:
    path = home / ".openclaw" / "openclaw.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data, indent=2))


def test_text_matches_the_observed_output(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "status")
    assert result.code == 0, result.stderr
    assert result.stdout == _capture("models/04-status.out", onboarded)
    assert result.stderr == ""
    assert cli("models").stdout == result.stdout  # `models` alone is `models status`


def test_json_matches_the_observed_output(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "status", "--json")
    assert result.code == 0, result.stderr
    expected = json.loads(_capture("models/05-status-json.out", onboarded))
    data = json.loads(result.stdout)
    assert data == expected
    assert list(data) == list(expected)
    assert list(data["auth"]) == list(expected["auth"])
    assert result.stdout == json.dumps(expected, indent=2) + "\n"
    assert json.loads(cli("models", "--json").stdout) == expected


def test_after_set_and_fallbacks_matches_the_observed_check_output(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "set", "openrouter/anthropic/claude-sonnet-4-5").code == 0
    assert cli("models", "fallbacks", "add", "openrouter/openai/gpt-4o-mini").code == 0
    result = cli("models", "status", "--check")
    assert result.code == 0
    assert result.stdout == _capture("models/11-status-check.out", onboarded)


def test_two_profiles_json_matches_the_gateway_capture(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "set", "openrouter/anthropic/claude-sonnet-4-5").code == 0
    assert cli("models", "fallbacks", "add", "openrouter/openai/gpt-4o-mini").code == 0
    paste = cli(
        "models",
        "auth",
        "paste-api-key",
        "--provider",
        "openrouter",
        "--profile-id",
        "openrouter:second",
        input=FAKE_KEY_2 + "\n",
    )
    assert paste.code == 0, paste.stderr
    _write_config(
        onboarded,
        lambda d: d.setdefault(
            "models", {"providers": {"openrouter": {"baseUrl": "http://127.0.0.1:18081/api/v1"}}}
        ),
    )
    result = cli("models", "status", "--json")
    expected = json.loads(_capture("gw/models-status-2profiles.json", onboarded, anchor="home-gw"))
    assert json.loads(result.stdout) == expected
    assert FAKE_KEY not in result.stdout and FAKE_KEY_2 not in result.stdout


def test_plain_prints_only_the_resolved_primary(cli: Cli, onboarded: Path) -> None:
    _write_config(onboarded, lambda d: d["agents"]["defaults"]["model"].update(primary="OpenRouter"))
    result = cli("models", "status", "--plain")
    assert result.stdout == "openrouter/auto\n"
    text = cli("models", "status").stdout
    assert "Default       : openrouter/auto (from OpenRouter)\n" in text


def test_check_exit_codes(cli: Cli, home: Path) -> None:
    # no credential for the provider of the default model: 1, with a "Missing auth" section
    result = cli("models", "status", "--check")
    assert result.code == 1
    assert "\nMissing auth\n- openrouter no credential. Set OPENROUTER_API_KEY" in result.stdout
    assert json.loads(cli("models", "status", "--json").stdout)["auth"]["missingProvidersInUse"] == [
        "openrouter"
    ]
    # a key in the environment: 0
    assert cli("models", "status", "--check", extra_env={"OPENROUTER_API_KEY": FAKE_KEY}).code == 0
    # a token expiring within 24 h: 2; expired: 1 (even with another usable key)
    store = AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite")
    soon = int(time.time() * 1000) + 3_600_000
    store.upsert(
        AuthProfile(id="openrouter:tok", provider="openrouter", type="token", secret="tok-soon", expires=soon)
    )
    result = cli("models", "status", "--check")
    assert result.code == 2
    assert "  - openrouter:tok expiring expires in 1h" in result.stdout
    store.upsert(
        AuthProfile(id="openrouter:tok", provider="openrouter", type="token", secret="tok-old", expires=1000)
    )
    store.upsert(AuthProfile(id="openrouter:key", provider="openrouter", secret=FAKE_KEY))
    assert cli("models", "status", "--check").code == 1
    # without --check the exit code stays 0
    assert cli("models", "status").code == 0


def test_env_key_and_config_key_sources(cli: Cli, home: Path) -> None:
    config = {"models": {"providers": {"moonshot": {"apiKey": FAKE_KEY_2}}}}
    (home / ".openclaw").mkdir(mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))
    result = cli("models", "status", "--json", extra_env={"OPENROUTER_API_KEY": FAKE_KEY})
    providers = {p["provider"]: p for p in json.loads(result.stdout)["auth"]["providers"]}
    assert providers["openrouter"]["effective"] == {"kind": "env", "detail": mask_key(FAKE_KEY)}
    assert providers["openrouter"]["env"] == {
        "value": mask_key(FAKE_KEY),
        "source": "env: OPENROUTER_API_KEY",
    }
    assert providers["moonshot"]["effective"] == {"kind": "models.json", "detail": mask_key(FAKE_KEY_2)}
    assert providers["moonshot"]["modelsJson"]["source"] == "config: models.providers.moonshot.apiKey"
    text = cli("models", "status", extra_env={"OPENROUTER_API_KEY": FAKE_KEY}).stdout
    masked = mask_key(FAKE_KEY)
    assert f"- openrouter effective=env:{masked} | env={masked} | source=env: OPENROUTER_API_KEY" in text
    assert FAKE_KEY not in text and FAKE_KEY_2 not in text


def test_agent_option(cli: Cli, onboarded: Path) -> None:
    _write_config(
        onboarded,
        lambda d: d["agents"]["entries"].update(
            work={"name": "work", "model": "openrouter/openai/gpt-4o-mini"}
        ),
    )
    data = json.loads(cli("models", "status", "--json", "--agent", "work").stdout)
    assert data["agentId"] == "work"
    assert data["defaultModel"] == "openrouter/openai/gpt-4o-mini"
    assert data["modelConfig"] == {"defaultSource": "agent", "fallbacksSource": "agent"}
    assert data["agentDir"].endswith("/.openclaw/agents/work/agent")
    text = cli("models", "status", "--agent", "work").stdout
    assert "Default (agent): openrouter/openai/gpt-4o-mini" in text
    bad = cli("models", "status", "--agent", "nobody")
    assert bad.code == 2
    assert 'Unknown agent "nobody"' in bad.stderr


class _FakeState:
    """A state backend answering only what ``models status`` asks."""

    def __init__(self, cooldowns: Iterable[Cooldown]) -> None:
        self._cooldowns = list(cooldowns)

    def all_cooldowns(self, now: float) -> list[Cooldown]:
        return [c for c in self._cooldowns if c.until > now]


def test_unusable_profiles_come_from_the_state_backend(env: dict[str, str], home: Path) -> None:
    store = AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite")
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    paths, snapshot = load_snapshot(env)
    runtime = Runtime.from_snapshot(paths, snapshot)
    assert build_status(runtime).data["auth"]["unusableProfiles"] == []
    now = time.time()
    fake = _FakeState([Cooldown(key="openrouter:default", reason="rate_limit", until=now + 600)])
    runtime.state = fake  # type: ignore[assignment]  # a partial StateBackend: status reads all_cooldowns only
    report = build_status(runtime)
    (entry,) = report.data["auth"]["unusableProfiles"]
    assert (entry["profileId"], entry["kind"], entry["reason"]) == (
        "openrouter:default",
        "cooldown",
        "rate_limit",
    )
    assert report.provider_auth[0].labels == [f"openrouter:default={mask_key(FAKE_KEY)} [cooldown 10m]"]


def test_unknown_provider_and_invalid_refs_in_use(cli: Cli, home: Path) -> None:
    (home / ".openclaw").mkdir(mode=0o700)
    config = {"agents": {"defaults": {"model": {"primary": "nosuch/model", "fallbacks": ["garbage"]}}}}
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))
    result = cli("models", "status", "--check", "--json")
    assert result.code == 1
    auth = json.loads(result.stdout)["auth"]
    assert auth["missingProvidersInUse"] == ["nosuch"]
    assert auth["modelRouteIssues"] == [
        {"ref": "nosuch/model", "reason": "unknown_provider"},
        {"ref": "garbage", "reason": "invalid_ref"},
    ]
    assert "- nosuch unknown provider: define models.providers.nosuch" in cli("models", "status").stdout
