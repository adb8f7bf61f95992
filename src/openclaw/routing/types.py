"""What the router takes and gives back.

The router (:mod:`openclaw.routing.router`) runs one :class:`~openclaw.wire.types.ChatRequest`
against a :class:`Target` (an ordered chain of model refs) and returns a :class:`Run`.

The streaming contract (the *commit point*): ``Router.open`` tries candidates until one produces
its first piece of content (text, reasoning, a tool call, or a finish). Until then every failure
(an error status, a reset, a cut stream, an in-stream error chunk) is retried or failed over
invisibly, and ``open`` raises :class:`~openclaw.errors.FailoverError` if no candidate gets
there. From the commit on, the caller owns the stream: a later failure is delivered as a final
:class:`~openclaw.wire.types.ErrorEvent`, never as a clean finish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import msgspec

from ..errors import Attempt
from ..refs import ModelRef
from ..wire.types import ChatRequest, ChatResult, StreamEvent

__all__ = ["RequestContext", "Run", "Served", "Target"]


@dataclass(frozen=True, slots=True, eq=False)
class Target:
    """An ordered candidate chain: the primary first, then its fallbacks. Compared and hashed
    by identity: the router remembers what it worked out about a target per target."""

    candidates: tuple[ModelRef, ...]
    label: str  # what the caller named: "openclaw/default", a ref, an alias
    agent_id: str = "main"
    strict: bool = False  # True when the chain is exactly what the caller pinned

    @property
    def primary(self) -> ModelRef:
        return self.candidates[0]


class RequestContext(msgspec.Struct, gc=False):  # strings and numbers: no cycles, not tracked
    request_id: str  # "": not named yet (Router.context names it when it is first recorded)
    source: str  # cli | gateway
    deadline: float  # time.monotonic() value by which the whole request must end
    agent: str | None = None
    session: str | None = None
    client_key: str | None = None
    thinking: str | None = None  # a per-request thinking level (``infer --thinking``); None: config


class Served(msgspec.Struct, gc=False):  # no cycles: refs, strings, a list of untracked Attempts
    """Who answered: the ref and credential that served, the model the upstream reported,
    and every attempt that led there (failed, skipped, and the successful one last)."""

    ref: ModelRef
    profile: str  # credential label: profile id or env:VAR (never the secret)
    model: str  # the concrete model the upstream reported (or the upstream id)
    attempts: list[Attempt] = msgspec.field(default_factory=list)

    @property
    def attempt_count(self) -> int:
        return sum(1 for a in self.attempts if not a.skipped)


class Run(Protocol):
    served: Served

    def events(self) -> AsyncIterator[StreamEvent]:
        """Events from the commit on; ends after ``Finish`` or a final ``ErrorEvent``."""
        ...

    def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """The same events, one list per network read (read either this or ``events``)."""
        ...

    async def aclose(self) -> None:
        """Stop early (client went away): closes the upstream connection at once."""
        ...


class RouterLike(Protocol):
    async def open(self, request: ChatRequest, target: Target, ctx: RequestContext) -> Run: ...

    async def complete(
        self, request: ChatRequest, target: Target, ctx: RequestContext
    ) -> tuple[ChatResult, Served]: ...
