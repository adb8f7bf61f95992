"""The exact request the openai-completions transport sends, checked against the real OpenClaw's
captures (spec/captures/infer, captures/tls): headers, body bytes, key order."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fixtures_upstream import FAKE_KEY, SONNET_FACTS, MemoryHttp, make_call, provider, user
from openclaw.catalog.resolve import ModelFacts
from openclaw.transports.base import UpstreamCall
from openclaw.transports.openai_completions import OpenAICompletionsTransport
from openclaw.wire.types import ChatRequest, Message, Part, ReasoningConfig, TextPart, ToolChoice, ToolDef

ATTRIBUTION = {
    "HTTP-Referer": "https://openclaw.ai",
    "X-OpenRouter-Title": "OpenClaw",
    "X-OpenRouter-Categories": (
        "cli-agent,cloud-agent,programming-app,creative-writing,writing-assistant,general-chat,personal-agent"
    ),
}
CUSTOM = "http://127.0.0.1:18080/api/v1"


def build(call: UpstreamCall) -> tuple[str, dict[str, str], bytes, Any]:
    """The request's URL, headers, raw body and the body parsed (JSON, so ``Any``)."""
    url, headers, body = OpenAICompletionsTransport(MemoryHttp(b"")).build(call)
    return url, headers, body, orjson.loads(body)


def test_verified_route_sonnet_matches_capture() -> None:
    request = ChatRequest(messages=[user("Reply with OK")], max_tokens=64000)
    url, headers, raw, body = build(make_call(provider(), "openrouter/anthropic/claude-sonnet-4-5", request))
    assert url == "https://openrouter.ai/api/v1/chat/completions"
    assert headers["Authorization"] == f"Bearer {FAKE_KEY}"
    assert {k: headers[k] for k in ATTRIBUTION} == ATTRIBUTION
    assert body == {
        "model": "anthropic/claude-sonnet-4-5",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Reply with OK", "cache_control": {"type": "ephemeral"}}
                ],
            }
        ],
        "stream": True,
        "max_completion_tokens": 64000,
    }
    assert list(body) == ["model", "messages", "stream", "max_completion_tokens"]
    assert len(raw) == 200  # content-length of captures/tls/infer-sonnet.req01.json


def test_verified_route_auto_matches_capture_and_sends_no_reasoning() -> None:
    call = make_call(provider(), "openrouter/auto", thinking="high")
    _, headers, raw, body = build(call)
    assert body == {
        "model": "openrouter/auto",
        "messages": [{"role": "user", "content": "Reply with OK"}],
        "stream": True,
        "max_completion_tokens": 8192,
    }
    assert len(raw) == 125  # captures/tls/infer-auto.req01.json
    assert headers["X-OpenRouter-Title"] == "OpenClaw"


def test_custom_base_url_matches_capture() -> None:
    call = make_call(provider(CUSTOM), "openrouter/anthropic/claude-sonnet-4-5")
    url, headers, raw, body = build(call)
    assert url == f"{CUSTOM}/chat/completions"
    assert body == {
        "model": "anthropic/claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "Reply with OK"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": 8192,
    }
    assert list(body) == ["model", "messages", "stream", "stream_options", "max_completion_tokens"]
    assert len(raw) == 177  # captures/infer/infer.req01.json
    assert not {
        k for k in headers if k.lower() in ("http-referer", "x-openrouter-title", "x-openrouter-categories")
    }


def test_non_streaming_request_has_no_stream_keys() -> None:
    _, _, _, body = build(make_call(provider(CUSTOM), "openrouter/auto", stream=False))
    assert "stream" not in body and "stream_options" not in body


