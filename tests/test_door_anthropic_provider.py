"""The Messages door in front of an ``anthropic`` provider (the fake upstream's /v1/messages):
Claude ids, cache_control, thinking signatures, tool results and PDFs reach Anthropic intact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import CacheControlEphemeralParam, DocumentBlockParam, MessageParam

from openclaw.testing import FakeUpstream, Reply
from test_door_anthropic_support import WEATHER, anthropic_client, event_names, post, sse_blocks, text_of
from test_gateway_support import GatewayHarness, running_gateway

ANTHROPIC_KEY = "sk-ant-test-key-0123"
EPHEMERAL: CacheControlEphemeralParam = {"type": "ephemeral"}
PDF = "JVBERi0xLjQK"  # base64 of "%PDF-1.4\n"


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    extra = {"models": {"providers": {"anthropic": {"baseUrl": upstream.anthropic_base_url}}}}
    async with running_gateway(home, upstream, extra, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY}) as harness:
        yield harness


def sent(gw: GatewayHarness) -> dict[str, Any]:
    request = gw.upstream.chat_requests[-1]
    assert request.path == "/v1/messages", request.path
    body: dict[str, Any] = request.json
    return body


async def test_claude_id_runs_on_the_anthropic_provider(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    raw = await client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    message = await raw.parse()
    assert text_of(message.content[0]) == "OK"
    assert raw.headers["x-openclaw-model"] == "anthropic/claude-sonnet-4-6"
    assert raw.headers["x-openclaw-provider"] == "anthropic"
    assert message.model == "anthropic/claude-sonnet-4-6"
    request = gw.upstream.chat_requests[-1]
    assert request.headers["x-api-key"] == ANTHROPIC_KEY and request.headers["anthropic-version"]
    assert sent(gw) == {
        "model": "claude-sonnet-4-6",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 64,
    }


async def test_cache_control_reaches_anthropic(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    await client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=64,
        system=[
            {"type": "text", "text": "You are terse."},
            {"type": "text", "text": "Long shared context.", "cache_control": EPHEMERAL},
        ],
        tools=[{**WEATHER, "cache_control": EPHEMERAL}],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
                    },
                    {
                        "type": "text",
                        "text": "What is this?",
                        "cache_control": {"type": "ephemeral", "ttl": "1h"},
                    },
                ],
            }
        ],
    )
    body = sent(gw)
    assert body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "Long shared context.", "cache_control": EPHEMERAL},
    ]
    assert body["tools"][0]["cache_control"] == EPHEMERAL
    assert body["tools"][0]["input_schema"] == WEATHER["input_schema"]
    assert body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
        {"type": "text", "text": "What is this?", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]


async def test_thinking_signatures_and_tool_results_round_trip(gw: GatewayHarness) -> None:
    client = anthropic_client(gw)
    await client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=8000,
        thinking={"type": "enabled", "budget_tokens": 2000},
        tools=[WEATHER],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Need a tool.", "signature": "sig-abc"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Oslo"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_9",
                        "is_error": True,
                        "content": [{"type": "text", "text": "timeout"}, {"type": "text", "text": " again"}],
                    }
                ],
            },
        ],
    )
    body = sent(gw)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Need a tool.", "signature": "sig-abc"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Oslo"}},
        ],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_9",
                "content": [{"type": "text", "text": "timeout"}, {"type": "text", "text": " again"}],
                "is_error": True,
            }
        ],
    }


async def test_stream_from_anthropic_with_tools(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city":"Oslo"}', split=4, id="toolu_up"))
    client = anthropic_client(gw)
    async with client.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=64,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
    ) as stream:
        final = await stream.get_final_message()
    assert sent(gw)["stream"] is True
    assert final.stop_reason == "tool_use"
    tool = final.content[-1]
    assert tool.type == "tool_use" and tool.id == "toolu_up" and tool.input == {"city": "Oslo"}


async def test_stop_reason_and_metadata_reach_anthropic(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Cut", finish="length"))
    status, _, raw = await post(
        gw,
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 5,
            "stream": True,
            "stop_sequences": ["###"],
            "metadata": {"user_id": "u-7"},
            "messages": [{"role": "user", "content": "Go"}],
        },
        path="/v1/messages",
    )
    assert status == 200
    blocks = sse_blocks(raw)
    assert event_names(blocks)[-2:] == ["message_delta", "message_stop"]
    assert blocks[-2][1]["delta"]["stop_reason"] == "max_tokens"
    body = sent(gw)
    assert body["stop_sequences"] == ["###"] and body["metadata"] == {"user_id": "u-7"}


async def test_pdf_documents_reach_both_providers(gw: GatewayHarness) -> None:
    document: DocumentBlockParam = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
    }
    messages: list[MessageParam] = [
        {"role": "user", "content": [document, {"type": "text", "text": "Summarize."}]}
    ]
    client = anthropic_client(gw)
    await client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=messages)
    assert sent(gw)["messages"][0]["content"][0] == document
    await client.messages.create(model="openrouter/openai/gpt-4o-mini", max_tokens=64, messages=messages)
    openrouter = gw.upstream.chat_requests[-1]
    assert openrouter.path.endswith("/chat/completions")
    assert openrouter.json["messages"][0]["content"][0] == {
        "type": "file",
        "file": {"filename": "document.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
    }
