"""The Anthropic Messages front door, answer side: results and stream events in Anthropic's shape.

* :func:`message_body`: a whole ``message`` object (thinking, text, tool_use blocks; usage with
  cache reads and writes split out of ``input_tokens`` as Anthropic counts them).
* :class:`MessageStreamEncoder`: Anthropic's event sequence for one stream: ``message_start``,
  ``ping``, then ``content_block_start`` / ``content_block_delta`` (``text_delta``,
  ``input_json_delta``, ``thinking_delta``, ``signature_delta``) / ``content_block_stop`` per
  block, ``message_delta`` (stop reason, usage) and ``message_stop``. A failure ends the stream
  with ``event: error`` and the error envelope instead: never a ``message_stop`` after a failure.
  Text deltas are a precomputed prefix, the JSON string and a constant suffix.
* :func:`error_body`: Anthropic's envelope ``{"type": "error", "error": {"type", "message"},
  "request_id"}`` with the error type of the status.
"""

from __future__ import annotations

from typing import Any

import orjson

from .anthropic_events import ERROR_TYPE_STATUS
from .normalize import ANTHROPIC_STOP_REASONS, FINISH_TO_ANTHROPIC
from .types import ChatResult, ToolCallDelta, Usage

__all__ = [
    "MessageStreamEncoder",
    "anthropic_usage",
    "error_body",
    "error_type",
    "message_body",
    "stop_reason",
]

_TYPE_OF_STATUS = {status: kind for kind, status in ERROR_TYPE_STATUS.items()}
_BLOCK_STOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":%d}\n\n'
_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,"delta":'
_TEXT = b'{"type":"text_delta","text":'
_TAIL = b"}}\n\n"
_PING = b'event: ping\ndata: {"type":"ping"}\n\n'
_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def error_type(status: int) -> str:
    found = _TYPE_OF_STATUS.get(status)
    if found is not None:
        return found
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(status: int, message: str, request_id: str | None = None) -> bytes:
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type(status), "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return orjson.dumps(body)


def stop_reason(reason: str | None, native: str | None) -> str:
    """Anthropic's stop reason: the upstream's own when it was Anthropic's, else ours mapped."""
    if native in ANTHROPIC_STOP_REASONS:
        return native
    return FINISH_TO_ANTHROPIC.get(reason or "stop", "end_turn")


