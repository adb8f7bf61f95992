"""One conversation with tools through all three doors (chat completions, Anthropic messages,
OpenAI responses), served by an OpenRouter-style and by an Anthropic-style upstream: the same tool
call and the same text come back, and the upstream receives equivalent requests. Features a
provider cannot take are refused with an error that names the feature and the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import openai
import orjson
import pytest
from openai.types.responses import ResponseInputFileParam, ResponseInputItemParam, ResponseInputParam

from openclaw.testing import FakeUpstream, Reply
from test_door_anthropic_support import WEATHER, anthropic_client, post
from test_gateway_support import GatewayHarness, running_gateway

ANTHROPIC_KEY = "sk-ant-test-key-0123"
SYSTEM = "You are a weather bot."
CALL_ARGS = '{"city":"Paris"}'
FUNCTION = {
    "name": WEATHER["name"],
    "description": WEATHER["description"],
    "parameters": WEATHER["input_schema"],
}
MODELS = {"openrouter": "openrouter/openai/gpt-4o-mini", "anthropic": "anthropic/claude-sonnet-4-6"}

Answer = tuple[list[tuple[str, Any]], str]  # (tool calls as (name, parsed arguments), text)


@pytest.fixture
async def gw(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    extra = {"models": {"providers": {"anthropic": {"baseUrl": upstream.anthropic_base_url}}}}
    async with running_gateway(home, upstream, extra, env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY}) as harness:
        yield harness


# ------------------------------------------------------------------ the conversation, per door


async def via_chat(gw: GatewayHarness, model: str, stream: bool) -> Answer:
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": CALL_ARGS},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "user", "content": "And in Oslo?"},
    ]
    args: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "tools": [{"type": "function", "function": FUNCTION}],
        "max_tokens": 128,
    }
    client = gw.openai()
    if not stream:
        message = (await client.chat.completions.create(**args)).choices[0].message
        calls = [(c.function.name, orjson.loads(c.function.arguments)) for c in message.tool_calls or []]
        return calls, message.content or ""
    text: list[str] = []
    pieces: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    async for chunk in await client.chat.completions.create(**args, stream=True):
        delta = chunk.choices[0].delta if chunk.choices else None
        if delta is None:
            continue
        text.append(delta.content or "")
        for call in delta.tool_calls or []:
            if call.function and call.function.name:
                names[call.index] = call.function.name
            pieces.setdefault(call.index, []).append(
                (call.function.arguments if call.function else None) or ""
            )
    calls = [(names[i], orjson.loads("".join(pieces[i]))) for i in sorted(pieces)]
    return calls, "".join(text)


async def via_messages(gw: GatewayHarness, model: str, stream: bool) -> Answer:
    args: dict[str, Any] = {
        "model": model,
        "system": SYSTEM,
        "max_tokens": 128,
        "tools": [WEATHER],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}]},
            {"role": "user", "content": "And in Oslo?"},
        ],
    }
    client = anthropic_client(gw)
    if stream:
        async with client.messages.stream(**args) as events:
            message = await events.get_final_message()
    else:
        message = await client.messages.create(**args)
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    return calls, "".join(b.text for b in message.content if b.type == "text")


async def via_responses(gw: GatewayHarness, model: str, stream: bool) -> Answer:
    args: dict[str, Any] = {
        "model": model,
        "instructions": SYSTEM,
        "max_output_tokens": 128,
        "tools": [{"type": "function", **FUNCTION}],
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": CALL_ARGS},
            {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
            {"role": "user", "content": "And in Oslo?"},
        ],
    }
    client = gw.openai()
    if stream:
        async with client.responses.stream(**args) as events:
            response = await events.get_final_response()
    else:
        response = await client.responses.create(**args)
    calls = [
        (item.name, orjson.loads(item.arguments)) for item in response.output if item.type == "function_call"
    ]
    return calls, response.output_text


DOORS: dict[str, Callable[[GatewayHarness, str, bool], Awaitable[Answer]]] = {
    "chat": via_chat,
    "messages": via_messages,
    "responses": via_responses,
}


def upstream_view(body: dict[str, Any]) -> dict[str, Any]:
    """What a request asks of the model (transport framing such as stream flags left out)."""
    return {k: v for k, v in body.items() if k not in ("stream", "stream_options")}


# ------------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("provider", ["openrouter", "anthropic"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
async def test_same_tool_call_text_and_upstream_request(
    gw: GatewayHarness, provider: str, stream: bool
) -> None:
    model = MODELS[provider]
    answers: dict[str, list[Answer]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for door, send in DOORS.items():
        gw.upstream.queue(
            Reply.tool_call("get_weather", '{"city": "Oslo"}', split=5, id="call_2"),
            Reply.text("It is 18C in Paris.", chunks=["It is ", "18C in Paris."]),
        )
        answers[door] = [await send(gw, model, stream), await send(gw, model, stream)]
        bodies[door] = upstream_view(gw.upstream.chat_requests[-1].json)
    assert answers["chat"] == [([("get_weather", {"city": "Oslo"})], ""), ([], "It is 18C in Paris.")]
    assert answers["messages"] == answers["chat"]
    assert answers["responses"] == answers["chat"]
    assert bodies["messages"] == bodies["chat"]
    assert bodies["responses"] == bodies["chat"]
    path = gw.upstream.chat_requests[-1].path
    assert path.endswith("/messages" if provider == "anthropic" else "/chat/completions")
    if provider == "anthropic":
        turns = bodies["chat"]["messages"]
        assert bodies["chat"]["system"] == SYSTEM
        assert turns[1]["content"] == [
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
        ]
        assert turns[2]["content"][0] == {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}
    else:
        assert bodies["chat"]["messages"][0] == {"role": "system", "content": SYSTEM}
        assert bodies["chat"]["messages"][2]["tool_calls"][0]["function"]["arguments"] == CALL_ARGS


async def test_chat_door_reaches_the_anthropic_provider(gw: GatewayHarness) -> None:
    gw.upstream.set_default(Reply.reasoning("Hm.", "Done.", signature="sig-7"))
    completion = await gw.openai().chat.completions.create(
        model="anthropic/claude-sonnet-4-6",
        messages=[{"role": "user", "content": "Hi"}],
        max_tokens=4096,
        extra_body={"reasoning": {"max_tokens": 2048}},
    )
    message: Any = completion.choices[0].message
    assert message.content == "Done."
    assert message.reasoning_details[0]["signature"] == "sig-7"
    body = gw.upstream.chat_requests[-1].json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


async def test_a_feature_the_provider_cannot_take_names_both(gw: GatewayHarness) -> None:
    text_file: ResponseInputFileParam = {
        "type": "input_file",
        "filename": "notes.txt",
        "file_data": "data:text/plain;base64,aGk=",
    }
    user_turn: ResponseInputParam = [{"role": "user", "content": [text_file]}]
    body = {"model": MODELS["anthropic"], "input": user_turn}
    for stream in (False, True):
        status, _, raw = await post(gw, {**body, "stream": stream}, path="/v1/responses", auth="bearer")
        assert status == 400, raw
        error = orjson.loads(raw)["error"]
        assert '"file" content parts' in error["message"]
        assert "anthropic/claude-sonnet-4-6 (provider anthropic)" in error["message"]
    assert not gw.upstream.chat_requests
    with pytest.raises(openai.BadRequestError):
        await gw.openai().responses.create(model=MODELS["anthropic"], input=user_turn)


async def test_chat_door_names_the_provider_that_cannot_take_a_feature(gw: GatewayHarness) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    body = {"model": MODELS["anthropic"], "messages": [{"role": "user", "content": [audio]}]}
    for stream in (False, True):
        status, _, raw = await post(
            gw, {**body, "stream": stream}, path="/v1/chat/completions", auth="bearer"
        )
        assert status == 400, raw
        message = orjson.loads(raw)["error"]["message"]
        assert '"input_audio" content parts' in message, stream
        assert "anthropic/claude-sonnet-4-6 (provider anthropic)" in message, stream
    assert not gw.upstream.chat_requests


async def test_a_model_without_tools_is_skipped_with_the_reason(home: Path, upstream: FakeUpstream) -> None:
    extra = {
        "models": {"providers": {"openrouter": {"models": [{"id": "no/tools", "supportsTools": False}]}}}
    }
    async with running_gateway(home, upstream, extra) as gw:
        status, _, raw = await post(
            gw,
            {
                "model": "openrouter/no/tools",
                "max_tokens": 16,
                "tools": [WEATHER],
                "messages": [{"role": "user", "content": "x"}],
            },
            path="/v1/messages",
        )
    assert status == 400, raw
    message = orjson.loads(raw)["error"]["message"]
    assert "openrouter/no/tools" in message and "does not support tool calls" in message
    assert not upstream.chat_requests


@pytest.mark.parametrize(("off", "path"), [("messages", "/v1/messages"), ("responses", "/v1/responses")])
async def test_a_door_can_be_turned_off(home: Path, upstream: FakeUpstream, off: str, path: str) -> None:
    extra = {"gateway": {"http": {"endpoints": {off: {"enabled": False}}}}}
    other = "/v1/responses" if off == "messages" else "/v1/messages"
    body = {
        "model": "openclaw",
        "max_tokens": 8,
        "input": "Hi",
        "messages": [{"role": "user", "content": "Hi"}],
    }
    async with running_gateway(home, upstream, extra) as gw:
        status, _, _ = await post(gw, body, path=path)
        still, _, _ = await post(gw, body, path=other)
    assert status == 404 and still == 200


async def test_streamed_thinking_survives_the_responses_door_to_anthropic(gw: GatewayHarness) -> None:
    gw.upstream.queue(Reply.reasoning("Think hard.", "Done.", chunks=["Think", " hard."], signature="sig-r"))
    client = gw.openai()
    async with client.responses.stream(
        model=MODELS["openrouter"], input="Q?", reasoning={"effort": "low"}
    ) as events:
        first = await events.get_final_response()
    # The output items go back as the SDK dumps them (wire shapes; model_dump() is typed dict[str, Any]).
    items = cast(
        "list[ResponseInputItemParam]", [item.model_dump(exclude_none=True) for item in first.output]
    )
    await client.responses.create(
        model=MODELS["anthropic"],
        max_output_tokens=4096,
        input=[{"role": "user", "content": "Q?"}, *items, {"role": "user", "content": "More?"}],
    )
    body = gw.upstream.chat_requests[-1].json
    assert body["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "Think hard.", "signature": "sig-r"},
        {"type": "text", "text": "Done."},
    ]
