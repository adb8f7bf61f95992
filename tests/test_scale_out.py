"""Scale-out proof: two ``openclaw gateway run`` processes (two ports, one config with
``state.kind: "redis"``) in front of one fake upstream and one Redis.

* A 429 seen through gateway A cools the key down for gateway B: B's very first request skips it.
  (Not a race: the Redis script that records the cooldown publishes the event in the same step,
  so it is on B's socket before A has even answered; B subscribed before the test starts, which
  ``PUBSUB NUMSUB`` shows.)
* ``openclaw models auth clear-cooldowns --all`` run beside them puts the key back for both.
* Failed logins spread over both gateways hit one shared limit: 429 with Retry-After.
* With Redis unreachable, ``gateway run`` refuses to start and says why.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, clean_env, run_cli, run_cli_subprocess
from openclaw.testing import FakeUpstream, Reply
from test_gateway_support import TOKEN, base_config, merge, write_config
from test_router_support import sent
from test_state_redis_support import REDIS_URL, redis_prefix, require_redis, until

__all__ = ["redis_prefix"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.slow, pytest.mark.redis]

HI = [{"role": "user", "content": "Reply with OK"}]
SONNET = "anthropic/claude-sonnet-4-5"
KEYS = {"OPENROUTER_API_KEYS": f"{FAKE_KEY},{FAKE_KEY_2}"}


@dataclass
class Gateway:
    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def scale_config(upstream: FakeUpstream, prefix: str, url: str = REDIS_URL) -> dict[str, Any]:
    extra = {
        "state": {"kind": "redis", "url": url, "prefix": prefix},
        "gateway": {"auth": {"rateLimit": {"maxFailures": 4, "windowSeconds": 60}}},
    }
    return merge(base_config(upstream.base_url), extra)


async def spawn(home: Path, name: str) -> Gateway:
    log = home.parent / f"{name}.stderr"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "openclaw", "gateway", "run", "--port", "0",
            env={**clean_env(home), **KEYS}, stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    for _ in range(400):  # bounded: up to ~20 s for "listening on"
        text = log.read_text(errors="replace")
        if "listening on http://" in text:
            port = int(text.split("listening on http://", 1)[1].split()[0].split('"')[0].rsplit(":", 1)[1])
            return Gateway(proc, port, log)
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.05)
    raise AssertionError(f"gateway {name} did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture
async def two_gateways(
    tmp_path: Path, upstream: FakeUpstream, redis_prefix: str
) -> AsyncIterator[tuple[Gateway, Gateway, Path]]:
    homes = [tmp_path / "a" / "home", tmp_path / "b" / "home"]
    for home in homes:
        home.mkdir(parents=True)
        write_config(home, scale_config(upstream, redis_prefix))
    gateways = list(await asyncio.gather(spawn(homes[0], "a"), spawn(homes[1], "b")))
    try:
        client = require_redis()
        channel = f"{redis_prefix}events"
        assert await until(lambda: client.pubsub_numsub(channel)[0][1] == 2, within=10)
        client.close()
        yield gateways[0], gateways[1], homes[0]
    finally:
        for gw in gateways:
            if gw.proc.returncode is None:
                gw.proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(gw.proc.wait(), 15) for gw in gateways]
        logs = "".join(gw.log.read_text(errors="replace") for gw in gateways)
        assert codes == [0, 0], logs
        assert FAKE_KEY not in logs and FAKE_KEY_2 not in logs and TOKEN not in logs


async def chat(session: aiohttp.ClientSession, gw: Gateway, token: str = TOKEN) -> aiohttp.ClientResponse:
    body = {"model": "openclaw", "messages": HI}
    async with session.post(
        gw.url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        await resp.read()
        return resp


async def test_a_cooldown_seen_through_one_gateway_is_honoured_by_the_other(
    two_gateways: tuple[Gateway, Gateway, Path], upstream: FakeUpstream
) -> None:
    a, b, home_a = two_gateways
    upstream.on_key(FAKE_KEY, Reply.status(429, "Rate limit exceeded", headers={"Retry-After": "60"}))
    async with aiohttp.ClientSession() as session:
        first = await chat(session, a)
        assert first.status == 200
        assert sent(upstream) == [(SONNET, FAKE_KEY), (SONNET, FAKE_KEY_2)]  # A: 429, then key 2

        for _ in range(3):
            assert (await chat(session, b)).status == 200
        assert sent(upstream)[2:] == [(SONNET, FAKE_KEY_2)] * 3  # B never tried the cooled key

        cleared = await asyncio.to_thread(
            run_cli, ["models", "auth", "clear-cooldowns", "--all"], {**clean_env(home_a), **KEYS}
        )
        assert cleared.code == 0 and cleared.stdout.startswith("Cleared 1 cooldown"), cleared.output
        upstream.on_key(FAKE_KEY, Reply.text("OK"))
        assert await until_async(lambda: _served_by_key_1(session, b, upstream), within=5)  # on B too


async def until_async(check: Any, *, within: float) -> bool:
    for _ in range(int(within / 0.05)):  # bounded
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def _served_by_key_1(session: aiohttp.ClientSession, gw: Gateway, upstream: FakeUpstream) -> bool:
    before = len(sent(upstream))
    assert (await chat(session, gw)).status == 200
    return sent(upstream)[before][1] == FAKE_KEY


async def test_failed_logins_over_both_gateways_share_one_limit(
    two_gateways: tuple[Gateway, Gateway, Path],
) -> None:
    a, b, _ = two_gateways
    statuses: list[int] = []
    async with aiohttp.ClientSession() as session:
        for i in range(4):  # the limit: 4 failures per minute per client, counted once for both
            statuses.append((await chat(session, (a, b)[i % 2], token="wrong")).status)
        limited = await chat(session, a, token="wrong")
        also = await chat(session, b, token="wrong")
    assert statuses == [401, 401, 401, 401]  # alone, each gateway has seen only 2
    assert limited.status == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert also.status == 429 and int(also.headers["Retry-After"]) >= 1


def test_gateway_refuses_to_start_without_redis(tmp_path: Path, upstream_thread: FakeUpstream) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(home, scale_config(upstream_thread, "x:", f"redis://127.0.0.1:{port}/0"))
    result = run_cli_subprocess(["gateway", "run", "--port", "0"], {**clean_env(home), **KEYS}, timeout=30)
    assert result.code == 1
    assert f"Error: Cannot reach Redis at redis://127.0.0.1:{port}/0 (state.url)" in result.stderr
    assert "listening on" not in result.stderr