def test_agent_shaped_body_key_order_on_custom_route() -> None:
    request = ChatRequest(
        messages=[Message(role="system", content="You are helpful."), user("hi")],
        tools=[
            ToolDef(name="read", description="Read a file", parameters={"type": "object", "properties": {}})
        ],
        tool_choice=ToolChoice(mode="auto"),
        max_tokens=8192,
    )
    _, _, _, body = build(make_call(provider(CUSTOM), "openrouter/anthropic/claude-sonnet-4-5", request))
    assert list(body) == [
        "model",
        "messages",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "max_completion_tokens",
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "read",
                "description": "Read a file",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    assert body["messages"][0] == {
        "role": "system",
        "content": "You are helpful.",
    }  # no markers off openrouter.ai


def test_verified_anthropic_route_marks_system_last_user_and_last_tool() -> None:
    request = ChatRequest(
        messages=[
            Message(role="system", content="sys"),
            user("first"),
            Message(role="assistant", content="a"),
            user("hi"),
        ],
        tools=[ToolDef(name="a"), ToolDef(name="b")],
        max_tokens=100,
    )
    call = make_call(
        provider(), "openrouter/anthropic/claude-sonnet-4-5", request, thinking="off", facts=SONNET_FACTS
    )
    _, _, _, body = build(call)
    eph = {"type": "ephemeral"}
    assert body["messages"][0]["content"] == [{"type": "text", "text": "sys", "cache_control": eph}]
    assert body["messages"][1]["content"] == "first"
    assert body["messages"][3]["content"] == [{"type": "text", "text": "hi", "cache_control": eph}]
    assert "cache_control" not in body["tools"][0] and body["tools"][1]["cache_control"] == eph
    assert list(body)[-1] == "reasoning" and body["reasoning"] == {
        "effort": "none"
    }  # observed on agent turns


def test_caller_cache_markers_are_kept_and_count_against_the_limit() -> None:
    marked: list[Part] = [
        TextPart(text=str(i), cache_control={"type": "ephemeral", "ttl": "1h"}) for i in range(4)
    ]
    request = ChatRequest(messages=[Message(role="user", content=marked)], tools=[ToolDef(name="t")])
    _, _, _, body = build(make_call(provider(), "openrouter/anthropic/claude-sonnet-4-5", request))
    parts = body["messages"][0]["content"]
    assert [p["cache_control"]["ttl"] for p in parts] == ["1h"] * 4
    assert "cache_control" not in body["tools"][0]


def test_no_markers_for_non_anthropic_models() -> None:
    _, _, _, body = build(make_call(provider(), "openrouter/openai/gpt-4o-mini"))
    assert body["messages"][0]["content"] == "Reply with OK"


@pytest.mark.parametrize(
    ("model", "thinking", "facts", "expected"),
    [
        ("openrouter/anthropic/claude-sonnet-4-5", "high", None, {"effort": "high"}),
        ("openrouter/anthropic/claude-sonnet-4-5", "adaptive", None, {"effort": "medium"}),
        ("openrouter/anthropic/claude-sonnet-4-5", "off", ModelFacts(id="x", reasoning=False), None),
        ("openrouter/deepseek/deepseek-v4-flash", "low", None, {"effort": "high"}),
        ("openrouter/deepseek/deepseek-v4-pro", "max", None, {"effort": "xhigh"}),
        ("openrouter/auto", "high", None, None),
        ("openrouter/anthropic/claude-sonnet-4-5", None, None, None),
    ],
)
def test_reasoning_from_thinking_level(
    model: str, thinking: str | None, facts: ModelFacts | None, expected: object
) -> None:
    _, _, _, body = build(make_call(provider(CUSTOM), model, thinking=thinking, facts=facts))
    assert body.get("reasoning") == expected


def test_explicit_reasoning_config_wins_over_the_thinking_level() -> None:
    request = ChatRequest(messages=[user("x")], reasoning=ReasoningConfig(max_tokens=2000, exclude=True))
    _, _, _, body = build(
        make_call(provider(CUSTOM), "openrouter/anthropic/claude-sonnet-4-5", request, thinking="low")
    )
    assert body["reasoning"] == {"max_tokens": 2000, "exclude": True}


def test_openrouter_params_pass_through_and_extra_body_wins() -> None:
    params = {
        "provider": {"order": ["anthropic"], "data_collection": "deny"},
        "transforms": ["middle-out"],
        "usage": {"include": True},
        "extraBody": {"plugins": [{"id": "fusion"}], "transforms": [], "store": True},
        "responseCache": True,
        "responseCacheTtlSeconds": 600,
        "temperature": 0.3,
    }
    request = ChatRequest(messages=[user("x")], extra={"provider": {"sort": "price", "order": ["openai"]}})
    _, headers, _, body = build(
        make_call(provider(CUSTOM), "openrouter/openai/gpt-4o-mini", request, params=params)
    )
    assert body["provider"] == {"sort": "price", "order": ["anthropic"], "data_collection": "deny"}
    assert body["usage"] == {"include": True}
    assert body["transforms"] == [] and body["plugins"] == [{"id": "fusion"}]
    assert "store" not in body  # OpenAI-only, stripped off api.openai.com
    assert body["temperature"] == 0.3
    assert "X-OpenRouter-Cache" not in headers  # response cache: verified route only
    _, headers, _, _ = build(make_call(provider(), "openrouter/openai/gpt-4o-mini", params=params))
    assert headers["X-OpenRouter-Cache"] == "true" and headers["X-OpenRouter-Cache-TTL"] == "600"


def test_openrouter_params_are_ignored_for_other_providers() -> None:
    prov = provider("https://api.openai.com/v1", pid="openai")
    params = {"provider": {"order": ["x"]}, "transforms": ["middle-out"], "extra_body": {"store": True}}
    _, headers, _, body = build(make_call(prov, "openai/gpt-5.4", params=params))
    assert "provider" not in body and "transforms" not in body
    assert body["store"] is True  # native OpenAI keeps store
    assert "stream_options" in body and "HTTP-Referer" not in headers


def test_developer_role_becomes_system_except_on_api_openai_com() -> None:
    request = ChatRequest(messages=[Message(role="developer", content="rules"), user("x")])
    _, _, _, body = build(make_call(provider(CUSTOM), "openrouter/openai/gpt-4o-mini", request))
    assert body["messages"][0]["role"] == "system"
    native = provider("https://api.openai.com/v1", pid="openai")
    _, _, _, body = build(make_call(native, "openai/gpt-5.4", request))
    assert body["messages"][0]["role"] == "developer"


def test_extra_keys_go_verbatim_but_never_host_or_credential_keys() -> None:
    extra = {
        "top_k": 40,
        "min_p": 0.1,
        "api_key": "sk-steal",
        "base_url": "http://evil",
        "headers": {"x": "y"},
    }
    request = ChatRequest(messages=[user("x")], extra=extra)
    url, headers, _, body = build(make_call(provider(CUSTOM), "openrouter/auto", request))
    assert body["top_k"] == 40 and body["min_p"] == 0.1
    assert not {"api_key", "base_url", "headers"} & set(body)
    assert url.startswith(CUSTOM) and "x" not in headers


def test_sampling_fields_fallbacks_and_tool_choice() -> None:
    request = ChatRequest(
        messages=[user("x")],
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        seed=7,
        response_format={"type": "json_object"},
        tools=[ToolDef(name="f", strict=True, parameters={"type": "object"})],
        tool_choice=ToolChoice(mode="tool", name="f"),
        parallel_tool_calls=False,
        fallbacks=["openai/gpt-4o-mini"],
        user="u1",
    )
    _, _, _, body = build(make_call(provider(CUSTOM), "openrouter/anthropic/claude-sonnet-4-5", request))
    assert body["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert body["tools"][0]["function"]["strict"] is True
    assert (body["temperature"], body["top_p"], body["stop"], body["seed"]) == (0.2, 0.9, ["END"], 7)
    assert body["parallel_tool_calls"] is False and body["user"] == "u1"
    assert "models" not in body  # the router walks the chain; OpenRouter must not fail over on its own


def test_assistant_tool_calls_tool_results_and_reasoning_round_trip() -> None:
    from openclaw.wire.types import ImagePart, ToolCall

    details = [{"type": "reasoning.text", "text": "t", "signature": "s"}]
    request = ChatRequest(
        messages=[
            Message(
                role="user", content=[TextPart(text="look"), ImagePart(url="https://x/img.png", detail="low")]
            ),
            Message(
                role="assistant",
                content=None,
                tool_calls=[ToolCall(id="c1", name="f", arguments='{"a":1}')],
                reasoning="t",
                reasoning_details=details,
            ),
            Message(role="tool", content="42", tool_call_id="c1"),
        ]
    )
    _, _, _, body = build(make_call(provider(CUSTOM), "openrouter/auto", request))
    user_msg, assistant, tool = body["messages"]
    assert user_msg["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://x/img.png", "detail": "low"},
    }
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
        "reasoning": "t",
        "reasoning_details": details,
    }
    assert tool == {"role": "tool", "content": "42", "tool_call_id": "c1"}
    other = provider("http://127.0.0.1:1/v1", pid="vllm")
    _, _, _, body = build(make_call(other, "vllm/qwen", request))
    assert "reasoning" not in body["messages"][1]  # OpenRouter-only fields stay off other servers


