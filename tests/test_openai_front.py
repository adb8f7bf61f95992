"""The OpenAI chat-completions front door: parsing, validation, and the JSON it renders."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from openclaw.errors import InputError
from openclaw.wire.openai_front import (
    DONE,
    ChunkEncoder,
    completion_body,
    parse_chat_request,
)
from openclaw.wire.types import (
    ChatRequest,
    ChatResult,
    ImagePart,
    RawPart,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
)

USER = [{"role": "user", "content": "hi"}]


def parse(**fields: Any) -> ChatRequest:
    body = {"model": "openclaw", "messages": USER, **fields}
    return parse_chat_request(orjson.dumps(body))


def bad(param: str, **fields: Any) -> str:
    with pytest.raises(InputError) as info:
        parse(**fields)
    assert info.value.param == param, info.value.message
    return info.value.message


def test_minimal_request() -> None:
    req = parse()
    assert req.model == "openclaw"
    assert req.messages[0].role == "user" and req.messages[0].content == "hi"
    assert req.stream is False and req.include_usage is False and req.fallbacks is None
    assert req.extra == {}


def test_missing_model_means_default_agent() -> None:
    assert parse_chat_request(orjson.dumps({"messages": USER})).model == "openclaw"


def test_all_openai_fields() -> None:
    req = parse(
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=50,
        max_completion_tokens=40,
        temperature=0.5,
        top_p=1,
        frequency_penalty=-2,
        presence_penalty=2,
        stop="END",
        seed=7,
        user="u1",
        metadata={"a": "b"},
        response_format={"type": "json_object"},
        parallel_tool_calls=False,
        reasoning_effort="high",
    )
    assert req.stream and req.include_usage
    assert req.max_tokens == 40  # max_completion_tokens wins
    assert req.temperature == 0.5 and req.top_p == 1.0
    assert req.stop == ["END"] and req.seed == 7 and req.user == "u1"
    assert req.reasoning is not None and req.reasoning.effort == "high"
    assert req.parallel_tool_calls is False


def test_openrouter_extras_pass_through_and_hosts_are_dropped() -> None:
    req = parse(
        provider={"order": ["anthropic"]},
        transforms=["middle-out"],
        top_k=5,
        base_url="http://evil.example/v1",
        api_base="http://evil.example",
        api_key="sk-stolen",
        custom_host="http://evil.example",
        extra_headers={"Authorization": "Bearer x"},
    )
    assert req.extra == {"provider": {"order": ["anthropic"]}, "transforms": ["middle-out"], "top_k": 5}


def test_models_list_is_a_fallback_chain() -> None:
    req = parse(model="openai/gpt-4o", models=["openai/gpt-4o", "anthropic/claude-sonnet-4.5", "x/y"])
    assert req.model == "openai/gpt-4o"
    assert req.fallbacks == ["anthropic/claude-sonnet-4.5", "x/y"]
    only = parse_chat_request(orjson.dumps({"models": ["a/b", "c/d"], "messages": USER}))
    assert only.model == "a/b" and only.fallbacks == ["c/d"]


def test_content_parts_and_tool_messages() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    req = parse(messages=messages)
    parts = req.messages[1].content
    assert isinstance(parts, list)
    assert isinstance(parts[0], TextPart) and parts[0].cache_control == {"type": "ephemeral"}
    assert isinstance(parts[1], ImagePart) and parts[1].media_type == "image/png" and parts[1].detail == "low"
    assert isinstance(parts[2], RawPart)
    calls = req.messages[2].tool_calls
    assert calls == [ToolCall(id="c1", name="f", arguments='{"a":1}')]
    assert req.messages[3].tool_call_id == "c1"


def test_tools_and_tool_choice() -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    req = parse(tools=tools, tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert req.tools is not None and req.tools[0].name == "get_weather"
    choice = req.tool_choice
    assert choice is not None and choice.mode == "tool" and choice.name == "get_weather"
    required = parse(tools=tools, tool_choice="required").tool_choice
    assert required is not None and required.mode == "required"


@pytest.mark.parametrize(
    ("param", "fields"),
    [
        ("temperature", {"temperature": 3}),
        ("temperature", {"temperature": "hot"}),
        ("temperature", {"temperature": True}),
        ("top_p", {"top_p": 1.5}),
        ("frequency_penalty", {"frequency_penalty": -2.5}),
        ("presence_penalty", {"presence_penalty": 9}),
        ("max_tokens", {"max_tokens": 0}),
        ("max_tokens", {"max_tokens": 5, "max_completion_tokens": 10, "seed": 1} | {"max_tokens": -1}),
        ("max_completion_tokens", {"max_completion_tokens": "many"}),
        ("seed", {"seed": 1.5}),
        ("stop", {"stop": ["a", "b", "c", "d", "e"]}),
        ("stop", {"stop": [""]}),
        ("stop", {"stop": 3}),
        ("stream", {"stream": "yes"}),
        ("user", {"user": 5}),
        ("n", {"n": 2}),
        ("tools", {"tools": {"type": "function"}}),
        ("tools[0].type", {"tools": [{"type": "openrouter:web_search"}]}),
        ("tools[0].function.name", {"tools": [{"type": "function", "function": {}}]}),
        ("tool_choice", {"tool_choice": "sometimes"}),
        ("tool_choice", {"tool_choice": {"type": "allowed_tools", "allowed_tools": {}}}),
        ("tool_choice", {"tool_choice": {"type": "custom", "custom": {"name": "x"}}}),
        ("tool_choice", {"tool_choice": {"type": "function", "function": {"name": "absent"}}}),
        ("response_format", {"response_format": "json"}),
        ("reasoning_effort", {"reasoning_effort": "low", "reasoning": {"effort": "high"}}),
        ("model", {"model": ""}),
        ("model", {"model": 5}),
        ("models", {"models": "a/b"}),
        ("messages", {"messages": []}),
        ("messages", {"messages": "hi"}),
        ("messages[0].role", {"messages": [{"role": "robot", "content": "x"}]}),
        ("messages[0]", {"messages": ["hi"]}),
        ("messages[0].content", {"messages": [{"role": "user", "content": 5}]}),
        ("messages[0].tool_call_id", {"messages": [{"role": "tool", "content": "x"}]}),
    ],
)
def test_invalid_fields_name_their_param(param: str, fields: dict[str, Any]) -> None:
    bad(param, **fields)


def test_missing_messages_and_bad_json() -> None:
    with pytest.raises(InputError) as info:
        parse_chat_request(b'{"model": "openclaw"}')
    assert info.value.param == "messages" and "Missing `messages`" in info.value.message
    with pytest.raises(InputError) as info:
        parse_chat_request(b'{"model": ')
    assert info.value.param == "body" and "not valid JSON" in info.value.message
    with pytest.raises(InputError):
        parse_chat_request(b"[1, 2]")


def test_message_count_limit() -> None:
    body = orjson.dumps({"messages": USER * 5})
    with pytest.raises(InputError) as info:
        parse_chat_request(body, max_messages=4)
    assert info.value.param == "messages" and "at most 4" in info.value.message
    assert len(parse_chat_request(body, max_messages=5).messages) == 5


# ----------------------------------------------------------------------------------- encoders


def test_completion_body_shape() -> None:
    result = ChatResult(
        text="Hello",
        model="openai/gpt-4o-mini",
        finish_reason="stop",
        native_finish_reason="end_turn",
        usage=Usage(input=12, output=1, cache_read=3, reasoning=0, cost=0.001),
    )
    body = orjson.loads(
        completion_body(result, completion_id="chatcmpl-1", created=5, model="m", provider="OpenAI")
    )
    assert body["object"] == "chat.completion" and body["model"] == "m" and body["provider"] == "OpenAI"
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello"}
    assert choice["finish_reason"] == "stop" and choice["native_finish_reason"] == "end_turn"
    assert body["usage"]["prompt_tokens"] == 12 and body["usage"]["total_tokens"] == 13
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 3 and body["usage"]["cost"] == 0.001


def test_completion_body_tool_calls() -> None:
    result = ChatResult(tool_calls=[ToolCall(id="c", name="f", arguments="{}")], finish_reason="tool_calls")
    body = orjson.loads(completion_body(result, completion_id="x", created=1, model="m", provider="p"))
    message = body["choices"][0]["message"]
    assert message["content"] is None
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    assert message["tool_calls"] == [call]
    assert "usage" not in body


def _event(data: bytes) -> dict[str, Any]:
    assert data.startswith(b"data: ") and data.endswith(b"\n\n")
    parsed: dict[str, Any] = orjson.loads(data[6:-2])
    return parsed


def test_chunks() -> None:
    enc = ChunkEncoder(completion_id="chatcmpl-1", created=9, model="openrouter/x/y", provider="openrouter")
    role = _event(enc.role())
    assert role["object"] == "chat.completion.chunk" and role["model"] == "openrouter/x/y"
    delta = {"role": "assistant", "content": ""}
    assert role["choices"] == [{"index": 0, "delta": delta, "finish_reason": None}]
    assert _event(enc.text('he said "hi"\n'))["choices"][0]["delta"] == {"content": 'he said "hi"\n'}
    tool = _event(enc.tool(ToolCallDelta(0, id="c1", name="f", arguments='{"a"')))
    assert tool["choices"][0]["delta"]["tool_calls"] == [
        {"index": 0, "id": "c1", "type": "function", "function": {"arguments": '{"a"', "name": "f"}}
    ]
    more = _event(enc.tool(ToolCallDelta(0, arguments=":1}")))
    assert more["choices"][0]["delta"]["tool_calls"] == [{"index": 0, "function": {"arguments": ":1}"}}]
    finish = _event(enc.finish("stop", "end_turn"))
    expected = {"index": 0, "delta": {}, "finish_reason": "stop", "native_finish_reason": "end_turn"}
    assert finish["choices"][0] == expected
    usage = _event(enc.usage(Usage(input=1, output=2)))
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 3
    error = _event(enc.error({"code": 502, "message": "cut", "type": "api_error"}))
    assert error["error"]["code"] == 502
    assert error["choices"] == [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]
    assert DONE == b"data: [DONE]\n\n"
