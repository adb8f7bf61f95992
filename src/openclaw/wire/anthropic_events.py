"""Anthropic Messages answers -> stream events (a ``message`` body, or the SSE event sequence).

SSE events handled: ``message_start``, ``content_block_start`` / ``content_block_delta``
(``text_delta``, ``input_json_delta``, ``thinking_delta``, ``signature_delta``) /
``content_block_stop``, ``message_delta`` (stop reason, usage), ``message_stop``, ``ping``,
``error``. Stop reasons map to ours (``end_turn`` → ``stop``, ``max_tokens`` → ``length``,
``tool_use`` → ``tool_calls``, ``refusal`` → ``content_filter``). A finished thinking block is
emitted as one ``reasoning_details`` entry (``reasoning.text`` with its signature) so that it can
be replayed on the next turn.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import ProviderError
from .normalize import normalize_finish, usage_from_anthropic
from .types import Finish, ReasoningDelta, ResponseInfo, StreamEvent, TextDelta, ToolCallDelta, UsageEvent

__all__ = ["ERROR_TYPE_STATUS", "AnthropicStreamDecoder", "anthropic_error", "message_events"]

ERROR_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_FORMAT = "anthropic-claude-v1"


def anthropic_error(payload: Any, *, kind: str) -> ProviderError:
    err = payload.get("error") if isinstance(payload, dict) else None
    err = err if isinstance(err, dict) else {}
    error_type = err.get("type") if isinstance(err.get("type"), str) else None
    raw_message = err.get("message")
    message = raw_message if isinstance(raw_message, str) else "the upstream reported an error"
    return ProviderError(
        message,
        kind=kind,
        status=ERROR_TYPE_STATUS.get(error_type or ""),
        code=error_type,
        error_type=error_type,
    )


def _thinking_detail(text: str, signature: str | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"type": "reasoning.text", "text": text, "format": _FORMAT}
    if signature:
        detail["signature"] = signature
    return detail


def message_events(data: Any) -> list[StreamEvent]:
    """Events for a non-streaming ``message`` body."""
    if not isinstance(data, dict):
        raise ProviderError("the upstream answer is not a JSON object", kind="malformed")
    if data.get("type") == "error":
        raise anthropic_error(data, kind="in_stream")
    content = data.get("content")
    if not isinstance(content, list):
        raise ProviderError("the upstream answer has no content", kind="malformed")
    events: list[StreamEvent] = [ResponseInfo(id=data.get("id"), model=data.get("model"))]
    tools = 0
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and block.get("text"):
            events.append(TextDelta(block["text"]))
        elif kind == "thinking":
            text = block.get("thinking") or ""
            events.append(ReasoningDelta(text, [_thinking_detail(text, block.get("signature"))]))
        elif kind == "redacted_thinking":
            events.append(
                ReasoningDelta(
                    "", [{"type": "reasoning.encrypted", "data": block.get("data"), "format": _FORMAT}]
                )
            )
        elif kind == "tool_use":
            args = orjson.dumps(block.get("input") or {}).decode()
            events.append(
                ToolCallDelta(index=tools, id=block.get("id"), name=block.get("name"), arguments=args)
            )
            tools += 1
    if isinstance(data.get("usage"), dict):
        events.append(UsageEvent(usage_from_anthropic(data["usage"])))
    stop = data.get("stop_reason")
    events.append(Finish(normalize_finish(stop), stop if isinstance(stop, str) else None))
    return events


class _Block:
    __slots__ = ("kind", "signature", "text", "tool_index")

    def __init__(self, kind: str, tool_index: int = -1) -> None:
        self.kind = kind
        self.tool_index = tool_index
        self.text: list[str] = []
        self.signature: str | None = None


class AnthropicStreamDecoder:
    """``feed(event_name, data) -> events``; ``end()`` at the end of the body."""

    def __init__(self) -> None:
        self._blocks: dict[int, _Block] = {}
        self._tools = 0
        self._usage: dict[str, Any] = {}
        self._stop: str | None = None
        self.stopped = False

    def feed(self, name: str | None, data: Any) -> list[StreamEvent]:
        if not isinstance(data, dict):
            raise ProviderError("a stream event is not a JSON object", kind="malformed")
        kind = data.get("type") or name
        handler = _HANDLERS.get(kind or "")
        return handler(self, data) if handler is not None else []

    def _start(self, data: dict[str, Any]) -> list[StreamEvent]:
        message = data.get("message") or {}
        self._usage.update(message.get("usage") or {})
        return [ResponseInfo(id=message.get("id"), model=message.get("model"))]

    def _block_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        block = data.get("content_block") or {}
        index = data.get("index", len(self._blocks))
        kind = block.get("type", "")
        if kind == "tool_use":
            self._blocks[index] = _Block(kind, self._tools)
            self._tools += 1
            return [ToolCallDelta(index=self._tools - 1, id=block.get("id"), name=block.get("name"))]
        self._blocks[index] = _Block(kind)
        if kind == "text" and block.get("text"):
            return [TextDelta(block["text"])]
        if kind == "redacted_thinking":
            return [
                ReasoningDelta(
                    "", [{"type": "reasoning.encrypted", "data": block.get("data"), "format": _FORMAT}]
                )
            ]
        if kind == "thinking" and block.get("thinking"):
            self._blocks[index].text.append(block["thinking"])
            return [ReasoningDelta(block["thinking"])]
        return []

    def _block_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta") or {}
        block = self._blocks.get(data.get("index", -1)) or _Block("text")
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text") or ""
            return [TextDelta(text)] if text else []
        if kind == "input_json_delta":
            return [ToolCallDelta(index=max(block.tool_index, 0), arguments=delta.get("partial_json") or "")]
        if kind == "thinking_delta":
            text = delta.get("thinking") or ""
            block.text.append(text)
            return [ReasoningDelta(text)] if text else []
        if kind == "signature_delta":
            block.signature = delta.get("signature")
        return []

    def _block_stop(self, data: dict[str, Any]) -> list[StreamEvent]:
        block = self._blocks.get(data.get("index", -1))
        if block is not None and block.kind == "thinking":
            return [ReasoningDelta("", [_thinking_detail("".join(block.text), block.signature)])]
        return []

    def _message_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta") or {}
        if delta.get("stop_reason"):
            self._stop = delta["stop_reason"]
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._usage.update({k: v for k, v in usage.items() if v is not None})
        return []

    def _message_stop(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.stopped = True
        return []

    def _error(self, data: dict[str, Any]) -> list[StreamEvent]:
        raise anthropic_error(data, kind="in_stream")

    def end(self) -> list[StreamEvent]:
        """Usage and Finish at the end of the stream; a stream that never stopped is cut."""
        if not self.stopped and self._stop is None:
            raise ProviderError("the upstream stream ended before message_stop", kind="cut")
        events: list[StreamEvent] = []
        if self._usage:
            events.append(UsageEvent(usage_from_anthropic(self._usage)))
        events.append(Finish(normalize_finish(self._stop), self._stop))
        return events


_HANDLERS = {
    "message_start": AnthropicStreamDecoder._start,
    "content_block_start": AnthropicStreamDecoder._block_start,
    "content_block_delta": AnthropicStreamDecoder._block_delta,
    "content_block_stop": AnthropicStreamDecoder._block_stop,
    "message_delta": AnthropicStreamDecoder._message_delta,
    "message_stop": AnthropicStreamDecoder._message_stop,
    "error": AnthropicStreamDecoder._error,
}
