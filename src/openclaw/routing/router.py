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

**The happy path costs nothing extra**: credential plans, model facts, params and each
candidate's call template are computed once per router, and so is each target's *lead* (the first
credential of its first model, :meth:`Router.lead`); the cooldown check is a dict lookup in memory;
no state I/O happens unless something fails or recovers; ledger rows are queued, not written
inline. A request's first candidate is *clean* when it is usable, fit for the request and nothing
is on record about it (:meth:`Router.start` for ``open``; ``complete`` asks the same, inline);
``complete`` then sends and reads it itself, and builds a :class:`~openclaw.routing.walk.Walk`
only if it fails (``open`` always walks: its run needs one).
"""

from __future__ import annotations

import enum
import itertools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from msgspec.structs import replace

from ..errors import ProviderError
from ..refs import ModelRef
from ..transports.base import Transport
from ..transports.registry import upstream_model
from ..usage.pricing import price_usage
from ..wire.aggregate import Aggregator
from ..wire.types import ChatRequest, ChatResult
from . import capability
from .attempt import check_whole
from .candidates import Candidate, ModelEntry, model_entry
from .cooldown import CooldownSchedule
from .record import Recorder
from .retry import Clock, RetryPolicy, SystemClock
from .run import RouterRun
from .types import RequestContext, Served, Target
from .walk import Start, Walk

if TYPE_CHECKING:
    from ..catalog.resolve import ModelFacts, ResolvedProvider
    from ..redact import Redactor
    from ..runtime import Runtime

__all__ = ["Router", "TransportSource"]

_LEADS_MAX = 1024


class _Lead(enum.Enum):
    UNKNOWN = "unknown"  # a target whose lead is not worked out yet (None: it has none)


_UNKNOWN: Final = _Lead.UNKNOWN


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
        # keyed by the ref's fields: a tuple of interned strings hashes in C, the frozen
        # dataclass's own __hash__ is a Python call
        self._entries: dict[tuple[str, str, str | None], ModelEntry] = {}
        self._params: dict[tuple[ModelRef, str], Mapping[str, Any]] = {}
        self._thinking: dict[str, str | None] = {}
        self._leads: dict[Target, Candidate | None] = {}
        prefix, seq = f"req-{os.urandom(4).hex()}-", itertools.count(1)
        # a request's id, made when something first records it (a ledger row): see context()
        self.request_ids: Callable[[], str] = lambda: prefix + str(next(seq))
        # LocalState: its records in memory (a live, read-only dict: "nothing on record" is one
        # truth test), and a lookup in them with no I/O
        self.state_records: Mapping[str, object] | None = getattr(runtime.state, "records", None)
        recent = getattr(runtime.state, "recent", None)
        self.recent_records: Callable[[tuple[str, ...], float], Mapping[str, object]] | None = recent
        # the runtime's redactor, built on first use (a request that does not fail never needs it)
        self.redactors: Callable[[], Redactor] = lambda: runtime.redactor

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
        from now. Without ``request_id`` the request is named (``req-<random>-<n>``) when its
        first ledger row is written: a request nothing records needs no name."""
        seconds = self.policy.request_timeout if timeout is None else timeout
        return RequestContext(  # positional: the fields in their declared order
            request_id or "",
            source,
            self.clock.monotonic() + seconds,
            agent,
            session,
            client_key,
            thinking,
        )

    def start(self, request: ChatRequest, target: Target, ctx: RequestContext) -> Start:
        """The start of every request: ``ctx.deadline`` cut to ``routing.requestTimeoutSeconds``
        from now, then the chain's first candidate if its model is usable and fit for the request
        (else None), and whether nothing about it is on record (no cooldown, nothing to reset)."""
        cap = self.clock.monotonic() + self.policy.request_timeout
        if cap < ctx.deadline:  # a comparison, not min(): the builtin costs a call  # noqa: PLR1730
            ctx.deadline = cap
        return self.first(request, target)

    def first(self, request: ChatRequest, target: Target) -> Start:
        """The chain's first candidate if its model is usable and fit for the request (else
        None), and whether nothing about it is on record."""
        first = self.lead(target)
        if first is None or capability.check(request, first.facts) is not None:
            return None, False
        return first, self.nothing_on_record(first)

    def nothing_on_record(self, cand: Candidate) -> bool:
        """True when the state backend remembers nothing about ``cand`` (no cooldown, nothing
        to reset after it answers)."""
        records, recent = self.state_records, self.recent_records
        return (records is not None and not records) or (  # nothing on record at all, or
            # one in-memory lookup: "cooling?" and "reset after?"
            recent is not None and not recent((cand.cred_key, cand.model_key), self.clock.now())
        )

    def lead(self, target: Target) -> Candidate | None:
        """The first credential of the chain's first model, if that model can be used at all:
        worked out once per target (targets hash by identity; the gateway keeps its targets, the
        CLI makes one per command) and remembered for up to ``_LEADS_MAX`` targets at a time."""
        found = self._leads.get(target, _UNKNOWN)
        if found is not _UNKNOWN:
            return found
        entry = self.model_entry(target.candidates[0])
        lead = entry.candidates[0] if entry.candidates else None
        if len(self._leads) >= _LEADS_MAX:
            self._leads.clear()
        self._leads[target] = lead
        return lead

    async def open(self, request: ChatRequest, target: Target, ctx: RequestContext) -> RouterRun:
        """The answer from its commit point on; raises FailoverError if no candidate gets there."""
        walk = Walk(self, request, target, ctx, self.start(request, target, ctx))
        opened, cand = await walk.reach(whole=False)
        served = walk.commit(cand, opened.served_model)
        if cand is not walk.clean and self._had_records(walk, cand):
            await self._recovered(cand)
        return RouterRun(walk, opened, cand, served)

    async def complete(
        self, request: ChatRequest, target: Target, ctx: RequestContext
    ) -> tuple[ChatResult, Served]:
        """The whole answer (any failure before its end can still fail over).

        The happy path (the first candidate usable, fit and with nothing on record) is sent and
        read right here, with no walk and no frame between this and the network (as
        ``attempt.read_whole``, inline); a walk is made only if it fails."""
        clock = self.clock
        started = clock.monotonic()
        cap = started + self.policy.request_timeout  # as start() does, inline: no frame
        if cap < ctx.deadline:  # noqa: PLR1730
            ctx.deadline = cap
        first = self._leads.get(target, _UNKNOWN)  # lead(), the dict hit inline
        if first is _UNKNOWN:
            first = self.lead(target)
        if first is None or capability.check(request, first.facts) is not None:  # as first() does
            return await self._complete_walk(Walk(self, request, target, ctx, (None, False)))
        records = self.state_records  # nothing on record at all: no call to ask about first
        if not ((records is not None and not records) or self.nothing_on_record(first)):
            return await self._complete_walk(Walk(self, request, target, ctx, (first, False)))
        stream = first.transport.batches(first.upstream_call(self, request, ctx, target.agent_id, started))
        try:
            folded = Aggregator()
            async for batch in stream:
                for event in batch:
                    folded.add(event)  # a non-streaming answer is a few events: no bound method
            if not folded.finished or folded.result_.finish_reason == "content_filter":
                check_whole(folded)
        except BaseException as exc:
            walk = Walk(self, request, target, ctx, (first, True))
            walk.adopt(clock.now() - (clock.monotonic() - started), started)
            err = await walk.failed(first, stream, exc)
            return await self._complete_walk(walk, primed=first, primed_err=err)
        took = clock.monotonic() - started
        latency = took * 1000.0  # read whole: the commit is the end
        result = folded.result()
        usage = result.usage
        if usage is not None and (usage.cost is None or usage.cost_source is None):  # _priced, inline
            usage = result.usage = price_usage(usage, first.facts)
        attempts = [replace(first.won, latency_ms=latency)]  # served_by(), inline
        served = Served(first.ref, first.profile, result.model or first.upstream_model, attempts)
        if self.runtime.ledger is not None:
            row = Recorder(self, request, ctx, attempts)
            row.finished(
                first.slot,
                ts=clock.now() - took,  # the wall clock read only when a row needs it
                latency_ms=latency,
                ttft_ms=latency,
                usage=usage,
                served_model=served.model,
            )
        return result, served

    async def _complete_walk(
        self, walk: Walk, primed: Candidate | None = None, primed_err: ProviderError | None = None
    ) -> tuple[ChatResult, Served]:
        """``complete`` through the walk: every candidate in turn (``primed``: the first one,
        already sent by ``complete``, failed with ``primed_err``; else the walk's head first)."""
        if primed is None:
            opened, cand = await walk.reach(whole=True)
        else:
            opened, cand = await walk.run(whole=True, primed=primed, primed_err=primed_err)
        agg = opened.agg
        assert agg is not None
        served = walk.commit(cand, agg.result_.model)
        result = _priced(agg.result(), cand)
        if cand is not walk.clean and self._had_records(walk, cand):
            await self._recovered(cand)
        latency = walk.attempts[-1].latency_ms  # read whole: the commit was the end
        walk.finished(
            cand.slot,
            ts=walk.sent_ts,
            latency_ms=latency,
            ttft_ms=latency,
            usage=result.usage,
            served_model=served.model,
        )
        return result, served

    def _had_records(self, walk: Walk, cand: Candidate) -> bool:
        """Does the state backend remember failures of this key? (A dict miss, usually; not
        asked when the walk found none before sending it: ``walk.clean``.)"""
        if self.runtime.state is None:
            return False
        recent = self.recent_records
        return recent is None or bool(recent((cand.cred_key, cand.model_key), walk.sent_ts))

    async def _recovered(self, cand: Candidate) -> None:
        state, now = self.runtime.state, self.clock.now()
        assert state is not None
        for key in (cand.cred_key, cand.model_key):
            await state.record_success(key, now)

    # -- per-router caches (the config snapshot does not change under a router) ---------------

    def facts(self, ref: ModelRef, provider: ResolvedProvider) -> ModelFacts | None:
        key = ref.key
        if key not in self._facts:
            catalog = self.runtime.catalog
            self._facts[key] = catalog.facts(ref) if catalog is not None else provider.models.get(ref.model)
        return self._facts[key]

    def model_entry(self, ref: ModelRef) -> ModelEntry:
        key = (ref.provider, ref.model, ref.profile)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = model_entry(self, ref)
        return entry

    def params(self, ref: ModelRef, agent_id: str) -> Mapping[str, Any]:
        key = (ref, agent_id)
        params = self._params.get(key)
        if params is None:
            params = self._params[key] = self.runtime.model_params(ref, agent_id)
        return params

    def thinking(self, agent_id: str) -> str | None:
        """The configured thinking level: the agent's ``thinkingDefault``, else the defaults'."""
        known = self._thinking
        if agent_id in known:
            return known[agent_id]
        agents = self.runtime.typed.agents
        entry = agents.entries.get(agent_id) if agents else None
        defaults = agents.defaults if agents else None
        own = entry.thinking_default if entry else None
        level = known[agent_id] = own or (defaults.thinking_default if defaults else None)
        return level

    @staticmethod
    def upstream_model(provider: ResolvedProvider, ref: ModelRef) -> str:
        return upstream_model(provider, ref)


def _priced(result: ChatResult, cand: Candidate) -> ChatResult:
    """``result`` with its usage priced (:func:`~openclaw.usage.pricing.price_usage`), unless
    the provider already reported its cost (then ``price_usage`` would return it as it is)."""
    usage = result.usage
    if usage is not None and (usage.cost is None or usage.cost_source is None):
        result.usage = price_usage(usage, cand.facts)
    return result
