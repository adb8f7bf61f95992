"""Shared helpers for the gateway tests: a real gateway (real router, real transports) on an
ephemeral loopback port, in front of the packaged fake upstream.

Each test module defines its own fixture over :func:`running_gateway`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from conftest import FAKE_KEY, clean_env
from openclaw.gateway.app import Gateway
from openclaw.gateway.server import ServeOptions, Started, start
from openclaw.gateway.settings import GatewaySettings
from openclaw.runtime import load_snapshot
from openclaw.testing import FakeUpstream

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["TOKEN", "GatewayHarness", "base_config", "launch", "running_gateway", "write_config"]

TOKEN = "gw-test-token-0123456789abcdef"


def base_config(upstream_url: str) -> dict[str, Any]:
    return {
        "models": {"providers": {"openrouter": {"baseUrl": upstream_url}}},
        "agents": {
            "defaults": {
                "model": {
                    "primary": "openrouter/anthropic/claude-sonnet-4-5",
                    "fallbacks": ["openrouter/openai/gpt-4o-mini"],
                },
                "models": {"openrouter/openai/gpt-4o-mini": {"alias": "mini"}},
            },
            "entries": {"coder": {"model": "openrouter/openai/gpt-4o-mini"}},
        },
        "routing": {"retry": {"maxRetries": 0, "baseDelayMs": 1, "maxDelayMs": 5}},
        "usage": {"store": {"kind": "off"}},
        "gateway": {
            "auth": {"mode": "token", "token": TOKEN, "rateLimit": {"maxFailures": 5, "windowSeconds": 60}},
            "limits": {"maxBodyBytes": 256 * 1024, "headerTimeoutSeconds": 1.0, "maxMessages": 50},
            "logging": {"format": "json"},
            "drainSeconds": 5,
        },
    }


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def write_config(home: Path, config: dict[str, Any]) -> Path:
    state = home / ".openclaw"
    state.mkdir(parents=True, exist_ok=True)
    path = state / "openclaw.json"
    path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
    path.chmod(0o600)
    return path


@dataclass
class GatewayHarness:
    started: Started
    upstream: FakeUpstream
    home: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.started.port}"

    @property
    def port(self) -> int:
        return self.started.port

    @property
    def gw(self) -> Gateway:
        return self.started.gateway

    def openai(self, *, api_key: str = TOKEN, base: str = "/v1", **kwargs: Any) -> AsyncOpenAI:
        from openai import AsyncOpenAI  # imported on use: most gateway tests never need the SDK

        return AsyncOpenAI(base_url=self.url + base, api_key=api_key, max_retries=0, **kwargs)

    def auth(self, token: str = TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


async def launch(
    home: Path, upstream: FakeUpstream, extra: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> GatewayHarness:
    config = merge(base_config(upstream.base_url), extra or {})
    write_config(home, config)
    environ = {**clean_env(home), "OPENROUTER_API_KEY": FAKE_KEY, **(env or {})}
    paths, snapshot = load_snapshot(environ)
    settings = GatewaySettings.build(snapshot.typed.gateway, snapshot.env, port=0)
    started = await start(ServeOptions(paths, snapshot, settings))
    return GatewayHarness(started, upstream, home)


@contextlib.asynccontextmanager
async def running_gateway(
    home: Path, upstream: FakeUpstream, extra: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> AsyncIterator[GatewayHarness]:
    """A gateway for the body of the ``async with``; drained and closed after it."""
    harness = await launch(home, upstream, extra, env)
    try:
        yield harness
    finally:
        await asyncio.wait_for(harness.started.stop(), 10)
