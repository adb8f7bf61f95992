"""Every attempt, ok, failed or skipped, as an :class:`~openclaw.errors.Attempt` for the user and
a :class:`~openclaw.usage.base.UsageRecord` for the ledger (field lesson 15: no silent, costly
failover). Messages are redacted before they are stored anywhere.

Costs: a successful attempt carries the usage the run priced with
:func:`openclaw.usage.pricing.price_usage` (the provider's reported cost first, else catalog or
config prices); a failed one costs nothing unless the provider reported a cost for it
(:func:`openclaw.usage.pricing.attempt_cost`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import msgspec

from ..catalog.resolve import ModelFacts
from ..errors import Attempt, ProviderError
from ..redact import Redactor
from ..refs import ModelRef
from ..usage.base import Ledger, UsageRecord
from ..usage.pricing import attempt_cost
from ..wire.types import ChatRequest, Usage
from .types import RequestContext

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["Recorder", "Slot"]

_MAX_ERROR = 500


class Slot(msgspec.Struct, frozen=True):
    """Who an attempt was for: a model ref and a credential label (never the secret)."""

    ref: ModelRef
    profile: str | None
    facts: ModelFacts | None = None


class Books(Protocol):
    """What a recorder takes from its router (:class:`~openclaw.routing.router.Router`)."""

    @property
    def runtime(self) -> Runtime: ...  # its ``ledger`` (None: rows go nowhere)

    @property
    def redactors(self) -> Callable[[], Redactor]: ...  # built on first use

    @property
    def request_ids(self) -> Callable[[], str]: ...  # names a request at its first row


class Recorder:
    """The attempts of one request and their ledger rows: the base of
    :class:`~openclaw.routing.walk.Walk` (one object per request, not two), whose ``__init__``
    sets these slots. What only a row or a failure needs (the ledger, the redactor, the id
    source) is looked up through ``r`` when it is needed, not copied in per request."""

    __slots__ = ("attempts", "ctx", "r", "request")

    ctx: RequestContext
    r: Books
    request: ChatRequest
    attempts: list[Attempt]

    def __init__(self, r: Books, request: ChatRequest, ctx: RequestContext, attempts: list[Attempt]) -> None:
        """A recorder of its own: the rows of an answer that needed no walk (``Router.complete``'s
        happy path with a ledger). A walk sets these slots in its own ``__init__``."""
        self.r = r
        self.request = request
        self.ctx = ctx
        self.attempts = attempts

    def redactor(self, text: str) -> str:
        return self.r.redactors()(text)

    def describe(self, err: ProviderError) -> str:
        """The provider's message, redacted and prefixed with the failure kind when there was
        no HTTP status (``timeout: no answer within 5.0 s``)."""
        text = self.redactor(err.message or "")[:_MAX_ERROR]
        if err.status is None and err.kind not in ("http", "in_stream"):
            return f"{err.kind}: {text}" if text else err.kind
        return text

    def failed_attempt(self, slot: Slot, err: ProviderError, *, ts: float, latency_ms: float) -> Attempt:
        attempt = self._failed_attempt_of(slot, err, latency_ms)
        self.attempts.append(attempt)
        self._error_row(slot, err, attempt, ts, charged=True)
        return attempt

    def skipped(self, slot: Slot, reason: str, message: str, *, ts: float) -> Attempt:
        attempt = Attempt(
            provider=slot.ref.provider,
            model=slot.ref.model,
            profile_id=slot.profile,
            reason=reason,
            message=self.redactor(message)[:_MAX_ERROR],
            skipped=True,
        )
        self.attempts.append(attempt)
        ledger = self.r.runtime.ledger
        if ledger is not None:
            self._write(ledger, slot, "skipped", ts, 0.0, reason=reason, error=attempt.message)
        return attempt

    def finished(
        self,
        slot: Slot,
        *,
        ts: float,
        latency_ms: float,
        ttft_ms: float | None,
        usage: Usage | None,
        served_model: str | None,
    ) -> None:
        """The ledger row of the answer that was delivered (``usage`` already priced)."""
        ledger = self.r.runtime.ledger
        if ledger is not None:
            self._write(ledger, slot, "ok", ts, latency_ms, ttft_ms=ttft_ms, usage=usage, served=served_model)

    def broken(self, slot: Slot, err: ProviderError, *, ts: float, latency_ms: float) -> Attempt:
        """A committed answer failed after its first byte: replace its ``ok`` attempt."""
        attempt = self._failed_attempt_of(slot, err, latency_ms)
        for index in range(len(self.attempts) - 1, -1, -1):
            if self.attempts[index].reason is None and self.attempts[index].ref == attempt.ref:
                self.attempts[index] = attempt
                break
        self._error_row(slot, err, attempt, ts)
        return attempt

    def _failed_attempt_of(self, slot: Slot, err: ProviderError, latency_ms: float) -> Attempt:
        return Attempt(
            provider=slot.ref.provider,
            model=slot.ref.model,
            profile_id=slot.profile,
            reason=err.reason or "unknown",
            status=err.status,
            message=self.describe(err),
            latency_ms=latency_ms,
        )

    def _error_row(
        self, slot: Slot, err: ProviderError, attempt: Attempt, ts: float, *, charged: bool = False
    ) -> None:
        """The ledger row of a failed attempt (``cancelled`` when the caller went away);
        ``charged``: with what the provider billed for it (:func:`attempt_cost`), as a failure
        before the commit point has; a broken answer's row carries no cost."""
        ledger = self.r.runtime.ledger
        if ledger is None:
            return
        cost, source = attempt_cost(None, slot.facts, ok=False) if charged else (None, None)
        self._write(
            ledger,
            slot,
            "cancelled" if err.reason == "cancelled" else "error",
            ts,
            attempt.latency_ms,
            reason=attempt.reason,
            http_status=err.status,
            error=attempt.message,
            cost=cost,
            cost_source=source,
        )

    def _write(
        self,
        ledger: Ledger,
        slot: Slot,
        status: str,
        ts: float,
        latency_ms: float,
        *,
        reason: str | None = None,
        http_status: int | None = None,
        error: str | None = None,
        ttft_ms: float | None = None,
        usage: Usage | None = None,
        served: str | None = None,
        cost: float | None = None,
        cost_source: str | None = None,
    ) -> None:
        ctx = self.ctx
        if not ctx.request_id:
            ctx.request_id = self.r.request_ids()
        row = UsageRecord(
            ts=ts,
            source=ctx.source,
            provider=slot.ref.provider,
            model_requested=slot.ref.key,
            status=status,
            request_id=ctx.request_id,
            attempt=len(self.attempts),
            agent=ctx.agent,
            session=ctx.session,
            client_key=ctx.client_key,
            model_served=served,
            profile_id=slot.profile,
            reason=reason,
            http_status=http_status,
            error=error,
            stream=self.request.stream,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            input_tokens=usage.input if usage is not None else 0,
            output_tokens=usage.output if usage is not None else 0,
            cache_read_tokens=usage.cache_read if usage is not None else 0,
            cache_write_tokens=usage.cache_write if usage is not None else 0,
            reasoning_tokens=usage.reasoning if usage is not None else 0,
            cost=cost if usage is None else usage.cost,
            cost_source=cost_source if usage is None else usage.cost_source,
        )
        ledger.record(row)
