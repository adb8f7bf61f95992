"""The Anthropic Messages door driven by the official ``anthropic`` SDK and by raw HTTP, in front of
the real router and the packaged fake upstream (OpenRouter-shaped by default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import anthropic
import pytest
from anthropic.types import (
    ContentBlockParam,
    MessageParam,
    ThinkingBlock,
    ToolChoiceParam,
    ToolUseBlock,
)

from conftest import FAKE_KEY
from openclaw.testing import FakeUpstream, Reply
from test_door_anthropic_support import WEATHER, anthropic_client, event_names, post, sse_blocks, text_of
from test_gateway_support import TOKEN, GatewayHarness, running_gateway

HI: list[MessageParam] = [{"role": "user", "content": "Reply with OK"}]


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    async with running_gateway(home, upstream) as harness:
        yield harness


def sent(gw: GatewayHarness) -> dict[str, Any]:
    body: dict[str, Any] = gw.upstream.chat_requests[-1].json
    return body


# ------------------------------------------------------------------------------- text answers


async def test_create_with_the_sdk(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    raw = await client.messages.with_raw_response.create(
        model="openclaw",
        max_tokens=256,
        system="Be brief.",
        messages=HI,
        stop_sequences=["END"],
        metadata={"user_id": "user-42"},
        extra_body={"temperature": 0.5},  # this SDK no longer has a temperature argument
        extra_headers={"anthropic-version": "2023-06-01"},
    )
    message = await raw.parse()
    assert message.type == "message" and message.role == "assistant"
    assert [b.type for b in message.content] == ["text"]
    assert text_of(message.content[0]) == "OK"
    assert message.stop_reason == "end_turn"
    assert message.model == "openrouter/anthropic/claude-sonnet-4-5"
    assert message.id.startswith("msg_")
    assert message.usage.input_tokens == 12 and message.usage.output_tokens == 1
    assert raw.headers["x-openclaw-model"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert raw.headers["x-openclaw-provider"] == "openrouter"
    assert raw.headers["x-openclaw-attempts"] == "1"
    assert raw.headers["request-id"] == raw.headers["x-request-id"]
    body = sent(gw)
    assert body["model"] == "anthropic/claude-sonnet-4-5"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Reply with OK"},
    ]
    assert body["max_completion_tokens"] == 256
    assert body["stop"] == ["END"] and body["temperature"] == 0.5 and body["user"] == "user-42"
    request = gw.upstream.chat_requests[-1]
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert TOKEN not in request.body.decode() and all(TOKEN not in v for v in request.headers.values())


async def test_stream_helper_and_final_message(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Hello there", chunks=["Hel", "lo ", "there"]))
    client = anthropic_client(gw)
    async with client.messages.stream(model="openclaw/default", max_tokens=64, messages=HI) as stream:
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert pieces == ["Hel", "lo ", "there"]
    assert text_of(final.content[0]) == "Hello there"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 1 and final.usage.input_tokens == 12
    assert final.model == "openrouter/anthropic/claude-sonnet-4-5"


async def test_stream_event_sequence_raw(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Hi!", chunks=["H", "i!"]))
    status, headers, raw = await post(
        gw, {"model": "openclaw", "max_tokens": 32, "messages": HI, "stream": True}, path="/v1/messages"
    )
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["x-openclaw-attempts"] == "1" and headers["request-id"].startswith("req_")
    blocks = sse_blocks(raw)
    assert event_names(blocks) == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    for name, data in blocks:  # the event name and the data's type agree, as Anthropic sends them
        assert data["type"] == name
    start = blocks[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["role"] == "assistant"
    assert blocks[2][1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    assert [b[1]["delta"] for b in blocks[3:5]] == [
        {"type": "text_delta", "text": "H"},
        {"type": "text_delta", "text": "i!"},
    ]
    delta = blocks[6][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert delta["usage"]["output_tokens"] == 1 and delta["usage"]["input_tokens"] == 12


async def test_api_v1_prefix_and_bearer_auth(gw: GatewayHarness) -> None:
    status, headers, raw = await post(
        gw, {"model": "openclaw", "max_tokens": 32, "messages": HI}, path="/api/v1/messages", auth="bearer"
    )
    assert status == 200, raw
    assert headers["x-openclaw-model"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert b'"type":"message"' in raw


# ------------------------------------------------------------------------------------ tools


async def test_tool_use_non_stream(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city": "Paris"}'))
    client = anthropic_client(gw)
    message = await client.messages.create(
        model="openclaw",
        max_tokens=128,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
    )
    assert message.stop_reason == "tool_use"
    block = message.content[-1]
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "Paris"}
    assert block.id == "call_fake_1"
    body = sent(gw)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": WEATHER["input_schema"],
            },
        }
    ]
    assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is False


async def test_tool_use_stream_split_arguments(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city": "Paris"}', split=3, content="Checking."))
    client = anthropic_client(gw)
    async with client.messages.stream(
        model="openclaw",
        max_tokens=128,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
    ) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_message()
    deltas = [
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert "".join(deltas) == '{"city": "Paris"}' and len(deltas) > 1
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert text_of(final.content[0]) == "Checking."
    tool_use = final.content[1]
    assert isinstance(tool_use, ToolUseBlock) and tool_use.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"
    assert sent(gw)["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


async def test_tool_results_become_tool_messages(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    await client.messages.create(
        model="openclaw",
        max_tokens=128,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Paris and Oslo?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Oslo"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C and sunny"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "is_error": True,
                        "content": [{"type": "text", "text": "station offline"}],
                    },
                    {"type": "text", "text": "Summarize."},
                ],
            },
        ],
    )
    messages = sent(gw)["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {
                "id": "toolu_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
            },
        ],
    }
    assert messages[2] == {"role": "tool", "content": "18C and sunny", "tool_call_id": "toolu_1"}
    assert messages[3] == {"role": "tool", "content": "station offline", "tool_call_id": "toolu_2"}
    assert messages[4] == {"role": "user", "content": [{"type": "text", "text": "Summarize."}]}


async def test_tool_choice_none_and_auto(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    choices: list[tuple[ToolChoiceParam, str]] = [({"type": "none"}, "none"), ({"type": "auto"}, "auto")]
    for choice, expected in choices:
        await client.messages.create(
            model="openclaw",
            max_tokens=16,
            messages=HI,
            tools=[WEATHER],
            tool_choice=choice,
        )
        assert sent(gw)["tool_choice"] == expected


# -------------------------------------------------------------------------------- reasoning


async def test_thinking_config_and_stream(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.reasoning("Think.", "Answer.", chunks=["Thi", "nk."], signature="sig-123"))
    client = anthropic_client(gw)
    async with client.messages.stream(
        model="openclaw",
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=HI,
    ) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_message()
    assert sent(gw)["reasoning"] == {"max_tokens": 2048, "enabled": True}
    kinds = [e.delta.type for e in events if e.type == "content_block_delta"]
    assert kinds == ["thinking_delta", "thinking_delta", "signature_delta", "text_delta"]
    assert [b.type for b in final.content] == ["thinking", "text"]
    thinking = final.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.thinking == "Think." and thinking.signature == "sig-123"
    assert text_of(final.content[1]) == "Answer."


async def test_thinking_non_stream_and_round_trip(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.reasoning("Think.", "Answer.", signature="sig-9"))
    client = anthropic_client(gw)
    message = await client.messages.create(
        model="openclaw",
        max_tokens=4096,
        thinking={"type": "adaptive"},
        messages=HI,
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.thinking == "Think." and thinking.signature == "sig-9"
    # The blocks go back as the SDK dumps them (wire shapes; model_dump() is typed dict[str, Any]).
    replayed = cast("list[ContentBlockParam]", [b.model_dump() for b in message.content])
    history: list[MessageParam] = [*HI, {"role": "assistant", "content": replayed}]
    await client.messages.create(
        model="openclaw",
        max_tokens=4096,
        thinking={"type": "disabled"},
        messages=[*history, {"role": "user", "content": "And?"}],
    )
    body = sent(gw)
    assert body["reasoning"] == {"enabled": False}
    assistant = body["messages"][1]
    assert assistant["content"] == "Answer." and assistant["reasoning"] == "Think."
    assert assistant["reasoning_details"] == [
        {"type": "reasoning.text", "text": "Think.", "format": "anthropic-claude-v1", "signature": "sig-9"}
    ]


# ------------------------------------------------------------------------------ count_tokens


async def test_count_tokens_is_an_estimate(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    raw = await client.messages.with_raw_response.count_tokens(
        model="openclaw", system="x" * 400, messages=[{"role": "user", "content": "y" * 800}]
    )
    count = await raw.parse()
    assert raw.headers["x-openclaw-estimate"] == "chars/4"
    assert 300 <= count.input_tokens <= 320  # 1200 characters / 4, plus a few per message
    assert not gw.upstream.chat_requests  # nothing was sent upstream


# ------------------------------------------------------------------------------ model names


async def test_claude_ids_go_to_openrouter_without_an_anthropic_key(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    raw = await client.messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=16, messages=HI)
    assert raw.headers["x-openclaw-model"] == "openrouter/anthropic/claude-haiku-4-5"
    assert sent(gw)["model"] == "anthropic/claude-haiku-4-5"
    assert gw.upstream.chat_requests[-1].path.endswith("/chat/completions")
    await client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=HI)  # remembered
    assert sent(gw)["model"] == "anthropic/claude-haiku-4-5"
    for model in (
        "mini",
        "openrouter/openai/gpt-4o-mini",
        "meta-llama/llama-3.3-70b-instruct",
        "openclaw/coder",
    ):
        await client.messages.create(model=model, max_tokens=16, messages=HI)
    assert [r.json["model"] for r in gw.upstream.chat_requests[-4:]] == [
        "openai/gpt-4o-mini",
        "openai/gpt-4o-mini",
        "meta-llama/llama-3.3-70b-instruct",
        "openai/gpt-4o-mini",
    ]


async def test_unknown_model_is_404_in_anthropic_shape(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    with pytest.raises(anthropic.NotFoundError) as caught:
        await client.messages.create(model="gpt-nope", max_tokens=16, messages=HI)
    body: Any = caught.value.body
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert "gpt-nope" in body["error"]["message"]
    assert caught.value.request_id is not None and caught.value.request_id.startswith("req_")


async def test_claude_code_style_request_and_metrics(gw: GatewayHarness) -> None:
    """Claude Code adds ``?beta=true`` and beta headers; a non-bearer Authorization falls back to
    ``x-api-key``. The door's requests are counted under route ``messages``."""
    status, _, raw = await post(
        gw,
        {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": HI, "stream": True},
        path="/v1/messages?beta=true",
        headers={
            "anthropic-beta": "fine-grained-tool-streaming-2025-05-14",
            "Authorization": "Basic Zm9vOmJhcg==",
        },
    )
    assert status == 200 and event_names(sse_blocks(raw))[-1] == "message_stop"
    async with (
        aiohttp.ClientSession() as session,
        session.get(gw.url + "/metrics", headers=gw.auth()) as resp,
    ):
        metrics = await resp.text()
    assert 'route="messages"' in metrics and 'model="openrouter/anthropic/claude-haiku-4-5"' in metrics
