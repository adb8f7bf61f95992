"""The OpenAI Responses front door, answer side: Response objects and the Responses event stream.

* :func:`response_body`: a whole ``response`` object: ``output`` items (``reasoning``,
  ``message`` with ``output_text``, ``function_call``), ``status`` (``completed``, or
  ``incomplete`` with ``incomplete_details`` when the answer hit ``max_output_tokens`` or a
  content filter), ``usage`` (``input_tokens``, ``output_tokens``, ``total_tokens`` and details).
* :class:`ResponsesStreamEncoder`: ``response.created``, ``response.in_progress``, then per item
  ``response.output_item.added``, ``response.content_part.added``, ``response.output_text.delta``
  / ``response.function_call_arguments.delta`` / ``response.reasoning_text.delta``, their
  ``.done`` events, ``response.output_item.done``, and ``response.completed`` (or
  ``response.incomplete``) with the whole response and its usage. Every event carries
  ``sequence_number``. A failure ends the stream with ``error`` and ``response.failed`` instead:
  never ``response.completed`` after a failure.
"""

from __future__ import annotations

from typing import Any

import orjson

from .responses_front import encode_details
from .types import ChatResult, ToolCallDelta, Usage

__all__ = ["ResponsesStreamEncoder", "merge_details", "response_body", "responses_usage"]

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def responses_usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    out: dict[str, Any] = {
        "input_tokens": usage.input,
        "input_tokens_details": {"cached_tokens": usage.cache_read},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": usage.total or usage.input + usage.output,
    }
    if usage.cost is not None:
        out["cost"] = usage.cost
    return out


def _message_item(item_id: str, text: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "message", "id": item_id, "status": "completed", "role": "assistant", "content": [part]}


