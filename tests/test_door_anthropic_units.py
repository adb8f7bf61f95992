"""Unit tests of the door encoders and parsers: cases the fake upstream does not produce
(interleaved tool calls, redacted thinking, foreign encrypted content, stop reasons)."""

from __future__ import annotations

from typing import Any, TypedDict

import orjson
import pytest

from openclaw.errors import InputError
from openclaw.wire.anthropic_front import parse_messages_request
from openclaw.wire.anthropic_front_encode import MessageStreamEncoder, error_type, message_body, stop_reason
from openclaw.wire.responses_front import decode_details, encode_details, parse_responses_request
from openclaw.wire.responses_front_encode import ResponsesStreamEncoder, merge_details
from openclaw.wire.types import ChatResult, TextPart, ToolCall, ToolCallDelta, Usage
from test_door_anthropic_support import sse_blocks


class Meta(TypedDict):
    """The keyword arguments both stream encoders take first."""

    completion_id: str
    created: int
    model: str
    provider: str


META: Meta = {"completion_id": "msg_x", "created": 1, "model": "m", "provider": "p"}


def events(raw: bytes) -> list[tuple[str, Any]]:
    return sse_blocks(raw)


def test_stream_encoder_interleaved_tools_and_redacted_thinking() -> None:
    enc = MessageStreamEncoder(**META)
    out = enc.role()
    out += enc.reasoning("", [{"type": "reasoning.encrypted", "data": "opaque"}])
    out += enc.tool(ToolCallDelta(index=0, id="a", name="f", arguments='{"x":'))
    out += enc.tool(ToolCallDelta(index=1, name="g"))  # no id: one is made up
    out += enc.tool(ToolCallDelta(index=0, arguments="1}"))  # back to the first call's block
    out += enc.finish("tool_calls", "tool_calls")
    out += enc.end(Usage(input=30, output=5, cache_read=10, cache_write=5))
    blocks = events(out)
    starts = [d["content_block"] for n, d in blocks if n == "content_block_start"]
    assert starts[0] == {"type": "redacted_thinking", "data": "opaque"}
    assert starts[1]["id"] == "a" and starts[2]["id"].startswith("toolu_") and starts[2]["name"] == "g"
    deltas = [(d["index"], d["delta"]["partial_json"]) for n, d in blocks if n == "content_block_delta"]
    assert deltas == [(1, '{"x":'), (1, "1}")]
    final = blocks[-2][1]
    assert final["delta"]["stop_reason"] == "tool_use"
    assert final["usage"] == {
        "input_tokens": 15,
        "output_tokens": 5,
        "cache_creation_input_tokens": 5,
        "cache_read_input_tokens": 10,
    }
    assert blocks[-1][0] == "message_stop"


def test_stop_reasons_and_error_types() -> None:
    assert stop_reason("stop", "stop_sequence") == "stop_sequence"
    assert stop_reason("length", "length") == "max_tokens"
    assert stop_reason("content_filter", None) == "refusal"
    assert stop_reason("stop", "STOP") == "end_turn"
    assert [error_type(s) for s in (400, 401, 403, 404, 413, 429, 500, 502, 504, 529, 418)] == [
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "api_error",
        "timeout_error",
        "overloaded_error",
        "invalid_request_error",
    ]


def test_message_body_thinking_without_signature_and_bad_arguments() -> None:
    result = ChatResult(
        text="Hi",
        reasoning="because",
        tool_calls=[ToolCall(id="c", name="f", arguments="{not json")],
        finish_reason="tool_calls",
    )
    body = orjson.loads(message_body(result, message_id="msg_1", model="m"))
    assert body["content"] == [
        {"type": "thinking", "thinking": "because", "signature": ""},
        {"type": "text", "text": "Hi"},
        {"type": "tool_use", "id": "c", "name": "f", "input": {}},
    ]
    assert body["usage"] == {"input_tokens": 0, "output_tokens": 0}


