"""``openclaw agent`` through a running gateway (the default when one runs).

Finding it: the gateway's runtime file (``<state>/gateway/gateway.json``: pid, host, port), then
``GET /healthz`` must answer 200 as ``openclaw-gateway`` within a second. The bearer token is the
one the gateway itself reads (``gateway.auth.token`` or ``OPENCLAW_GATEWAY_TOKEN``; the password
in password mode).

The turn: ``POST /v1/chat/completions`` with ``model: "openclaw/<agentId>"`` (the agent's chain
with its fallbacks), or with ``x-openclaw-model: <ref>`` for ``--model`` (strict, as locally),
``x-openclaw-session-key`` naming the session, the rebuilt conversation, and ``stream: true``.
The gateway sends its headers only once a candidate has committed, so the ``x-openclaw-model``,
``-profile`` and ``-attempts`` response headers say who answered before the text streams. When
every candidate fails the gateway answers with an error whose ``metadata.attempts`` lists them.

Only an unreachable gateway (connection refused) sends the turn to the local path instead: any
other failure may already have reached a provider, and repeating it locally would call it twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from ..errors import Attempt, ConfigError, ProviderError, RefError
from ..transports.base import Timeouts
from .agent_turn import Commit, Progress, TurnFailed, TurnResult, check_answer, failed_after_commit

if TYPE_CHECKING:
    from ..refs import ModelRef
    from ..runtime import Runtime
    from ..transports.base import HttpClient, HttpResponse
    from ..wire.types import ChatRequest, ChatResult

__all__ = ["GatewayEndpoint", "GatewayTurn", "GatewayUnreachable", "find_gateway", "gateway_turn"]

_PROBE = Timeouts(connect=1.0, read=1.0, total=2.0)


class GatewayUnreachable(Exception):
    """The connection to the gateway could not be made: nothing was sent."""


@dataclass(frozen=True, slots=True)
class GatewayEndpoint:
    base_url: str  # http://127.0.0.1:18789/v1
    secret: str | None


def _connect_host(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 - we connect, we do not bind
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _secret(runtime: Runtime) -> str | None:
    from ..gateway.settings import GatewaySettings

    return GatewaySettings.build(runtime.typed.gateway, runtime.env).secret


async def _healthy(http: HttpClient, root: str) -> bool:
    try:
        async with http.request("GET", f"{root}/healthz", headers={}, body=None, timeouts=_PROBE) as resp:
            body = await resp.read()
            status = resp.status
    except ProviderError:
        return False
    if status != 200:
        return False
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("service") == "openclaw-gateway"


async def find_gateway(runtime: Runtime, http: HttpClient) -> tuple[GatewayEndpoint | None, str]:
    """The running gateway, or None and why not (for the note on stderr)."""
    from ..gateway.server import read_runtime_file, runtime_file

    where = runtime.paths.display(runtime_file(runtime.paths))
    info = read_runtime_file(runtime.paths)
    if info is None:
        return None, "no gateway is running"
    try:
        host, port = str(info.get("host", "127.0.0.1")), int(info["port"])
    except (KeyError, TypeError, ValueError):
        return None, f"the gateway runtime file {where} is unreadable"
    try:
        secret = _secret(runtime)
    except ConfigError as exc:
        return None, f"the gateway's credentials are not usable here ({exc.message})"
    root = f"http://{_connect_host(host)}:{port}"
    if not await _healthy(http, root):
        return None, f"the gateway in {where} does not answer on {root}/healthz"
    return GatewayEndpoint(f"{root}/v1", secret), ""


class _Kept:
    """An error response whose body is remembered when the transport reads it."""

    def __init__(self, resp: HttpResponse, tap: _Tap) -> None:
        self._resp, self._tap = resp, tap
        self.status = resp.status
        self.headers = resp.headers

    async def read(self) -> bytes:
        self._tap.error_body = await self._resp.read()
        return self._tap.error_body

    def chunks(self) -> AsyncIterator[bytes]:
        return self._resp.chunks()

    @property
    def complete(self) -> bool:
        return self._resp.complete


class _Tap:
    """The HTTP seam, passing through; reports the headers of a 2xx answer (the gateway's commit
    point) and keeps the body of an error answer (its list of attempts)."""

    def __init__(self, inner: HttpClient, on_ok: Callable[[Mapping[str, str]], None]) -> None:
        self.inner, self.on_ok = inner, on_ok
        self.error_body = b""

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None, timeouts: Timeouts
    ) -> AsyncIterator[HttpResponse]:
        async with self.inner.request(method, url, headers=headers, body=body, timeouts=timeouts) as resp:
            if resp.status < 300:
                self.on_ok(resp.headers)
                yield resp
            else:
                yield _Kept(resp, self)

    async def close(self) -> None:
        return None  # the caller owns the inner client


def _attempts_from(body: bytes) -> tuple[list[Attempt] | None, str | None]:
    """``error.metadata.attempts`` and ``error_type`` of a gateway error body, when present."""
    try:
        error = orjson.loads(body).get("error") or {}
        meta = error.get("metadata") or {}
        rows = meta.get("attempts")
    except (orjson.JSONDecodeError, AttributeError):
        return None, None
    if not isinstance(rows, list):
        return None, None
    attempts = [
        Attempt(
            provider=str(row.get("provider", "")),
            model=str(row.get("model", "")),
            profile_id=row.get("profile"),
            reason=row.get("reason"),
            status=row.get("status"),
            skipped=bool(row.get("skipped")),
        )
        for row in rows
        if isinstance(row, dict)
    ]
    reason = meta.get("error_type")
    return attempts, reason if isinstance(reason, str) else None


def _served(runtime: Runtime, served: str) -> tuple[str, str]:
    """(provider, model id) for the gateway's ``x-openclaw-model`` ref key."""
    from ..transports.registry import upstream_model

    try:
        ref: ModelRef | None = runtime.resolve(served)
    except RefError:  # a ref this CLI cannot resolve: report it as the gateway said it
        ref = None
    provider = runtime.provider(ref.provider) if ref is not None else None
    if ref is None or provider is None:
        head, _, tail = served.partition("/")
        return (head, tail) if tail else ("gateway", served)
    return ref.provider, upstream_model(provider, ref)


