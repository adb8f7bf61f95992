"""Limits and the side routes: slowloris, client disconnects, deadlines, models, health, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from openclaw.testing import FakeUpstream, Reply
from test_gateway_support import TOKEN, GatewayHarness, running_gateway

HI = [{"role": "user", "content": "Reply with OK"}]


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    async with running_gateway(home, upstream) as harness:
        yield harness


async def chat(gw: GatewayHarness, body: dict[str, object], headers: dict[str, str] | None = None) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            gw.url + "/v1/chat/completions", json=body, headers={**gw.auth(), **(headers or {})}
        ) as r,
    ):
        await r.read()
        return r.status


# ----------------------------------------------------------------------------------- slowloris


async def test_slowloris_is_cut_off_while_others_are_served(gw: GatewayHarness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
    closed = False
    for index in range(40):  # one byte every 50 ms: 2 s, twice the 1 s header timeout
        if index < len(head):
            try:
                writer.write(head[index : index + 1])
                await writer.drain()
            except ConnectionError:
                closed = True
                break
        if index == 5:
            assert await chat(gw, {"model": "openclaw", "messages": HI}) == 200  # others get served
        await asyncio.sleep(0.05)
        if reader.at_eof():
            closed = True
            break
    if not closed:
        closed = await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()
    assert closed, "the slow client was not disconnected"
    assert await chat(gw, {"model": "openclaw", "messages": HI}) == 200


async def test_slow_body_gets_408(gw: GatewayHarness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


# -------------------------------------------------------------------------------- disconnects


async def test_client_disconnect_cancels_the_upstream_request(gw: GatewayHarness) -> None:
    up = gw.upstream
    up.set_default(Reply.delay(30))
    closed_before = up.connections_closed_by_client
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(
            session.post(
                gw.url + "/v1/chat/completions", json={"model": "mini", "messages": HI}, headers=gw.auth()
            )
        )
        assert await up.wait_for(lambda u: len(u.chat_requests) >= 1, within=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await up.wait_for(lambda u: u.connections_closed_by_client > closed_before, within=5)
    assert gw.gw.metrics.in_flight == 0 or await _drained(gw)


async def _drained(gw: GatewayHarness) -> bool:
    for _ in range(50):
        if gw.gw.metrics.in_flight == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_streaming_disconnect_closes_the_upstream(gw: GatewayHarness) -> None:
    up = gw.upstream
    up.set_default(Reply.text("a" * 50, chunks=["a"] * 50, interval=0.2))
    aborted_before = up.aborted_responses
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    body = orjson.dumps({"model": "mini", "messages": HI, "stream": True})
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    first = await asyncio.wait_for(reader.read(4096), 5)
    assert first.startswith(b"HTTP/1.1 200")
    writer.close()  # the client goes away mid-stream
    assert await up.wait_for(lambda u: u.aborted_responses > aborted_before, within=5)
    assert await _drained(gw)


async def test_client_timeout_header_bounds_the_request(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.hang())
    status = await chat(gw, {"model": "mini", "messages": HI}, {"x-openclaw-timeout": "0.3"})
    assert status == 504


# -------------------------------------------------------------------------- models and health


async def test_models_list_and_lookup(gw: GatewayHarness) -> None:
    client = gw.openai()
    listed = [m.id async for m in client.models.list()]
    assert listed[:4] == ["openclaw", "openclaw/default", "openclaw/main", "openclaw/coder"]
    assert "openrouter/anthropic/claude-sonnet-4-5" in listed and "mini" in listed
    one = await client.models.retrieve("openclaw/default")
    assert one.id == "openclaw/default" and one.owned_by == "openclaw"
    async with aiohttp.ClientSession() as session:
        for path, want in (
            ("/v1/models/openclaw%2Fdefault", "openclaw/default"),
            ("/api/v1/models/openrouter/openai/gpt-4o-mini", "openrouter/openai/gpt-4o-mini"),
            ("/v1/models/meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct"),
        ):
            async with session.get(gw.url + path, headers=gw.auth()) as resp:
                assert resp.status == 200 and (await resp.json())["id"] == want
        async with session.get(gw.url + "/v1/models/nope", headers=gw.auth()) as resp:
            assert resp.status == 404 and (await resp.json())["error"]["type"] == "not_found_error"


async def test_health_ready_metrics(gw: GatewayHarness) -> None:
    assert await chat(gw, {"model": "openclaw", "messages": HI}) == 200
    async with aiohttp.ClientSession() as session:
        async with session.get(gw.url + "/healthz") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"
        async with session.get(gw.url + "/readyz") as resp:
            assert resp.status == 200
        async with session.get(gw.url + "/metrics") as resp:
            assert resp.status == 401
        async with session.get(gw.url + "/metrics", headers=gw.auth()) as resp:
            text = await resp.text()
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    served = 'model="openrouter/anthropic/claude-sonnet-4-5",provider="openrouter"'
    assert f'openclaw_gateway_requests_total{{route="chat",{served},status="200"' in text
    assert f'openclaw_gateway_tokens_total{{{served},kind="input"' in text
    assert 'openclaw_gateway_auth_failures_total{worker="0"} 1' in text
    assert TOKEN not in text


async def test_disabled_endpoint_is_404(home: Path, upstream: FakeUpstream) -> None:
    extra = {"gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": False}}}}}
    async with running_gateway(home, upstream, extra) as gw:
        assert await chat(gw, {"model": "openclaw", "messages": HI}) == 404
        async with (
            aiohttp.ClientSession() as session,
            session.get(gw.url + "/v1/models", headers=gw.auth()) as r,
        ):
            assert r.status == 200


async def test_client_keys_reach_the_log(
    home: Path, upstream: FakeUpstream, capfd: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    key = "ocgw-client-key-for-tests-0001"
    extra = {
        "gateway": {"auth": {"clientKeys": {"ci": {"sha256": hashlib.sha256(key.encode()).hexdigest()}}}}
    }
    async with running_gateway(home, upstream, extra) as gw:
        assert (
            await chat(gw, {"model": "openclaw", "messages": HI}, {"Authorization": f"Bearer {key}"}) == 200
        )
        gw.gw.log.flush()
    err = capfd.readouterr().err
    lines = [
        orjson.loads(line) for line in err.splitlines() if line.startswith("{") and '"request_id"' in line
    ]
    assert lines and lines[-1]["client_key"] == "ci" and lines[-1]["served"]
    assert key not in err and TOKEN not in err and "Reply with OK" not in err


async def test_draining_refuses_new_requests(gw: GatewayHarness) -> None:
    gw.gw.draining = True
    async with aiohttp.ClientSession() as session, session.get(gw.url + "/readyz") as resp:
        assert resp.status == 503
    assert await chat(gw, {"model": "openclaw", "messages": HI}) == 503
    gw.gw.draining = False
