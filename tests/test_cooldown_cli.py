"""Cooldowns in the CLI: `models status`, `models auth list`, `models auth clear-cooldowns`."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.auth.store import AuthProfile, AuthStore
from openclaw.routing.cooldown import CooldownSchedule
from openclaw.state.local import LocalState
from test_router_support import write_config

SCHED = CooldownSchedule()


def seed(home: Path, *specs: tuple[str, str]) -> Path:
    """Store two profiles and record one failure per (key, reason)."""
    db = home / ".openclaw" / "state" / "openclaw.sqlite"
    store = AuthStore(db)
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.upsert(AuthProfile(id="openrouter:second", provider="openrouter", secret=FAKE_KEY_2))
    state = LocalState(db)
    now = time.time()

    async def record() -> None:
        for key, reason in specs:
            model = key.partition("|")[2].partition("/")[2] or None
            await state.record_failure(SCHED.next(None, key=key, reason=reason, now=now, model=model))

    asyncio.run(record())
    return db


def test_status_and_auth_list_show_time_left(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    seed(
        home,
        ("openrouter:default|openrouter/anthropic/claude-sonnet-4-5", "rate_limit"),
        ("openrouter:second", "billing"),
        ("env:OPENROUTER_API_KEY", "auth"),
    )
    text = cli("models", "status")
    assert text.code == 0, text.output
    section = text.stdout.split("Unavailable auth profiles", 1)[1]
    sonnet = "openrouter/anthropic/claude-sonnet-4-5"
    assert re.search(rf"openrouter:default cooldown \(rate_limit\) on {sonnet}: (29|30)s left", section)
    assert re.search(r"openrouter:second disabled \(billing\): (4h 59m|5h 00m) left", section)
    assert "env:OPENROUTER_API_KEY disabled (auth): 10m left" in section
    data = json.loads(cli("models", "status", "--json").stdout)
    unusable = {e["profileId"]: e for e in data["auth"]["unusableProfiles"]}
    assert unusable["openrouter:default"]["kind"] == "cooldown"
    assert unusable["openrouter:default"]["reason"] == "rate_limit"
    assert 25_000 < unusable["openrouter:default"]["remainingMs"] <= 30_000
    assert unusable["openrouter:second"]["kind"] == "disabled"
    listed = json.loads(cli("models", "auth", "list", "--json").stdout)
    rows = {r["profileId"]: r for r in listed["profiles"]}
    assert rows["openrouter:second"]["unusable"]["reason"] == "billing"
    plain = cli("models", "auth", "list").stdout
    assert "openrouter:second" in plain and "disabled:billing" in plain
    assert FAKE_KEY not in text.output + plain


def test_clear_one_profile_including_its_model_cooldowns(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    db = seed(
        home,
        ("openrouter:default|openrouter/anthropic/claude-sonnet-4-5", "rate_limit"),
        ("openrouter:default", "auth"),
        ("openrouter:second", "billing"),
    )
    result = cli("models", "auth", "clear-cooldowns", "openrouter:default")
    assert result.code == 0, result.output
    assert result.stdout.startswith("Cleared 2 cooldowns:")
    left = LocalState(db).all_cooldowns(time.time())
    assert [c.key for c in left] == ["openrouter:second"]
    assert "openrouter:second disabled" in cli("models", "status").stdout


def test_clear_by_model_provider_and_all(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    db = seed(
        home,
        ("openrouter:default|openrouter/openai/gpt-4o-mini", "rate_limit"),
        ("openrouter:second|openrouter/openai/gpt-4o-mini", "overloaded"),
        ("env:OPENROUTER_API_KEY", "auth"),
        ("env:ANTHROPIC_API_KEY", "billing"),
    )
    assert cli("models", "auth", "clear-cooldowns", "openrouter/openai/gpt-4o-mini").code == 0
    assert {c.key for c in LocalState(db).all_cooldowns(time.time())} == {
        "env:OPENROUTER_API_KEY",
        "env:ANTHROPIC_API_KEY",
    }
    out = json.loads(cli("models", "auth", "clear-cooldowns", "--provider", "openrouter", "--json").stdout)
    assert out == {"cleared": 1, "keys": ["env:OPENROUTER_API_KEY"]}
    assert cli("models", "auth", "clear-cooldowns", "--all").stdout.startswith("Cleared 1 cooldown:")
    assert LocalState(db).all_cooldowns(time.time()) == []
    assert "Unavailable auth profiles" not in cli("models", "status").stdout


def test_clear_needs_a_target_and_says_what_is_cooling(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    seed(home, ("openrouter:second", "billing"))
    bare = cli("models", "auth", "clear-cooldowns")
    assert bare.code == 2
    assert "--all" in bare.stderr
    miss = cli("models", "auth", "clear-cooldowns", "openrouter:nope")
    assert miss.code == 1  # named correctly, nothing to clear: not bad input
    assert "No cooldown matches openrouter:nope" in miss.stderr
    assert "openrouter:second" in miss.stderr


def test_clear_all_on_a_fresh_home_writes_nothing(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    result = cli("models", "auth", "clear-cooldowns", "--all")
    assert result.code == 0
    assert result.stdout.strip() == "No cooldowns to clear."
    assert not (home / ".openclaw" / "state" / "openclaw.sqlite").exists()


SONNET_KEY = "openrouter:default|openrouter/anthropic/claude-sonnet-4-5"


def _keys(db: Path) -> set[str]:
    return {c.key for c in LocalState(db).all_cooldowns(time.time())}


@pytest.mark.parametrize(
    "args",
    [
        ["paste-api-key", "--provider", "openrouter", "--profile-id", "openrouter:default"],
        ["paste-token", "--provider", "openrouter", "--profile-id", "openrouter:default"],
        ["login", "--provider", "openrouter"],
    ],
    ids=["paste-api-key", "paste-token", "login"],
)
def test_replacing_a_key_clears_its_profiles_cooldowns(home: Path, cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    db = seed(
        home, (SONNET_KEY, "rate_limit"), ("openrouter:default", "auth"), ("openrouter:second", "billing")
    )
    result = cli("models", "auth", *args, input=FAKE_KEY_2 + "\n")
    assert result.code == 0, result.output
    assert f"Cleared 2 cooldowns of the old key: {SONNET_KEY}, openrouter:default" in result.stdout
    assert _keys(db) == {"openrouter:second"}  # another profile's cooldown stays
    unusable = json.loads(cli("models", "status", "--json").stdout)["auth"]["unusableProfiles"]
    assert [e["profileId"] for e in unusable] == ["openrouter:second"]


def test_a_new_profile_clears_nothing_and_says_nothing(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    db = seed(home, ("openrouter:second", "billing"))
    args = ["paste-api-key", "--provider", "openrouter", "--profile-id", "openrouter:third"]
    result = cli("models", "auth", *args, input=FAKE_KEY_2 + "\n")
    assert result.code == 0, result.output
    assert "Cleared" not in result.output
    assert _keys(db) == {"openrouter:second"}


def test_login_force_and_logout_clear_the_removed_profiles_cooldowns(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {})
    db = seed(
        home, (SONNET_KEY, "rate_limit"), ("openrouter:second", "billing"), ("env:OPENROUTER_API_KEY", "auth")
    )
    result = cli("models", "auth", "logout", "openrouter:second", "--yes")
    assert result.code == 0, result.output
    assert "Cleared 1 cooldown of the old key: openrouter:second" in result.stdout
    assert _keys(db) == {SONNET_KEY, "env:OPENROUTER_API_KEY"}
    args = ["login", "--provider", "openrouter", "--profile-id", "openrouter:new", "--force"]
    assert cli("models", "auth", *args, input=FAKE_KEY_2 + "\n").code == 0
    assert _keys(db) == {"env:OPENROUTER_API_KEY"}  # openrouter:default was removed by --force


def test_a_key_stored_while_cooldowns_cannot_be_cleared_says_so(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(home, {"state": {"kind": "redis", "url": "redis://127.0.0.1:1/0"}})
    args = ["paste-api-key", "--provider", "openrouter", "--profile-id", "openrouter:default"]
    result = cli("models", "auth", *args, input=FAKE_KEY_2 + "\n")
    assert result.code == 1
    assert "API key saved, but the old key's cooldowns could not be cleared:" in result.stderr
    assert "openclaw models auth clear-cooldowns openrouter:default" in result.stderr
    assert AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite").load().profiles["openrouter:default"]


def test_status_json_lists_environment_and_config_keys(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(
        home,
        {
            "models": {
                "providers": {
                    "mine": {
                        "baseUrl": "http://127.0.0.1:9/v1",
                        "api": "openai-completions",
                        "apiKey": "MINE_TOKEN",  # an env-var-name marker
                    }
                }
            }
        },
    )
    seed(
        home,
        ("env:OPENROUTER_API_KEY#3fa94c", "auth"),
        ("config:openrouter#00aa11|openrouter/openai/gpt-4o-mini", "rate_limit"),
        ("env:MINE_TOKEN#bb22cc", "billing"),
        ("openrouter:gone", "auth"),  # a profile no longer stored
    )
    mine = {"MINE_TOKEN": "mine-test-token"}
    text = cli("models", "status", extra_env=mine).stdout
    assert "env:OPENROUTER_API_KEY#3fa94c disabled (auth)" in text
    status = cli("models", "status", "--json", extra_env=mine)
    unusable = json.loads(status.stdout)["auth"]["unusableProfiles"]
    by_id = {e["profileId"]: e for e in unusable}
    assert set(by_id) == {
        "env:OPENROUTER_API_KEY#3fa94c",
        "config:openrouter#00aa11",
        "env:MINE_TOKEN#bb22cc",
    }
    env_entry = by_id["env:OPENROUTER_API_KEY#3fa94c"]
    assert env_entry["provider"] == "openrouter"
    assert (env_entry["kind"], env_entry["reason"], env_entry["source"]) == (
        "disabled",
        "auth",
        "env: OPENROUTER_API_KEY",
    )
    assert 0 < env_entry["remainingMs"] <= 600_000
    assert env_entry["until"] > time.time() * 1000
    config_entry = by_id["config:openrouter#00aa11"]
    assert (config_entry["provider"], config_entry["kind"], config_entry["model"]) == (
        "openrouter",
        "cooldown",
        "openai/gpt-4o-mini",
    )
    assert config_entry["source"] == "config: models.providers.openrouter.apiKey"
    assert by_id["env:MINE_TOKEN#bb22cc"]["provider"] == "mine"


def test_clear_by_provider_matches_config_and_custom_provider_keys(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write_config(
        home,
        {
            "models": {
                "providers": {
                    "mine": {
                        "baseUrl": "http://127.0.0.1:9/v1",
                        "api": "openai-completions",
                        "apiKey": "MINE_TOKEN",  # an env-var-name marker
                    }
                }
            }
        },
    )
    db = seed(
        home,
        ("config:openrouter#00aa11", "auth"),
        ("env:MINE_TOKEN#bb22cc", "billing"),
        ("local:ollama", "timeout"),
    )
    mine = {"MINE_TOKEN": "mine-test-token"}
    args = ["models", "auth", "clear-cooldowns", "--json", "--provider"]
    out = json.loads(cli(*args, "openrouter", extra_env=mine).stdout)
    assert out == {"cleared": 1, "keys": ["config:openrouter#00aa11"]}
    out = json.loads(cli(*args, "mine", extra_env=mine).stdout)
    assert out == {"cleared": 1, "keys": ["env:MINE_TOKEN#bb22cc"]}
    assert _keys(db) == {"local:ollama"}
