"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens`` (also under ``/api/v1``): the
Anthropic Messages API, for Anthropic SDK clients (and Claude Code) unchanged.

* Auth: ``x-api-key: <token>`` (what Anthropic SDKs send) or ``Authorization: Bearer``;
  ``anthropic-version`` and ``anthropic-beta`` are accepted and not needed.
* ``model``: every name the chat door takes (agents, aliases, refs, bare OpenRouter ids), plus
  Anthropic model ids: ``claude-…`` without a provider is read as ``anthropic/claude-…``, which
  runs on the ``anthropic`` provider when we hold its key, else on OpenRouter
  (``openrouter/anthropic/claude-…``), by the chat door's own rules (:mod:`.targets`).
* Streaming: the chat door's commit-point contract (:mod:`.sse`) with Anthropic's events; a
  failure after the first byte ends with ``event: error``, never ``message_stop``.
* Errors: Anthropic's envelope with the status's error type and a ``request-id`` header.
* ``count_tokens``: an estimate (~4 characters per token, the router's capability estimate),
  marked ``x-openclaw-estimate: chars/4``.
"""

from __future__ import annotations

from aiohttp import web

from ..routing.capability import estimate_tokens
from ..wire.anthropic_front import parse_messages_request
from ..wire.anthropic_front_encode import MessageStreamEncoder, error_body, message_body
from ..wire.types import ChatRequest
from .accesslog import RequestRecord
from .app import Gateway
from .errors import HttpError
from .sse import relay_stream
from .targets import ResolvedTarget, display_model

__all__ = ["add_routes", "anthropic_model_ref"]

_PROMPT_MAX = 2000
_MAPPED_MAX = 256


def anthropic_model_ref(name: str) -> str | None:
    """``claude-sonnet-4-5`` -> ``anthropic/claude-sonnet-4-5``; None for anything else."""
    if "/" in name or not name.lower().startswith("claude-"):
        return None
    return f"anthropic/{name}"


class _Door:
    """The Messages door of one gateway (remembers which Claude ids needed the provider prefix)."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.mapped: dict[str, str] = {}

    def render(self, rec: RequestRecord, exc: HttpError) -> web.Response:
        rec.status = exc.status
        rec.error = exc.message
        headers = {**exc.headers, "request-id": rec.request_id, "x-request-id": rec.request_id}
        return self.gw.json(exc.status, error_body(exc.status, exc.message, rec.request_id), headers)

    def resolve(self, http: web.Request, request: ChatRequest) -> ResolvedTarget:
        name = self.mapped.get(request.model, request.model)
        alias = anthropic_model_ref(name)
        try:
            return self.gw.target(http, name, request.fallbacks)
        except HttpError as exc:
            if exc.status != 404 or alias is None:
                raise
        resolved = self.gw.target(http, alias, request.fallbacks)
        if len(self.mapped) >= _MAPPED_MAX:
            self.mapped.clear()
        self.mapped[request.model] = alias
        return resolved

    async def prepare(
        self, http: web.Request, rec: RequestRecord, *, count_only: bool = False
    ) -> tuple[ChatRequest, ResolvedTarget]:
        gw = self.gw
        await gw.admit(http, rec)
        raw = await gw.body(http)
        request = parse_messages_request(raw, max_messages=gw.settings.max_messages, count_only=count_only)
        rec.model = request.model
        rec.stream = request.stream
        if gw.settings.include_prompts:
            users = [m for m in request.messages if m.role == "user"]
            rec.prompt = users[-1].text()[:_PROMPT_MAX] if users else ""
        return request, self.resolve(http, request)

    async def messages(self, http: web.Request, rec: RequestRecord) -> web.StreamResponse:
        gw = self.gw
        request, resolved = await self.prepare(http, rec)
        ctx = gw.context(http, rec, resolved)
        rid = rec.request_id.removeprefix("req_")
        if request.stream:
            return await relay_stream(
                gw,
                http,
                request=request,
                resolved=resolved,
                ctx=ctx,
                rec=rec,
                make_encoder=MessageStreamEncoder,
                id_prefix="msg_",
                headers={"request-id": rec.request_id},
            )
        result, served, headers = await gw.complete(request, resolved, rec, ctx)
        model = display_model(resolved, served, result.model)
        rec.status = 200
        body = message_body(result, message_id=f"msg_{rid}", model=model)
        return gw.json(200, body, {**headers, "request-id": rec.request_id})

    async def count_tokens(self, http: web.Request, rec: RequestRecord) -> web.StreamResponse:
        request, _ = await self.prepare(http, rec, count_only=True)
        rec.status = 200
        headers = {
            "x-openclaw-estimate": "chars/4",
            "request-id": rec.request_id,
            "x-request-id": rec.request_id,
        }
        return self.gw.json(200, b'{"input_tokens":%d}' % estimate_tokens(request), headers)


def add_routes(app: web.Application, gw: Gateway) -> None:
    door = _Door(gw)

    async def messages(http: web.Request) -> web.StreamResponse:
        return await gw.serve(http, "messages", door.messages, door.render)

    async def count_tokens(http: web.Request) -> web.StreamResponse:
        return await gw.serve(http, "messages", door.count_tokens, door.render)

    for prefix in ("/v1", "/api/v1"):
        app.router.add_post(f"{prefix}/messages", messages)
        app.router.add_post(f"{prefix}/messages/count_tokens", count_tokens)