def anthropic_usage(usage: Usage | None) -> dict[str, int]:
    """Our usage (``input`` includes cache reads and writes) as Anthropic counts it."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    return {
        "input_tokens": max(0, usage.input - usage.cache_read - usage.cache_write),
        "output_tokens": usage.output,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
    }


def _thinking_blocks(result: ChatResult) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for detail in result.reasoning_details or ():
        kind = detail.get("type")
        if kind == "reasoning.encrypted" and isinstance(detail.get("data"), str):
            blocks.append({"type": "redacted_thinking", "data": detail["data"]})
        elif kind in ("reasoning.text", "reasoning.summary"):
            text = detail.get("text") if kind == "reasoning.text" else detail.get("summary")
            signature = detail.get("signature")
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": text if isinstance(text, str) else "",
                    "signature": signature if isinstance(signature, str) else "",
                }
            )
    if not blocks and result.reasoning:
        blocks.append({"type": "thinking", "thinking": result.reasoning, "signature": ""})
    return blocks


def _tool_input(arguments: str) -> Any:
    try:
        return orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return {}  # the router refuses answers whose tool arguments are not JSON; this is a guard


def message_body(result: ChatResult, *, message_id: str, model: str) -> bytes:
    """A whole Anthropic ``message`` as JSON bytes."""
    content = _thinking_blocks(result)
    if result.text:
        content.append({"type": "text", "text": result.text})
    for call in result.tool_calls:
        tool_input = _tool_input(call.arguments)
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input})
    body = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(result.finish_reason, result.native_finish_reason),
        "stop_sequence": None,
        "usage": anthropic_usage(result.usage),
    }
    return orjson.dumps(body)


def _event(name: bytes, data: dict[str, Any]) -> bytes:
    return b"event: " + name + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class MessageStreamEncoder:
    """Anthropic stream events for one answer (the gateway's SSE writer drives it)."""

    __slots__ = ("_head", "_index", "_kind", "_stop", "_text_prefix", "_tools")

    def __init__(self, *, completion_id: str, created: int, model: str, provider: str) -> None:
        message: dict[str, Any] = {
            "id": completion_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        self._head = _event(b"message_start", {"type": "message_start", "message": message}) + _PING
        self._index = -1  # the open block (-1: none)
        self._kind: str | None = None  # text | thinking | tool_use | redacted_thinking
        self._text_prefix = b""
        self._tools: dict[int, int] = {}  # upstream tool-call index -> block index
        self._stop = "end_turn"

    # -- blocks --------------------------------------------------------------------------------

    def _close(self) -> bytes:
        if self._kind is None:
            return b""
        self._kind = None
        return _BLOCK_STOP % self._index

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        closed = self._close()
        self._index += 1
        self._kind = kind
        start = {"type": "content_block_start", "index": self._index, "content_block": block}
        return closed + _event(b"content_block_start", start)

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        return b"".join((_DELTA % index, orjson.dumps(delta), b"}\n\n"))

    # -- the Encoder protocol ------------------------------------------------------------------

    def role(self) -> bytes:
        return self._head

    def text(self, text: str) -> bytes:
        if self._kind == "text":  # the hot path
            return b"".join((self._text_prefix, orjson.dumps(text), _TAIL))
        opened = self._open("text", {"type": "text", "text": ""})
        self._text_prefix = (_DELTA % self._index) + _TEXT
        return b"".join((opened, self._text_prefix, orjson.dumps(text), _TAIL))

    def _thinking(self) -> bytes:
        if self._kind == "thinking":
            return b""
        return self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})

    def reasoning(self, text: str, details: list[dict[str, Any]] | None = None) -> bytes:
        out: list[bytes] = []
        if text:
            out.append(self._thinking())
            out.append(self._delta(self._index, {"type": "thinking_delta", "thinking": text}))
        for detail in details or ():
            kind, data, signature = detail.get("type"), detail.get("data"), detail.get("signature")
            if kind == "reasoning.encrypted" and isinstance(data, str):
                out.append(self._open("redacted_thinking", {"type": "redacted_thinking", "data": data}))
            elif kind == "reasoning.text" and isinstance(signature, str) and signature:
                out.append(self._thinking())
                out.append(self._delta(self._index, {"type": "signature_delta", "signature": signature}))
        return b"".join(out)

    def tool(self, event: ToolCallDelta) -> bytes:
        out = b""
        block = self._tools.get(event.index)
        if block is None:
            tool_id = event.id or f"toolu_{self._index + 1:02d}"
            start = {"type": "tool_use", "id": tool_id, "name": event.name or "", "input": {}}
            out = self._open("tool_use", start)
            block = self._tools[event.index] = self._index
        if event.arguments:
            out += self._delta(block, {"type": "input_json_delta", "partial_json": event.arguments})
        return out

    def finish(self, reason: str, native: str | None = None) -> bytes:
        self._stop = stop_reason(reason, native)
        return self._close()

    def usage(self, usage: Usage) -> bytes:
        return b""  # usage travels in message_delta (see end)

    def error(self, error: dict[str, Any]) -> bytes:
        status = error.get("code")
        kind = error_type(status if isinstance(status, int) else 500)
        envelope = {"type": "error", "error": {"type": kind, "message": error.get("message", "")}}
        return _event(b"error", envelope)

    # -- the Ending protocol -------------------------------------------------------------------

    def end(self, usage: Usage | None) -> bytes:
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": self._stop, "stop_sequence": None},
            "usage": anthropic_usage(usage),
        }
        return self._close() + _event(b"message_delta", delta) + _STOP

    def fail(self, error: dict[str, Any]) -> bytes:
        return self.error(error)
