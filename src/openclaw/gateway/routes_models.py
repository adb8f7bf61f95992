"""``GET /v1/models`` and ``GET /v1/models/{id}`` (also under ``/api/v1``), OpenAI's list shape.

The list is OpenClaw's agent targets (``openclaw``, ``openclaw/default``, ``openclaw/<agentId>``)
followed by the configured model refs and aliases. It is rendered once at start-up. An id that is
not listed but resolves (a model ref, a bare OpenRouter id) is answered too, so clients that check
a model before using it work with every name the chat route accepts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web

from ..errors import RefError
from .app import Gateway
from .errors import HttpError
from .targets import agent_from_model

__all__ = ["add_routes", "model_entries"]


def _entry(model_id: str, owner: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owner, "permission": []}


def model_entries(gw: Gateway) -> list[dict[str, Any]]:
    entries = [_entry("openclaw", "openclaw"), _entry("openclaw/default", "openclaw")]
    entries += [_entry(f"openclaw/{agent}", "openclaw") for agent in gw.targets.agent_ids]
    runtime = gw.runtime
    for key in runtime.configured_refs():
        entries.append(_entry(key, key.partition("/")[0]))
    for alias, key in sorted(runtime.aliases().items()):
        entries.append(_entry(alias, key.partition("/")[0]))
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry["id"] not in seen:
            seen.add(entry["id"])
            unique.append(entry)
    return unique


def add_routes(app: web.Application, gw: Gateway) -> None:
    entries = model_entries(gw)
    by_id = {e["id"]: orjson.dumps(e) for e in entries}
    list_body = orjson.dumps({"object": "list", "data": entries})

    async def list_models(request: web.Request) -> web.StreamResponse:
        rec = gw.record(request)
        try:
            await gw.admit(request, rec)
        except HttpError as exc:
            response = gw.error(rec, exc)
            gw.finish(rec, "models")
            return response
        rec.status = 200
        gw.finish(rec, "models")
        return gw.json(200, list_body)

    def lookup(model_id: str) -> bytes:
        found = by_id.get(model_id)
        if found is not None:
            return found
        agent = agent_from_model(model_id)
        if agent is not None and agent in gw.targets.agent_ids:
            return orjson.dumps(_entry(model_id, "openclaw"))
        try:
            key, _bare = gw.targets.ref_key(model_id)
        except (HttpError, RefError):
            raise HttpError(404, f'The model "{model_id}" does not exist.', param="model") from None
        return orjson.dumps(_entry(model_id, key.partition("/")[0]))

    async def get_model(request: web.Request) -> web.StreamResponse:
        rec = gw.record(request)
        try:
            await gw.admit(request, rec)
            raw = request.match_info["model_id"]
            body = lookup(unquote(raw))
        except HttpError as exc:
            response = gw.error(rec, exc)
            gw.finish(rec, "models")
            return response
        rec.status = 200
        gw.finish(rec, "models")
        return gw.json(200, body)

    for prefix in ("/v1", "/api/v1"):
        app.router.add_get(f"{prefix}/models", list_models)
        app.router.add_get(prefix + "/models/{model_id:.+}", get_model)
