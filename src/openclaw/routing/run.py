"""A committed answer: :class:`RouterRun` replays what was buffered up to the commit point, then
streams the rest of the same upstream answer.

After the commit a failure can no longer move to another candidate (the caller has content from
this one): it ends the stream with an :class:`~openclaw.wire.types.ErrorEvent`, never a clean
finish. A stream that stops without a ``Finish`` is a failure too (``cut``). The ledger row of the
answer is written when the ``Finish`` arrives, before it is passed on, so a caller that stops
reading at the finish still leaves a complete record.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from ..errors import ProviderError
from ..transports.base import Batch, flatten
from ..usage.pricing import price_usage
from ..wire.types import (
    ErrorEvent,
    Finish,
    StreamEvent,
    Usage,
    UsageEvent,
)
from .attempt import Opened, close_quietly
from .classify import CANCELLED, REASONS, classify, policy_for
from .types import Served

if TYPE_CHECKING:
    from .walk import Candidate, Walk

__all__ = ["RouterRun"]


class RouterRun:
    """One request's answer from the commit point on (implements :class:`~.types.Run`)."""

    __slots__ = ("_cand", "_done", "_drained", "_failed", "_opened", "_started", "_usage", "_walk", "served")

    def __init__(self, walk: Walk, opened: Opened, cand: Candidate, served: Served) -> None:
        self.served = served
        self._walk = walk
        self._opened = opened
        self._cand = cand
        self._started = False
        self._done = False  # Finish seen and recorded
        self._failed = False
        self._usage: Usage | None = None
        self._drained = False  # the transport's batches have ended (nothing to close)

    def events(self) -> AsyncGenerator[StreamEvent, None]:
        """The answer one event at a time (:meth:`batches`, flattened)."""
        return flatten(self.batches())

    async def batches(self) -> AsyncGenerator[Batch, None]:
        """The answer as the transport read it: the events buffered up to the commit point, then
        one list per network read, passed on as they came; only the last one, which ends with the
        usage and the finish (the transport's contract), is changed: the usage priced in place
        and the finish recorded before it is passed on. Looking at the last event of each list is
        all an event costs here."""
        if self._started:
            raise RuntimeError("a run can be read only once (Run.batches() or Run.events(), once)")
        self._started = True
        try:
            first = self._opened.buffered  # never empty: it holds the commit point
            if type(first[-1]) is Finish:
                self._end(first)
            yield first
            stream = self._opened.stream
            async for batch in stream:  # after the finish, the transport only winds down
                if type(batch[-1]) is Finish:
                    self._end(batch)
                yield batch
            self._drained = True
            if not self._done:
                raise ProviderError("the stream ended without a finish", kind="cut")
        except ProviderError as err:
            if self._done:
                return  # the answer was whole; a hiccup while draining changes nothing
            await self._broken(err)
            yield [ErrorEvent(err)]
        finally:
            if not self._done and not self._failed:
                await self._broken(ProviderError("the caller stopped reading", kind="cancelled"))
            if not self._drained:
                await close_quietly(self._opened.stream)

    async def aclose(self) -> None:
        """Stop early: close the upstream connection now and record the attempt as cancelled."""
        if not self._done and not self._failed:
            await self._broken(ProviderError("the caller went away", kind="cancelled", reason=CANCELLED))
        await close_quietly(self._opened.stream)

    def _end(self, batch: Batch) -> None:
        """The last read: its usage (right before the finish, if any) priced in place, and the
        answer recorded."""
        if len(batch) > 1:
            event = batch[-2]
            if type(event) is UsageEvent:
                priced = price_usage(event.usage, self._cand.facts)
                self._usage = priced
                if priced is not event.usage:
                    batch[-2] = UsageEvent(priced)
        self._finish()

    def _finish(self) -> None:
        walk, cand = self._walk, self._cand
        clock = walk.r.clock
        ts, started = walk.sent_ts, walk.sent_at
        latency = (clock.monotonic() - started) * 1000.0
        walk.finished(
            cand.slot,
            ts=ts,
            latency_ms=latency,
            ttft_ms=walk.attempts[-1].latency_ms,  # the commit's: no attempt follows it
            usage=self._usage,
            served_model=self.served.model,
        )
        self._done = True

    async def _broken(self, err: ProviderError) -> None:
        if self._failed:
            return
        self._failed = True
        walk, cand = self._walk, self._cand
        if err.reason not in REASONS:
            err.reason = classify(err)
        err.message = walk.r.runtime.redactor(err.message or "")
        err.provider = err.provider or cand.provider.id
        err.model = err.model or cand.upstream_model
        ts, started = walk.sent_ts, walk.sent_at
        latency = (walk.r.clock.monotonic() - started) * 1000.0
        walk.broken(cand.slot, err, ts=ts, latency_ms=latency)
        if err.reason != CANCELLED and policy_for(err.reason).action != "retry":
            await walk.cool_down(cand, err)  # one cut or 5xx mid-answer does not bench a model
