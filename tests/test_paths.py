"""paths.py: home, state dir, config path, profiles, agent dir, display form."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from openclaw.paths import ensure_private_dir, resolve_paths


def test_home_precedence() -> None:
    assert resolve_paths({"OPENCLAW_HOME": "/oc", "HOME": "/h", "USERPROFILE": "/u"}).home == Path("/oc")
    assert resolve_paths({"HOME": "/h", "USERPROFILE": "/u"}).home == Path("/h")
    assert resolve_paths({"USERPROFILE": "/u"}).home == Path("/u")
    assert resolve_paths({}).home == Path.home()


def test_openclaw_home_tilde_uses_the_same_chain() -> None:
    assert resolve_paths({"OPENCLAW_HOME": "~/alt", "HOME": "/h"}).home == Path("/h/alt")
    assert resolve_paths({"OPENCLAW_HOME": "~/alt", "USERPROFILE": "/u"}).home == Path("/u/alt")


def test_default_layout() -> None:
    paths = resolve_paths({"HOME": "/h"})
    assert paths.state_dir == Path("/h/.openclaw")
    assert paths.config_path == Path("/h/.openclaw/openclaw.json")
    assert paths.global_dotenv == Path("/h/.openclaw/.env")
    assert paths.state_db == Path("/h/.openclaw/state/openclaw.sqlite")
    assert paths.workspace == Path("/h/.openclaw/workspace")
    assert paths.agent_dir() == Path("/h/.openclaw/agents/main/agent")
    assert paths.sessions_dir("ops") == Path("/h/.openclaw/agents/ops/sessions")
    assert paths.profile is None


def test_state_dir_and_config_path_overrides() -> None:
    env = {"HOME": "/h", "OPENCLAW_STATE_DIR": "/state"}
    assert resolve_paths(env).config_path == Path("/state/openclaw.json")
    env["OPENCLAW_CONFIG_PATH"] = "/cfg/custom.json5"
    paths = resolve_paths(env)
    assert (paths.state_dir, paths.config_path) == (Path("/state"), Path("/cfg/custom.json5"))


def test_explicit_path_vars_win_over_openclaw_home() -> None:
    paths = resolve_paths(
        {"OPENCLAW_HOME": "/oc", "OPENCLAW_STATE_DIR": "/s", "OPENCLAW_CONFIG_PATH": "/c.json"}
    )
    assert (paths.state_dir, paths.config_path) == (Path("/s"), Path("/c.json"))


def test_profiles() -> None:
    env = {"HOME": "/h"}
    work = resolve_paths(env, profile="work")
    assert (work.state_dir, work.config_path) == (
        Path("/h/.openclaw-work"),
        Path("/h/.openclaw-work/openclaw.json"),
    )
    assert work.workspace == Path("/h/.openclaw-work/workspace-work")
    assert resolve_paths(env, dev=True).state_dir == Path("/h/.openclaw-dev")
    assert resolve_paths(env, dev=True, profile="work").state_dir == Path("/h/.openclaw-dev")
    assert resolve_paths({**env, "OPENCLAW_PROFILE": "ci"}).state_dir == Path("/h/.openclaw-ci")
    assert resolve_paths({**env, "OPENCLAW_PROFILE": "ci"}, profile="work").state_dir == Path(
        "/h/.openclaw-work"
    )
    assert resolve_paths(env, profile="default").state_dir == Path("/h/.openclaw")


def test_profile_does_not_replace_explicit_paths() -> None:
    env = {"HOME": "/h", "OPENCLAW_STATE_DIR": "/s"}
    assert resolve_paths(env, profile="work").state_dir == Path("/s")
    env = {"HOME": "/h", "OPENCLAW_CONFIG_PATH": "/c.json"}
    paths = resolve_paths(env, profile="work")
    assert (paths.state_dir, paths.config_path) == (Path("/h/.openclaw-work"), Path("/c.json"))


def test_agent_dir_precedence() -> None:
    paths = resolve_paths({"HOME": "/h"})
    assert paths.agent_dir("ops", configured="/cfg/agent") == Path("/cfg/agent")
    overridden = resolve_paths({"HOME": "/h", "OPENCLAW_AGENT_DIR": "/env/agent"})
    assert overridden.agent_dir("ops", configured="/cfg/agent") == Path("/env/agent")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPENCLAW_HOME": "/oc", "HOME": "/h"}, "$OPENCLAW_HOME/.openclaw/openclaw.json"),
        ({"HOME": "/h"}, "~/.openclaw/openclaw.json"),
    ],
)
def test_display_uses_openclaws_prefixes(env: dict[str, str], expected: str) -> None:
    paths = resolve_paths(env)
    assert paths.display(paths.config_path) == expected


def test_display_leaves_other_paths_alone() -> None:
    paths = resolve_paths({"HOME": "/h"})
    assert paths.display("/elsewhere/x.json") == "/elsewhere/x.json"
    assert paths.display("/home2/x") == "/home2/x"
    assert paths.display(Path("/h")) == "~"
    assert resolve_paths({"HOME": "/h"}).display("/hx/y") == "/hx/y"  # a prefix that is not a parent


def test_ensure_private_dir_creates_and_tightens(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    ensure_private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    target.chmod(0o755)
    ensure_private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
