"""The walk over a target's candidates: stage 1 rotates credentials inside a provider, stage 2
moves down the model chain, until one candidate reaches the commit point.

One *pass* visits every model of the chain in order and, for each, its credentials in
:func:`~openclaw.auth.resolve.plan_credentials` order. Per failure reason (see
:data:`~openclaw.routing.classify.POLICIES`):

* ``next_key`` (auth, billing, rate_limit, overloaded): the next credential; overload rotates
  once, then leaves the model. When the credentials run out: the next model, at once.
* ``retry`` (timeout, server_error): the same model and key again after a capped, jittered
  backoff (or the server's ``Retry-After``), up to ``maxRetries`` times while the budget allows;
  then the next model. A full attempt timeout is not retried while another model remains.
* ``next_model`` (model_not_found, context_overflow, content_filter, unknown): the next model.
* ``stop`` (format, cancelled): the request ends; no other candidate would do better.

Candidates cooling down (from this or an earlier request or process) are skipped and listed, and
so is a model whose transport refuses the request while building it (a feature its API cannot
carry, such as an audio part for the anthropic-messages API): reason ``capability``, then the next
model. When every candidate refused, the transport's :class:`~openclaw.errors.InputError` (which
names the feature) is raised, for the caller to name the providers.
When a pass ends without an answer, the walk may wait once more for the soonest candidate:
one that rate-limited or overloaded in this request (after its ``Retry-After`` or the backoff),
or one whose stored cooldown ends soon. It waits only if that wait is within the remaining
budget and ``maxRetryAfterSeconds``, and at most ``maxRetries`` extra passes are made. Otherwise
it fails fast with :class:`~openclaw.errors.FailoverError`, whose ``retry_at`` is the soonest end
of a cooldown among the candidates.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING

import msgspec

from ..errors import Attempt, CredentialError, FailoverError, InputError, OpenClawError, ProviderError
from ..refs import ModelRef
from ..state.base import Cooldown
from ..transports.base import Batch
from ..wire.types import ChatRequest
from . import capability
from .attempt import Opened, close_quietly
from .attempt import read_to_commit as _read_to_commit
from .attempt import read_whole as _read_whole
from .candidates import Candidate
from .classify import CANCELLED, FORMAT, REASONS, classify, policy_for
from .cooldown import RecentCooldowns
from .record import Recorder, Slot
from .retry import Budget, server_wait
from .types import RequestContext, Served, Target

if TYPE_CHECKING:
    from .router import Router

__all__ = ["Candidate", "Start", "Walk", "served_by"]

_MAX_PASSES_HARD = 10

Start = tuple[Candidate | None, bool]  # Router.start: the chain's first candidate, nothing on record?


class _Tried(msgspec.Struct):
    """A candidate that failed in this request: may it be tried again, and when?"""

    retries: int  # in-request retries already spent on it
    ready_at: float | None  # monotonic time; None: not again in this request


class _Trouble(msgspec.Struct):
    """What a walk keeps once something does not go straight (made on first need: a request
    whose first candidate answers never builds one)."""

    tried: dict[str, _Tried] = msgspec.field(default_factory=dict)  # by model key
    cooling: dict[str, float] = msgspec.field(default_factory=dict)  # model key -> epoch end
    noted: set[str] = msgspec.field(default_factory=set)  # model keys listed as cooling down
    cred_errors: list[CredentialError] = msgspec.field(default_factory=list)
    refused: list[InputError] = msgspec.field(default_factory=list)  # features not carried
    models: dict[int, tuple[Candidate, ...]] = msgspec.field(default_factory=dict)  # by position
    last: ProviderError | None = None  # the last failure of a sent candidate
    verdict: ProviderError | None = None  # the last candidate's failure (see Walk._pass)
    primed: Candidate | None = None  # sent before the passes began (see Walk.run)
    budget: Budget | None = None  # the request's deadline, for waits and retries (Walk.budget)


class Walk(Recorder):
    """One request's way through its target: the candidates tried, and (as a
    :class:`~openclaw.routing.record.Recorder`) every attempt on record."""

    __slots__ = ("_trouble", "clean", "head", "sent", "sent_at", "sent_ts", "target")

    r: Router
    target: Target
    sent: int  # attempts that went out
    sent_ts: float  # epoch and monotonic time of the last send
    sent_at: float
    _trouble: _Trouble

    def __init__(
        self, router: Router, request: ChatRequest, target: Target, ctx: RequestContext, start: Start
    ) -> None:
        """``start`` is :meth:`Router.start`'s ``(first, clean)``: the chain's first candidate if
        its model is usable and fit for the request, and whether nothing about it is on record.
        Made later, on first need: ``_trouble`` (see :attr:`t`), ``sent_ts`` and ``sent_at`` (by
        :meth:`send` or :meth:`adopt`, before anything reads them); the ledger, the redactor and
        the id source are the router's (see ``Recorder``)."""
        self.r = router
        self.request = request
        self.target = target
        self.ctx = ctx
        self.attempts = []
        self.sent = 0
        first, clean = start
        # ``head``: the first candidate if it can go out at once (not cooling down). The caller
        # sends it itself (:meth:`attempt`), with no pass generator and no :meth:`run` frame
        # between it and the network, and calls :meth:`run` only if it fails (or if there is
        # no such candidate). ``clean``: the same candidate when nothing about it is on record
        # (no reset needed after it answers).
        self.clean: Candidate | None = first if clean else None
        eligible = clean or (first is not None and self._eligible(first, 0))
        self.head: Candidate | None = first if eligible else None

    @property
    def budget(self) -> Budget:
        """The request's deadline, for waits and retries."""
        t = self.t
        budget = t.budget
        if budget is None:
            budget = t.budget = Budget(self.ctx.deadline, self.r.clock.monotonic)
        return budget

    @property
    def t(self) -> _Trouble:
        """What the walk keeps once something does not go straight (made on first use)."""
        try:
            return self._trouble
        except AttributeError:
            trouble = self._trouble = _Trouble()
            return trouble

    # -- the walk ----------------------------------------------------------------------------

    async def run(
        self, *, whole: bool, primed: Candidate | None = None, primed_err: ProviderError | None = None
    ) -> tuple[Opened, Candidate]:
        """The first candidate to reach the commit point. ``primed``: the candidate from
        ``head`` that was already sent and failed with ``primed_err`` (None: its transport
        refused the request); the passes take that outcome as their first candidate's."""
        t = self.t
        t.primed = primed
        passes = min(self.r.policy.max_retries + 1, _MAX_PASSES_HARD)
        for pass_no in range(passes):
            for cand in self._pass(pass_no):
                if cand is t.primed:
                    t.primed = None
                    opened, err = None, primed_err
                else:
                    opened, err = await self.attempt(cand, whole)
                inline = 0
                while err is not None and (delay := self._retry_delay(cand, err, inline)) is not None:
                    await self.r.clock.sleep(delay)
                    inline += 1
                    opened, err = await self.attempt(cand, whole)
                if opened is not None:
                    return opened, cand
                if err is None:
                    continue  # its transport refused the request (see _refuse): the next model
                if policy_for(err.reason or "").action == "stop":
                    raise self._failure(stopped=err)
                await self._after_failure(cand, err)
                t.verdict = err
            wait = self._next_wait() if pass_no + 1 < passes else None
            if wait is None:
                break
            await self.r.clock.sleep(wait)
        raise self._failure()

    async def reach(self, *, whole: bool) -> tuple[Opened, Candidate]:
        """The first candidate to reach the commit point (``whole``: the end), starting with
        ``head`` sent at once, with no pass generator between it and the network; the passes
        (:meth:`run`) only if it fails or there is none."""
        cand = self.head
        opened, err = await self.attempt(cand, whole) if cand is not None else (None, None)
        if opened is None or cand is None:
            return await self.run(whole=whole, primed=cand, primed_err=err)
        return opened, cand

    def _pass(self, pass_no: int) -> Iterator[Candidate]:
        """Candidates to try in this pass, in order. After each one fails, ``self.t.verdict``
        holds its error, which decides between the next key and the next model."""
        t = self.t
        for index, ref in enumerate(self.target.candidates):
            rotations = 0
            for cand in self._candidates(index, ref):
                if cand is t.primed:  # already sent: its outcome is the walk's to handle
                    pass
                elif self.sent and self.budget.expired():
                    return
                elif not self._eligible(cand, pass_no):
                    continue
                t.verdict = None
                yield cand
                err = t.verdict
                policy = policy_for(err.reason or "") if err is not None else None
                if policy is None or policy.action != "next_key":
                    break
                rotations += 1
                if policy.rotations is not None and rotations > policy.rotations:
                    break

    # -- candidates --------------------------------------------------------------------------

    def _candidates(self, index: int, ref: ModelRef) -> tuple[Candidate, ...]:
        """The model's candidates, or none (listed once as skipped) when it cannot serve."""
        known = self.t.models.get(index)
        if known is not None:
            return known
        entry = self.r.model_entry(ref)
        found = entry.candidates
        if entry.problem is not None:
            if entry.cred_error is not None:
                self.t.cred_errors.append(entry.cred_error)
            self._skip(entry.slot, *entry.problem)
            found = ()
        else:
            why = capability.check(self.request, entry.facts)
            if why is not None:
                self._skip(entry.slot, capability.CAPABILITY, why)
                found = ()
        self.t.models[index] = found
        return found

    def _eligible(self, cand: Candidate, pass_no: int) -> bool:
        tried = self.t.tried.get(cand.model_key)
        state = self.r.runtime.state
        if tried is not None:  # failed here before: its own wait, unless the key is now disabled
            if tried.ready_at is None or tried.ready_at > self.r.clock.monotonic():
                return False
            return not (state and state.cooldowns((cand.cred_key,), self.r.clock.now()))
        active = state.cooldowns((cand.cred_key, cand.model_key), self.r.clock.now()) if state else {}
        if active:
            cooldown = max(active.values(), key=lambda c: c.until)
            self.t.cooling[cand.model_key] = cooldown.until
            self._skip_cooling(cand, cooldown)
            return False
        was_cooling = self.t.cooling.pop(cand.model_key, None) is not None
        return pass_no == 0 or was_cooling

    def _skip_cooling(self, cand: Candidate, cooldown: Cooldown) -> None:
        if cand.model_key in self.t.noted:
            return
        left = cooldown.remaining(self.r.clock.now())
        what = "disabled" if cooldown.disabled else "cooling down"
        self._skip(cand.slot, cooldown.reason, f"{what} after {cooldown.reason}, {_span(left)} left")
        self.t.noted.add(cand.model_key)

    def _skip(self, slot: Slot, reason: str, message: str) -> None:
        self.skipped(slot, reason, message, ts=self.r.clock.now())

    # -- one candidate, with same-model retries ----------------------------------------------

    def _retry_delay(self, cand: Candidate, err: ProviderError, inline: int) -> float | None:
        """Seconds before retrying the same model and key, or None to move on."""
        if policy_for(err.reason or "").action != "retry" or inline >= self.r.policy.max_retries:
            return None
        if err.kind == "timeout" and cand.ref != self.target.candidates[-1]:
            return None  # a full attempt timeout: another model is the better bet
        delay = self._delay(err, inline)
        return delay if delay is not None and self.budget.fits(delay) else None

    def _delay(self, err: ProviderError, retry_index: int) -> float | None:
        """Seconds before a retry: the server's wait (None if over the cap), else backoff."""
        wait = server_wait(err, self.r.clock.now())
        if wait is not None:
            return wait if self.r.policy.may_sleep(wait) else None
        return self.r.policy.backoff(retry_index, self.r.clock.random())

    def send(self, cand: Candidate) -> AsyncGenerator[Batch, None]:
        """Start one attempt: the call built (timeouts cut to the budget) and the transport's
        batches; nothing is read yet. Its outcome goes to :meth:`failed` if it fails."""
        r = self.r
        ts, started = r.clock.now(), r.clock.monotonic()
        call = cand.upstream_call(r, self.request, self.ctx, self.target.agent_id, started)
        self.sent_ts, self.sent_at = ts, started
        self.sent += 1
        return cand.transport.batches(call)

    def adopt(self, ts: float, started: float) -> None:
        """Take over an attempt the router sent itself at ``ts`` (epoch) / ``started``
        (monotonic), before there was a walk (``Router.complete``'s happy path), so that
        :meth:`failed` can account for it."""
        self.sent_ts, self.sent_at = ts, started
        self.sent += 1

    def commit(self, cand: Candidate, model: str | None) -> Served:
        """The commit point: the attempt that answers goes on record (with its latency so far),
        and who served (``model``: the one the upstream reported, if it did)."""
        return served_by(self.attempts, cand, (self.r.clock.monotonic() - self.sent_at) * 1000.0, model)

    async def attempt(self, cand: Candidate, whole: bool) -> tuple[Opened | None, ProviderError | None]:
        """One attempt read to its commit point (``whole``: to its end): ``(opened, None)``, or
        ``(None, err)``, or ``(None, None)`` when its transport refused the request."""
        stream = self.send(cand)
        try:
            opened = await (_read_whole(stream) if whole else _read_to_commit(stream))
        except BaseException as exc:
            return None, await self.failed(cand, stream, exc)
        return opened, None

    async def failed(
        self, cand: Candidate, stream: AsyncGenerator[Batch, None], exc: BaseException
    ) -> ProviderError | None:
        """The end of a failed attempt: the upstream connection closed, the failure recorded.
        Returns its ProviderError, or None when its transport refused the request while
        building it (nothing went out; skipped as ``capability``). Anything else is raised
        again (a cancellation after being recorded as ``cancelled``)."""
        ts, started = self.sent_ts, self.sent_at
        if isinstance(exc, InputError):
            self.sent -= 1
            self._refuse(cand, exc)
            return None
        await close_quietly(stream)
        if isinstance(exc, ProviderError):
            self._fail(cand, exc, ts, started)
            return exc
        if isinstance(exc, asyncio.CancelledError):
            gone = ProviderError("the caller went away", kind="cancelled", reason=CANCELLED)
            self._fail(cand, gone, ts, started)
        raise exc

    def _refuse(self, cand: Candidate, exc: InputError) -> None:
        """The candidate's transport cannot carry a feature of the request (the
        anthropic-messages API and an audio part): skip the model (its other keys would refuse
        the same) with reason ``capability``; the walk goes on to the next model."""
        self.t.refused.append(exc)
        where = f"{cand.provider.id} ({cand.provider.api})"
        self._skip(cand.slot, capability.CAPABILITY, f"{exc.message}; not sent to {where}")

    def _fail(self, cand: Candidate, err: ProviderError, ts: float, started: float) -> None:
        if err.reason not in REASONS:
            err.reason = classify(err)
        err.message = self.r.runtime.redactor(err.message or "")
        self.t.last = err
        latency = (self.r.clock.monotonic() - started) * 1000.0
        self.failed_attempt(cand.slot, err, ts=ts, latency_ms=latency)

    async def _after_failure(self, cand: Candidate, err: ProviderError) -> None:
        """Cool the key (or key+model) down, and note when it may be tried again here."""
        tried = self.t.tried.get(cand.model_key)
        retries = tried.retries if tried is not None else 0
        policy = policy_for(err.reason or "")
        await self.cool_down(cand, err)
        ready: float | None = None
        if policy.wait_ok and retries < self.r.policy.max_retries:
            delay = self._delay(err, retries)
            ready = None if delay is None else self.r.clock.monotonic() + delay
        self.t.tried[cand.model_key] = _Tried(retries=retries + 1, ready_at=ready)

    async def cool_down(self, cand: Candidate, err: ProviderError) -> None:
        """Record the failure in the state backend (when its reason has a cooldown lane)."""
        reason = err.reason or "unknown"
        policy = policy_for(reason)
        state = self.r.runtime.state
        if policy.lane is None or state is None:
            return
        key = cand.model_key if policy.model_scoped else cand.cred_key
        now = self.r.clock.now()
        cooldown = self.r.schedule.next(
            _previous(state, key, now),
            key=key,
            reason=reason,
            now=now,
            server_wait=server_wait(err, now),
            model=cand.ref.model if policy.model_scoped else None,
        )
        await state.record_failure(cooldown)

    # -- waiting and giving up ---------------------------------------------------------------

    def _next_wait(self) -> float | None:
        """Seconds to wait for the soonest candidate, or None to give up now."""
        mono, now = self.r.clock.monotonic(), self.r.clock.now()
        waits = [t.ready_at - mono for t in self.t.tried.values() if t.ready_at is not None]
        waits.extend(until - now for until in self.t.cooling.values())
        if not waits:
            return None
        wait = max(0.0, min(waits))
        cap = self.r.policy.max_retry_after
        if (cap is not None and wait > cap) or not self.budget.fits(wait):
            return None
        return wait

    def _retry_at(self) -> float | None:
        state = self.r.runtime.state
        if state is None:
            return None
        keys: list[str] = []
        for cands in self.t.models.values():
            for cand in cands:
                keys.extend((cand.cred_key, cand.model_key))
        active = state.cooldowns(keys, self.r.clock.now())
        return min((c.until for c in active.values()), default=None)

    def _failure(self, stopped: ProviderError | None = None) -> OpenClawError:
        attempts = list(self.attempts)
        if self.sent == 0 and self.t.cred_errors and all(a.reason == "auth" for a in attempts):
            return self.t.cred_errors[0]
        if self.sent == 0 and self.t.refused and all(a.reason == capability.CAPABILITY for a in attempts):
            return self.t.refused[0]  # every candidate refused: the feature, for the caller to name
        if stopped is not None:
            return FailoverError(attempts, last=stopped, message=_stop_message(stopped))
        retry_at = self._retry_at()
        parts = " | ".join(a.summary() for a in attempts)
        message = f"All models failed ({len(attempts)}): {parts}"
        if self.budget.expired():
            message += f". The request's time budget ran out ({_span(self.r.policy.request_timeout)} max)"
        if retry_at is not None:
            left = max(0.0, retry_at - self.r.clock.now())
            stamp = time.strftime("%H:%M:%S", time.localtime(retry_at))
            message += f". Retry in {_span(left)} (at {stamp}), or clear cooldowns with "
            message += "`openclaw models auth clear-cooldowns`"
        last = self.t.last if self.sent else _all_skipped(attempts, retry_at, self.r.clock.now())
        return FailoverError(attempts, last=last, retry_at=retry_at, message=message + ".")


