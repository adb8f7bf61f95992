"""The gateway application: ``create_app(runtime, router, settings)`` and the per-process state.

:class:`Gateway` holds everything a handler needs (runtime, router, settings, authenticator,
target resolver, metrics, access log): no module globals. The steps every front door shares live
here as methods (admit: drain check + auth; read the body within the limits; resolve the target;
build the request context; render errors and served headers), so a new door (Anthropic
messages, OpenAI responses) is one new ``routes_*.py`` module registered in :data:`DOORS`.

Per-request work is kept small: the security headers are built once, the models list is rendered
once, target resolutions are cached, the access log is buffered.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from ..errors import CredentialError, FailoverError, InputError, ProviderError, RefError
from ..routing.types import RequestContext, RouterLike, Served
from ..wire.types import ChatRequest, ChatResult
from .accesslog import AccessLog, RequestRecord
from .auth import Authenticator
from .errors import HttpError, failover_error, provider_error_json
from .limits import deadline_for, read_body
from .metrics import Metrics
from .proxies import ClientAddress
from .settings import GatewaySettings
from .targets import ResolvedTarget, TargetResolver

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["DOORS", "GATEWAY_KEY", "Gateway", "create_app"]

GATEWAY_KEY: web.AppKey[Gateway] = web.AppKey("openclaw_gateway")

# Front doors: (module under openclaw.gateway, settings flag that enables it). A door whose module
# is not part of this build is skipped.
DOORS: tuple[tuple[str, str], ...] = (
    ("routes_openai", "chat_enabled"),
    ("routes_responses", "responses_enabled"),
    ("routes_anthropic", "messages_enabled"),
)

SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(self), geolocation=()",
}
JSON_TYPE = "application/json; charset=utf-8"
RESERVED_SESSION_PREFIXES = ("subagent:", "cron:", "acp:")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Gateway:
    """Per-process gateway state shared by every route."""

    def __init__(
        self, runtime: Runtime, router: RouterLike, settings: GatewaySettings, *, worker: int = 0
    ) -> None:
        self.runtime = runtime
        self.router = router
        self.settings = settings
        self.redact = runtime.redactor
        self.auth = Authenticator(settings, runtime.state)
        self.clients = ClientAddress(settings.trusted_proxies)
        self.targets = TargetResolver(runtime)
        self.metrics = Metrics(worker)
        self.log = AccessLog(fmt=settings.log_format, enabled=settings.log_requests, redact=self.redact)
        self.worker = worker
        self.started = time.time()
        self.draining = False
        self.json_headers = {**SECURITY_HEADERS, "Content-Type": JSON_TYPE}
        self._rid_prefix = os.urandom(6).hex()
        self._rid_count = 0

    # -- request ids and records -------------------------------------------------------------

    def request_id(self, request: web.Request) -> str:
        given = request.headers.get("x-request-id")
        if given and _REQUEST_ID.fullmatch(given):
            return given
        self._rid_count += 1  # unique per process; the prefix is random per process
        return f"req_{self._rid_prefix}{self._rid_count:012x}"

    def record(self, request: web.Request) -> RequestRecord:
        loop_time = asyncio.get_running_loop().time()
        return RequestRecord(self.request_id(request), request.method, request.path, loop_time)

    def finish(self, rec: RequestRecord, route: str) -> None:
        latency = asyncio.get_running_loop().time() - rec.started
        self.metrics.request(route, rec.served or "none", rec.provider or "none", rec.status, latency)
        if rec.ttft is not None and rec.served:
            self.metrics.first_token(route, rec.served, rec.provider or "none", rec.ttft)
        self.log.log(rec, latency)

    # -- shared steps ------------------------------------------------------------------------

    async def admit(self, request: web.Request, rec: RequestRecord) -> str | None:
        """Refuse while draining; authenticate; returns the client key id (if any)."""
        if self.draining:
            raise HttpError(
                503, "The gateway is shutting down.", headers={"Retry-After": "1", "Connection": "close"}
            )
        headers = request.headers
        client = request.remote or "unknown"
        if self.clients.enabled:  # behind a trusted load balancer: the address it forwarded
            client = self.clients.resolve(request.remote, headers.getall("X-Forwarded-For", ()))
        try:
            key_id = await self.auth.authenticate(
                headers.get("Authorization"), headers.get("x-api-key"), client
            )
        except HttpError:
            self.metrics.auth_failures += 1
            raise
        rec.client_key = key_id
        return key_id

    async def body(self, request: web.Request) -> bytes:
        return await read_body(request, self.settings.max_body_bytes, self.settings.header_timeout)

    def target(self, request: web.Request, model: str, fallbacks: list[str] | None) -> ResolvedTarget:
        headers = request.headers
        return self.targets.resolve(
            model,
            fallbacks=fallbacks,
            model_header=headers.get("x-openclaw-model"),
            agent_header=headers.get("x-openclaw-agent-id"),
        )

    def context(self, request: web.Request, rec: RequestRecord, resolved: ResolvedTarget) -> RequestContext:
        session = request.headers.get("x-openclaw-session-key")
        if session is not None and session.strip().lower().startswith(RESERVED_SESSION_PREFIXES):
            raise HttpError(
                400,
                f"x-openclaw-session-key uses a reserved prefix ({', '.join(RESERVED_SESSION_PREFIXES)}).",
                param="x-openclaw-session-key",
            )
        deadline = deadline_for(request.headers, self.settings.request_timeout)
        return RequestContext(
            request_id=rec.request_id,
            source="gateway",
            deadline=deadline,
            agent=resolved.agent_id,
            session=session.strip() if session else None,
            client_key=rec.client_key,
        )

    def not_carried(self, resolved: ResolvedTarget, exc: InputError) -> HttpError:
        """A transport refused a feature of the request (``the anthropic-messages API cannot take
        "input_audio" content parts``): a 400 that also names the provider(s) and model(s)."""
        refs = resolved.target.candidates
        apis = {ref.key: (p.api if (p := self.runtime.provider(ref.provider)) else "") for ref in refs}
        named = [ref for ref in refs if apis[ref.key] and apis[ref.key] in exc.message] or list(refs)
        where = ", ".join(f"{ref.key} (provider {ref.provider})" for ref in named)
        return HttpError(
            400, self.redact(f"{exc.message}: cannot send this request to {where}."), param=exc.param
        )

    def served_headers(self, served: Served, rec: RequestRecord) -> dict[str, str]:
        rec.served = served.ref.key
        rec.provider = served.ref.provider
        rec.attempts = served.attempt_count
        return {
            "x-openclaw-model": served.ref.key,
            "x-openclaw-provider": served.ref.provider,
            "x-openclaw-attempts": str(served.attempt_count),
            "x-openclaw-profile": served.profile,
            "x-request-id": rec.request_id,
        }

    def observe_served(self, served: Served) -> None:
        for attempt in served.attempts:
            outcome = "ok" if attempt.reason is None else ("skipped" if attempt.skipped else attempt.reason)
            self.metrics.attempt(attempt.ref, attempt.provider, outcome)
        if served.attempt_count > 1 or any(a.skipped for a in served.attempts):
            self.metrics.failover(served.ref.key, served.ref.provider)

    # -- responses ---------------------------------------------------------------------------

    def json(self, status: int, body: bytes, extra: Mapping[str, str] | None = None) -> web.Response:
        headers = self.json_headers if not extra else {**self.json_headers, **extra}
        return web.Response(status=status, body=body, headers=headers)

    def to_http_error(self, exc: BaseException) -> HttpError | None:
        """Map the exceptions a route may see to an HTTP error (None: not ours to map)."""
        for kind in type(exc).__mro__:
            mapper = _MAPPERS.get(kind)
            if mapper is not None:
                return mapper(self, exc)
        return None

    def error(self, rec: RequestRecord, exc: HttpError) -> web.Response:
        rec.status = exc.status
        rec.error = exc.message
        headers = {**exc.headers, "x-request-id": rec.request_id}
        return self.json(exc.status, exc.body(), headers)

    def bug(self, rec: RequestRecord, exc: BaseException) -> HttpError:
        """A bug, not a provider failure: log the traceback (redacted); the 500 to answer with."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(self.redact(text))
        return HttpError(500, f"Internal gateway error (request {rec.request_id}).", code="internal")

    def internal_error(self, rec: RequestRecord, exc: BaseException) -> web.Response:
        """A bug, not a provider failure: log the traceback (redacted), answer 500 in JSON."""
        return self.error(rec, self.bug(rec, exc))

    # -- the frame every front door runs in --------------------------------------------------

    async def serve(
        self,
        http: web.Request,
        route: str,
        work: Callable[[web.Request, RequestRecord], Awaitable[web.StreamResponse]],
        render: Callable[[RequestRecord, HttpError], web.Response] | None = None,
    ) -> web.StreamResponse:
        """Run one request of a door: in-flight gauge, error mapping (rendered by ``render``, the
        door's own error shape; OpenAI's by default), client disconnects, the log line."""
        rec = self.record(http)
        self.metrics.in_flight += 1
        try:
            return await work(http, rec)
        except asyncio.CancelledError:
            rec.status = 499  # the client went away (nginx's "client closed request")
            raise
        except ConnectionError:  # it went away while we wrote: nothing left to tell it
            rec.status = 499
            return web.Response(status=499)
        except Exception as exc:  # mapped below; a bug becomes a logged 500, never a silent one
            mapped = self.to_http_error(exc)
            return (render or self.error)(rec, mapped if mapped is not None else self.bug(rec, exc))
        finally:
            self.metrics.in_flight -= 1
            self.finish(rec, route)

    async def complete(
        self, request: ChatRequest, resolved: ResolvedTarget, rec: RequestRecord, ctx: RequestContext
    ) -> tuple[ChatResult, Served, dict[str, str]]:
        """A whole (non-streaming) answer within the request's deadline, with the served headers;
        the attempts and usage are recorded."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + (ctx.deadline - time.monotonic())):
                result, served = await self.router.complete(request, resolved.target, ctx)
        except InputError as exc:
            raise self.not_carried(resolved, exc) from None
        headers = self.served_headers(served, rec)
        self.observe_served(served)
        if result.usage is not None:
            rec.input_tokens, rec.output_tokens = result.usage.input, result.usage.output
            self.metrics.usage(served.ref.key, served.ref.provider, result.usage)
        return result, served, headers


def _failover(gw: Gateway, exc: BaseException) -> HttpError:
    assert isinstance(exc, FailoverError)
    for attempt in exc.attempts:
        outcome = "skipped" if attempt.skipped else (attempt.reason or "unknown")
        gw.metrics.attempt(attempt.ref, attempt.provider, outcome)
    return failover_error(exc, gw.redact)


def _provider(gw: Gateway, exc: BaseException) -> HttpError:
    assert isinstance(exc, ProviderError)
    err = provider_error_json(exc, gw.redact)
    return HttpError(err["code"], err["message"], metadata=err["metadata"])


def _input(gw: Gateway, exc: BaseException) -> HttpError:
    assert isinstance(exc, InputError)
    return HttpError(400, gw.redact(exc.message), param=exc.param)


_MAPPERS: dict[type, Callable[[Gateway, BaseException], HttpError]] = {
    HttpError: lambda gw, exc: exc if isinstance(exc, HttpError) else HttpError(500, str(exc)),
    InputError: _input,
    FailoverError: _failover,
    RefError: lambda gw, exc: HttpError(404, gw.redact(str(exc)), param="model", code="model_not_found"),
    CredentialError: lambda gw, exc: HttpError(503, gw.redact(str(exc)), code="no_credentials"),
    ProviderError: _provider,
    TimeoutError: lambda gw, exc: HttpError(
        504, "The request did not finish within its time limit.", code="request_timeout"
    ),
}


async def _not_found(request: web.Request) -> web.StreamResponse:
    gw = request.app[GATEWAY_KEY]
    rec = gw.record(request)
    response = gw.error(
        rec, HttpError(404, f"No route for {request.method} {request.path}.", code="not_found")
    )
    gw.finish(rec, "other")
    return response


def create_app(
    runtime: Runtime, router: RouterLike, settings: GatewaySettings, *, worker: int = 0
) -> web.Application:
    """The aiohttp application for one gateway process."""
    gw = Gateway(runtime, router, settings, worker=worker)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[GATEWAY_KEY] = gw
    from . import routes_health, routes_models, state_refresh

    routes_health.add_routes(app, gw)
    routes_models.add_routes(app, gw)
    for module_name, flag in DOORS:
        if not getattr(settings, flag):
            continue
        try:
            module = importlib.import_module(f"openclaw.gateway.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"openclaw.gateway.{module_name}":
                continue
            raise
        module.add_routes(app, gw)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    state_refresh.install(app, gw)
    app.on_cleanup.append(_flush_log)
    return app


async def _flush_log(app: web.Application) -> None:
    app[GATEWAY_KEY].log.flush()
