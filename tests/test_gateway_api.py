"""The gateway's HTTP API driven by the official ``openai`` SDK and by raw HTTP, in front of the
real router and the packaged fake upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import orjson
import pytest
from openai.types.chat import (
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)

from conftest import FAKE_KEY
from openclaw.testing import FakeUpstream, Reply
from test_gateway_support import TOKEN, GatewayHarness, running_gateway

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Reply with OK"}]
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(self), geolocation=()",
}
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def assert_security_headers(headers: Any) -> None:
    for name, value in SECURITY.items():
        assert headers.get(name) == value, name


def sse_events(raw: bytes) -> list[Any]:
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), block
        data = block[6:]
        events.append(data if data == "[DONE]" else orjson.loads(data))
    return events


def error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    """The error object the SDK parsed from the response (typed ``object`` there)."""
    assert isinstance(exc.body, dict), exc.body
    return exc.body


async def post(
    gw: GatewayHarness, body: Any, headers: dict[str, str] | None = None, path: str = "/v1/chat/completions"
) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        async with session.post(gw.url + path, data=data, headers={**gw.auth(), **(headers or {})}) as resp:
            return resp.status, dict(resp.headers), await resp.read()


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    async with running_gateway(home, upstream) as harness:
        yield harness


# ------------------------------------------------------------------------------- happy paths


async def test_chat_with_the_openai_sdk(gw: GatewayHarness) -> None:
    client = gw.openai()
    raw = await client.chat.completions.with_raw_response.create(model="openclaw", messages=HI)
    completion = raw.parse()
    assert completion.choices[0].message.content == "OK"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "openrouter/anthropic/claude-sonnet-4-5"
    assert completion.usage is not None and completion.usage.total_tokens == 13
    headers = raw.headers
    assert headers["x-openclaw-model"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert headers["x-openclaw-provider"] == "openrouter"
    assert headers["x-openclaw-attempts"] == "1"
    assert headers["x-openclaw-profile"] and FAKE_KEY not in headers["x-openclaw-profile"]
    assert headers["x-request-id"].startswith("req_")
    assert_security_headers(headers)
    sent = gw.upstream.chat_requests[-1]
    assert sent.json["model"] == "anthropic/claude-sonnet-4-5"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert TOKEN not in sent.body.decode() and all(TOKEN not in v for v in sent.headers.values())


async def test_streaming_with_usage(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Hello there", chunks=["Hel", "lo ", "there"]))
    client = gw.openai()
    stream = await client.chat.completions.create(
        model="openclaw/default",
        messages=HI,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 13
    assert {c.model for c in chunks} == {"openrouter/anthropic/claude-sonnet-4-5"}


async def test_stream_raw_bytes_and_headers(gw: GatewayHarness) -> None:
    status, headers, raw = await post(gw, {"model": "openclaw", "messages": HI, "stream": True})
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["x-openclaw-attempts"] == "1" and headers["x-openclaw-model"]
    assert_security_headers({k.lower(): v for k, v in headers.items()})
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert not raw.startswith(b":")  # no comments forwarded


async def test_tools_non_streaming_and_streaming(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city": "Paris"}', split=3))
    client = gw.openai()
    completion = await client.chat.completions.create(model="mini", messages=HI, tools=[WEATHER_TOOL])
    tool_calls = completion.choices[0].message.tool_calls
    assert tool_calls is not None
    call = tool_calls[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and orjson.loads(call.function.arguments) == {"city": "Paris"}
    assert gw.upstream.chat_requests[-1].json["tools"][0]["function"]["name"] == "get_weather"
    stream = await client.chat.completions.create(
        model="mini",
        messages=HI,
        tools=[WEATHER_TOOL],
        stream=True,
    )
    args, names = [], []
    async for chunk in stream:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            names.append(delta.function.name) if delta.function and delta.function.name else None
            args.append(delta.function.arguments or "" if delta.function else "")
    assert names == ["get_weather"] and orjson.loads("".join(args)) == {"city": "Paris"}


async def test_openrouter_base_path_and_bare_ids(gw: GatewayHarness) -> None:
    gw.upstream.on_model("openai/gpt-4o-mini", Reply.text("Hi", model="openai/gpt-4o-mini-2024-07-18"))
    client = gw.openai(base="/api/v1")
    completion = await client.chat.completions.create(model="openai/gpt-4o-mini", messages=HI)
    assert completion.model == "openai/gpt-4o-mini-2024-07-18"  # the upstream's id, as OpenRouter reports
    assert gw.upstream.chat_requests[-1].json["model"] == "openai/gpt-4o-mini"
    ref = await client.chat.completions.create(model="openrouter/openai/gpt-4o-mini", messages=HI)
    assert ref.model == "openrouter/openai/gpt-4o-mini"


async def test_agent_targets_and_model_header(gw: GatewayHarness) -> None:
    client = gw.openai()
    coder = await client.chat.completions.create(model="openclaw:coder", messages=HI)
    assert coder.model == "openrouter/openai/gpt-4o-mini"
    raw = await client.chat.completions.with_raw_response.create(
        model="openclaw",
        messages=HI,
        extra_headers={"x-openclaw-model": "openrouter/openai/gpt-4o-mini"},
    )
    assert raw.headers["x-openclaw-model"] == "openrouter/openai/gpt-4o-mini"
    assert gw.upstream.chat_requests[-1].json["model"] == "openai/gpt-4o-mini"


async def test_body_cannot_choose_the_upstream_host(gw: GatewayHarness) -> None:
    body = {
        "model": "openclaw",
        "messages": HI,
        "base_url": "http://127.0.0.2:9/v1",
        "api_base": "http://127.0.0.2:9",
        "api_key": "sk-attacker-0000000000",
        "custom_host": "http://127.0.0.2:9",
    }
    status, _, raw = await post(
        gw, body, headers={"x-portkey-config": '{"custom_host":"http://127.0.0.2:9"}'}
    )
    assert status == 200, raw
    sent = gw.upstream.chat_requests[-1]  # it reached the configured host
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    for field in ("base_url", "api_base", "api_key", "custom_host"):
        assert field not in sent.json


# ---------------------------------------------------------------------------------- failover


async def test_failover_before_first_byte_is_invisible(gw: GatewayHarness) -> None:
    gw.upstream.on_model("anthropic/claude-sonnet-4-5", Reply.status(429, headers={"Retry-After": "30"}))
    client = gw.openai()
    raw = await client.chat.completions.with_raw_response.create(model="openclaw", messages=HI)
    assert raw.parse().model == "openrouter/openai/gpt-4o-mini"
    assert raw.headers["x-openclaw-attempts"] == "2"
    gw.upstream.on_model("anthropic/claude-sonnet-4-5", Reply.cut(after_chunks=1))
    status, headers, body = await post(gw, {"model": "openclaw", "messages": HI, "stream": True})
    events = sse_events(body)
    assert status == 200 and headers["x-openclaw-model"] == "openrouter/openai/gpt-4o-mini"
    assert "error" not in events[-2] and events[-2]["choices"][0]["finish_reason"] == "stop"


async def test_per_request_models_list(gw: GatewayHarness) -> None:
    gw.upstream.on_model("openai/gpt-4o", Reply.status(503))
    body = {"model": "openai/gpt-4o", "models": ["x-ai/grok-4"], "messages": HI}
    status, headers, raw = await post(gw, body, path="/api/v1/chat/completions")
    assert status == 200, raw
    assert headers["x-openclaw-model"] == "openrouter/x-ai/grok-4" and headers["x-openclaw-attempts"] == "2"


async def test_all_failed_auth_is_401(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.status(401))
    with pytest.raises(openai.AuthenticationError) as info:
        await gw.openai().chat.completions.create(model="openclaw", messages=HI)
    error = info.value.body
    assert isinstance(error, dict) and error["type"] == "authentication_error"
    assert error["message"].startswith("All models failed (2)")
    assert FAKE_KEY not in str(error)


async def test_all_rate_limited_is_429_with_retry_after(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.status(429, headers={"Retry-After": "7"}))
    with pytest.raises(openai.RateLimitError) as info:
        await gw.openai().chat.completions.create(model="openclaw", messages=HI)
    assert info.value.status_code == 429
    assert int(info.value.response.headers["retry-after"]) >= 1


async def test_all_server_errors_are_5xx(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.status(500))
    with pytest.raises(openai.InternalServerError) as info:
        await gw.openai().chat.completions.create(model="openclaw", messages=HI)
    assert info.value.status_code == 500
    assert error_body(info.value)["type"] == "api_error"


async def test_failure_after_commit_ends_with_an_error_chunk(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.cut(after_chunks=2, content="Hello", chunks=["He", "llo"]))
    status, _, raw = await post(gw, {"model": "mini", "messages": HI, "stream": True})
    events = sse_events(raw)
    assert status == 200 and events[-1] == "[DONE]"
    last = events[-2]
    assert last["error"]["message"] and last["choices"][0]["finish_reason"] == "error"
    assert not any(
        e != "[DONE]" and e["choices"] and e["choices"][0].get("finish_reason") == "stop" for e in events
    )
    stream = await gw.openai().chat.completions.create(model="mini", messages=HI, stream=True)
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass


# ------------------------------------------------------------------------------ bad requests


async def test_auth_errors(gw: GatewayHarness) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        await gw.openai(api_key="wrong-token").chat.completions.create(model="openclaw", messages=HI)
    assert info.value.status_code == 401 and error_body(info.value)["type"] == "authentication_error"
    async with aiohttp.ClientSession() as session, session.get(gw.url + "/v1/models") as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "invalid_api_key"
        assert_security_headers(resp.headers)


async def test_repeated_auth_failures_are_rate_limited(gw: GatewayHarness) -> None:
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(7):
            async with session.get(gw.url + "/v1/models", headers=gw.auth("nope")) as resp:
                statuses.append(resp.status)
                retry_after = resp.headers.get("Retry-After")
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
        assert retry_after is not None and int(retry_after) >= 1
        async with session.get(gw.url + "/healthz") as resp:
            assert resp.status == 200  # health stays open


async def test_unknown_model_is_404_with_suggestion(gw: GatewayHarness) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await gw.openai().chat.completions.create(model="openclaw/codr", messages=HI)
    assert 'Did you mean "openclaw/coder"' in error_body(info.value)["message"]
    status, _, raw = await post(gw, {"model": "gpt-4", "messages": HI})
    assert status == 404 and orjson.loads(raw)["error"]["param"] == "model"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "openclaw"}, "messages"),
        ({"model": "openclaw", "messages": HI, "temperature": 5}, "temperature"),
        ({"model": "openclaw", "messages": HI, "tools": [{"type": "web_search"}]}, "tools[0].type"),
        (
            {
                "model": "openclaw",
                "messages": HI,
                "tools": [WEATHER_TOOL],
                "tool_choice": {"type": "function", "function": {"name": "nope"}},
            },
            "tool_choice",
        ),
        ({"model": 12, "messages": HI}, "model"),
    ],
)
async def test_invalid_requests_are_400(gw: GatewayHarness, body: dict[str, Any], param: str) -> None:
    status, headers, raw = await post(gw, body)
    error = orjson.loads(raw)["error"]
    assert status == 400 and error["type"] == "invalid_request_error" and error["param"] == param
    assert set(error) >= {"message", "type", "param", "code"}
    assert headers["Content-Type"] == "application/json; charset=utf-8"


async def test_bad_json_and_sdk_bad_request(gw: GatewayHarness) -> None:
    status, _, raw = await post(gw, b'{"model": "openclaw", "messages": [')
    assert status == 400 and "not valid JSON" in orjson.loads(raw)["error"]["message"]
    with pytest.raises(openai.BadRequestError):
        await gw.openai().chat.completions.create(model="openclaw", messages=HI, top_p=3)


async def test_reserved_session_keys(gw: GatewayHarness) -> None:
    for key in ("cron:x", "subagent:y", "acp:z"):
        status, _, raw = await post(
            gw, {"model": "openclaw", "messages": HI}, {"x-openclaw-session-key": key}
        )
        assert status == 400 and orjson.loads(raw)["error"]["type"] == "invalid_request_error"
    status, _, _ = await post(
        gw, {"model": "openclaw", "messages": HI}, {"x-openclaw-session-key": "agent:main:x"}
    )
    assert status == 200


async def test_oversize_body_is_413_and_the_gateway_keeps_serving(gw: GatewayHarness) -> None:
    big = {"model": "openclaw", "messages": [{"role": "user", "content": "x" * 300_000}]}
    status, _, raw = await post(gw, big)
    assert status == 413 and orjson.loads(raw)["error"]["param"] == "body"
    status, _, _ = await post(gw, {"model": "openclaw", "messages": HI})
    assert status == 200


async def test_too_many_messages(gw: GatewayHarness) -> None:
    status, _, raw = await post(gw, {"model": "openclaw", "messages": HI * 51})
    assert status == 400 and "at most 50" in orjson.loads(raw)["error"]["message"]


async def test_unknown_route_is_json_404(gw: GatewayHarness) -> None:
    async with aiohttp.ClientSession() as session, session.get(gw.url + "/v2/nothing") as resp:
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
