"""The anthropic-messages transport: the request it builds, and its decoding of the fake's
``/v1/messages`` answers (streaming and not), errors, cuts, split bytes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson
import pytest

from fixtures_upstream import FAKE_KEY, MemoryHttp, collect, make_call, provider, result_of, user
from openclaw.catalog.resolve import ModelFacts, ResolvedProvider
from openclaw.errors import InputError, ProviderError
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.anthropic_messages import AnthropicMessagesTransport
from openclaw.transports.base import HttpClient, UpstreamCall
from openclaw.transports.registry import TransportRegistry
from openclaw.wire.types import (
    ChatRequest,
    ImagePart,
    Message,
    RawPart,
    ReasoningConfig,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolDef,
)

MODEL = "anthropic/claude-sonnet-4-5"


def anthropic(base_url: str = "https://api.anthropic.com", **kw: object) -> ResolvedProvider:
    return provider(base_url, pid="anthropic", **kw)


def build(call: UpstreamCall) -> tuple[str, dict[str, str], Any]:
    url, headers, body = AnthropicMessagesTransport(MemoryHttp(b"")).build(call)
    return url, headers, orjson.loads(body)


# ----------------------------------------------------------------------------- the request


def test_url_headers_and_minimal_body() -> None:
    url, headers, body = build(make_call(anthropic(), MODEL, ChatRequest(messages=[user("hi")])))
    assert url == "https://api.anthropic.com/v1/messages"
    assert headers["x-api-key"] == FAKE_KEY and "Authorization" not in headers
    assert headers["anthropic-version"] == "2023-06-01"
    assert body == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 8192,
        "stream": True,
    }


def test_max_tokens_from_request_then_facts_then_provider() -> None:
    facts = ModelFacts(id="claude-sonnet-4-5", max_output=64000)
    assert (
        build(make_call(anthropic(), MODEL, ChatRequest(messages=[user("x")], max_tokens=10)))[2][
            "max_tokens"
        ]
        == 10
    )
    assert (
        build(make_call(anthropic(), MODEL, ChatRequest(messages=[user("x")]), facts=facts))[2]["max_tokens"]
        == 64000
    )
    prov = anthropic(max_tokens=2048)
    assert build(make_call(prov, MODEL, ChatRequest(messages=[user("x")])))[2]["max_tokens"] == 2048


def test_base_url_with_v1_is_not_doubled_and_token_uses_bearer() -> None:
    prov = provider("https://api.minimax.io/anthropic/v1", pid="minimax", auth_header=True)
    url, headers, _ = build(make_call(prov, "minimax/MiniMax-M2.1"))
    assert url == "https://api.minimax.io/anthropic/v1/messages"
    assert headers["Authorization"] == f"Bearer {FAKE_KEY}" and "x-api-key" not in headers


def test_system_tools_tool_results_images_and_merging() -> None:
    request = ChatRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="developer", content="Use tools."),
            Message(
                role="user",
                content=[TextPart(text="what is this?"), ImagePart(url="data:image/png;base64,AAAA")],
            ),
            Message(
                role="assistant",
                content="Let me check.",
                tool_calls=[ToolCall(id="toolu_1", name="lookup", arguments='{"q": "x"}')],
                reasoning_details=[{"type": "reasoning.text", "text": "hmm", "signature": "sig"}],
            ),
            Message(role="tool", content="found", tool_call_id="toolu_1"),
            Message(role="tool", content="failed", tool_call_id="toolu_2", is_error=True),
            Message(role="user", content=[TextPart(text="and?"), ImagePart(url="https://x/y.jpg")]),
        ],
        tools=[
            ToolDef(
                name="lookup",
                description="Look up",
                parameters={"type": "object"},
                cache_control={"type": "ephemeral"},
            )
        ],
        tool_choice=ToolChoice(mode="required"),
        parallel_tool_calls=False,
        stop=["END"],
        temperature=0.5,
        user="user-1",
        extra={"top_k": 5, "provider": {"order": ["x"]}},
    )
    _, _, body = build(make_call(anthropic(), MODEL, request, stream=False))
    assert body["system"] == "Be brief.\n\nUse tools."
    assert body["messages"][0] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
        ],
    }
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}},
        ],
    }
    results, follow_up = body["messages"][2]["content"][:2], body["messages"][2]["content"][2:]
    assert results == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "found"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "failed", "is_error": True},
    ]
    assert follow_up[1] == {"type": "image", "source": {"type": "url", "url": "https://x/y.jpg"}}
    assert len(body["messages"]) == 3  # tool results and the next user turn merged into one user turn
    assert body["tools"] == [
        {
            "name": "lookup",
            "description": "Look up",
            "input_schema": {"type": "object"},
            "cache_control": {"type": "ephemeral"},
        }
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert (body["stop_sequences"], body["temperature"], body["metadata"]) == (
        ["END"],
        0.5,
        {"user_id": "user-1"},
    )
    assert body["top_k"] == 5 and "provider" not in body and "stream" not in body


def test_cache_control_on_system_keeps_blocks() -> None:
    system = Message(role="system", content=[TextPart(text="stable", cache_control={"type": "ephemeral"})])
    _, _, body = build(make_call(anthropic(), MODEL, ChatRequest(messages=[system, user("x")])))
    assert body["system"] == [{"type": "text", "text": "stable", "cache_control": {"type": "ephemeral"}}]


@pytest.mark.parametrize(
    ("reasoning", "thinking", "max_tokens", "budget"),
    [
        (None, "high", 10000, 8000),
        (None, "off", 10000, None),
        (ReasoningConfig(max_tokens=3000), None, 10000, 3000),
        (ReasoningConfig(effort="low"), None, 20000, 4000),
        (None, "low", 1000, None),  # a cap below the 1024-token minimum disables thinking
    ],
)
def test_thinking_budget(
    reasoning: ReasoningConfig | None, thinking: str | None, max_tokens: int, budget: int | None
) -> None:
    request = ChatRequest(messages=[user("x")], max_tokens=max_tokens, reasoning=reasoning)
    _, _, body = build(make_call(anthropic(), MODEL, request, thinking=thinking))
    expected = None if budget is None else {"type": "enabled", "budget_tokens": budget}
    assert body.get("thinking") == expected


def test_parts_anthropic_cannot_take_are_refused_by_name() -> None:
    audio = RawPart(data={"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}})
    request = ChatRequest(messages=[Message(role="user", content=[audio])])
    with pytest.raises(InputError, match="input_audio"):
        build(make_call(anthropic(), MODEL, request))


def test_pdf_file_part_becomes_a_document() -> None:
    pdf = RawPart(
        data={"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"}}
    )
    _, _, body = build(
        make_call(anthropic(), MODEL, ChatRequest(messages=[Message(role="user", content=[pdf])]))
    )
    assert body["messages"][0]["content"] == [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}
    ]


def test_registry_serves_both_kinds_and_refuses_others() -> None:
    from openclaw.errors import ConfigError

    registry = TransportRegistry(MemoryHttp(b""))
    assert registry.transport_for("anthropic-messages").api == "anthropic-messages"
    assert registry.transport_for("openai-completions") is registry.transport_for("openai-completions")
    with pytest.raises(ConfigError, match="google-generative-ai"):
        registry.transport_for("google-generative-ai")


# -------------------------------------------------------------------- against the fake


async def test_streamed_text_against_the_fake(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("Hello there", chunks=["Hello", " there"]))
    call = make_call(anthropic(upstream.anthropic_base_url), MODEL)
    result = await result_of(AnthropicMessagesTransport(http), call)
    assert (
        result.text == "Hello there"
        and result.finish_reason == "stop"
        and result.native_finish_reason == "end_turn"
    )
    assert result.usage is not None and (result.usage.input, result.usage.output) == (12, 1)
    sent = upstream.requests[0]
    assert sent.path == "/v1/messages" and sent.headers["x-api-key"] == FAKE_KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"


async def test_non_streaming_against_the_fake(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("Fine", finish="length"))
    call = make_call(anthropic(upstream.anthropic_base_url), MODEL, stream=False)
    result = await result_of(AnthropicMessagesTransport(http), call)
    assert (result.text, result.finish_reason) == ("Fine", "length")


async def test_tool_use_split_byte_by_byte(upstream: FakeUpstream, http: HttpClient) -> None:
    args = '{"city": "Köln", "n": [1, 2]}'
    upstream.queue(Reply.tool_call("weather", args, split=1, id="toolu_9", content="Checking."))
    result = await result_of(
        AnthropicMessagesTransport(http), make_call(anthropic(upstream.anthropic_base_url), MODEL)
    )
    assert result.text == "Checking."
    assert [(c.id, c.name, orjson.loads(c.arguments)) for c in result.tool_calls] == [
        ("toolu_9", "weather", orjson.loads(args))
    ]
    assert result.finish_reason == "tool_calls"


@pytest.mark.parametrize("stream", [True, False])
async def test_thinking_with_signature(upstream: FakeUpstream, http: HttpClient, stream: bool) -> None:
    upstream.queue(Reply.reasoning("step by step", "42", chunks=["step ", "by step"], signature="sig-1"))
    call = make_call(anthropic(upstream.anthropic_base_url), MODEL, stream=stream)
    result = await result_of(AnthropicMessagesTransport(http), call)
    assert (result.reasoning, result.text) == ("step by step", "42")
    assert result.reasoning_details == [
        {
            "type": "reasoning.text",
            "text": "step by step",
            "format": "anthropic-claude-v1",
            "signature": "sig-1",
        }
    ]


async def test_error_status_is_parsed_from_anthropic_shape(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.status(429, "Number of requests exceeded", headers={"retry-after-ms": "1500"}))
    with pytest.raises(ProviderError) as info:
        await collect(
            AnthropicMessagesTransport(http), make_call(anthropic(upstream.anthropic_base_url), MODEL)
        )
    err = info.value
    assert (err.kind, err.status, err.code, err.retry_after) == ("http", 429, "rate_limit_error", 1.5)
    assert err.message == "Number of requests exceeded"


async def test_error_event_in_stream(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.stream_error(after_chunks=2, message="Overloaded"))
    with pytest.raises(ProviderError) as info:
        await collect(
            AnthropicMessagesTransport(http), make_call(anthropic(upstream.anthropic_base_url), MODEL)
        )
    assert (info.value.kind, info.value.status, info.value.code) == ("in_stream", 529, "overloaded_error")


async def test_cut_stream(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.cut(after_chunks=2))
    with pytest.raises(ProviderError) as info:
        await collect(
            AnthropicMessagesTransport(http), make_call(anthropic(upstream.anthropic_base_url), MODEL)
        )
    assert info.value.kind == "cut"


@pytest.mark.parametrize("stream", [True, False])
async def test_malformed(upstream: FakeUpstream, http: HttpClient, stream: bool) -> None:
    upstream.queue(Reply.malformed())
    call = make_call(anthropic(upstream.anthropic_base_url), MODEL, stream=stream)
    with pytest.raises(ProviderError) as info:
        await collect(AnthropicMessagesTransport(http), call)
    assert info.value.kind == "malformed"


ANTHROPIC_STREAM = (
    b"event: message_start\r\n"
    b'data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":'
    b'{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}\r\n\r\n'
    b'event: ping\ndata: {"type": "ping"}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta",'
    b'"text":"\xe2\x9c\x93 ok"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b"event: message_delta\n"
    b'data: {"type":"message_delta","delta":{"stop_reason":"refusal"},"usage":{"output_tokens":7}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


async def test_every_split_position() -> None:
    for cut in range(len(ANTHROPIC_STREAM) + 1):
        mem = MemoryHttp(ANTHROPIC_STREAM, split=[cut])
        result = await result_of(AnthropicMessagesTransport(mem), make_call(anthropic(), MODEL))
        assert result.text == "✓ ok", cut
        assert (result.finish_reason, result.native_finish_reason) == ("content_filter", "refusal")
        usage = result.usage
        assert usage is not None
        assert (usage.input, usage.output, usage.cache_read, usage.cache_write, usage.total) == (
            125,
            7,
            100,
            20,
            132,
        )


async def test_stopping_at_finish_leaves_a_reusable_connection(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    from openclaw.wire.types import Finish

    t = AnthropicMessagesTransport(http)
    for _ in range(3):
        stream = t.stream(make_call(anthropic(upstream.anthropic_base_url), MODEL))
        assert isinstance(stream, AsyncGenerator)  # typed AsyncIterator in Transport; closing needs aclose()
        async for event in stream:
            if isinstance(event, Finish):
                break
        await stream.aclose()
    assert upstream.connections_opened == 1 and upstream.aborted_responses == 0