def test_configured_headers_and_max_tokens_field() -> None:
    prov = provider("http://127.0.0.1:1/v1", pid="vllm", headers={"X-Team": "a"})
    call = make_call(prov, "vllm/qwen", params={"maxTokensField": "max_tokens"})
    _, headers, _, body = build(call)
    assert headers["X-Team"] == "a"
    assert body["max_tokens"] == 8192 and "max_completion_tokens" not in body


def _marked_request() -> ChatRequest:
    eph = {"type": "ephemeral"}
    return ChatRequest(
        messages=[Message(role="user", content=[TextPart(text="shared context", cache_control=eph)])],
        tools=[ToolDef(name="a", cache_control=eph)],
        max_tokens=16,
    )


@pytest.mark.parametrize("base_url", ["https://openrouter.ai/api/v1", CUSTOM])
def test_client_cache_markers_reach_openrouter_at_any_base_url(base_url: str) -> None:
    """OpenRouter's API takes cache_control (it passes it to Anthropic), wherever it is served."""
    call = make_call(provider(base_url), "openrouter/openai/gpt-4o-mini", _marked_request(), thinking="off")
    _, _, _, body = build(call)
    eph = {"type": "ephemeral"}
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "shared context", "cache_control": eph}
    ]
    assert body["tools"][0]["cache_control"] == eph


def test_client_cache_markers_do_not_reach_plain_openai_compatible_servers() -> None:
    """A plain OpenAI-compatible server may reject the unknown field: the markers stay home."""
    local = provider("http://127.0.0.1:11434/v1", pid="ollama", api="openai-completions")
    _, _, raw, body = build(make_call(local, "ollama/llama3", _marked_request()))
    assert b"cache_control" not in raw
    assert body["messages"][0]["content"] == [{"type": "text", "text": "shared context"}]
    assert body["tools"][0] == {
        "type": "function",
        "function": {"name": "a", "parameters": {"type": "object"}},
    }


def test_openclaw_adds_cache_markers_only_on_the_verified_route() -> None:
    request = ChatRequest(messages=[Message(role="system", content="sys"), user("hi")], max_tokens=16)
    for base_url, marked in (("https://openrouter.ai/api/v1", True), (CUSTOM, False)):
        call = make_call(
            provider(base_url), "openrouter/anthropic/claude-sonnet-4-5", request, thinking="off"
        )
        _, _, raw, _ = build(call)
        assert (b"cache_control" in raw) is marked, base_url
