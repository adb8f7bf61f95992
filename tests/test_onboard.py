"""``openclaw onboard``: every way in gives the observed result (captures/onboard/*), no network."""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, Cli
from openclaw import __version__
from openclaw.auth.store import AuthStore

CAPTURES = Path("/work/shared/spec/captures/onboard")
COMMON = [
    "--non-interactive",
    "--accept-risk",
    "--skip-daemon",
    "--skip-health",
    "--skip-channels",
    "--skip-skills",
]
OBSERVED_STDOUT = [
    "Workspace OK: $OPENCLAW_HOME/.openclaw/workspace",
    "Sessions OK: $OPENCLAW_HOME/.openclaw/agents/main/sessions",
    "Updated config: $OPENCLAW_HOME/.openclaw/openclaw.json",
    "  Backup: $OPENCLAW_HOME/.openclaw/openclaw.json.bak",
]


def _config(home: Path) -> dict[str, Any]:
    data = json.loads((home / ".openclaw" / "openclaw.json").read_text())
    assert isinstance(data, dict), data
    return data


def _profiles(home: Path) -> dict[str, Any]:
    return AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite").load().profiles


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _expected_config(home: Path) -> dict[str, Any]:
    """The real OpenClaw's main.openclaw.json with our home, version and volatile values."""
    text = (CAPTURES / "main.openclaw.json").read_text().replace("<anchors>/home-main", str(home))
    data = json.loads(text)
    data["meta"]["lastTouchedVersion"] = __version__
    data["wizard"]["lastRunVersion"] = __version__
    assert isinstance(data, dict)
    return data


def _assert_observed_outcome(home: Path, key: str = FAKE_KEY) -> None:
    config = _config(home)
    expected = _expected_config(home)
    token = config["gateway"]["auth"]["token"]
    assert re.fullmatch(r"[0-9a-f]{48}", token)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", config["wizard"]["lastRunAt"])
    expected["gateway"]["auth"]["token"] = token
    expected["wizard"]["lastRunAt"] = config["wizard"]["lastRunAt"]
    assert config == expected
    assert list(config) == list(expected)  # agents, plugins, meta, gateway, tools, auth, hooks, wizard
    assert list(config["agents"]["defaults"]) == ["workspace", "models", "model"]
    profiles = _profiles(home)
    assert list(profiles) == ["openrouter:default"]
    assert profiles["openrouter:default"].type == "api_key"
    assert profiles["openrouter:default"].secret == key


def _assert_tree(home: Path) -> None:
    state = home / ".openclaw"
    assert _mode(state) == 0o700
    assert _mode(state / "state") == 0o700
    assert _mode(state / "state" / "openclaw.sqlite") == 0o600
    assert _mode(state / "openclaw.json") == 0o600
    assert _mode(state / "openclaw.json.bak") == 0o600
    assert (state / "agents" / "main" / "sessions").is_dir()
    for private in ("agents", "agents/main", "agents/main/sessions"):  # transcripts live there
        assert _mode(state / private) == 0o700, private
    assert (state / "workspace").is_dir()
    assert not list(state.rglob("auth-profiles.json"))
    # the .bak is the pre-onboarding baseline, as observed (main.openclaw.json.bak)
    baseline = json.loads(
        (CAPTURES / "main.openclaw.json.bak").read_text().replace("<anchors>/home-main", str(home))
    )
    baseline["meta"]["lastTouchedVersion"] = __version__
    assert json.loads((state / "openclaw.json.bak").read_text()) == baseline


def test_provider_page_form_succeeds(cli: Cli, home: Path) -> None:
    result = cli(
        "onboard", *COMMON, "--auth-choice", "apiKey", "--token-provider", "openrouter", "--token", FAKE_KEY
    )
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == OBSERVED_STDOUT
    assert FAKE_KEY not in result.output
    _assert_observed_outcome(home)
    _assert_tree(home)


@pytest.mark.parametrize(
    "args",
    [
        ["--auth-choice", "openrouter-api-key", "--openrouter-api-key", FAKE_KEY],
        ["--auth-choice", "apiKey", "--token-provider", "openrouter", "--openrouter-api-key", FAKE_KEY],
        ["--openrouter-api-key", FAKE_KEY],  # the choice follows from the key flag
    ],
)
def test_documented_forms_give_the_same_outcome(cli: Cli, home: Path, args: list[str]) -> None:
    result = cli("onboard", *COMMON, *args)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == OBSERVED_STDOUT
    _assert_observed_outcome(home)


