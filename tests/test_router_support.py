"""Helpers for the failover tests (routing, cooldowns, fault matrix): no tests here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import clean_env
from openclaw.runtime import Runtime, load_snapshot


def write_config(home: Path, config: dict[str, Any]) -> Path:
    state = home / ".openclaw"
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = state / "openclaw.json"
    path.write_text(json.dumps(config))
    os.chmod(path, 0o600)
    return path


def make_runtime(home: Path, config: dict[str, Any], **env_extra: str) -> Runtime:
    """A config-only runtime (no state, HTTP or ledger) for ``home`` with ``config``."""
    write_config(home, config)
    env = clean_env(home, **env_extra)
    paths, snapshot = load_snapshot(env, cwd=home)
    return Runtime.from_snapshot(paths, snapshot)


def selection(primary: str, *fallbacks: str, **extra: Any) -> dict[str, Any]:
    """A config with ``agents.defaults.model`` set."""
    return {"agents": {"defaults": {"model": {"primary": primary, "fallbacks": list(fallbacks)}}}, **extra}
