"""Where openclaw keeps its files, resolved the way OpenClaw does.

Precedence (highest first):

* home: ``OPENCLAW_HOME`` (``~`` expanded) > ``HOME`` > ``USERPROFILE`` > the OS home;
* state dir: ``OPENCLAW_STATE_DIR`` > ``~/.openclaw-<profile>`` (``--profile``/``OPENCLAW_PROFILE``,
  ``--dev`` is the profile ``dev``) > ``~/.openclaw``;
* config file: ``OPENCLAW_CONFIG_PATH`` > ``<state dir>/openclaw.json``;
* agent dir: ``OPENCLAW_AGENT_DIR`` > ``agents.entries.<id>.agentDir`` > ``<state>/agents/<id>/agent``.

Nothing here touches the disk except :func:`create_private_dir` and :func:`ensure_private_dir`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_AGENT_ID",
    "StatePaths",
    "create_private_db",
    "create_private_dir",
    "ensure_private_dir",
    "resolve_paths",
]

DEFAULT_AGENT_ID = "main"


def _home(env: Mapping[str, str]) -> Path:
    raw = env.get("OPENCLAW_HOME")
    if raw:
        if raw.startswith("~"):
            base = env.get("HOME") or env.get("USERPROFILE") or str(Path.home())
            raw = base + raw[1:]
        return Path(raw)
    for name in ("HOME", "USERPROFILE"):
        value = env.get(name)
        if value:
            return Path(value)
    return Path.home()


@dataclass(frozen=True, slots=True)
class StatePaths:
    """All the paths of one openclaw home. Build it with :func:`resolve_paths`."""

    home: Path
    state_dir: Path
    config_path: Path
    profile: str | None = None
    agent_dir_override: Path | None = None
    home_from_env: bool = False  # OPENCLAW_HOME was set: print paths as $OPENCLAW_HOME/...

    @property
    def state_db(self) -> Path:
        """SQLite file holding the auth store and run-time auth state (as OpenClaw 2026.9)."""
        return self.state_dir / "state" / "openclaw.sqlite"

    @property
    def usage_db(self) -> Path:
        return self.state_dir / "state" / "usage.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def global_dotenv(self) -> Path:
        return self.state_dir / ".env"

    @property
    def gateway_dir(self) -> Path:
        return self.state_dir / "gateway"

    @property
    def workspace(self) -> Path:
        suffix = f"workspace-{self.profile}" if self.profile else "workspace"
        return self.state_dir / suffix

    def agent_dir(self, agent_id: str = DEFAULT_AGENT_ID, configured: str | None = None) -> Path:
        if self.agent_dir_override is not None:
            return self.agent_dir_override
        if configured:
            return Path(os.path.expanduser(configured))
        return self.state_dir / "agents" / agent_id / "agent"

    def sessions_dir(self, agent_id: str = DEFAULT_AGENT_ID) -> Path:
        return self.state_dir / "agents" / agent_id / "sessions"

    def display(self, path: Path | str) -> str:
        """Print a path the way OpenClaw does: ``$OPENCLAW_HOME/...`` or ``~/...``."""
        text = str(path)
        home = str(self.home)
        if home and (text == home or text.startswith(home + os.sep)):
            prefix = "$OPENCLAW_HOME" if self.home_from_env else "~"
            return prefix + text[len(home) :]
        return text


def resolve_paths(
    env: Mapping[str, str],
    *,
    profile: str | None = None,
    dev: bool = False,
) -> StatePaths:
    """Resolve every path from the environment and the global ``--profile``/``--dev`` flags."""
    home = _home(env)
    chosen = "dev" if dev else (profile or env.get("OPENCLAW_PROFILE") or None)
    if chosen in ("", "default"):
        chosen = None
    state_env = env.get("OPENCLAW_STATE_DIR")
    if state_env:
        state_dir = Path(os.path.expanduser(state_env))
    elif chosen:
        state_dir = home / f".openclaw-{chosen}"
    else:
        state_dir = home / ".openclaw"
    config_env = env.get("OPENCLAW_CONFIG_PATH")
    config_path = Path(os.path.expanduser(config_env)) if config_env else state_dir / "openclaw.json"
    agent_env = env.get("OPENCLAW_AGENT_DIR")
    return StatePaths(
        home=home,
        state_dir=state_dir,
        config_path=config_path,
        profile=chosen,
        agent_dir_override=Path(os.path.expanduser(agent_env)) if agent_env else None,
        home_from_env=bool(env.get("OPENCLAW_HOME")),
    )


def create_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 when missing; leave an existing one alone.

    Used for the parent of a file openclaw writes: a config kept in a project folder (via
    ``OPENCLAW_CONFIG_PATH``) must not change that folder's mode.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 and tighten it if it already exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if (path.stat().st_mode & 0o777) != 0o700:
        path.chmod(0o700)
    return path


def create_private_db(path: Path) -> None:
    """Make ``path``'s directory 0700 and create the (empty) file 0600 if missing, before SQLite
    opens it: SQLite gives its ``-wal``/``-shm`` companions the database file's mode, so they
    are 0600 too, with no process-wide umask change."""
    ensure_private_dir(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
