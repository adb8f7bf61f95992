"""``POST /v1/chat/completions`` (and ``/api/v1/chat/completions``): OpenAI and OpenRouter clients.

Non-streaming: the router runs the whole chain and the answer is one ``chat.completion`` object.
Streaming: see :mod:`.sse` for the contract (headers only after the router commits; after that a
failure ends the stream with an explicit error chunk, never a clean finish).

The response ``model`` says who answered: the served ref key (``openrouter/openai/gpt-4o-mini``)
for agent targets, refs and aliases; the upstream's own model id for bare OpenRouter ids, as
OpenRouter does. ``provider`` is the upstream's provider name when it reports one.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from ..routing.types import RequestContext
from ..wire.openai_front import ChunkEncoder, completion_body, parse_chat_request
from ..wire.types import ChatRequest
from .accesslog import RequestRecord
from .app import Gateway
from .sse import relay_stream
from .targets import ResolvedTarget, display_model

__all__ = ["add_routes"]

_PROMPT_MAX = 2000


def _prompt_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.text()[:_PROMPT_MAX]
    return ""


def _completion_id(rec: RequestRecord) -> str:
    return "chatcmpl-" + rec.request_id.removeprefix("req_")


async def _complete(
    gw: Gateway, request: ChatRequest, resolved: ResolvedTarget, rec: RequestRecord, ctx: RequestContext
) -> web.Response:
    result, served, headers = await gw.complete(request, resolved, rec, ctx)
    body = completion_body(
        result,
        completion_id=_completion_id(rec),
        created=int(time.time()),
        model=display_model(resolved, served, result.model),
        provider=result.provider_name or served.ref.provider,
    )
    rec.status = 200
    return gw.json(200, body, headers)


async def _prepare(gw: Gateway, http: web.Request, rec: RequestRecord) -> tuple[ChatRequest, ResolvedTarget]:
    await gw.admit(http, rec)
    raw = await gw.body(http)
    request = parse_chat_request(raw, max_messages=gw.settings.max_messages)
    rec.model = request.model
    rec.stream = request.stream
    if gw.settings.include_prompts:
        rec.prompt = _prompt_text(request)
    resolved = gw.target(http, request.model, request.fallbacks)
    return request, resolved


def add_routes(app: web.Application, gw: Gateway) -> None:
    async def chat_completions(http: web.Request) -> web.StreamResponse:
        rec = gw.record(http)
        gw.metrics.in_flight += 1
        response: web.StreamResponse | None = None
        try:
            request, resolved = await _prepare(gw, http, rec)
            ctx = gw.context(http, rec, resolved)
            if request.stream:
                response = await relay_stream(
                    gw, http, request=request, resolved=resolved, ctx=ctx, rec=rec, make_encoder=ChunkEncoder
                )
            else:
                response = await _complete(gw, request, resolved, rec, ctx)
            return response
        except asyncio.CancelledError:
            rec.status = 499  # the client went away (nginx's "client closed request")
            raise
        except ConnectionError:  # it went away while we wrote: nothing left to tell it
            rec.status = 499
            return web.Response(status=499)
        except Exception as exc:  # mapped below; a bug becomes a logged 500, never a silent one
            mapped = gw.to_http_error(exc)
            response = gw.error(rec, mapped) if mapped is not None else gw.internal_error(rec, exc)
            return response
        finally:
            gw.metrics.in_flight -= 1
            gw.finish(rec, "chat")

    for prefix in ("/v1", "/api/v1"):
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
