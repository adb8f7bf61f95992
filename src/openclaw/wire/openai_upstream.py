"""OpenAI chat-completions wire format, upstream side.

:func:`chat_body` turns a :class:`~openclaw.wire.types.ChatRequest` into the JSON body an
OpenAI-compatible upstream takes (key order as the real OpenClaw sends it: ``model, messages,
stream, stream_options, tools, tool_choice, max_completion_tokens, ...``).
:func:`completion_events` and :class:`ChunkDecoder` turn its answers (a ``chat.completion`` or
``chat.completion.chunk`` objects) into stream events. An ``error`` object or a
``finish_reason: "error"`` raises :class:`~openclaw.errors.ProviderError` (``kind="in_stream"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import ProviderError
from ..transports.errors import error_from_object
from .normalize import normalize_finish, usage_from_openai
from .types import (
    ChatRequest,
    Finish,
    ImagePart,
    Message,
    Part,
    ReasoningDelta,
    ResponseInfo,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolChoice,
    ToolDef,
    Usage,
    UsageEvent,
)

__all__ = ["BodyOptions", "ChunkDecoder", "chat_body", "completion_events", "wire_message", "wire_tools"]

# Keys a request may never smuggle into the upstream body through ``extra``.
FORBIDDEN_EXTRA = frozenset(
    {"api_key", "apiKey", "api_base", "base_url", "baseUrl", "headers", "extra_headers", "authorization"}
)


@dataclass(frozen=True, slots=True)
class BodyOptions:
    stream: bool
    include_usage: bool = False  # send stream_options.include_usage
    developer_role: bool = False  # keep the developer role (native OpenAI only; else -> system)
    max_tokens_field: str = "max_completion_tokens"
    openrouter: bool = False  # OpenRouter extras: assistant reasoning round-trip, ``models``
    # Forward the caller's ``cache_control`` markers (parts, tools). OpenRouter's API takes them
    # (and passes them to Anthropic); a plain OpenAI-compatible server may reject the unknown field.
    cache_control: bool = False


def _part(part: Part, cache_control: bool) -> dict[str, Any]:
    if isinstance(part, TextPart):
        out: dict[str, Any] = {"type": "text", "text": part.text}
    elif isinstance(part, ImagePart):
        image: dict[str, Any] = {"url": part.url}
        if part.detail:
            image["detail"] = part.detail
        out = {"type": "image_url", "image_url": image}
    else:
        return dict(part.data)
    if cache_control and part.cache_control is not None:
        out["cache_control"] = part.cache_control
    return out


def wire_message(message: Message, opts: BodyOptions) -> dict[str, Any]:
    role = message.role
    if role == "developer" and not opts.developer_role:
        role = "system"
    out: dict[str, Any] = {"role": role}
    content = message.content
    if isinstance(content, list):
        out["content"] = [_part(p, opts.cache_control) for p in content]
    elif content is not None or role != "assistant":
        out["content"] = content if content is not None else ""
    else:
        out["content"] = None
    if message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if opts.openrouter and role == "assistant":
        if message.reasoning is not None:
            out["reasoning"] = message.reasoning
        if message.reasoning_details:
            out["reasoning_details"] = message.reasoning_details
    return out


def wire_tools(tools: list[ToolDef], *, cache_control: bool = False) -> list[dict[str, Any]]:
    result = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            function["description"] = tool.description
        function["parameters"] = tool.parameters if tool.parameters is not None else {"type": "object"}
        if tool.strict is not None:
            function["strict"] = tool.strict
        item: dict[str, Any] = {"type": "function", "function": function}
        if cache_control and tool.cache_control is not None:
            item["cache_control"] = tool.cache_control
        result.append(item)
    return result


def _tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name or ""}}
    return choice.mode


_OPTIONAL = (
    "temperature",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "seed",
    "parallel_tool_calls",
    "response_format",
    "user",
    "metadata",
)


def chat_body(request: ChatRequest, model: str, opts: BodyOptions) -> dict[str, Any]:
    """The body, before provider hooks (reasoning, params, cache markers) are applied."""
    body: dict[str, Any] = {"model": model, "messages": [wire_message(m, opts) for m in request.messages]}
    if opts.stream:
        body["stream"] = True
        if opts.include_usage:
            body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = wire_tools(request.tools, cache_control=opts.cache_control)
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.max_tokens is not None:
        body[opts.max_tokens_field] = request.max_tokens
    for name in _OPTIONAL:
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    # request.fallbacks is openclaw's own chain: the router walks it, so it is never sent upstream
    # (OpenRouter would fail over on its own and hide which attempt failed).
    for key, value in request.extra.items():
        if key not in FORBIDDEN_EXTRA:
            body[key] = value
    return body


# ------------------------------------------------------------------------------- decoding


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _tool_deltas(calls: Any) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if not isinstance(calls, list):
        return events
    for position, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        index = call.get("index")
        args = function.get("arguments")
        events.append(
            ToolCallDelta(
                index=index if isinstance(index, int) else position,
                id=call.get("id") or None,
                name=function.get("name") or None,
                arguments=args if isinstance(args, str) else ("" if args is None else _json_text(args)),
            )
        )
    return events


def _json_text(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


def _reasoning(source: dict[str, Any]) -> ReasoningDelta | None:
    text = source.get("reasoning")
    if not isinstance(text, str):
        text = source.get("reasoning_content")
    details = source.get("reasoning_details")
    details = details if isinstance(details, list) and details else None
    if not text and details is None:
        return None
    return ReasoningDelta(text if isinstance(text, str) else "", details)


def _info(data: dict[str, Any]) -> ResponseInfo:
    provider = data.get("provider")
    return ResponseInfo(
        id=data.get("id") if isinstance(data.get("id"), str) else None,
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        provider_name=provider if isinstance(provider, str) else None,
    )


class _PlainDelta(msgspec.Struct, forbid_unknown_fields=True):
    content: str | None = None
    role: str | None = None


class _PlainChoice(msgspec.Struct, forbid_unknown_fields=True):
    index: int | None = None
    delta: _PlainDelta | None = None
    finish_reason: None = None
    native_finish_reason: None = None
    logprobs: None = None


class _PlainChunk(msgspec.Struct):
    """A chunk that can carry nothing but text: no finish, usage, error, reasoning, tool call or
    other delta field (those fail to decode, on purpose). Top-level ids are ignored."""

    choices: list[_PlainChoice] = []
    error: None = None
    usage: None = None


_PLAIN = msgspec.json.Decoder(_PlainChunk)


def plain_events(raw: bytes) -> list[StreamEvent] | None:
    """The events of a chunk that carries only text (most of a streamed answer), decoded from
    its JSON straight into types; None for any other chunk, which then takes the general path
    (``orjson`` + :meth:`ChunkDecoder.feed`). Both give the same events for a plain chunk."""
    try:
        chunk = _PLAIN.decode(raw)
    except msgspec.DecodeError:  # any other shape (or not JSON): the general path decides
        return None
    choices = chunk.choices
    delta = choices[0].delta if choices else None
    return [TextDelta(delta.content)] if delta is not None and delta.content else []


def _malformed(message: str) -> ProviderError:
    return ProviderError(message, kind="malformed")


def completion_events(data: Any) -> list[StreamEvent]:
    """Events for a non-streaming ``chat.completion`` body (raises on an in-band error)."""
    if not isinstance(data, dict):
        raise _malformed("the upstream answer is not a JSON object")
    if isinstance(data.get("error"), dict):
        raise error_from_object(data["error"], kind="in_stream")
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise _malformed("the upstream answer has no choices")
    events: list[StreamEvent] = [_info(data)]
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    if choice.get("finish_reason") == "error":
        raise error_from_object(choice.get("error"), kind="in_stream")
    message = choice.get("message") or {}
    if isinstance(message, dict):
        reasoning = _reasoning(message)
        if reasoning is not None:
            events.append(reasoning)
        text = _text_of(message.get("content"))
        if text:
            events.append(TextDelta(text))
        events.extend(_tool_deltas(message.get("tool_calls")))
    if isinstance(data.get("usage"), dict):
        events.append(UsageEvent(usage_from_openai(data["usage"])))
    native = choice.get("native_finish_reason") or choice.get("finish_reason")
    events.append(
        Finish(normalize_finish(choice.get("finish_reason")), native if isinstance(native, str) else None)
    )
    return events


class ChunkDecoder:
    """Stateful decoder for ``chat.completion.chunk`` objects.

    ``feed`` returns the events of one chunk. The usage and the finish reason are held back and
    emitted together by :meth:`end` (the usage chunk usually follows the finish chunk; a server
    that reports usage on every chunk has its last report kept), so a stream always ends with
    ``[UsageEvent, Finish]`` or ``[Finish]``; :meth:`end` raises ``kind="cut"`` when the stream
    never said it finished."""

    __slots__ = ("finish", "info_sent", "native", "usage")

    def __init__(self) -> None:
        self.info_sent = False
        self.finish: str | None = None
        self.native: str | None = None
        self.usage: Usage | None = None

    def feed(self, data: Any) -> list[StreamEvent]:
        if not isinstance(data, dict):
            raise _malformed("a stream chunk is not a JSON object")
        events: list[StreamEvent] = []
        if not self.info_sent:
            self.info_sent = True
            events.append(_info(data))
        error = data.get("error")
        if error:
            raise error_from_object(
                error if isinstance(error, dict) else {"message": str(error)}, kind="in_stream"
            )
        choices = data.get("choices")
        if choices and isinstance(choices, list) and isinstance(choices[0], dict):
            self._choice(choices[0], events)
        usage = data.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_from_openai(usage)
        return events

    def _choice(self, choice: dict[str, Any], events: list[StreamEvent]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reasoning = _reasoning(delta) if len(delta) > 1 or "content" not in delta else None
            if reasoning is not None:
                events.append(reasoning)
            content = delta.get("content")
            if content:
                events.append(TextDelta(content if isinstance(content, str) else _text_of(content)))
            if "tool_calls" in delta:
                events.extend(_tool_deltas(delta["tool_calls"]))
        finish = choice.get("finish_reason")
        if finish == "error":
            raise error_from_object(
                choice.get("error") or {"message": "the upstream stream ended with an error"},
                kind="in_stream",
            )
        if finish:
            self.finish = normalize_finish(finish)
            native = choice.get("native_finish_reason") or finish
            self.native = native if isinstance(native, str) else None

    def end(self, *, done: bool) -> list[StreamEvent]:
        """The final events at ``[DONE]`` (``done``) or at the end of the body: the usage, if
        any was reported, and the finish."""
        if self.finish is not None:
            finish = Finish(self.finish, self.native)
        elif done:
            finish = Finish("stop", None)
        else:
            raise ProviderError(
                "the upstream stream ended before it finished (no finish reason, no [DONE])", kind="cut"
            )
        return [finish] if self.usage is None else [UsageEvent(self.usage), finish]