def _commit(headers: Mapping[str, str]) -> Commit:
    try:
        count = int(headers.get("x-openclaw-attempts", "1"))
    except ValueError:
        count = 1
    ref = headers.get("x-openclaw-model", "")
    return Commit(ref or "gateway", headers.get("x-openclaw-profile"), count, None, "gateway")


@dataclass(frozen=True, slots=True)
class GatewayTurn:
    agent_id: str
    model_ref: str | None
    session_key: str
    thinking: str | None
    timeout: float | None  # the turn's limit, passed on as x-openclaw-timeout (None: the gateway's)


def _request_for(turn: GatewayTurn, request: ChatRequest) -> tuple[str, dict[str, str], ChatRequest]:
    """The model name, the headers, and the request (a copy carrying ``--thinking``)."""
    import msgspec

    from ..wire.types import ReasoningConfig
    from .model_io import gateway_effort

    headers = {"x-openclaw-session-key": turn.session_key}
    if turn.model_ref:
        headers["x-openclaw-model"] = turn.model_ref
    if turn.timeout is not None:
        headers["x-openclaw-timeout"] = f"{turn.timeout:g}"
    if turn.thinking is not None:
        effort = ReasoningConfig(effort=gateway_effort(turn.thinking))
        request = msgspec.structs.replace(request, reasoning=effort)
    return f"openclaw/{turn.agent_id}", headers, request


async def _stream(
    http: _Tap, endpoint: GatewayEndpoint, turn: GatewayTurn, request: ChatRequest, progress: Progress
) -> ChatResult:
    from ..catalog.resolve import ResolvedProvider
    from ..refs import ModelRef
    from ..transports.base import Credential, UpstreamCall
    from ..transports.openai_completions import OpenAICompletionsTransport
    from ..wire.aggregate import Aggregator
    from ..wire.types import TextDelta

    name, headers, request = _request_for(turn, request)
    provider = ResolvedProvider(
        id="gateway", api="openai-completions", base_url=endpoint.base_url, headers=headers
    )
    limit = turn.timeout if turn.timeout is not None else 600.0
    call = UpstreamCall(
        provider=provider,
        ref=ModelRef("gateway", name),
        model=name,
        credential=Credential(secret=endpoint.secret or "none", profile_id=None, source="config"),
        request=request,
        stream=True,
        timeouts=Timeouts(connect=min(10.0, limit), read=limit, total=limit),
    )
    agg = Aggregator()
    async for event in OpenAICompletionsTransport(http).stream(call):
        agg.add(event)
        if isinstance(event, TextDelta) and event.text:
            progress.text(event.text)
    return agg.result()


def _refused(err: ProviderError, tap: _Tap, endpoint: GatewayEndpoint) -> TurnFailed:
    attempts, reason = _attempts_from(tap.error_body)
    if attempts is None and err.status in (401, 403):
        return TurnFailed(
            f"The gateway at {endpoint.base_url} refused this CLI's credentials ({err.describe()}). "
            "Set gateway.auth.token or OPENCLAW_GATEWAY_TOKEN to the gateway's token, or use --local.",
            transport="gateway",
            reason="auth",
            status=err.status,
        )
    message = err.message
    if err.status is None:
        message = (
            f"The gateway at {endpoint.base_url} failed before answering ({err.kind}: {err.message}). "
            "The turn was not repeated locally: the gateway may already have called a provider."
        )
    return TurnFailed(
        message,
        transport="gateway",
        reason=reason or err.reason or err.kind,
        status=err.status,
        attempts=attempts,
        attempt_count=sum(1 for a in attempts or () if not a.skipped),
    )


async def gateway_turn(
    runtime: Runtime,
    http: HttpClient,
    endpoint: GatewayEndpoint,
    *,
    turn: GatewayTurn,
    request: ChatRequest,
    progress: Progress,
) -> TurnResult:
    progress.transport = "gateway"
    tap = _Tap(http, lambda headers: progress.committed(_commit(headers)))
    try:
        result = await _stream(tap, endpoint, turn, request, progress)
    except ProviderError as err:
        if progress.commit is not None:
            raise failed_after_commit(err, progress) from None
        if err.kind == "connect":
            raise GatewayUnreachable(err.message) from None
        raise _refused(err, tap, endpoint) from None
    check_answer(result.text, result.finish_reason, progress)
    commit = progress.commit
    served = commit.ref if commit is not None else (result.model or "gateway")
    provider, model = _served(runtime, served)
    usage = result.usage
    if usage is not None and usage.cost is not None:
        usage.cost_source = "gateway"  # the gateway's figure; its own origin is in its ledger
    return TurnResult(
        text=result.text,
        provider=provider,
        model=model,
        profile=commit.profile if commit is not None else None,
        transport="gateway",
        usage=usage,
        finish_reason=result.finish_reason,
        response_model=None,
        attempts=None,
        attempt_count=commit.attempt_count if commit is not None else 1,
        requested=turn.model_ref or f"openclaw/{turn.agent_id}",
    )
