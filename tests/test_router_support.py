"""Helpers for the failover tests (routing, cooldowns, fault matrix): no tests here."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import clean_env
from openclaw.routing.retry import Clock
from openclaw.routing.router import Router
from openclaw.runtime import Runtime, load_snapshot
from openclaw.wire.types import ChatRequest, Message


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


# ----------------------------------------------------------------------------- router harness

T0 = 1_800_000_000.0


@dataclass
class FakeClock:
    """Epoch and monotonic time that move only when the router sleeps (HTTP stays real)."""

    t: float = field(default_factory=time.time)
    m: float = 1_000.0
    slept: list[float] = field(default_factory=list)

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        self.m += seconds
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(now=lambda: self.t, monotonic=lambda: self.m, sleep=self._sleep, random=lambda: 0.5)


def router_config(
    base_url: str, primary: str, *fallbacks: str, cooldowns: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """OpenRouter pointed at the fake upstream; tiny retry delays so tests never really wait."""
    config: dict[str, Any] = {
        "models": {"providers": {"openrouter": {"baseUrl": base_url}}},
        "agents": {"defaults": {"model": {"primary": primary, "fallbacks": list(fallbacks)}}},
        "routing": {"retry": {"baseDelayMs": 1, "maxDelayMs": 5, "jitter": 0}},
    }
    if cooldowns is not None:
        config["auth"] = {"cooldowns": cooldowns}
    for key, value in extra.items():
        config[key] = value
    return config


def open_test_runtime(home: Path, config: dict[str, Any], **env_extra: str) -> Runtime:
    """The real assembly (LocalState, lean HTTP, catalog, SQLite ledger) for ``home``."""
    from openclaw.bootstrap import open_runtime

    write_config(home, config)
    env = clean_env(home, **env_extra)
    paths, snapshot = load_snapshot(env, cwd=home)
    return open_runtime(paths, snapshot, http="lean", source="cli")


def make_test_router(runtime: Runtime, clock: FakeClock | None = None) -> Router:
    from openclaw.transports.registry import TransportRegistry

    assert runtime.http is not None
    return Router(runtime, TransportRegistry(runtime.http), clock=None if clock is None else clock.clock())


def chat(text: str = "Reply with OK", *, stream: bool = False, **kw: Any) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)], stream=stream, **kw)


def sent(up: Any) -> list[tuple[str, str]]:
    """(model, bearer key) of every chat request that reached the fake upstream."""
    out = []
    for req in up.chat_requests:
        auth = req.headers.get("authorization", "")
        out.append((req.json.get("model"), auth.removeprefix("Bearer ")))
    return out


def ledger_rows(home: Path) -> list[dict[str, Any]]:
    db = home / ".openclaw" / "state" / "usage.sqlite"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM usage_attempts ORDER BY rowid")]
