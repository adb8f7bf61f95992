"""Request handling of the fake upstream: routes, reply selection, recording, control API.

Routes (any prefix: ``/api/v1/...``, ``/v1/...``):

=========================  =================================================================
``POST …/chat/completions``  OpenRouter-shaped answer (JSON, or SSE when ``stream: true``)
``POST …/messages``          Anthropic-shaped answer
``GET …/models``             the catalog (``{"data": [...]}``)
``GET …/key``, ``…/credits`` account info (401 without ``Authorization``)
``POST /__fake/script``      replace the script: ``{"queue": [...], "by_model": {...},
                             "by_key": {...}, "default": spec}``
``GET /__fake/requests``     what was recorded; ``GET /__fake/stats``; ``POST /__fake/reset``
=========================  =================================================================

Which reply a chat request gets: the next queued one (FIFO), else the reply set for its key
(``Authorization: Bearer`` or ``x-api-key``), else the one set for its model, else the default.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from .catalog_data import CREDITS, KEY_INFO, default_models
from .http11 import ConnStats, ParsedRequest
from .render_anthropic import render_anthropic
from .render_openai import render_openai
from .rendered import CLOSE, HANG, Rendered, Step, json_bytes
from .replies import Reply, reply_from_spec

__all__ = ["RecordedRequest", "Script", "handle_request"]


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names (the last value when a name repeats)
    header_list: list[tuple[str, str]]  # lower-cased names, in the order received
    body: bytes
    json: Any = None  # the parsed body, when it was JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": [list(pair) for pair in self.header_list],
            "body": self.body.decode("utf-8", "replace"),
            "json": self.json,
        }


@dataclass
class Script:
    queue: deque[Reply] = field(default_factory=deque)
    by_model: dict[str, Reply] = field(default_factory=dict)
    by_key: dict[str, Reply] = field(default_factory=dict)
    default: Reply = field(default_factory=Reply.text)
    requests: list[RecordedRequest] = field(default_factory=list)
    record: bool = True
    latency: float = 0.0
    models: list[dict[str, Any]] = field(default_factory=default_models)
    stats: ConnStats = field(default_factory=ConnStats)

    def choose(self, key: str | None, model: str) -> Reply:
        try:
            return self.queue.popleft()
        except IndexError:
            pass
        if key is not None and key in self.by_key:
            return self.by_key[key]
        return self.by_model.get(model, self.default)

    def load(self, spec: dict[str, Any]) -> None:
        self.queue = deque(reply_from_spec(s) for s in spec.get("queue", []))
        self.by_model = {m: reply_from_spec(s) for m, s in (spec.get("by_model") or {}).items()}
        self.by_key = {k: reply_from_spec(s) for k, s in (spec.get("by_key") or {}).items()}
        self.default = reply_from_spec(spec.get("default", "ok"))

    def reset(self) -> None:
        self.queue.clear()
        self.by_model.clear()
        self.by_key.clear()
        self.default = Reply.text()
        self.requests.clear()


def _json_reply(status: int, payload: Any, keep_alive: bool) -> list[Step]:
    return Rendered(status, [("Content-Type", "application/json")], body=json_bytes(payload)).steps(
        keep_alive
    )


def _error(status: int, message: str, keep_alive: bool) -> list[Step]:
    return _json_reply(status, {"error": {"code": status, "message": message}}, keep_alive)


def _credential(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key")


def _reply_steps(reply: Reply, api: str, stream: bool, model: str, keep_alive: bool) -> list[Step]:
    if reply.kind == "delay":
        then: Reply = reply.opts["then"]
        return [float(reply.opts["seconds"]), *_reply_steps(then, api, stream, model, keep_alive)]
    if reply.kind == "reset":
        return [CLOSE]
    if reply.kind == "hang":
        return [HANG]
    cache_key = (api, stream, model, keep_alive)
    steps = reply._cache.get(cache_key)
    if steps is None:
        render = render_openai if api == "openai" else render_anthropic
        steps = render(reply, stream, model).steps(keep_alive)
        reply._cache[cache_key] = steps
    result: list[Step] = steps
    return result


def _chat(script: Script, req: ParsedRequest, api: str, headers: dict[str, str], data: Any) -> list[Step]:
    if not isinstance(data, dict):
        return _error(400, "request body must be a JSON object", req.keep_alive)
    model = data.get("model")
    model = model if isinstance(model, str) else ""
    reply = script.choose(_credential(headers), model)
    steps = _reply_steps(reply, api, bool(data.get("stream")), model, req.keep_alive)
    return [script.latency, *steps] if script.latency > 0 else steps


def _control(script: Script, req: ParsedRequest, path: str) -> list[Step]:
    keep = req.keep_alive
    if path == "/__fake/script" and req.method == "POST":
        try:
            script.load(orjson.loads(req.body or b"{}"))
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            return _error(400, f"bad script: {exc}", keep)
        return _json_reply(200, {"ok": True}, keep)
    if path == "/__fake/requests":
        return _json_reply(200, [r.to_json() for r in script.requests], keep)
    if path == "/__fake/reset" and req.method == "POST":
        script.reset()
        return _json_reply(200, {"ok": True}, keep)
    if path == "/__fake/stats":
        s = script.stats
        stats = {
            "requests": len(script.requests),
            "connections_opened": s.opened,
            "connections_closed_by_client": s.closed_by_client,
            "aborted_responses": s.aborted_responses,
            "open_connections": s.open,
        }
        return _json_reply(200, stats, keep)
    return _error(404, "unknown control route", keep)


def _account(req: ParsedRequest, headers: dict[str, str], payload: dict[str, Any]) -> list[Step]:
    if not _credential(headers):
        return _error(401, "No auth credentials found", req.keep_alive)
    return _json_reply(200, {"data": payload}, req.keep_alive)


def handle_request(script: Script, req: ParsedRequest) -> list[Step]:
    path = req.target.partition("?")[0]
    if path.startswith("/__fake/"):
        return _control(script, req, path)
    headers = dict(req.headers)
    data: Any = None
    if req.body and headers.get("content-type", "application/json").startswith("application/json"):
        try:
            data = orjson.loads(req.body)
        except orjson.JSONDecodeError:
            data = None
    if script.record:
        script.requests.append(RecordedRequest(req.method, path, headers, req.headers, req.body, data))
    if req.method == "POST":
        if path.endswith("/chat/completions"):
            return _chat(script, req, "openai", headers, data)
        if path.endswith("/messages"):
            return _chat(script, req, "anthropic", headers, data)
    elif req.method == "GET":
        return _get(script, req, path, headers)
    return _error(404, f"Not Found: {req.method} {path}", req.keep_alive)


def _get(script: Script, req: ParsedRequest, path: str, headers: dict[str, str]) -> list[Step]:
    if path.endswith(("/models", "/models/user")):
        return _json_reply(200, {"data": script.models}, req.keep_alive)
    if path.endswith("/key"):
        return _account(req, headers, KEY_INFO)
    if path.endswith("/credits"):
        return _account(req, headers, CREDITS)
    return _error(404, f"Not Found: GET {path}", req.keep_alive)