def test_system_blocks_and_user_parts() -> None:
    request = parse_messages_request(
        {
            "max_tokens": 5,
            "system": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
                }
            ],
        }
    )
    assert request.model == "openclaw"
    assert request.messages[0].content == "a\n\nb"
    assert request.messages[1].content == [TextPart(text="x", cache_control={"type": "ephemeral"})]


def test_count_only_needs_no_max_tokens() -> None:
    request = parse_messages_request({"messages": [{"role": "user", "content": "x"}]}, count_only=True)
    assert request.max_tokens is None
    with pytest.raises(InputError):
        parse_messages_request({"messages": [{"role": "user", "content": "x"}]})


def test_encrypted_content_round_trip_and_foreign_values() -> None:
    details = [{"type": "reasoning.text", "text": "t", "signature": "s"}]
    assert decode_details(encode_details(details)) == details
    assert decode_details("gAAAA-openai-blob") == [
        {"type": "reasoning.encrypted", "data": "gAAAA-openai-blob"}
    ]
    assert decode_details("openclaw:%%%") == [{"type": "reasoning.encrypted", "data": "openclaw:%%%"}]


def test_responses_reasoning_then_calls_fold_into_one_assistant_turn() -> None:
    request, echo = parse_responses_request(
        {
            "input": [
                {"role": "user", "content": "q"},
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}]},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
                {
                    "type": "function_call_output",
                    "call_id": "c1",
                    "output": [{"type": "input_text", "text": "r"}],
                },
            ]
        }
    )
    assistant = request.messages[1]
    assert assistant.role == "assistant" and assistant.content is None and assistant.reasoning == "plan"
    assert [c.id for c in assistant.tool_calls or []] == ["c1", "c2"]
    assert request.messages[2].content == [TextPart(text="r")]
    assert echo["store"] is False and echo["tools"] == [] and echo["tool_choice"] == "auto"


def test_responses_failure_marks_open_items_incomplete() -> None:
    meta: Meta = {**META, "completion_id": "resp_x"}
    enc = ResponsesStreamEncoder(**meta, echo={})
    out = enc.role() + enc.text("Hel") + enc.tool(ToolCallDelta(index=0, id="c", name="f", arguments="{"))
    out += enc.fail({"code": 429, "message": "slow down"})
    blocks = events(out)
    assert [n for n, _ in blocks][-2:] == ["error", "response.failed"]
    assert blocks[-2][1]["code"] == "rate_limit_exceeded"
    output = blocks[-1][1]["response"]["output"]
    assert output[0]["type"] == "message" and output[0]["status"] == "completed"  # closed when the call began
    assert output[1] == {
        "type": "function_call",
        "id": "fc_x_1",
        "call_id": "c",
        "name": "f",
        "arguments": "{",
        "status": "incomplete",
    }
    assert [d["sequence_number"] for _, d in blocks] == list(range(len(blocks)))


def test_streamed_reasoning_fragments_merge_into_one_signed_detail() -> None:
    fragments: list[dict[str, Any]] = [
        {"type": "reasoning.text", "text": "Hm", "index": 0, "format": "anthropic-claude-v1"},
        {"type": "reasoning.text", "text": "m.", "index": 0, "format": "anthropic-claude-v1"},
        {
            "type": "reasoning.text",
            "text": "",
            "index": 0,
            "signature": "sig",
            "format": "anthropic-claude-v1",
        },
        {"type": "reasoning.text", "text": "next", "index": 1},
        {"type": "reasoning.encrypted", "data": "x"},
    ]
    assert merge_details(fragments) == [
        {
            "type": "reasoning.text",
            "text": "Hmm.",
            "index": 0,
            "format": "anthropic-claude-v1",
            "signature": "sig",
        },
        {"type": "reasoning.text", "text": "next", "index": 1},
        {"type": "reasoning.encrypted", "data": "x"},
    ]