@pytest.mark.parametrize(
    "args",
    [["--auth-choice", "openrouter-api-key"], ["--auth-choice", "apiKey", "--token-provider", "openrouter"]],
)
def test_key_from_the_environment(cli: Cli, home: Path, args: list[str]) -> None:
    result = cli("onboard", *COMMON, *args, extra_env={"OPENROUTER_API_KEY": FAKE_KEY})
    assert result.code == 0, result.stderr
    _assert_observed_outcome(home)


def test_no_tty_without_non_interactive_names_the_full_command(cli: Cli, home: Path) -> None:
    result = cli("onboard", "--auth-choice", "apiKey", "--token-provider", "openrouter", "--token", FAKE_KEY)
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: Onboarding needs an interactive TTY. Use `openclaw onboard --non-interactive"
    )
    assert (
        "`openclaw onboard --non-interactive --accept-risk --auth-choice apiKey --token-provider openrouter "
        '--token "$OPENROUTER_API_KEY"` for automation.'
    ) in result.stderr
    assert FAKE_KEY not in result.output
    assert list(home.iterdir()) == []  # nothing created


def test_non_interactive_requires_accept_risk(cli: Cli, home: Path) -> None:
    result = cli(
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "openrouter-api-key",
        "--openrouter-api-key",
        FAKE_KEY,
    )
    assert result.code == 1
    assert "--accept-risk" in result.stderr
    assert '--openrouter-api-key "$OPENROUTER_API_KEY"' in result.stderr
    assert FAKE_KEY not in result.output
    assert list(home.iterdir()) == []


def test_missing_key_is_the_observed_error_and_creates_nothing(cli: Cli, home: Path) -> None:
    result = cli("onboard", *COMMON, "--auth-choice", "apiKey", "--token-provider", "openrouter")
    assert result.code == 1
    assert result.stderr == "Error: " + (CAPTURES / "a-apiKey-token.err").read_text()  # the real CLI's text
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--auth-choice", "openrouter-api-kee"], 'Did you mean "openrouter-api-key"?'),
        (["--auth-choice", "apiKey", "--token-provider", "openruter"], 'Did you mean "openrouter"?'),
        (["--auth-choice", "moonshot-api-key", "--openrouter-api-key", FAKE_KEY], "does not match"),
        (["--auth-choice", "token"], "--token-provider"),
        ([], "--auth-choice"),
    ],
)
def test_bad_auth_options(cli: Cli, home: Path, args: list[str], needle: str) -> None:
    result = cli("onboard", *COMMON, *args)
    assert result.code != 0
    assert needle in result.stderr
    assert FAKE_KEY not in result.output
    assert list(home.iterdir()) == []


def test_other_provider_is_generic(cli: Cli, home: Path) -> None:
    result = cli("onboard", *COMMON, "--auth-choice", "moonshot-api-key", "--moonshot-api-key", FAKE_KEY_2)
    assert result.code == 0, result.stderr
    config = _config(home)
    assert config["auth"]["profiles"] == {"moonshot:default": {"provider": "moonshot", "mode": "api_key"}}
    assert config["agents"]["defaults"]["model"] == {"primary": "moonshot/kimi-k2.5"}
    assert config["agents"]["defaults"]["models"] == {"moonshot/kimi-k2.5": {}}  # label has a space: no alias
    assert config["plugins"]["entries"]["moonshot"] == {"enabled": True}
    assert _profiles(home)["moonshot:default"].secret == FAKE_KEY_2


