"""The OpenAI Responses door driven by the official ``openai`` SDK and by raw HTTP, in front of the
real router and the packaged fake upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import openai
import orjson
import pytest
from openai.types.responses import (
    FunctionToolParam,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseInputItemParam,
    ResponseInputParam,
    ResponseReasoningItem,
)

from conftest import FAKE_KEY
from openclaw.testing import FakeUpstream, Reply
from test_door_anthropic_support import event_names, post, sse_blocks
from test_gateway_support import TOKEN, GatewayHarness, running_gateway

# The SDK marks ``strict`` Required (value or None); the API takes it as optional and this tool
# is sent without it, as clients do.
FUNCTION = cast(
    "FunctionToolParam",
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
)
TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    async with running_gateway(home, upstream) as harness:
        yield harness


def sent(gw: GatewayHarness) -> dict[str, Any]:
    body: dict[str, Any] = gw.upstream.chat_requests[-1].json
    return body


# ------------------------------------------------------------------------------- text answers


async def test_create_with_the_sdk(gw: GatewayHarness) -> None:
    client = gw.openai()
    raw = await client.responses.with_raw_response.create(
        model="openclaw",
        input="Reply with OK",
        instructions="Be brief.",
        max_output_tokens=64,
        temperature=0.2,
    )
    response = raw.parse()
    assert response.object == "response" and response.status == "completed"
    assert response.id.startswith("resp_")
    assert response.output_text == "OK"
    assert response.model == "openrouter/anthropic/claude-sonnet-4-5"
    assert response.instructions == "Be brief." and response.max_output_tokens == 64
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        12,
        1,
        13,
    )
    message = response.output[0]
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert raw.headers["x-openclaw-model"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert raw.headers["x-openclaw-attempts"] == "1" and raw.headers["x-request-id"].startswith("req_")
    body = sent(gw)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Reply with OK"},
    ]
    assert body["max_completion_tokens"] == 64 and body["temperature"] == 0.2
    assert gw.upstream.chat_requests[-1].headers["authorization"] == f"Bearer {FAKE_KEY}"


async def test_stream_events_and_sequence_numbers(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Hello there", chunks=["Hello", " there"]))
    client = gw.openai()
    stream = await client.responses.create(model="openclaw", input="Hi", stream=True)
    events = [event async for event in stream]
    assert [e.type for e in events] == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hello", " there"]
    done = events[6]
    assert done.type == "response.output_text.done" and done.text == "Hello there"
    last, first = events[-1], events[0]
    assert isinstance(last, ResponseCompletedEvent) and isinstance(first, ResponseCreatedEvent)
    completed = last.response
    assert completed.status == "completed" and completed.output_text == "Hello there"
    assert completed.usage is not None and completed.usage.total_tokens == 13
    created = first.response
    assert created.status == "in_progress" and created.output == [] and created.id == completed.id


async def test_stream_helper_final_response(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Fine.", chunks=["Fi", "ne."]))
    client = gw.openai()
    async with client.responses.stream(model="openclaw", input=[{"role": "user", "content": "Hi"}]) as stream:
        texts = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert texts == ["Fi", "ne."]
    assert final.output_text == "Fine." and final.status == "completed"


async def test_raw_stream_shape(gw: GatewayHarness) -> None:
    status, headers, raw = await post(
        gw, {"model": "openclaw", "input": "Hi", "stream": True}, path="/api/v1/responses", auth="bearer"
    )
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    blocks = sse_blocks(raw)
    for name, data in blocks:
        assert data["type"] == name
    assert event_names(blocks)[0] == "response.created" and event_names(blocks)[-1] == "response.completed"
    added = blocks[2][1]
    assert added["item"]["type"] == "message" and added["item"]["status"] == "in_progress"
    assert added["item"]["content"] == [] and added["output_index"] == 0


# ------------------------------------------------------------------------------------ tools


async def test_function_call_non_stream(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city":"Paris"}', id="call_abc"))
    client = gw.openai()
    response = await client.responses.create(
        model="openclaw",
        input="Weather in Paris?",
        tools=[FUNCTION],
        tool_choice={"type": "function", "name": "get_weather"},
        parallel_tool_calls=False,
    )
    call = response.output[-1]
    assert call.type == "function_call"
    assert (call.name, call.arguments, call.call_id, call.status) == (
        "get_weather",
        '{"city":"Paris"}',
        "call_abc",
        "completed",
    )
    assert call.id is not None and call.id.startswith("fc_")
    body = sent(gw)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": FUNCTION["parameters"],
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False


async def test_function_call_stream(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.tool_call("get_weather", '{"city":"Paris"}', split=4))
    client = gw.openai()
    async with client.responses.stream(
        model="openclaw",
        input="Weather?",
        tools=[FUNCTION],
        tool_choice="required",
    ) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(deltas) == '{"city":"Paris"}' and len(deltas) == 4
    call = final.output[0]
    assert (
        call.type == "function_call" and call.arguments == '{"city":"Paris"}' and call.name == "get_weather"
    )
    assert sent(gw)["tool_choice"] == "required"


async def test_function_call_items_become_messages(gw: GatewayHarness) -> None:
    # An assistant turn in the short form clients send: the SDK types only the full output item
    # (with id and status), the API takes both.
    assistant_turn = cast(
        "ResponseInputItemParam",
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
    )
    client = gw.openai()
    await client.responses.create(
        model="openclaw",
        tools=[FUNCTION],
        input=[
            {"type": "message", "role": "developer", "content": "Use tools."},
            {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
            assistant_turn,
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
        ],
    )
    assert sent(gw)["messages"] == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
    ]


# -------------------------------------------------------------------------------- reasoning


async def test_reasoning_effort_and_items_round_trip(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.reasoning("Think.", "Answer.", signature="sig-5"))
    client = gw.openai()
    response = await client.responses.create(model="openclaw", input="Q?", reasoning={"effort": "high"})
    assert sent(gw)["reasoning"] == {"effort": "high"}
    assert [item.type for item in response.output] == ["reasoning", "message"]
    reasoning = response.output[0]
    assert isinstance(reasoning, ResponseReasoningItem) and reasoning.content
    assert reasoning.content[0].text == "Think."
    assert reasoning.encrypted_content
    assert response.output_text == "Answer."
    # The output items go back as the SDK dumps them (wire shapes; model_dump() is typed dict[str, Any]).
    replayed = cast(
        "list[ResponseInputItemParam]", [item.model_dump(exclude_none=True) for item in response.output]
    )
    follow_up: ResponseInputParam = [*replayed, {"role": "user", "content": "And?"}]
    await client.responses.create(model="openclaw", input=[{"role": "user", "content": "Q?"}, *follow_up])
    assistant = sent(gw)["messages"][1]
    assert assistant["content"] == "Answer." and assistant["reasoning"] == "Think."
    assert assistant["reasoning_details"][0]["signature"] == "sig-5"


async def test_stream_reasoning_events(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.reasoning("Hmm.", "Yes.", chunks=["Hm", "m."]))
    client = gw.openai()
    stream = await client.responses.create(model="openclaw", input="Q?", stream=True)
    events = [event async for event in stream]
    kinds = [e.type for e in events]
    assert kinds.count("response.reasoning_text.delta") == 2 and "response.reasoning_text.done" in kinds
    last = events[-1]
    assert isinstance(last, ResponseCompletedEvent), last
    final = last.response
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output_text == "Yes."


async def test_length_finish_is_incomplete(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.text("Trunc", finish="length"))
    client = gw.openai()
    response = await client.responses.create(model="openclaw", input="Long story", max_output_tokens=16)
    assert response.status == "incomplete"
    assert (
        response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"
    )
    stream = await client.responses.create(model="openclaw", input="Long story", stream=True)
    events = [event async for event in stream]
    assert events[-1].type == "response.incomplete"


async def test_structured_output_format_is_translated(gw: GatewayHarness) -> None:
    client = gw.openai()
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    await client.responses.create(
        model="openclaw",
        input="JSON please",
        text={"format": {"type": "json_schema", "name": "thing", "schema": schema, "strict": True}},
    )
    assert sent(gw)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "thing", "schema": schema, "strict": True},
    }


# ----------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("extra", "param", "fragment"),
    [
        ({"previous_response_id": "resp_123"}, "previous_response_id", "does not store responses"),
        ({"store": True}, "store", "does not store responses"),
        ({"tools": [{"type": "web_search_preview"}]}, "tools[0].type", "only function tools"),
        ({"tool_choice": {"type": "function", "name": "nope"}}, "tool_choice", "not in `tools`"),
        ({"input": []}, "input", "non-empty"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type", "does not store responses"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "input[0].content[0]",
            "file ids",
        ),
        ({"max_output_tokens": 0}, "max_output_tokens", "at least 1"),
    ],
)
async def test_400_with_the_sdk(gw: GatewayHarness, extra: dict[str, Any], param: str, fragment: str) -> None:
    body = {"model": "openclaw", "input": "Hi", **extra}
    with pytest.raises(openai.BadRequestError) as caught:
        await gw.openai().responses.create(**body)
    error: Any = caught.value.body
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert fragment in error["message"]
    assert not gw.upstream.chat_requests


async def test_store_false_is_accepted(gw: GatewayHarness) -> None:
    response = await gw.openai().responses.create(model="openclaw", input="Hi", store=False)
    # this SDK's Response declares no ``store`` field: the echoed value is an extra
    assert response.model_extra is not None and response.model_extra.get("store") is False
    assert response.output_text == "OK"


async def test_auth_and_unknown_model(gw: GatewayHarness) -> None:
    with pytest.raises(openai.AuthenticationError):
        await gw.openai(api_key="nope").responses.create(model="openclaw", input="Hi")
    with pytest.raises(openai.NotFoundError) as caught:
        await gw.openai().responses.create(model="openclaw/ghost", input="Hi")
    assert "ghost" in caught.value.message


async def test_upstream_rate_limit_is_429(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.status(429, headers={"Retry-After": "3"}))
    status, headers, raw = await post(
        gw, {"model": "mini", "input": "Hi"}, path="/v1/responses", auth="bearer"
    )
    assert status == 429 and headers["Retry-After"] == "3"
    error = orjson.loads(raw)["error"]
    assert error["type"] == "rate_limit_error" and TOKEN not in raw.decode() and FAKE_KEY not in raw.decode()


@pytest.mark.parametrize(
    "reply", [Reply.cut(after_chunks=2, content="Hello"), Reply.stream_error(after_chunks=2)]
)
async def test_failure_after_the_first_byte(gw: GatewayHarness, reply: Reply) -> None:
    gw.upstream.set_default(reply)
    status, _, raw = await post(
        gw, {"model": "mini", "input": "Hi", "stream": True}, path="/v1/responses", auth="bearer"
    )
    assert status == 200
    blocks = sse_blocks(raw)
    names = event_names(blocks)
    assert names[-2:] == ["error", "response.failed"] and "response.completed" not in names
    assert "response.output_text.delta" in names
    error, failed = blocks[-2][1], blocks[-1][1]
    assert error["code"] == "server_error" and "openai/gpt-4o-mini" in error["message"]
    assert failed["response"]["status"] == "failed" and failed["response"]["error"]["code"] == "server_error"
    assert failed["response"]["output"][0]["status"] == "incomplete"
    assert [d["sequence_number"] for _, d in blocks] == list(range(len(blocks)))
    stream = await gw.openai().responses.create(model="mini", input="Hi", stream=True)
    kinds = [event.type async for event in stream]
    assert kinds[-2:] == ["error", "response.failed"]
