"""The openai-completions transport against the fake upstream (both HTTP clients) and against an
in-memory seam that splits the upstream bytes at every position."""

from __future__ import annotations

import socket
from collections.abc import AsyncGenerator

import orjson
import pytest

from fixtures_upstream import FAKE_KEY, MemoryHttp, collect, make_call, provider, result_of, user
from openclaw.errors import ProviderError
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.base import HttpClient, Timeouts
from openclaw.transports.openai_completions import OpenAICompletionsTransport
from openclaw.wire.types import ChatRequest, Finish, ResponseInfo, TextDelta, UsageEvent

SONNET = "openrouter/anthropic/claude-sonnet-4-5"


def transport(http: HttpClient) -> OpenAICompletionsTransport:
    return OpenAICompletionsTransport(http)


async def test_stream_text_events_and_the_exact_request(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("Hello", chunks=["Hel", "lo"]))
    call = make_call(provider(upstream.base_url), SONNET)
    events = await collect(transport(http), call)
    assert isinstance(events[0], ResponseInfo) and events[0].model == "anthropic/claude-sonnet-4-5"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    usage = next(e.usage for e in events if isinstance(e, UsageEvent))
    assert (usage.input, usage.output, usage.total) == (12, 1, 13)
    assert usage.cost == pytest.approx(0.000051) and usage.cost_source == "provider"
    assert events[-1] == Finish("stop", "stop")
    sent = upstream.requests[0]
    assert sent.path == "/api/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    _, _, body = transport(http).build(call)
    assert sent.body == body


async def test_non_streaming(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("Fine", usage={"prompt_tokens": 5, "completion_tokens": 2}))
    result = await result_of(transport(http), make_call(provider(upstream.base_url), SONNET, stream=False))
    assert result.text == "Fine" and result.finish_reason == "stop"
    assert result.usage is not None and result.usage.total == 7 and result.usage.cost is None
    assert "stream" not in upstream.requests[0].json


async def test_tool_call_arguments_split_one_character_per_chunk(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    args = '{"path": "/tmp/ä ö.txt", "lines": [1, 2, 3]}'
    upstream.queue(Reply.tool_call("read", args, split=1))
    result = await result_of(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("call_fake_1", "read", args)]
    assert result.finish_reason == "tool_calls"


async def test_reasoning_stream(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.reasoning("think hard", "OK", chunks=["think ", "hard"]))
    result = await result_of(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert result.reasoning == "think hard" and result.text == "OK"
    assert result.reasoning_details is not None and result.reasoning_details[-1]["signature"] == "sig-fake"


async def test_cut_stream_raises_cut_never_success(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.cut(after_chunks=2))
    seen: list[str] = []
    with pytest.raises(ProviderError) as info:
        async for event in transport(http).stream(make_call(provider(upstream.base_url), SONNET)):
            if isinstance(event, TextDelta):
                seen.append(event.text)
    assert info.value.kind == "cut" and seen == ["O"]
    assert info.value.provider == "openrouter" and info.value.model == "anthropic/claude-sonnet-4-5"


async def test_cut_after_role_chunk(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.cut(after_chunks=1))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert info.value.kind == "cut"


async def test_in_stream_error_chunk_raises_with_status(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(
        Reply.stream_error(
            after_chunks=2, code=429, message="Rate limit exceeded", error_type="rate_limit_exceeded"
        )
    )
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    err = info.value
    assert (err.kind, err.status, err.message, err.error_type) == (
        "in_stream",
        429,
        "Rate limit exceeded",
        "rate_limit_exceeded",
    )


async def test_in_stream_error_with_string_code_and_done(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.stream_error(code="server_error", message="boom", done=True))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert (info.value.kind, info.value.status, info.value.code) == ("in_stream", None, "server_error")


async def test_finish_reason_error_in_a_200_json_body(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.stream_error(code=502, message="Provider returned error"))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET, stream=False))
    assert (info.value.kind, info.value.status) == ("in_stream", 502)


@pytest.mark.parametrize("stream", [True, False])
async def test_malformed_body(upstream: FakeUpstream, http: HttpClient, stream: bool) -> None:
    upstream.queue(Reply.malformed())
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET, stream=stream))
    assert info.value.kind == "malformed"


async def test_http_429_with_retry_after(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(
        Reply.status(429, "Rate limit exceeded: free-models-per-min.", headers={"Retry-After": "2"})
    )
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    err = info.value
    assert (err.kind, err.status, err.retry_after, err.code) == ("http", 429, 2.0, "429")
    assert err.message == "Rate limit exceeded: free-models-per-min."
    assert err.headers["retry-after"] == "2"
    assert err.describe() == "429 Rate limit exceeded: free-models-per-min."


async def test_error_messages_never_carry_the_key(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.status(401, f"Invalid key {FAKE_KEY}"))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert info.value.status == 401
    assert FAKE_KEY not in info.value.message and "[redacted]" in info.value.message


async def test_html_error_page(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.status(502, body="<html><body>nginx</body></html>"))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert (info.value.status, info.value.message) == (502, "Bad Gateway")


async def test_reset_before_headers(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.reset())
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(upstream.base_url), SONNET))
    assert info.value.kind == "reset"


async def test_no_headers_within_the_read_timeout(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.hang())
    call = make_call(provider(upstream.base_url), SONNET, timeouts=Timeouts(connect=2, read=0.2))
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), call)
    assert info.value.kind == "timeout"


async def test_connection_refused(http: HttpClient) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ProviderError) as info:
        await collect(transport(http), make_call(provider(f"http://127.0.0.1:{port}/api/v1"), SONNET))
    assert info.value.kind == "connect"


