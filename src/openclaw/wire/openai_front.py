"""The OpenAI / OpenRouter chat-completions front door: client JSON in, OpenAI JSON out.

:func:`parse_chat_request` turns a request body into a :class:`~openclaw.wire.types.ChatRequest`,
validating it as OpenClaw's gateway does (spec §19.8): a bad field raises
:class:`~openclaw.errors.InputError` whose ``param`` names it. Fields we do not model pass through
in ``ChatRequest.extra`` (OpenRouter's ``provider``, ``plugins``, ``top_k``, ...), except host and
credential fields (``base_url``, ``api_key``, ``custom_host``, ...): a request never chooses the
upstream host or key, so those are dropped here.

:class:`ChunkEncoder` and :func:`completion_body` render events and results as OpenAI JSON bytes.
A chunk is a precomputed prefix, the ``delta`` JSON and a precomputed suffix: one small
``orjson.dumps`` per event on the streaming hot path.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import InputError
from ..wire.types import (
    ChatRequest,
    ChatResult,
    ImagePart,
    Message,
    Part,
    RawPart,
    ReasoningConfig,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    ToolDef,
    Usage,
)

__all__ = [
    "DONE",
    "DROPPED_FIELDS",
    "ChunkEncoder",
    "completion_body",
    "parse_chat_request",
    "usage_json",
]

DONE = b"data: [DONE]\n\n"

# Host and credential fields that clients (LiteLLM, Portkey, SDK wrappers) put in bodies. A request
# must never choose where we send it or with which key: they are dropped, never passed upstream.
DROPPED_FIELDS = frozenset(
    {
        "base_url", "baseUrl", "baseURL", "api_base", "apiBase", "api_url", "apiUrl", "url",
        "host", "endpoint", "custom_host", "customHost", "api_key", "apiKey", "api_keys",
        "organization", "project", "api_version", "azure_endpoint", "azure_deployment",
        "headers", "extra_headers", "default_headers", "x-portkey-config", "provider_url",
    }
)  # fmt: skip

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_TOOL_MODES = frozenset({"auto", "none", "required"})
_HANDLED = frozenset(
    {
        "messages", "model", "models", "stream", "stream_options", "max_tokens",
        "max_completion_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty",
        "stop", "seed", "tools", "tool_choice", "parallel_tool_calls", "response_format",
        "reasoning", "reasoning_effort", "user", "metadata", "n",
    }
)  # fmt: skip


def _fail(message: str, param: str) -> InputError:
    return InputError(message, param=param)


# ------------------------------------------------------------------------------ scalar checks


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"`{name}` must be a number.", name)
    if not low <= value <= high:
        raise _fail(f"`{name}` must be between {low:g} and {high:g}.", name)
    return float(value)


def _integer(body: dict[str, Any], name: str, minimum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise _fail(f"`{name}` must be an integer.", name)
    if minimum is not None and value < minimum:
        raise _fail(f"`{name}` must be at least {minimum}.", name)
    return value


def _bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _fail(f"`{name}` must be a boolean.", name)


def _stop(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise _fail("`stop` must be a non-empty string or a list of up to 4 non-empty strings.", "stop")
        return [value]
    if not isinstance(value, list) or len(value) > 4 or not all(isinstance(s, str) and s for s in value):
        raise _fail("`stop` must be a non-empty string or a list of up to 4 non-empty strings.", "stop")
    return value or None


def _max_tokens(body: dict[str, Any]) -> int | None:
    legacy = _integer(body, "max_tokens", 1)  # still validated when the new name wins
    current = _integer(body, "max_completion_tokens", 1)
    return current if current is not None else legacy


# -------------------------------------------------------------------------------- messages


def _part(raw: Any, where: str) -> Part:
    if not isinstance(raw, dict):
        raise _fail(f"`{where}` must be an object.", where)
    kind = raw.get("type")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str):
            raise _fail(f"`{where}.text` must be a string.", f"{where}.text")
        return TextPart(text=text, cache_control=raw.get("cache_control"))
    if kind == "image_url":
        image = raw.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not url:
            raise _fail(f"`{where}.image_url.url` must be a string.", f"{where}.image_url")
        detail = image.get("detail") if isinstance(image, dict) else None
        media_type = url[5 : url.find(";")] if url.startswith("data:") and ";" in url else None
        return ImagePart(
            url=url, detail=detail, media_type=media_type, cache_control=raw.get("cache_control")
        )
    if not isinstance(kind, str):
        raise _fail(f"`{where}.type` must be a string.", f"{where}.type")
    return RawPart(data=raw)


def _content(raw: Any, where: str) -> str | list[Part] | None:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return [_part(p, f"{where}[{i}]") for i, p in enumerate(raw)]
    raise _fail(f"`{where}` must be a string or a list of content parts.", where)


def _tool_calls(raw: Any, where: str) -> list[ToolCall] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _fail(f"`{where}` must be a list.", where)
    calls = []
    for i, call in enumerate(raw):
        fn = call.get("function") if isinstance(call, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else None
        if not isinstance(name, str) or not name:
            raise _fail(f"`{where}[{i}].function.name` must be a non-empty string.", f"{where}[{i}]")
        assert isinstance(fn, dict) and isinstance(call, dict)
        args = fn.get("arguments", "{}")
        if not isinstance(args, str):
            args = orjson.dumps(args).decode()
        calls.append(ToolCall(id=str(call.get("id") or f"call_{i}"), name=name, arguments=args))
    return calls


def _message(raw: Any, i: int) -> Message:
    where = f"messages[{i}]"
    if not isinstance(raw, dict):
        raise _fail(f"`{where}` must be an object.", where)
    role = raw.get("role")
    if role not in _ROLES:
        raise _fail(
            f"`{where}.role` must be one of system, developer, user, assistant, tool.", f"{where}.role"
        )
    content = raw.get("content")
    if type(content) is not str:  # the common case skips every check below
        content = _content(content, f"{where}.content")
    tool_call_id = raw.get("tool_call_id")
    if role == "tool" and not isinstance(tool_call_id, str):
        raise _fail(f"`{where}.tool_call_id` is required for tool messages.", f"{where}.tool_call_id")
    reasoning = raw.get("reasoning") or raw.get("reasoning_content")
    details = raw.get("reasoning_details")
    name = raw.get("name")
    return Message(
        role=role,
        content=content,
        name=name if isinstance(name, str) else None,
        tool_calls=_tool_calls(raw.get("tool_calls"), f"{where}.tool_calls") if role == "assistant" else None,
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
        reasoning=reasoning if isinstance(reasoning, str) else None,
        reasoning_details=details if isinstance(details, list) else None,
    )


def _messages(raw: Any, max_messages: int) -> list[Message]:
    if raw is None:
        raise _fail("Missing `messages`: send a non-empty list of chat messages.", "messages")
    if not isinstance(raw, list) or not raw:
        raise _fail("`messages` must be a non-empty list of chat messages.", "messages")
    if len(raw) > max_messages:
        raise _fail(
            f"Too many messages: {len(raw)} (this gateway accepts at most {max_messages}).", "messages"
        )
    return [_message(m, i) for i, m in enumerate(raw)]


# ----------------------------------------------------------------------------------- tools


def _tools(raw: Any) -> list[ToolDef] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _fail("`tools` must be a list of function tools.", "tools")
    tools = []
    for i, tool in enumerate(raw):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise _fail(f"`tools[{i}]`: only tools of type `function` are supported.", f"tools[{i}].type")
        fn = tool.get("function")
        name = fn.get("name") if isinstance(fn, dict) else None
        if not isinstance(name, str) or not name:
            raise _fail(f"`tools[{i}].function.name` is required.", f"tools[{i}].function.name")
        assert isinstance(fn, dict)
        params = fn.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise _fail(
                f"`tools[{i}].function.parameters` must be an object.", f"tools[{i}].function.parameters"
            )
        desc, strict = fn.get("description"), fn.get("strict")
        tools.append(
            ToolDef(
                name=name,
                description=desc if isinstance(desc, str) else None,
                parameters=params,
                strict=strict if isinstance(strict, bool) else None,
                cache_control=tool.get("cache_control"),
            )
        )
    return tools


def _tool_choice(raw: Any, tools: list[ToolDef] | None) -> ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw not in _TOOL_MODES:
            raise _fail("`tool_choice` must be auto, none, required or a function.", "tool_choice")
        return ToolChoice(mode=raw)  # type: ignore[arg-type]
    if not isinstance(raw, dict) or raw.get("type") != "function":
        raise _fail(
            "`tool_choice` must be auto, none, required or {type: function, function: {name}}.",
            "tool_choice",
        )
    fn = raw.get("function")
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str) or not name:
        raise _fail("`tool_choice.function.name` is required.", "tool_choice")
    if not tools or all(t.name != name for t in tools):
        raise _fail(f"`tool_choice` names the function {name!r}, which is not in `tools`.", "tool_choice")
    return ToolChoice(mode="tool", name=name)


# ---------------------------------------------------------------------------- the request


def _reasoning(body: dict[str, Any]) -> ReasoningConfig | None:
    raw, effort = body.get("reasoning"), body.get("reasoning_effort")
    if raw is None and effort is None:
        return None
    if raw is not None and not isinstance(raw, dict):
        raise _fail("`reasoning` must be an object.", "reasoning")
    if effort is not None and not isinstance(effort, str):
        raise _fail("`reasoning_effort` must be a string.", "reasoning_effort")
    raw = raw or {}
    if effort is not None and raw.get("effort") not in (None, effort):
        raise _fail("`reasoning_effort` and `reasoning.effort` disagree.", "reasoning_effort")
    budget = _integer(raw, "max_tokens", 0)
    return ReasoningConfig(
        effort=effort if effort is not None else raw.get("effort"),
        max_tokens=budget,
        exclude=_bool(raw, "exclude"),
        enabled=_bool(raw, "enabled"),
    )


def _models(body: dict[str, Any]) -> tuple[str, list[str] | None]:
    model, models = body.get("model"), body.get("models")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise _fail("`model` must be a non-empty string.", "model")
    if models is None:
        return (model or "openclaw").strip(), None
    if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
        raise _fail("`models` must be a list of model ids.", "models")
    chain = [m.strip() for m in models]
    primary = model.strip() if model else (chain[0] if chain else "openclaw")
    rest = [m for m in dict.fromkeys(chain) if m != primary]
    return primary, rest


def _object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise _fail(f"`{name}` must be an object.", name)


def _extra(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _HANDLED and k not in DROPPED_FIELDS}


def parse_chat_request(data: bytes | dict[str, Any], *, max_messages: int = 2048) -> ChatRequest:
    """Validate a chat-completions body; raise :class:`InputError` naming the bad ``param``."""
    if isinstance(data, dict):
        body = data
    else:
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise _fail(f"The request body is not valid JSON: {exc}", "body") from None
    if not isinstance(body, dict):
        raise _fail("The request body must be a JSON object.", "body")
    model, fallbacks = _models(body)
    messages = _messages(body.get("messages"), max_messages)
    stream = _bool(body, "stream") or False
    options = _object(body, "stream_options")
    include_usage = bool(options and options.get("include_usage") is True)
    n = _integer(body, "n", 1)
    if n is not None and n != 1:
        raise _fail("Only `n: 1` is supported.", "n")
    tools = _tools(body.get("tools"))
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise _fail("`user` must be a string.", "user")
    response_format = _object(body, "response_format")
    if response_format is not None and not isinstance(response_format.get("type"), str):
        raise _fail("`response_format.type` is required.", "response_format")
    return ChatRequest(
        messages=messages,
        model=model,
        stream=stream,
        max_tokens=_max_tokens(body),
        temperature=_number(body, "temperature", 0, 2),
        top_p=_number(body, "top_p", 0, 1),
        frequency_penalty=_number(body, "frequency_penalty", -2, 2),
        presence_penalty=_number(body, "presence_penalty", -2, 2),
        stop=_stop(body.get("stop")),
        seed=_integer(body, "seed"),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools),
        parallel_tool_calls=_bool(body, "parallel_tool_calls"),
        response_format=response_format,
        reasoning=_reasoning(body),
        user=user,
        metadata=_object(body, "metadata"),
        include_usage=include_usage,
        fallbacks=fallbacks,
        extra=_extra(body),
    )


# -------------------------------------------------------------------------------- encoders


def usage_json(usage: Usage) -> dict[str, Any]:
    """OpenAI/OpenRouter ``usage``: tokens, cache and reasoning details, ``cost`` when known."""
    total = usage.total or usage.input + usage.output
    out: dict[str, Any] = {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning},
    }
    if usage.cache_write:
        out["prompt_tokens_details"]["cache_write_tokens"] = usage.cache_write
    if usage.cost is not None:
        out["cost"] = usage.cost
    return out


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def completion_body(
    result: ChatResult, *, completion_id: str, created: int, model: str, provider: str
) -> bytes:
    """A whole ``chat.completion`` object as JSON bytes."""
    message: dict[str, Any] = {"role": "assistant", "content": result.text or None}
    if result.reasoning:
        message["reasoning"] = result.reasoning
    if result.reasoning_details:
        message["reasoning_details"] = result.reasoning_details
    if result.tool_calls:
        message["tool_calls"] = [_tool_call_json(c) for c in result.tool_calls]
    elif message["content"] is None:
        message["content"] = ""
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "finish_reason": result.finish_reason or "stop",
        "logprobs": None,
    }
    if result.native_finish_reason:
        choice["native_finish_reason"] = result.native_finish_reason
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "provider": provider,
        "system_fingerprint": None,
        "choices": [choice],
    }
    if result.usage is not None:
        body["usage"] = usage_json(result.usage)
    return orjson.dumps(body)


class ChunkEncoder:
    """Renders ``chat.completion.chunk`` SSE events for one stream (``data: {...}\\n\\n``)."""

    __slots__ = ("_head", "_prefix")

    def __init__(self, *, completion_id: str, created: int, model: str, provider: str) -> None:
        head = orjson.dumps(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "provider": provider,
            }
        )[:-1]
        self._head = b"data: " + head
        self._prefix = self._head + b',"choices":[{"index":0,"delta":'

    def _delta(self, delta: bytes, finish: bytes = b"null") -> bytes:
        return b"".join((self._prefix, delta, b',"finish_reason":', finish, b"}]}\n\n"))

    def role(self) -> bytes:
        return self._delta(b'{"role":"assistant","content":""}')

    def text(self, text: str) -> bytes:
        return self._delta(orjson.dumps({"content": text}))

    def reasoning(self, text: str, details: list[dict[str, Any]] | None = None) -> bytes:
        delta: dict[str, Any] = {"reasoning": text}
        if details:
            delta["reasoning_details"] = details
        return self._delta(orjson.dumps(delta))

    def tool(self, event: ToolCallDelta) -> bytes:
        call: dict[str, Any] = {"index": event.index}
        if event.id is not None:
            call["id"] = event.id
            call["type"] = "function"
        fn: dict[str, Any] = {"arguments": event.arguments}
        if event.name is not None:
            fn["name"] = event.name
        call["function"] = fn
        return self._delta(orjson.dumps({"tool_calls": [call]}))

    def finish(self, reason: str, native: str | None = None) -> bytes:
        tail = b"" if native is None else b',"native_finish_reason":' + orjson.dumps(native)
        return b"".join((self._prefix, b'{},"finish_reason":', orjson.dumps(reason), tail, b"}]}\n\n"))

    def usage(self, usage: Usage) -> bytes:
        return b"".join((self._head, b',"choices":[],"usage":', orjson.dumps(usage_json(usage)), b"}\n\n"))

    def error(self, error: dict[str, Any]) -> bytes:
        """OpenRouter's mid-stream error: a top-level ``error`` and ``finish_reason: "error"``."""
        return b"".join(
            (
                self._head,
                b',"error":',
                orjson.dumps(error),
                b',"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n',
            )
        )
