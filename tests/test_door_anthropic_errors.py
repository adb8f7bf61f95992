"""Errors of the Anthropic Messages door: every status in Anthropic's envelope (raw HTTP and the
SDK's exception classes), failover before the first byte, and failures after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

import anthropic
import orjson
import pytest
from anthropic.types import MessageParam

from conftest import FAKE_KEY
from openclaw.testing import FakeUpstream, Reply
from test_door_anthropic_support import WEATHER, anthropic_client, event_names, post, sse_blocks
from test_gateway_support import GatewayHarness, running_gateway


class Body(TypedDict):
    """The arguments of a Messages call, for the SDK (``**OK_BODY``) and for raw posts alike."""

    model: str
    max_tokens: int
    messages: list[MessageParam]


HI: list[MessageParam] = [{"role": "user", "content": "Reply with OK"}]
OK_BODY: Body = {"model": "mini", "max_tokens": 16, "messages": HI}  # an alias: strict, one model


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    async with running_gateway(home, upstream) as harness:
        yield harness


def envelope(raw: bytes, status: int, kind: str, headers: Any) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(raw)
    assert set(body) == {"type", "error", "request_id"}, body
    assert body["type"] == "error" and body["error"]["type"] == kind, (status, body)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert headers["request-id"] == body["request_id"] == headers["x-request-id"], headers
    assert headers["Content-Type"].startswith("application/json")
    return body


def sdk_error(exc: anthropic.APIStatusError) -> dict[str, Any]:
    """The ``error`` object of the envelope the SDK parsed (its ``body`` is typed ``object``)."""
    assert isinstance(exc.body, dict), exc.body
    error = exc.body["error"]
    assert isinstance(error, dict), exc.body
    return error


# --------------------------------------------------------------------- statuses, raw HTTP


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        ({"model": "openclaw", "messages": HI}, "max_tokens"),
        ({"model": "openclaw", "max_tokens": 0, "messages": HI}, "max_tokens"),
        ({"model": "openclaw", "max_tokens": 8, "messages": []}, "messages"),
        ({"model": "openclaw", "max_tokens": 8, "messages": [{"role": "system", "content": "x"}]}, "role"),
        (
            {
                "model": "openclaw",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": [{"type": "audio"}]}],
            },
            "messages[0].content[0].type",
        ),
        (
            {
                "model": "openclaw",
                "max_tokens": 8,
                "messages": HI,
                "tools": [{"type": "web_search_20250305"}],
            },
            "server tools",
        ),
        (
            {
                "model": "openclaw",
                "max_tokens": 8,
                "messages": HI,
                "tools": [WEATHER],
                "tool_choice": {"type": "tool"},
            },
            "tool_choice.name",
        ),
        (
            {"model": "openclaw", "max_tokens": 8, "messages": HI, "thinking": {"type": "enabled"}},
            "budget_tokens",
        ),
        ({"model": "openclaw", "max_tokens": 8, "messages": HI, "temperature": 1.5}, "temperature"),
        ({"model": "openclaw", "max_tokens": 8, "messages": HI, "stop_sequences": "END"}, "stop_sequences"),
    ],
)
async def test_400_invalid_request(gw: GatewayHarness, body: Any, fragment: str) -> None:
    status, headers, raw = await post(gw, body, path="/v1/messages")
    assert status == 400
    message = envelope(raw, 400, "invalid_request_error", headers)["error"]["message"]
    assert fragment in message
    assert not gw.upstream.chat_requests


async def test_401_missing_and_wrong_key(gw: GatewayHarness) -> None:
    status, headers, raw = await post(gw, OK_BODY, path="/v1/messages", auth="none")
    assert status == 401
    assert "x-api-key" in envelope(raw, 401, "authentication_error", headers)["error"]["message"]
    with pytest.raises(anthropic.AuthenticationError) as caught:
        await anthropic_client(gw, api_key="wrong-key").messages.create(**OK_BODY)
    assert sdk_error(caught.value)["type"] == "authentication_error"
    assert not gw.upstream.chat_requests


UPSTREAM_FAILURES = [
    (403, "permission_error", anthropic.PermissionDeniedError),
    (429, "rate_limit_error", anthropic.RateLimitError),
    (500, "api_error", anthropic.InternalServerError),
    (529, "overloaded_error", anthropic.OverloadedError),
]


@pytest.mark.parametrize(("code", "kind", "exc"), UPSTREAM_FAILURES)
async def test_upstream_failures_keep_their_status(
    gw: GatewayHarness, code: int, kind: str, exc: type[anthropic.APIStatusError]
) -> None:
    gw.upstream.set_default(Reply.status(code, headers={"Retry-After": "7"} if code == 429 else {}))
    status, headers, raw = await post(gw, OK_BODY, path="/v1/messages")
    assert status == code
    body = envelope(raw, code, kind, headers)
    assert FAKE_KEY not in raw.decode()
    assert "openrouter/openai/gpt-4o-mini" in body["error"]["message"]
    if code == 429:
        assert headers["Retry-After"] == "7"


@pytest.mark.parametrize(("code", "kind", "exc"), UPSTREAM_FAILURES)
async def test_upstream_failures_raise_the_sdk_class(
    gw: GatewayHarness, code: int, kind: str, exc: type[anthropic.APIStatusError]
) -> None:
    gw.upstream.set_default(Reply.status(code))
    with pytest.raises(exc) as caught:
        await anthropic_client(gw).messages.create(**OK_BODY)
    assert caught.value.status_code == code
    assert sdk_error(caught.value)["type"] == kind
    assert caught.value.request_id is not None and caught.value.request_id.startswith("req_")


async def test_404_unknown_model(gw: GatewayHarness) -> None:
    status, headers, raw = await post(gw, {**OK_BODY, "model": "claud-sonet"}, path="/v1/messages")
    assert status == 404
    assert "claud-sonet" in envelope(raw, 404, "not_found_error", headers)["error"]["message"]


async def test_413_body_too_large(gw: GatewayHarness) -> None:
    big = {**OK_BODY, "messages": [{"role": "user", "content": "x" * 300_000}]}
    status, headers, raw = await post(gw, big, path="/v1/messages")
    assert status == 413
    envelope(raw, 413, "request_too_large", headers)


async def test_count_tokens_errors_are_anthropic_shaped(gw: GatewayHarness) -> None:
    status, headers, raw = await post(gw, {"model": "openclaw"}, path="/v1/messages/count_tokens")
    assert status == 400
    assert "messages" in envelope(raw, 400, "invalid_request_error", headers)["error"]["message"]


# ----------------------------------------------------------------------- streams and failover


async def test_failover_before_the_first_byte_is_invisible(gw: GatewayHarness) -> None:
    gw.upstream.queue(Reply.status(429), Reply.text("Fine", chunks=["Fi", "ne"]))
    status, headers, raw = await post(
        gw, {"model": "openclaw", "max_tokens": 16, "messages": HI, "stream": True}, path="/v1/messages"
    )
    assert status == 200
    assert headers["x-openclaw-attempts"] == "2"
    assert headers["x-openclaw-model"] == "openrouter/openai/gpt-4o-mini"
    blocks = sse_blocks(raw)
    assert event_names(blocks)[-1] == "message_stop" and "error" not in event_names(blocks)
    assert blocks[0][1]["message"]["model"] == "openrouter/openai/gpt-4o-mini"


async def test_stream_that_never_starts_is_a_json_error(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.status(429))
    status, headers, raw = await post(gw, {**OK_BODY, "stream": True}, path="/v1/messages")
    assert status == 429
    envelope(raw, 429, "rate_limit_error", headers)


@pytest.mark.parametrize(
    "reply", [Reply.cut(after_chunks=2, content="Hello"), Reply.stream_error(after_chunks=2)]
)
async def test_failure_after_the_first_byte_ends_with_an_error_event(
    gw: GatewayHarness, reply: Reply
) -> None:
    gw.upstream.set_default(reply)
    status, _, raw = await post(gw, {**OK_BODY, "stream": True}, path="/v1/messages")
    assert status == 200
    blocks = sse_blocks(raw)
    names = event_names(blocks)
    assert names[:4] == ["message_start", "ping", "content_block_start", "content_block_delta"]
    assert names[-1] == "error" and "message_stop" not in names and "message_delta" not in names
    error = blocks[-1][1]
    assert error["type"] == "error" and set(error["error"]) == {"type", "message"}
    assert error["error"]["type"] in ("api_error", "timeout_error", "overloaded_error")
    assert "openai/gpt-4o-mini" in error["error"]["message"] and FAKE_KEY not in raw.decode()
    client = anthropic_client(gw)
    with pytest.raises(anthropic.APIStatusError):
        async with client.messages.stream(**OK_BODY) as stream:
            async for _ in stream:
                pass


async def test_host_and_key_fields_in_the_body_are_not_forwarded(gw: GatewayHarness) -> None:
    body = {**OK_BODY, "base_url": "http://evil.example", "api_key": "sk-evil", "custom_host": "x"}
    status, _, _ = await post(gw, body, path="/v1/messages", headers={"x-portkey-config": "{}"})
    assert status == 200
    request = gw.upstream.chat_requests[-1]
    assert b"evil" not in request.body and b"custom_host" not in request.body
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"


async def test_openrouter_extensions_pass_through(gw: GatewayHarness) -> None:
    body = {
        "max_tokens": 16,
        "messages": HI,
        "models": ["openrouter/openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"],
        "provider": {"order": ["openai"]},
        "top_k": 5,
        "session_id": "s-1",
    }
    status, _, _ = await post(gw, body, path="/v1/messages")
    assert status == 200
    sent = gw.upstream.chat_requests[-1].json
    assert sent["provider"] == {"order": ["openai"]} and sent["top_k"] == 5 and sent["session_id"] == "s-1"
    # `models` is openclaw's own fallback chain: the router walks it (first entry first), so it is
    # not forwarded for OpenRouter to fail over behind our back.
    assert "models" not in sent and sent["model"] == "openai/gpt-4o-mini"