def served_by(attempts: list[Attempt], cand: Candidate, latency_ms: float, model: str | None) -> Served:
    """Who served: ``cand``'s successful attempt appended to ``attempts`` (``model``: the one the
    upstream reported, if it did; else the id it was asked for)."""
    attempts.append(msgspec.structs.replace(cand.won, latency_ms=latency_ms))
    return Served(cand.ref, cand.profile, model or cand.upstream_model, attempts)


def _previous(state: object, key: str, now: float) -> Cooldown | None:
    if isinstance(state, RecentCooldowns):
        return state.recent((key,), now).get(key)
    cooldowns = getattr(state, "cooldowns", None)
    found: dict[str, Cooldown] = cooldowns((key,), now) if cooldowns else {}
    return found.get(key)


def _stop_message(err: ProviderError) -> str:
    if err.reason == CANCELLED:
        return "Request cancelled."
    what = f"{err.status} {err.message}".strip() if err.status else err.message
    model = f"{err.provider}/{err.model}" if err.provider else "the upstream"
    return (
        f"The request was rejected by {model}: {what} ({err.reason}). Not retried and no fallback "
        "tried: another model would reject the same request."
    )


def _all_skipped(attempts: list[Attempt], retry_at: float | None, now: float) -> ProviderError | None:
    """A synthetic last error when nothing was sent (every candidate cooling or unfit), so that
    front doors can answer 429/503 with ``Retry-After`` or 400."""
    if retry_at is not None:
        reasons = {a.reason for a in attempts}
        status, reason = (429, "rate_limit") if "rate_limit" in reasons else (503, "overloaded")
        return ProviderError(
            "every candidate is cooling down",
            kind="cooldown",
            status=status,
            reason=reason,
            retry_after=max(0.0, retry_at - now),
        )
    if attempts and all(a.reason == capability.CAPABILITY for a in attempts):
        return ProviderError(
            "no candidate can serve this request", kind="capability", status=400, reason=FORMAT
        )
    return None


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
