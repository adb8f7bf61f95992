"""``openclaw models auth``: paste-api-key, paste-token, login, logout, order, list."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, Cli
from openclaw.auth.store import AuthProfile, AuthStore
from openclaw.redact import mask_key

ONBOARD = ["onboard", "--non-interactive", "--accept-risk", "--skip-health", "--openrouter-api-key", FAKE_KEY]
CAPTURE = Path("/work/shared/spec/captures/gw/paste-api-key.out")


@pytest.fixture
def onboarded(cli: Cli, home: Path) -> Path:
    assert cli(*ONBOARD).code == 0
    return home


def _store(home: Path) -> AuthStore:
    return AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite")


def _config(home: Path) -> dict[str, Any]:
    data = json.loads((home / ".openclaw" / "openclaw.json").read_text())
    assert isinstance(data, dict), data
    return data


def test_paste_api_key_as_observed(cli: Cli, onboarded: Path) -> None:
    args = [
        "models",
        "auth",
        "paste-api-key",
        "--provider",
        "openrouter",
        "--profile-id",
        "openrouter:second",
    ]
    result = cli(*args, input=FAKE_KEY_2 + "\n")
    assert result.code == 0, result.stderr
    # As captured, except that we name a command that exists here (OpenClaw says
    # `openclaw gateway restart`, which this CLI does not have).
    expected = CAPTURE.read_text().replace(
        "Run `openclaw gateway restart` to apply them.",
        "A running gateway uses it after a restart (stop it, then `openclaw gateway run` again).",
    )
    assert result.stdout == expected
    assert FAKE_KEY_2 not in result.output
    profile = _store(onboarded).load().profiles["openrouter:second"]
    assert (profile.type, profile.secret) == ("api_key", FAKE_KEY_2)
    assert _config(onboarded)["auth"]["profiles"]["openrouter:second"] == {
        "provider": "openrouter",
        "mode": "api_key",
    }


def test_paste_api_key_defaults_to_manual_and_works_on_an_empty_home(cli: Cli, home: Path) -> None:
    result = cli(
        "models", "auth", "paste-api-key", "--provider", "OpenRouter", input="\n  " + FAKE_KEY + "  \n"
    )
    assert result.code == 0, result.stderr
    assert "Auth profile: openrouter:manual (openrouter/api_key)" in result.stdout
    assert _store(home).load().profiles["openrouter:manual"].secret == FAKE_KEY
    assert _config(home)["auth"]["profiles"] == {
        "openrouter:manual": {"provider": "openrouter", "mode": "api_key"}
    }
    assert cli("models", "status", "--check").code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["--provider", "openruter"], FAKE_KEY, 'Did you mean "openrouter"?'),
        (["--provider", "openrouter"], "", "No API key given"),
        (["--provider", "openrouter"], "two words", "whitespace"),
        (["--provider", "openrouter", "--profile-id", "moonshot:x"], FAKE_KEY, "does not belong"),
    ],
)
def test_paste_api_key_errors(cli: Cli, home: Path, args: list[str], stdin: str, needle: str) -> None:
    result = cli("models", "auth", "paste-api-key", *args, input=stdin + "\n")
    assert result.code != 0
    assert needle in result.stderr
    assert FAKE_KEY not in result.output
    assert not (home / ".openclaw" / "state" / "openclaw.sqlite").exists()


def test_paste_token_with_expiry(cli: Cli, home: Path) -> None:
    before = int(time.time() * 1000)
    result = cli(
        "models",
        "auth",
        "paste-token",
        "--provider",
        "openrouter",
        "--expires-in",
        "365d",
        input="tok-0123456789abcdef\n",
    )
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Token saved, but the Gateway has not confirmed")
    assert "Auth profile: openrouter:manual (openrouter/token)" in result.stdout
    profile = _store(home).load().profiles["openrouter:manual"]
    assert profile.type == "token"
    assert profile.expires is not None
    assert before + 365 * 86_400_000 <= profile.expires <= int(time.time() * 1000) + 365 * 86_400_000
    assert _config(home)["auth"]["profiles"]["openrouter:manual"]["mode"] == "token"
    bad = cli(
        "models", "auth", "paste-token", "--provider", "openrouter", "--expires-in", "soon", input="tok\n"
    )
    assert bad.code == 2


def test_login_api_key_replaces_default_and_can_set_the_default_model(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "auth", "paste-api-key", "--provider", "openrouter", input=FAKE_KEY + "\n").code == 0
    assert cli("models", "set", "openrouter/anthropic/claude-sonnet-4-5").code == 0
    result = cli(
        "models", "auth", "login", "--provider", "openrouter", "--method", "api-key", input=FAKE_KEY_2 + "\n"
    )
    assert result.code == 0, result.stderr
    profiles = _store(onboarded).load().profiles
    assert profiles["openrouter:default"].secret == FAKE_KEY_2
    assert "openrouter:manual" in profiles  # kept without --force
    assert (
        _config(onboarded)["agents"]["defaults"]["model"]["primary"]
        == "openrouter/anthropic/claude-sonnet-4-5"
    )
    forced = cli(
        "models",
        "auth",
        "login",
        "--provider",
        "openrouter",
        "--force",
        "--set-default",
        input=FAKE_KEY + "\n",
    )
    assert forced.code == 0, forced.stderr
    assert list(_store(onboarded).load().profiles) == ["openrouter:default"]
    config = _config(onboarded)
    assert set(config["auth"]["profiles"]) == {"openrouter:default"}
    assert config["agents"]["defaults"]["model"]["primary"] == "openrouter/auto"
    assert forced.stdout.splitlines()[-1] == "Default model: openrouter/auto"
    oauth = cli(
        "models", "auth", "login", "--provider", "openrouter", "--method", "oauth", input=FAKE_KEY + "\n"
    )
    assert oauth.code == 2  # an unsupported option value: bad input
    assert "--method api-key" in oauth.stderr


def test_list_masks_keys(cli: Cli, onboarded: Path) -> None:
    _store(onboarded).upsert(AuthProfile(id="openrouter:extra", provider="openrouter", secret=FAKE_KEY_2))
    result = cli("models", "auth", "list")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Auth profiles (2) in $OPENCLAW_HOME/.openclaw/state/openclaw.sqlite:"
    assert lines[1] == f"- openrouter:default  api_key {mask_key(FAKE_KEY)}"
    assert lines[2] == f"- openrouter:extra    api_key {mask_key(FAKE_KEY_2)} (not in auth.profiles)"
    data = json.loads(cli("models", "auth", "list", "--json", "--provider", "openrouter").stdout)
    assert [p["profileId"] for p in data["profiles"]] == ["openrouter:default", "openrouter:extra"]
    assert data["profiles"][0] == {
        "profileId": "openrouter:default",
        "provider": "openrouter",
        "type": "api_key",
        "label": mask_key(FAKE_KEY),
        "status": "static",
        "inConfig": True,
    }
    for out in (result.output, json.dumps(data)):
        assert FAKE_KEY not in out and FAKE_KEY_2 not in out
    assert "none" in cli("models", "auth", "list", "--provider", "moonshot").stdout


def test_order_get_set_clear(cli: Cli, onboarded: Path) -> None:
    _store(onboarded).upsert(AuthProfile(id="openrouter:second", provider="openrouter", secret=FAKE_KEY_2))
    got = cli("models", "auth", "order", "get", "--provider", "openrouter")
    assert got.stdout == "Auth order for openrouter (default): openrouter:default, openrouter:second\n"
    result = cli("models", "auth", "order", "set", "--provider", "openrouter", "openrouter:second")
    assert result.stdout == "Auth order for openrouter: openrouter:second\n"
    view = json.loads(cli("models", "auth", "order", "get", "--provider", "openrouter", "--json").stdout)
    assert view == {
        "provider": "openrouter",
        "agent": "main",
        "source": "override",
        "order": ["openrouter:second"],
        "excluded": ["openrouter:default"],
    }
    assert _store(onboarded).load().order == {"openrouter": ["openrouter:second"]}
    assert "openrouter" not in _config(onboarded)["auth"].get("order", {})  # an override, not a config edit
    bad = cli("models", "auth", "order", "set", "--provider", "openrouter", "openrouter:nope")
    assert bad.code == 2
    assert "Not a stored openrouter profile: openrouter:nope" in bad.stderr
    cleared = cli("models", "auth", "order", "clear", "--provider", "openrouter")
    assert cleared.stdout == "Auth order override cleared for openrouter.\n"
    assert _store(onboarded).load().order == {}


def test_logout_rules(cli: Cli, onboarded: Path) -> None:
    store = _store(onboarded)
    store.upsert(AuthProfile(id="openrouter:second", provider="openrouter", secret=FAKE_KEY_2))
    store.set_order("openrouter", ["openrouter:second", "openrouter:default"])
    path = onboarded / ".openclaw" / "openclaw.json"
    config = _config(onboarded)
    config["auth"]["profiles"]["openrouter:second"] = {"provider": "openrouter", "mode": "api_key"}
    config["auth"]["order"] = {"openrouter": ["openrouter:second"], "moonshot": []}
    path.write_text(json.dumps(config))
    unknown = cli("models", "auth", "logout", "openrouter:secnd", "--yes")
    assert unknown.code == 1
    assert 'Unknown auth profile "openrouter:secnd". Did you mean "openrouter:second"?' in unknown.stderr
    result = cli("models", "auth", "logout", "openrouter:second")  # no TTY: no question asked
    assert result.code == 0, result.stderr
    assert (
        result.stdout.splitlines()[-1]
        == "Removed auth profile openrouter:second. The key is not revoked at the provider."
    )
    assert "openrouter:second" not in store.load().profiles
    assert store.load().order == {"openrouter": ["openrouter:default"]}
    auth = _config(onboarded)["auth"]
    assert auth["profiles"] == {"openrouter:default": {"provider": "openrouter", "mode": "api_key"}}
    assert auth["order"] == {"moonshot": []}  # emptied list deleted, authored [] kept


def test_logout_refuses_a_profile_named_by_a_provider_api_key(cli: Cli, onboarded: Path) -> None:
    path = onboarded / ".openclaw" / "openclaw.json"
    config = _config(onboarded)
    config["models"] = {
        "providers": {
            "openrouter": {"apiKey": {"source": "store", "provider": "default", "id": "openrouter:default"}}
        }
    }
    path.write_text(json.dumps(config))
    result = cli("models", "auth", "logout", "openrouter:default", "--yes")
    assert result.code == 1
    assert "models.providers.openrouter.apiKey" in result.stderr
    assert "openrouter:default" in _store(onboarded).load().profiles


def test_logout_asks_on_a_terminal(cli: Cli, onboarded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("openclaw.cli.models_auth_logout.stdin_is_tty", lambda: True)
    declined = cli("models", "auth", "logout", "openrouter:default", input="n\n")
    assert declined.code == 1
    assert "Remove auth profile openrouter:default?" in declined.stderr
    assert "openrouter:default" in _store(onboarded).load().profiles
    assert cli("models", "auth", "logout", "openrouter:default", input="y\n").code == 0
    assert _store(onboarded).load().profiles == {}
