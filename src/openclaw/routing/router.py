"""The router: one request, one target chain, one answer (or one honest account of every attempt).

**The streaming commit point.** :meth:`Router.open` tries candidates (credentials inside a
provider, then the model chain; see :mod:`openclaw.routing.walk`) until one produces its first
piece of *content*: a text, reasoning or tool-call delta, or a finish. ``ResponseInfo`` (and any
usage) that arrives before it is buffered, not passed on. Until that moment every failure (an
error status, a timeout, a reset, a cut stream, an error chunk inside a 200 stream, a finish that
only says ``content_filter``) is retried or failed over *invisibly*: the caller has seen nothing.
If no candidate gets there, ``open`` raises :class:`~openclaw.errors.FailoverError` listing every
attempt. From the commit on the caller owns the stream (:class:`~openclaw.routing.run.RouterRun`):
a later failure ends it with an :class:`~openclaw.wire.types.ErrorEvent`, never a clean finish,
so a truncated answer can never pass for a whole one.

:meth:`Router.complete` reads the whole answer before returning it, so for non-streaming callers
*any* failure up to the very end can still fail over.

**The budget.** One deadline per request (``RequestContext.deadline``, cut to
``routing.requestTimeoutSeconds``) bounds every attempt, retry, wait and failover together; each
attempt's timeouts are what is left of it.

**The happy path costs nothing extra**: credential plans, model facts and params are computed once
per router; the cooldown check is a dict lookup in memory; no state I/O happens unless something
fails or recovers; ledger rows are queued, not written inline.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..refs import ModelRef
from ..transports.base import Credential, Timeouts, Transport
from ..transports.registry import upstream_model
from ..wire.aggregate import Aggregator
from ..wire.types import ChatRequest, ChatResult
from .cooldown import CooldownSchedule
from .retry import Clock, RetryPolicy, SystemClock
from .run import RouterRun
from .types import RequestContext, Served, Target
from .walk import Walk

if TYPE_CHECKING:
    from ..catalog.resolve import ModelFacts, ResolvedProvider
    from ..runtime import Runtime

__all__ = ["Router", "TransportSource"]


class TransportSource(Protocol):
    """Where the router gets a transport for an API kind (``TransportRegistry``)."""

    def transport_for(self, api: str) -> Transport: ...


class Router:
    """Runs requests against target chains for one :class:`~openclaw.runtime.Runtime`."""

    def __init__(self, runtime: Runtime, transports: TransportSource, *, clock: Clock | None = None) -> None:
        self.runtime = runtime
        self.transports = transports
        self.clock = clock or SystemClock()
        self.policy = RetryPolicy.from_config(runtime.typed.routing, runtime.env)
        auth = runtime.typed.auth
        self.schedule = CooldownSchedule.from_config(auth.cooldowns if auth else None)
        self._facts: dict[str, ModelFacts | None] = {}
        self._plans: dict[tuple[str, str | None], list[Credential]] = {}
        self._params: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._thinking: dict[str, str | None] = {}

    # -- requests ----------------------------------------------------------------------------

    def context(
        self,
        source: str,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
        agent: str | None = None,
        session: str | None = None,
        client_key: str | None = None,
        thinking: str | None = None,
    ) -> RequestContext:
        """A context whose deadline is ``timeout`` (default ``routing.requestTimeoutSeconds``)
        from now."""
        seconds = self.policy.request_timeout if timeout is None else timeout
        return RequestContext(
            request_id=request_id or uuid.uuid4().hex,
            source=source,
            deadline=self.clock.monotonic() + seconds,
            agent=agent,
            session=session,
            client_key=client_key,
            thinking=thinking,
        )

    async def open(self, request: ChatRequest, target: Target, ctx: RequestContext) -> RouterRun:
        """The answer from its commit point on; raises FailoverError if no candidate gets there."""
        return await self._run(request, target, ctx, whole=False)

    async def complete(
        self, request: ChatRequest, target: Target, ctx: RequestContext
    ) -> tuple[ChatResult, Served]:
        """The whole answer (any failure before its end can still fail over)."""
        run = await self._run(request, target, ctx, whole=True)
        agg = Aggregator()
        async for event in run.events():
            agg.add(event)
        return agg.result(), run.served

    async def _run(
        self, request: ChatRequest, target: Target, ctx: RequestContext, *, whole: bool
    ) -> RouterRun:
        cap = self.clock.monotonic() + self.policy.request_timeout
        ctx.deadline = min(ctx.deadline, cap)
        walk = Walk(self, request, target, ctx)
        opened, cand = await walk.run(whole=whole)
        latency = (self.clock.monotonic() - walk.opened_at[1]) * 1000.0
        walk.rec.committed(cand.slot, latency_ms=latency)
        state = self.runtime.state
        if state is not None:  # recovered: a dict miss unless the key had a record
            now = self.clock.now()
            await state.record_success(cand.cred_key, now)
            await state.record_success(cand.model_key, now)
        info = opened.info
        served = Served(
            ref=cand.ref,
            profile=cand.credential.label,
            model=info.model if info is not None and info.model else cand.upstream_model,
            attempts=walk.rec.attempts,
        )
        return RouterRun(walk, opened, cand, served)

    # -- per-router caches (the config snapshot does not change under a router) ---------------

    def facts(self, ref: ModelRef, provider: ResolvedProvider) -> ModelFacts | None:
        key = ref.key
        if key not in self._facts:
            catalog = self.runtime.catalog
            self._facts[key] = catalog.facts(ref) if catalog is not None else provider.models.get(ref.model)
        return self._facts[key]

    def plan(self, provider_id: str, pinned: str | None) -> list[Credential]:
        key = (provider_id, pinned)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = list(self.runtime.credentials(provider_id, pinned=pinned).credentials)
        return plan

    def params(self, ref: ModelRef, agent_id: str) -> Mapping[str, Any]:
        key = (ref.key, agent_id)
        params = self._params.get(key)
        if params is None:
            params = self._params[key] = self.runtime.model_params(ref, agent_id)
        return params

    def thinking(self, agent_id: str) -> str | None:
        """The configured thinking level: the agent's ``thinkingDefault``, else the defaults'."""
        if agent_id not in self._thinking:
            agents = self.runtime.typed.agents
            entry = agents.entries.get(agent_id) if agents else None
            defaults = agents.defaults if agents else None
            own = entry.thinking_default if entry else None
            self._thinking[agent_id] = own or (defaults.thinking_default if defaults else None)
        return self._thinking[agent_id]

    @staticmethod
    def base_timeouts(provider: ResolvedProvider) -> Timeouts:
        return Timeouts() if provider.timeout_seconds is None else Timeouts(read=provider.timeout_seconds)

    @staticmethod
    def upstream_model(provider: ResolvedProvider, ref: ModelRef) -> str:
        return upstream_model(provider, ref)