def test_rerun_keeps_primary_and_adds_a_second_provider(cli: Cli, home: Path) -> None:
    assert cli("onboard", *COMMON, "--openrouter-api-key", FAKE_KEY).code == 0
    assert cli("models", "set", "openrouter/anthropic/claude-sonnet-4-5").code == 0
    first = _config(home)
    result = cli("onboard", *COMMON, "--auth-choice", "moonshot-api-key", "--moonshot-api-key", FAKE_KEY_2)
    assert result.code == 0, result.stderr
    config = _config(home)
    assert config["agents"]["defaults"]["model"]["primary"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert config["gateway"]["auth"]["token"] == first["gateway"]["auth"]["token"]  # not rotated
    assert set(config["auth"]["profiles"]) == {"openrouter:default", "moonshot:default"}
    assert "moonshot/kimi-k2.5" in config["agents"]["defaults"]["models"]
    assert set(_profiles(home)) == {"openrouter:default", "moonshot:default"}
    # the backup is the config as it was before this run
    assert json.loads((home / ".openclaw" / "openclaw.json.bak").read_text()) == first


def test_rerun_without_a_key_reuses_the_stored_profile(cli: Cli, home: Path) -> None:
    assert cli("onboard", *COMMON, "--openrouter-api-key", FAKE_KEY).code == 0
    result = cli("onboard", *COMMON, "--auth-choice", "openrouter-api-key")
    assert result.code == 0, result.stderr
    assert "openrouter:default (openrouter/api_key) (kept)" in result.stderr
    assert _profiles(home)["openrouter:default"].secret == FAKE_KEY


def test_ref_mode_stores_a_key_reference(cli: Cli, home: Path) -> None:
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    result = cli(
        "onboard", *COMMON, "--secret-input-mode", "ref", "--auth-choice", "openrouter-api-key", extra_env=env
    )
    assert result.code == 0, result.stderr
    profile = _profiles(home)["openrouter:default"]
    assert profile.secret is None
    assert profile.secret_ref == {"source": "env", "provider": "default", "id": "OPENROUTER_API_KEY"}
    assert FAKE_KEY.encode() not in (home / ".openclaw" / "state" / "openclaw.sqlite").read_bytes()
    assert FAKE_KEY not in (home / ".openclaw" / "openclaw.json").read_text()


def test_ref_mode_without_the_env_var_fails_fast(cli: Cli, home: Path) -> None:
    for extra in ([], ["--openrouter-api-key", FAKE_KEY]):
        result = cli(
            "onboard", *COMMON, "--secret-input-mode", "ref", "--auth-choice", "openrouter-api-key", *extra
        )
        assert result.code == 1
        assert "OPENROUTER_API_KEY must be set" in result.stderr
        assert FAKE_KEY not in result.output
        assert list(home.iterdir()) == []


def test_json_summary(cli: Cli, home: Path) -> None:
    result = cli(
        "onboard", *COMMON, "--json", "--auth-choice", "openrouter-api-key", "--openrouter-api-key", FAKE_KEY
    )
    assert result.code == 0, result.stderr
    observed = json.loads((CAPTURES / "f-json.out").read_text().replace("<anchors>/home-f-json", str(home)))
    assert json.loads(result.stdout) == observed
    assert result.stdout == json.dumps(observed, indent=2) + "\n"
    for line in OBSERVED_STDOUT:
        assert line in result.stderr


def test_workspace_and_gateway_flags(cli: Cli, home: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    result = cli(
        "onboard",
        *COMMON,
        "--mode",
        "local",
        "--openrouter-api-key",
        FAKE_KEY,
        "--workspace",
        str(workspace),
        "--gateway-port",
        "19001",
        "--gateway-bind",
        "lan",
        "--gateway-auth",
        "token",
        "--gateway-token",
        "my-gateway-token-0123456789",
        "--skip-search",
        "--skip-ui",
    )
    assert result.code == 0, result.stderr
    assert "my-gateway-token-0123456789" not in result.output
    config = _config(home)
    assert config["agents"]["defaults"]["workspace"] == str(workspace)
    assert config["agents"]["entries"]["main"]["workspace"] == str(workspace)
    assert workspace.is_dir()
    assert config["gateway"] == {
        "mode": "local",
        "auth": {"mode": "token", "token": "my-gateway-token-0123456789"},
        "port": 19001,
        "bind": "lan",
        "tailscale": {"mode": "off"},
    }


def test_gateway_password_mode(cli: Cli, home: Path) -> None:
    result = cli("onboard", *COMMON, "--openrouter-api-key", FAKE_KEY, "--gateway-auth", "password")
    assert result.code == 2
    assert "--gateway-password" in result.stderr
    result = cli(
        "onboard",
        *COMMON,
        "--openrouter-api-key",
        FAKE_KEY,
        "--gateway-auth",
        "password",
        "--gateway-password",
        "hunter2hunter2",
    )
    assert result.code == 0, result.stderr
    assert _config(home)["gateway"]["auth"] == {"mode": "password", "password": "hunter2hunter2"}


def test_token_choice_stores_a_token_profile(cli: Cli, home: Path) -> None:
    result = cli(
        "onboard",
        *COMMON,
        "--auth-choice",
        "token",
        "--token-provider",
        "openrouter",
        "--token",
        FAKE_KEY,
        "--token-expires-in",
        "365d",
    )
    assert result.code == 0, result.stderr
    profile = _profiles(home)["openrouter:manual"]
    assert profile.type == "token"
    assert profile.expires is not None
    assert _config(home)["auth"]["profiles"]["openrouter:manual"] == {
        "provider": "openrouter",
        "mode": "token",
    }


def test_skip_choice_writes_config_without_a_credential(cli: Cli, home: Path) -> None:
    result = cli("onboard", *COMMON, "--auth-choice", "skip")
    assert result.code == 0, result.stderr
    config = _config(home)
    assert "auth" not in config
    assert config["gateway"]["mode"] == "local"
    assert _profiles(home) == {}


def test_remote_mode_is_refused_clearly(cli: Cli, home: Path) -> None:
    result = cli("onboard", *COMMON, "--mode", "remote", "--openrouter-api-key", FAKE_KEY)
    assert result.code == 2
    assert "--mode remote is not supported" in result.stderr
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("bind", ["tailnet", "auto", "custom"])
def test_a_bind_the_gateway_cannot_serve_is_refused(cli: Cli, home: Path, bind: str) -> None:
    """The gateway refuses to start on these (no Tailscale, no customBindHost): onboarding must
    not write them."""
    result = cli("onboard", *COMMON, "--gateway-bind", bind, "--openrouter-api-key", FAKE_KEY)
    assert result.code == 2
    assert f"--gateway-bind {bind}" in result.stderr
    assert not (home / ".openclaw" / "openclaw.json").exists()


def test_custom_bind_with_a_custom_host(cli: Cli, home: Path) -> None:
    assert cli("config", "set", "gateway.customBindHost", "127.0.0.2").code == 0
    result = cli("onboard", *COMMON, "--gateway-bind", "custom", "--openrouter-api-key", FAKE_KEY)
    assert result.code == 0, result.stderr
    assert _config(home)["gateway"]["bind"] == "custom"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdin is a terminal; hidden prompts read the (test) stdin like visible ones."""
    monkeypatch.setattr("openclaw.cli.onboard_interactive.stdin_is_tty", lambda: True)

    def hidden(prompt: str) -> str:
        sys.stderr.write(prompt)  # getpass writes the prompt, then reads without echo
        return sys.stdin.readline().rstrip("\n")

    monkeypatch.setattr(click.termui, "hidden_prompt_func", hidden)


def test_interactive_run(cli: Cli, home: Path, terminal: None) -> None:
    result = cli("onboard", input=f"1\n{FAKE_KEY}\ny\n")
    assert result.code == 0, result.stderr
    assert "Which provider do you want to use?" in result.stderr
    assert "OpenRouter API key (input hidden)" in result.stderr
    assert "= sk-or-te...89abcdef" in result.stderr  # the confirmation shows the key masked
    assert FAKE_KEY not in result.output
    assert result.stdout.splitlines() == OBSERVED_STDOUT
    _assert_observed_outcome(home)


def test_interactive_offers_the_env_key_and_can_be_declined(cli: Cli, home: Path, terminal: None) -> None:
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    result = cli(
        "onboard", "--auth-choice", "openrouter-api-key", input="n\n" + FAKE_KEY_2 + "\nn\n", extra_env=env
    )
    assert result.code == 1
    assert "Use OPENROUTER_API_KEY from the environment (sk-or-te...89abcdef)?" in result.stderr
    assert "nothing was written" in result.stderr
    assert list(home.iterdir()) == []
    result = cli("onboard", "--auth-choice", "openrouter-api-key", input="y\ny\n", extra_env=env)
    assert result.code == 0, result.stderr
    _assert_observed_outcome(home)


def test_help_has_examples(cli: Cli) -> None:
    result = cli("onboard", "--help")
    assert result.code == 0
    assert "Examples:" in result.stdout
    assert "--openrouter-api-key" in result.stdout
    assert "--moonshot-api-key" in result.stdout


def test_ref_mode_does_not_migrate_an_existing_plaintext_key(cli: Cli, home: Path) -> None:
    assert cli("onboard", *COMMON, "--openrouter-api-key", FAKE_KEY).code == 0
    env = {"OPENROUTER_API_KEY": FAKE_KEY_2}
    result = cli(
        "onboard", *COMMON, "--secret-input-mode", "ref", "--auth-choice", "openrouter-api-key", extra_env=env
    )
    assert result.code == 0, result.stderr
    assert "ref mode does not migrate an existing plaintext key" in result.stderr
    assert _profiles(home)["openrouter:default"].secret == FAKE_KEY