def _call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def merge_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Streamed ``reasoning.text`` fragments of one block (same ``index``) as one detail, its
    text joined and its signature kept, as a provider wants the block back."""
    merged: list[dict[str, Any]] = []
    for detail in details:
        last = merged[-1] if merged else None
        same = last is not None and last.get("type") == detail.get("type") == "reasoning.text"
        if (
            same
            and last is not None
            and last.get("index") == detail.get("index")
            and not last.get("signature")
        ):
            last["text"] = last.get("text", "") + detail.get("text", "")
            if detail.get("signature"):
                last["signature"] = detail["signature"]
        else:
            merged.append(dict(detail))
    return merged


def _reasoning_item(item_id: str, text: str, details: list[dict[str, Any]] | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "id": item_id, "summary": []}
    item["content"] = [{"type": "reasoning_text", "text": text}] if text else []
    if details and any(d.get("signature") or d.get("data") for d in details):
        item["encrypted_content"] = encode_details(merge_details(details))
    return item


def _status(finish: str | None) -> tuple[str, dict[str, str] | None]:
    reason = _INCOMPLETE.get(finish or "")
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def _shell(response_id: str, created: int, model: str, echo: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        **echo,
        "model": model,
        "output": [],
        "usage": None,
    }


def response_body(
    result: ChatResult, *, response_id: str, created: int, model: str, echo: dict[str, Any]
) -> bytes:
    """A whole ``response`` object as JSON bytes."""
    rid = response_id.removeprefix("resp_")
    output: list[dict[str, Any]] = []
    if result.reasoning or result.reasoning_details:
        output.append(_reasoning_item(f"rs_{rid}_0", result.reasoning or "", result.reasoning_details))
    if result.text:
        output.append(_message_item(f"msg_{rid}_{len(output)}", result.text))
    for call in result.tool_calls:
        output.append(_call_item(f"fc_{rid}_{len(output)}", call.id, call.name, call.arguments))
    status, incomplete = _status(result.finish_reason)
    body = _shell(response_id, created, model, echo, status)
    body["incomplete_details"] = incomplete
    body["output"] = output
    body["usage"] = responses_usage(result.usage)
    return orjson.dumps(body)


class _Item:
    """An output item being streamed."""

    __slots__ = ("call_id", "details", "id", "index", "kind", "name", "pieces")

    def __init__(self, kind: str, item_id: str, index: int) -> None:
        self.kind, self.id, self.index = kind, item_id, index
        self.pieces: list[str] = []
        self.call_id = self.name = ""
        self.details: list[dict[str, Any]] = []


class ResponsesStreamEncoder:
    """Responses stream events for one answer (the gateway's SSE writer drives it)."""

    def __init__(
        self, *, completion_id: str, created: int, model: str, provider: str, echo: dict[str, Any]
    ) -> None:
        self._shell = _shell(completion_id, created, model, echo, "in_progress")
        self._rid = completion_id.removeprefix("resp_")
        self._seq = 0
        self._output: list[dict[str, Any]] = []
        self._items: list[_Item] = []
        self._open: _Item | None = None
        self._tools: dict[int, _Item] = {}
        self._text_prefix = b""
        self._finish: str | None = None

    def _event(self, kind: str, data: dict[str, Any]) -> bytes:
        data = {"type": kind, **data, "sequence_number": self._seq}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _response(self, kind: str, **changes: Any) -> bytes:
        return self._event(kind, {"response": {**self._shell, **changes}})

    # -- items ---------------------------------------------------------------------------------

    def _start(self, kind: str, prefix: str, item: dict[str, Any]) -> tuple[bytes, _Item]:
        closed = self._close()
        index = len(self._items)
        current = _Item(kind, f"{prefix}_{self._rid}_{index}", index)
        self._items.append(current)
        self._output.append({})
        self._open = current
        added = self._event(
            "response.output_item.added", {"output_index": index, "item": {**item, "id": current.id}}
        )
        return closed + added, current

    def _close(self) -> bytes:
        item, self._open = self._open, None
        if item is None:
            return b""
        where = {"item_id": item.id, "output_index": item.index}
        text = "".join(item.pieces)
        if item.kind == "message":
            done = _message_item(item.id, text)
            part = done["content"][0]
            out = self._event(
                "response.output_text.done", {**where, "content_index": 0, "text": text, "logprobs": []}
            )
            out += self._event("response.content_part.done", {**where, "content_index": 0, "part": part})
        elif item.kind == "reasoning":
            done = _reasoning_item(item.id, text, item.details)
            out = self._event("response.reasoning_text.done", {**where, "content_index": 0, "text": text})
        else:
            done = _call_item(item.id, item.call_id, item.name, text)
            out = self._event(
                "response.function_call_arguments.done", {**where, "name": item.name, "arguments": text}
            )
        self._output[item.index] = done
        return out + self._event("response.output_item.done", {"output_index": item.index, "item": done})

    # -- the Encoder protocol ------------------------------------------------------------------

    def role(self) -> bytes:
        return self._response("response.created") + self._response("response.in_progress")

    def text(self, text: str) -> bytes:
        item = self._open
        head = b""
        if item is None or item.kind != "message":
            head, item = self._start(
                "message",
                "msg",
                {"type": "message", "status": "in_progress", "role": "assistant", "content": []},
            )
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            where = {"item_id": item.id, "output_index": item.index, "content_index": 0}
            head += self._event("response.content_part.added", {**where, "part": part})
            self._text_prefix = b"".join(
                (
                    b"event: response.output_text.delta\ndata: ",
                    b'{"type":"response.output_text.delta","item_id":',
                    orjson.dumps(item.id),
                    b',"output_index":%d,"content_index":0,"logprobs":[],"delta":' % item.index,
                )
            )
        item.pieces.append(text)
        seq = self._seq
        self._seq += 1
        return b"".join((head, self._text_prefix, orjson.dumps(text), b',"sequence_number":%d}\n\n' % seq))

    def reasoning(self, text: str, details: list[dict[str, Any]] | None = None) -> bytes:
        item = self._open
        head = b""
        if item is None or item.kind != "reasoning":
            head, item = self._start("reasoning", "rs", {"type": "reasoning", "summary": [], "content": []})
        if details:
            item.details.extend(details)
        if not text:
            return head
        item.pieces.append(text)
        where = {"item_id": item.id, "output_index": item.index, "content_index": 0}
        return head + self._event("response.reasoning_text.delta", {**where, "delta": text})

    def tool(self, event: ToolCallDelta) -> bytes:
        item = self._tools.get(event.index)
        head = b""
        if item is None:
            call_id, name = event.id or f"call_{event.index}", event.name or ""
            head, item = self._start("function_call", "fc", _call_item("", call_id, name, "", "in_progress"))
            item.call_id, item.name = call_id, name
            self._tools[event.index] = item
        if not event.arguments:
            return head
        item.pieces.append(event.arguments)
        where = {"item_id": item.id, "output_index": item.index}
        return head + self._event(
            "response.function_call_arguments.delta", {**where, "delta": event.arguments}
        )

    def finish(self, reason: str, native: str | None = None) -> bytes:
        self._finish = reason
        return self._close()

    def usage(self, usage: Usage) -> bytes:
        return b""  # usage travels in response.completed (see end)

    def error(self, error: dict[str, Any]) -> bytes:
        status = error.get("code")
        code = "rate_limit_exceeded" if status == 429 else "server_error"
        message = str(error.get("message", ""))
        out = self._event("error", {"code": code, "message": message, "param": None})
        output = [done or self._partial(i) for i, done in enumerate(self._output)]
        failed = {"status": "failed", "error": {"code": code, "message": message}, "output": output}
        return out + self._response("response.failed", **failed)

    def _partial(self, index: int) -> dict[str, Any]:
        item = self._items[index]
        text = "".join(item.pieces)
        if item.kind == "message":
            return {**_message_item(item.id, text), "status": "incomplete"}
        if item.kind == "reasoning":
            return _reasoning_item(item.id, text, item.details)
        return _call_item(item.id, item.call_id, item.name, text, "incomplete")

    # -- the Ending protocol -------------------------------------------------------------------

    def end(self, usage: Usage | None) -> bytes:
        closed = self._close()
        status, incomplete = _status(self._finish)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        final = {"status": status, "incomplete_details": incomplete, "output": self._output}
        return closed + self._response(kind, **final, usage=responses_usage(usage))

    def fail(self, error: dict[str, Any]) -> bytes:
        return self.error(error)
