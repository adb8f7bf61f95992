"""``POST /v1/responses`` (and ``/api/v1/responses``): the OpenAI Responses API, stateless like
OpenRouter's (``previous_response_id`` and ``store: true`` are refused with a 400 that says so).

The model names, auth, headers and the streaming contract are the chat door's: nothing is sent
before the router commits; a failure after the first byte ends the stream with ``error`` and
``response.failed``, never ``response.completed``. Errors before that are OpenAI-shaped JSON
(:mod:`.errors`), which the OpenAI SDKs map to their exception classes.
"""

from __future__ import annotations

import functools
import time

from aiohttp import web

from ..wire.responses_front import parse_responses_request
from ..wire.responses_front_encode import ResponsesStreamEncoder, response_body
from .accesslog import RequestRecord
from .app import Gateway
from .sse import relay_stream
from .targets import display_model

__all__ = ["add_routes"]

_PROMPT_MAX = 2000


async def _responses(gw: Gateway, http: web.Request, rec: RequestRecord) -> web.StreamResponse:
    await gw.admit(http, rec)
    raw = await gw.body(http)
    request, echo = parse_responses_request(raw, max_messages=gw.settings.max_messages)
    rec.model = request.model
    rec.stream = request.stream
    if gw.settings.include_prompts:
        users = [m for m in request.messages if m.role == "user"]
        rec.prompt = users[-1].text()[:_PROMPT_MAX] if users else ""
    resolved = gw.target(http, request.model, request.fallbacks)
    ctx = gw.context(http, rec, resolved)
    if request.stream:
        return await relay_stream(
            gw,
            http,
            request=request,
            resolved=resolved,
            ctx=ctx,
            rec=rec,
            make_encoder=functools.partial(ResponsesStreamEncoder, echo=echo),
            id_prefix="resp_",
        )
    result, served, headers = await gw.complete(request, resolved, rec, ctx)
    body = response_body(
        result,
        response_id="resp_" + rec.request_id.removeprefix("req_"),
        created=int(time.time()),
        model=display_model(resolved, served, result.model),
        echo=echo,
    )
    rec.status = 200
    return gw.json(200, body, headers)


def add_routes(app: web.Application, gw: Gateway) -> None:
    work = functools.partial(_responses, gw)

    async def responses(http: web.Request) -> web.StreamResponse:
        return await gw.serve(http, "responses", work)

    for prefix in ("/v1", "/api/v1"):
        app.router.add_post(f"{prefix}/responses", responses)
