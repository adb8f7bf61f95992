"""Render a :class:`~openclaw.testing.replies.Reply` the way Anthropic's ``/v1/messages`` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .rendered import Rendered, json_bytes, sse_event
from .replies import Reply

__all__ = ["render_anthropic"]

_JSON = [("Content-Type", "application/json"), ("request-id", "req_fake_0001")]
_SSE = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("request-id", "req_fake_0001")]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def _usage(usage: dict[str, Any]) -> dict[str, int]:
    details = usage.get("prompt_tokens_details") or {}
    cached = int(details.get("cached_tokens") or 0)
    written = int(details.get("cache_write_tokens") or 0)
    return {
        "input_tokens": max(0, int(usage.get("prompt_tokens", 0)) - cached - written),
        "output_tokens": int(usage.get("completion_tokens", 0)),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
    }


def _message(
    model: str, content: list[dict[str, Any]], stop: str | None, usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": "msg_fake_0001",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def _block_events(index: int, block: dict[str, Any], deltas: list[dict[str, Any]]) -> list[bytes]:
    events = [
        sse_event(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}
        )
    ]
    for delta in deltas:
        events.append(
            sse_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        )
    events.append(sse_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _stream(model: str, blocks: list[list[bytes]], stop: str, usage: dict[str, int]) -> list[bytes]:
    start = {**usage, "output_tokens": 1}
    events = [
        sse_event("message_start", {"type": "message_start", "message": _message(model, [], None, start)})
    ]
    events.append(sse_event("ping", {"type": "ping"}))
    for block in blocks:
        events.extend(block)
    delta = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
    delta["usage"] = {"output_tokens": usage["output_tokens"]}
    events.append(sse_event("message_delta", delta))
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    return events


def _text(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model = o["model"] or model
    usage, stop = _usage(o["usage"]), _STOP.get(o["finish"], "end_turn")
    if not stream:
        body = _message(model, [{"type": "text", "text": o["content"]}], stop, usage)
        return Rendered(200, list(_JSON), body=json_bytes(body))
    deltas = [{"type": "text_delta", "text": piece} for piece in o["chunks"]]
    blocks = [_block_events(0, {"type": "text", "text": ""}, deltas)]
    return Rendered(200, list(_SSE), events=_stream(model, blocks, stop, usage), interval=o["interval"])


def _tool_call(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model, usage = o["model"] or model, _usage(o["usage"])
    import orjson

    tool = {"type": "tool_use", "id": o["id"], "name": o["name"]}
    content = [{"type": "text", "text": o["content"]}] if o["content"] else []
    if not stream:
        content.append({**tool, "input": orjson.loads(o["arguments"] or "{}")})
        return Rendered(200, list(_JSON), body=json_bytes(_message(model, content, "tool_use", usage)))
    blocks = []
    if o["content"]:
        blocks.append(
            _block_events(0, {"type": "text", "text": ""}, [{"type": "text_delta", "text": o["content"]}])
        )
    args, step = o["arguments"], o["split"]
    deltas = [
        {"type": "input_json_delta", "partial_json": args[i : i + step]} for i in range(0, len(args), step)
    ]
    blocks.append(_block_events(len(blocks), {**tool, "input": {}}, deltas))
    return Rendered(200, list(_SSE), events=_stream(model, blocks, "tool_use", usage))


def _reasoning(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model, usage = o["model"] or model, _usage(o["usage"])
    if not stream:
        content = [
            {"type": "thinking", "thinking": o["reasoning"], "signature": o["signature"]},
            {"type": "text", "text": o["content"]},
        ]
        return Rendered(200, list(_JSON), body=json_bytes(_message(model, content, "end_turn", usage)))
    thinking = [{"type": "thinking_delta", "thinking": p} for p in o["chunks"]]
    thinking.append({"type": "signature_delta", "signature": o["signature"]})
    blocks = [
        _block_events(0, {"type": "thinking", "thinking": ""}, thinking),
        _block_events(1, {"type": "text", "text": ""}, [{"type": "text_delta", "text": o["content"]}]),
    ]
    return Rendered(200, list(_SSE), events=_stream(model, blocks, "end_turn", usage))


def _status(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    headers = [("Content-Type", "application/json"), *o["headers"].items()]
    body = o["body"]
    if body is None:
        error_type = _ERROR_TYPES.get(o["code"], "api_error")
        payload = {"type": "error", "error": {"type": error_type, "message": o["message"]}}
        return Rendered(o["code"], headers, body=json_bytes(payload))
    if isinstance(body, dict):
        return Rendered(o["code"], headers, body=json_bytes(body))
    return Rendered(o["code"], headers, body=body.encode() if isinstance(body, str) else body)


def _cut(reply: Reply, stream: bool, model: str) -> Rendered:
    rendered = _text(reply.opts["inner"], stream, model)
    if rendered.events is not None:
        # message_start and ping come first; count from there so after_chunks=2 ends after one delta
        keep = reply.opts["after_chunks"] + 2
        rendered.events = rendered.events[:keep]
    rendered.truncate = True
    return rendered


def _stream_error(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    error = {"type": "error", "error": {"type": "overloaded_error", "message": o["message"]}}
    if not stream:
        return Rendered(529, list(_JSON), body=json_bytes(error))
    rendered = _text(o["inner"], True, model)
    events = (rendered.events or [])[: o["after_chunks"] + 2]
    events.append(sse_event("error", error))
    rendered.events = events
    return rendered


def _malformed(reply: Reply, stream: bool, model: str) -> Rendered:
    if not stream:
        return Rendered(200, list(_JSON), body=b'{"id": "msg_fake_0001", "content": [')
    start = sse_event("message_start", {"type": "message_start", "message": _message(model, [], None, {})})
    return Rendered(200, list(_SSE), events=[start, b"event: content_block_start\ndata: {oops\n\n"])


RENDERERS: dict[str, Callable[[Reply, bool, str], Rendered]] = {
    "text": _text,
    "tool_call": _tool_call,
    "reasoning": _reasoning,
    "status": _status,
    "cut": _cut,
    "stream_error": _stream_error,
    "malformed": _malformed,
}


def render_anthropic(reply: Reply, stream: bool, model: str) -> Rendered:
    renderer = RENDERERS.get(reply.kind)
    if renderer is None:
        raise ValueError(f"reply kind {reply.kind!r} has no Anthropic rendering")
    return renderer(reply, stream, model)
