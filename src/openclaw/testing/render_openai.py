"""Render a :class:`~openclaw.testing.replies.Reply` the way OpenRouter's chat completions do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .rendered import Rendered, json_bytes, sse_data
from .replies import Reply

__all__ = ["render_openai"]

CREATED = 1795484760
PROVIDER = "FakeProvider"
PROCESSING = b": OPENROUTER PROCESSING\n\n"
_JSON = [("Content-Type", "application/json"), ("X-Generation-Id", "gen-fake-0001")]
_SSE = [
    ("Content-Type", "text/event-stream"),
    ("Cache-Control", "no-cache"),
    ("X-Generation-Id", "gen-fake-0001"),
]


def _chunk(model: str, choices: list[dict[str, Any]], **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "gen-fake-0001",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "provider": PROVIDER,
        "choices": choices,
    }
    body.update(extra)
    return sse_data(body)


def _delta(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "index": 0,
            "delta": delta,
            "finish_reason": finish,
            "native_finish_reason": finish,
            "logprobs": None,
        }
    ]


def _completion(model: str, message: dict[str, Any], finish: str, usage: dict[str, Any]) -> bytes:
    return json_bytes(
        {
            "id": "gen-fake-0001",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "provider": PROVIDER,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": finish,
                    "native_finish_reason": finish,
                    "message": {"role": "assistant", "refusal": None, **message},
                }
            ],
            "usage": usage,
        }
    )


def _stream_events(
    model: str, deltas: list[dict[str, Any]], finish: str, usage: dict[str, Any]
) -> list[bytes]:
    events = [_chunk(model, _delta({"role": "assistant", "content": ""}))]
    events += [_chunk(model, _delta(d)) for d in deltas]
    events.append(_chunk(model, _delta({}, finish)))
    events.append(_chunk(model, [], usage=usage))
    events.append(b"data: [DONE]\n\n")
    return events


def _text(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model = o["model"] or model
    if not stream:
        body = _completion(model, {"content": o["content"]}, o["finish"], o["usage"])
        return Rendered(200, list(_JSON), body=body)
    deltas = [{"content": piece} for piece in o["chunks"]]
    events = _stream_events(model, deltas, o["finish"], o["usage"])
    preamble = PROCESSING if o["processing"] else b""
    return Rendered(200, list(_SSE), events=events, preamble=preamble, interval=o["interval"])


def _tool_call(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model = o["model"] or model
    call = {"id": o["id"], "type": "function", "function": {"name": o["name"], "arguments": o["arguments"]}}
    if not stream:
        message = {"content": o["content"], "tool_calls": [call]}
        return Rendered(200, list(_JSON), body=_completion(model, message, "tool_calls", o["usage"]))
    deltas: list[dict[str, Any]] = [{"content": o["content"]}] if o["content"] else []
    first = {"index": 0, "id": o["id"], "type": "function", "function": {"name": o["name"], "arguments": ""}}
    deltas.append({"tool_calls": [first]})
    args, step = o["arguments"], o["split"]
    for start in range(0, len(args), step):
        deltas.append({"tool_calls": [{"index": 0, "function": {"arguments": args[start : start + step]}}]})
    events = _stream_events(model, deltas, "tool_calls", o["usage"])
    return Rendered(200, list(_SSE), events=events, preamble=PROCESSING)


def _reasoning(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    model = o["model"] or model
    detail = {"type": "reasoning.text", "format": "anthropic-claude-v1", "index": 0}
    if not stream:
        details = [{**detail, "text": o["reasoning"], "signature": o["signature"]}]
        message = {"content": o["content"], "reasoning": o["reasoning"], "reasoning_details": details}
        return Rendered(200, list(_JSON), body=_completion(model, message, "stop", o["usage"]))
    deltas = [{"reasoning": p, "reasoning_details": [{**detail, "text": p}]} for p in o["chunks"]]
    deltas.append({"reasoning_details": [{**detail, "text": "", "signature": o["signature"]}]})
    deltas.append({"content": o["content"]})
    events = _stream_events(model, deltas, "stop", o["usage"])
    return Rendered(200, list(_SSE), events=events, preamble=PROCESSING)


def _status(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    headers = [("Content-Type", "application/json"), *o["headers"].items()]
    body = o["body"]
    if body is None:
        payload = {"error": {"code": o["code"], "message": o["message"], "metadata": {}}}
        return Rendered(o["code"], headers, body=json_bytes(payload))
    if isinstance(body, dict):
        return Rendered(o["code"], headers, body=json_bytes(body))
    return Rendered(o["code"], headers, body=body.encode() if isinstance(body, str) else body)


def _cut(reply: Reply, stream: bool, model: str) -> Rendered:
    rendered = _text(reply.opts["inner"], stream, model)
    if rendered.events is not None:
        rendered.events = rendered.events[: reply.opts["after_chunks"]]
    rendered.truncate = True
    return rendered


def _stream_error(reply: Reply, stream: bool, model: str) -> Rendered:
    o = reply.opts
    error = {"code": o["code"], "message": o["message"], "metadata": {"error_type": o["error_type"]}}
    if not stream:
        inner = o["inner"].opts
        body = json_bytes(
            {
                "id": "gen-fake-0001",
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "provider": PROVIDER,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "error",
                        "native_finish_reason": "error",
                        "message": {"role": "assistant", "content": inner["content"]},
                        "error": error,
                    }
                ],
                "usage": inner["usage"],
            }
        )
        return Rendered(200, list(_JSON), body=body)
    rendered = _text(o["inner"], True, model)
    events = (rendered.events or [])[: o["after_chunks"]]
    events.append(_chunk(model, _delta({"content": ""}, "error"), error=error))
    if o["done"]:
        events.append(b"data: [DONE]\n\n")
    rendered.events = events
    return rendered


def _malformed(reply: Reply, stream: bool, model: str) -> Rendered:
    if not stream:
        return Rendered(200, list(_JSON), body=b'{"id": "gen-fake-0001", "choices": [{"index": 0,')
    events = [
        _chunk(model, _delta({"role": "assistant", "content": ""})),
        b'data: {"id": "gen-fake-0001", "choices": [{"delta": {"content": "O\n\n',
        b"data: [DONE]\n\n",
    ]
    return Rendered(200, list(_SSE), events=events)


RENDERERS: dict[str, Callable[[Reply, bool, str], Rendered]] = {
    "text": _text,
    "tool_call": _tool_call,
    "reasoning": _reasoning,
    "status": _status,
    "cut": _cut,
    "stream_error": _stream_error,
    "malformed": _malformed,
}


def render_openai(reply: Reply, stream: bool, model: str) -> Rendered:
    renderer = RENDERERS.get(reply.kind)
    if renderer is None:
        raise ValueError(f"reply kind {reply.kind!r} has no OpenAI rendering")
    return renderer(reply, stream, model)
