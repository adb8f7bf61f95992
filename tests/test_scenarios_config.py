"""Spec §22 acceptance scenarios 1, 2 (config part) and 6, in-process and as real processes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, CliResult, run_cli, run_cli_subprocess
from openclaw.auth.store import AuthStore
from openclaw.redact import mask_key
from openclaw.runtime import load_snapshot

Runner = Callable[[list[str], dict[str, str]], CliResult]
RUNNERS: dict[str, Runner] = {"in-process": run_cli, "subprocess": run_cli_subprocess}
SONNET = "openrouter/anthropic/claude-sonnet-4-5"

# The provider page's config snippet, verbatim (JSON5: unquoted keys, trailing commas).
PAGE_CONFIG = """{
  env: { OPENROUTER_API_KEY: "%s" },
  agents: {
    defaults: {
      model: { primary: "openrouter/anthropic/claude-sonnet-4-5" },
    },
  },
}
"""


@pytest.fixture(params=sorted(RUNNERS))
def run(request: pytest.FixtureRequest) -> Runner:
    return RUNNERS[request.param]


# -- scenario 1: the provider page's onboarding command -------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        ["--auth-choice", "apiKey", "--token-provider", "openrouter", "--token", FAKE_KEY],
        ["--auth-choice", "openrouter-api-key", "--openrouter-api-key", FAKE_KEY],
    ],
)
def test_scenario_1_onboarding(run: Runner, env: dict[str, str], home: Path, auth: list[str]) -> None:
    result = run(["onboard", "--non-interactive", "--accept-risk", "--skip-health", *auth], env)
    assert result.code == 0, result.stderr
    assert FAKE_KEY not in result.output
    profile = (
        AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite").load().profiles["openrouter:default"]
    )
    assert (profile.type, profile.provider, profile.secret) == ("api_key", "openrouter", FAKE_KEY)
    config = json.loads((home / ".openclaw" / "openclaw.json").read_text())
    assert config["auth"]["profiles"]["openrouter:default"] == {"provider": "openrouter", "mode": "api_key"}
    assert config["agents"]["defaults"]["model"]["primary"] == "openrouter/auto"
    assert run(["models", "status", "--check"], env).code == 0


def test_scenario_1_existing_primary_is_kept(run: Runner, env: dict[str, str], home: Path) -> None:
    (home / ".openclaw").mkdir(mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(
        json.dumps({"agents": {"defaults": {"model": {"primary": SONNET}}}})
    )
    result = run(
        [
            "onboard",
            "--non-interactive",
            "--accept-risk",
            "--auth-choice",
            "apiKey",
            "--token-provider",
            "openrouter",
            "--token",
            FAKE_KEY,
        ],
        env,
    )
    assert result.code == 0, result.stderr
    assert (
        json.loads((home / ".openclaw" / "openclaw.json").read_text())["agents"]["defaults"]["model"][
            "primary"
        ]
        == SONNET
    )


def test_scenario_1_missing_accept_risk_is_an_error(run: Runner, env: dict[str, str], home: Path) -> None:
    result = run(
        [
            "onboard",
            "--non-interactive",
            "--skip-health",
            "--auth-choice",
            "apiKey",
            "--token-provider",
            "openrouter",
            "--token",
            FAKE_KEY,
        ],
        env,
    )
    assert result.code == 1
    assert "--accept-risk" in result.stderr
    assert FAKE_KEY not in result.output
    assert list(home.iterdir()) == []


# -- scenario 2: the provider page's config snippet ------------------------------------------------


def _page_home(home: Path, key: str) -> None:
    (home / ".openclaw").mkdir(mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(PAGE_CONFIG % key)
    os.chmod(home / ".openclaw" / "openclaw.json", 0o600)


def test_scenario_2_page_config_loads_and_plain_prints_the_primary(
    run: Runner, env: dict[str, str], home: Path
) -> None:
    _page_home(home, FAKE_KEY)
    result = run(["models", "status", "--plain"], env)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{SONNET}\n"
    status = json.loads(run(["models", "status", "--json"], env).stdout)
    assert status["defaultModel"] == SONNET
    (provider,) = status["auth"]["providers"]
    assert provider["env"] == {"value": mask_key(FAKE_KEY), "source": "env: OPENROUTER_API_KEY"}
    assert run(["models", "status", "--check"], env).code == 0


def test_scenario_2_env_block_never_overrides_the_process_env(
    run: Runner, env: dict[str, str], home: Path
) -> None:
    _page_home(home, FAKE_KEY)
    status = json.loads(run(["models", "status", "--json"], {**env, "OPENROUTER_API_KEY": FAKE_KEY_2}).stdout)
    assert status["auth"]["providers"][0]["env"]["value"] == mask_key(FAKE_KEY_2)


def test_scenario_2_key_is_exported_only_when_absent(env: dict[str, str], home: Path) -> None:
    _page_home(home, FAKE_KEY)
    before = dict(os.environ)
    _, snapshot = load_snapshot(env)
    assert snapshot.env["OPENROUTER_API_KEY"] == FAKE_KEY
    assert snapshot.env_applied["OPENROUTER_API_KEY"] == "config env"
    _, snapshot = load_snapshot({**env, "OPENROUTER_API_KEY": FAKE_KEY_2})
    assert snapshot.env["OPENROUTER_API_KEY"] == FAKE_KEY_2
    assert "OPENROUTER_API_KEY" not in snapshot.env_applied
    assert dict(os.environ) == before  # the process environment itself is never modified
    assert snapshot.typed.agents is not None
    assert snapshot.typed.agents.defaults is not None


# -- scenario 6: --check without a credential --------------------------------------------------


def test_scenario_6_check_fails_without_a_credential(run: Runner, env: dict[str, str], home: Path) -> None:
    (home / ".openclaw").mkdir(mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(
        json.dumps({"agents": {"defaults": {"model": {"primary": SONNET}}}})
    )
    result = run(["models", "status", "--check"], env)
    assert result.code == 1
    assert "Missing auth" in result.stdout
    json_result = run(["models", "status", "--check", "--json"], env)
    assert json_result.code == 1
    assert json.loads(json_result.stdout)["auth"]["missingProvidersInUse"] == ["openrouter"]
    assert run(["models", "status", "--check"], {**env, "OPENROUTER_API_KEY": FAKE_KEY}).code == 0