async def test_keep_alive_reuses_one_connection(upstream: FakeUpstream, http: HttpClient) -> None:
    t = transport(http)
    for stream in (True, False, True):
        result = await result_of(t, make_call(provider(upstream.base_url), SONNET, stream=stream))
        assert result.text == "OK"
    assert upstream.connections_opened == 1


async def test_leaving_a_stream_early_closes_the_upstream_connection(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    upstream.queue(Reply.text("abcdef", chunks=list("abcdef"), interval=0.05))
    stream = transport(http).stream(make_call(provider(upstream.base_url), SONNET))
    assert isinstance(stream, AsyncGenerator)  # typed AsyncIterator in Transport; closing needs aclose()
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()
    assert await upstream.wait_for(lambda u: u.aborted_responses == 1)


# ------------------------------------------------------------- split anywhere (memory seam)


def ev(obj: object) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def tool_delta(**call: object) -> dict[str, object]:
    return {"id": "gen-1", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, **call}]}}]}


OPENROUTER_STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    b'data: {"id":"gen-1","model":"anthropic/claude-sonnet-4.5","provider":"Anthropic","choices":'
    b'[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
    b'data: {"id":"gen-1","choices":[{"index":0,"delta":{"content":"Gr\xc3\xbc\xc3\x9fe "}}]}\r\n\r\n'
    + ev(tool_delta(id="c1", type="function", function={"name": "f", "arguments": ""}))
    + ev(tool_delta(function={"arguments": '{"q": '}))
    + ev(tool_delta(function={"arguments": '"é"}'}))
    + b": OPENROUTER PROCESSING\n\n"
    + ev(
        {
            "id": "gen-1",
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": "tool_calls", "native_finish_reason": "tool_use"}
            ],
        }
    )
    + ev(
        {
            "id": "gen-1",
            "choices": [],
            "usage": {
                "prompt_tokens": 10,
                "completion_tokens": 4,
                "total_tokens": 14,
                "cost": 0.0002,
                "prompt_tokens_details": {"cached_tokens": 6, "cache_write_tokens": 2},
                "completion_tokens_details": {"reasoning_tokens": 1},
            },
        }
    )
    + b"data: [DONE]\n\n"
)


async def test_decoding_is_identical_for_every_split_position() -> None:
    for cut in range(len(OPENROUTER_STREAM) + 1):
        mem = MemoryHttp(OPENROUTER_STREAM, split=[cut])
        result = await result_of(OpenAICompletionsTransport(mem), make_call(provider(), SONNET))
        assert result.text == "Grüße ", cut
        assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("c1", "f", '{"q": "é"}')], cut
        assert (result.finish_reason, result.native_finish_reason) == ("tool_calls", "tool_use")
        assert result.provider_name == "Anthropic" and result.model == "anthropic/claude-sonnet-4.5"
        usage = result.usage
        assert usage is not None
        assert (usage.input, usage.output, usage.cache_read, usage.cache_write, usage.reasoning) == (
            10,
            4,
            6,
            2,
            1,
        )


async def test_one_byte_per_network_read() -> None:
    mem = MemoryHttp(OPENROUTER_STREAM, split=list(range(1, len(OPENROUTER_STREAM))))
    result = await result_of(OpenAICompletionsTransport(mem), make_call(provider(), SONNET))
    assert result.tool_calls[0].arguments == '{"q": "é"}'


async def test_stream_without_done_but_with_finish_is_complete() -> None:
    body = OPENROUTER_STREAM.replace(b"data: [DONE]\n\n", b"")
    result = await result_of(OpenAICompletionsTransport(MemoryHttp(body)), make_call(provider(), SONNET))
    assert result.finish_reason == "tool_calls"


async def test_stream_without_finish_or_done_is_cut() -> None:
    body = OPENROUTER_STREAM.split(b'data: {"id":"gen-1","choices":[{"index":0,"delta":{},"finish_reason"')[0]
    assert b"[DONE]" not in body and b'finish_reason":"tool_calls' not in body
    with pytest.raises(ProviderError) as info:
        await collect(OpenAICompletionsTransport(MemoryHttp(body)), make_call(provider(), SONNET))
    assert info.value.kind == "cut"


async def test_error_chunk_without_choices() -> None:
    body = b'data: {"error":{"code":500,"message":"Internal"}}\n\n'
    with pytest.raises(ProviderError) as info:
        await collect(OpenAICompletionsTransport(MemoryHttp(body)), make_call(provider(), SONNET))
    assert (info.value.kind, info.value.status, info.value.message) == ("in_stream", 500, "Internal")


async def test_json_answer_to_a_stream_request_is_understood() -> None:
    body = orjson.dumps({"id": "x", "choices": [{"message": {"content": "plain"}, "finish_reason": "stop"}]})
    mem = MemoryHttp(body, content_type="application/json")
    result = await result_of(OpenAICompletionsTransport(mem), make_call(provider(), SONNET))
    assert result.text == "plain"


async def test_request_goes_only_to_the_configured_host() -> None:
    mem = MemoryHttp(OPENROUTER_STREAM)
    request = ChatRequest(
        messages=[user("x")], extra={"base_url": "http://evil.example", "url": "http://evil"}
    )
    await collect(OpenAICompletionsTransport(mem), make_call(provider(), SONNET, request))
    assert [url for _, url, _, _ in mem.sent] == ["https://openrouter.ai/api/v1/chat/completions"]


async def test_stopping_at_finish_leaves_a_reusable_connection(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    t = transport(http)
    for _ in range(3):
        stream = t.stream(make_call(provider(upstream.base_url), SONNET))
        assert isinstance(stream, AsyncGenerator)  # typed AsyncIterator in Transport; closing needs aclose()
        async for event in stream:
            if isinstance(event, Finish):
                break
        await stream.aclose()
    assert upstream.connections_opened == 1 and upstream.aborted_responses == 0
