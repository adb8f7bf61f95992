"""One agent turn in this process: the router over the agent's target chain (``agent --local``).

The router's commit point is the contract (see :mod:`openclaw.routing.types`): until the first
piece of content, failures fail over invisibly; a turn where no candidate got there ends in
:class:`TurnFailed` listing every attempt. After the commit the answer streams to the caller's
``on_text``; a failure then (a cut stream, an in-stream error) is :class:`TurnFailed` too, with
the partial text kept apart: it is never reported as the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import Attempt, FailoverError, OpenClawError, ProviderError
from ..wire.types import Usage

if TYPE_CHECKING:
    from ..routing.types import RequestContext, Served, Target
    from ..runtime import Runtime
    from ..wire.types import ChatRequest

__all__ = ["Commit", "Progress", "TurnFailed", "TurnResult", "local_turn"]


@dataclass(slots=True)
class Commit:
    """Who is answering, known at the commit point (before the text streams)."""

    ref: str  # provider/model
    profile: str | None
    attempt_count: int
    attempts: Sequence[Attempt] | None  # None: only the count is known (gateway)
    transport: str

    @property
    def rerouted(self) -> bool:
        """A fallback, a retry or a skipped candidate happened before this answer."""
        skipped = any(a.skipped for a in self.attempts or ())
        return self.attempt_count > 1 or skipped


@dataclass(slots=True)
class Progress:
    """What a turn has shown so far: the streamed text, and who is answering."""

    on_text: Callable[[str], None] | None = None
    on_commit: Callable[[Commit], None] | None = None
    pieces: list[str] = field(default_factory=list)
    commit: Commit | None = None
    transport: str = "local"  # where the turn is being run: local | gateway

    def text(self, piece: str) -> None:
        self.pieces.append(piece)
        if self.on_text is not None:
            self.on_text(piece)

    def committed(self, commit: Commit) -> None:
        self.commit = commit
        if self.on_commit is not None:
            self.on_commit(commit)

    @property
    def partial(self) -> str:
        return "".join(self.pieces)

    @property
    def attempts(self) -> Sequence[Attempt] | None:
        return self.commit.attempts if self.commit is not None else None

    @property
    def attempt_count(self) -> int:
        return self.commit.attempt_count if self.commit is not None else 0


@dataclass(slots=True)
class TurnResult:
    text: str
    provider: str
    model: str  # the served model id as the provider knows it ("openai/gpt-4o-mini")
    profile: str | None
    transport: str  # local | gateway
    usage: Usage | None
    finish_reason: str | None
    response_model: str | None
    attempts: Sequence[Attempt] | None
    attempt_count: int
    requested: str  # the first candidate (provider/model) or the gateway model name


class TurnFailed(OpenClawError):
    """The turn ended without a complete answer (exit 1)."""

    def __init__(
        self,
        message: str,
        *,
        transport: str,
        reason: str | None = None,
        status: int | None = None,
        attempts: Sequence[Attempt] | None = None,
        attempt_count: int = 0,
        partial: str = "",
    ) -> None:
        super().__init__(message)
        self.transport = transport
        self.reason = reason
        self.status = status
        self.attempts = attempts
        self.attempt_count = attempt_count
        self.partial = partial


def failed_after_commit(err: ProviderError, progress: Progress) -> TurnFailed:
    """A committed answer that broke: cut, in-stream error, or the caller went away."""
    commit = progress.commit
    shown = len(progress.partial)
    where = f"from {commit.ref} " if commit is not None else ""
    what = "was cut off" if err.kind == "cut" else "failed"
    detail = err.describe() if err.status is not None else (err.message or err.kind)
    return TurnFailed(
        f"The answer {where}{what} after {shown} character{'s' if shown != 1 else ''} ({detail}). "
        "The partial text is not a complete answer.",
        transport=progress.transport,
        reason="cut" if err.kind == "cut" else (err.reason or err.kind),
        status=err.status,
        attempts=progress.attempts,
        attempt_count=progress.attempt_count,
        partial=progress.partial,
    )


def check_answer(text: str, finish: str | None, progress: Progress) -> None:
    if text.strip():
        return
    raise TurnFailed(
        f"The model returned no text (finish reason: {finish or 'none'}).",
        transport=progress.transport,
        reason="empty_response",
        attempts=progress.attempts,
        attempt_count=progress.attempt_count,
    )


def _commit_of(served: Served) -> Commit:
    return Commit(str(served.ref), served.profile, served.attempt_count, served.attempts, "local")


async def local_turn(
    runtime: Runtime, target: Target, request: ChatRequest, ctx: RequestContext, progress: Progress
) -> TurnResult:
    """Run ``request`` through the router (``runtime`` from :func:`~openclaw.bootstrap.open_runtime`)."""
    from ..bootstrap import make_router
    from ..transports.registry import upstream_model
    from ..wire.aggregate import Aggregator
    from ..wire.types import ErrorEvent, TextDelta

    progress.transport = "local"
    router = make_router(runtime)
    try:
        run = await router.open(request, target, ctx)
    except FailoverError as exc:
        raise TurnFailed(
            exc.message,
            transport="local",
            reason=exc.reason,
            status=exc.status,
            attempts=exc.attempts,
            attempt_count=sum(1 for a in exc.attempts if not a.skipped),
        ) from None
    progress.committed(_commit_of(run.served))
    agg = Aggregator()
    broken: ProviderError | None = None
    try:
        async for event in run.events():
            if isinstance(event, ErrorEvent):
                broken = event.error
                break
            agg.add(event)
            if isinstance(event, TextDelta) and event.text:
                progress.text(event.text)
    finally:
        await run.aclose()
    served = run.served
    progress.commit = _commit_of(served)  # a break replaced the ok attempt
    if broken is not None:
        raise failed_after_commit(broken, progress)
    result = agg.result()
    check_answer(result.text, result.finish_reason, progress)
    provider = runtime.provider(served.ref.provider)
    model = upstream_model(provider, served.ref) if provider is not None else served.ref.model
    return TurnResult(
        text=result.text,
        provider=served.ref.provider,
        model=model,
        profile=served.profile,
        transport="local",
        usage=result.usage,
        finish_reason=result.finish_reason,
        response_model=served.model,
        attempts=served.attempts,
        attempt_count=served.attempt_count,
        requested=str(target.primary),
    )


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
