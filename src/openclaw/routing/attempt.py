"""One attempt: send one candidate, read up to the commit point, or fail with a ProviderError.

Both readers take the transport's batches (:meth:`~openclaw.transports.base.Transport.batches`,
one list of events per network read), so an event costs no async-iterator step of its own.

:func:`read_to_commit` takes events until the first piece of *content* (text, reasoning, a tool-call
fragment, or a finish) and keeps them buffered together with the live iterator; anything that
goes wrong before that point (an error status, a reset, a timeout, a cut stream, an in-stream
error chunk, a finish that only says ``content_filter``) raises
:class:`~openclaw.errors.ProviderError`, and the caller (``Walk.failed``) closes the upstream
connection. :func:`read_whole` reads the whole answer, folded into an
:class:`~openclaw.wire.aggregate.Aggregator`, before anyone sees it (non-streaming callers), so
any failure up to the very end can still fail over; :func:`check_whole` judges it.

Neither adds a timer of its own: each attempt's ``Timeouts.total`` is what is left of the request
budget, and transports enforce it (the gateway also bounds ``open`` by the client's deadline).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import msgspec

from ..errors import ProviderError
from ..transports.base import Batch
from ..wire.aggregate import Aggregator
from ..wire.types import Finish, ResponseInfo, StreamEvent, UsageEvent

__all__ = ["Opened", "check_whole", "close_quietly", "is_content", "read_to_commit", "read_whole"]


def is_content(event: StreamEvent) -> bool:
    """Events that reach the caller's screen: after the first one, the stream is committed."""
    kind = type(event)
    return kind is not ResponseInfo and kind is not UsageEvent


class Opened(msgspec.Struct):
    """A committed (or fully read) upstream answer."""

    stream: AsyncGenerator[Batch, None]  # the transport's batches, read on from here
    buffered: Batch = msgspec.field(default_factory=list)  # the batches read to the commit point
    agg: Aggregator | None = None  # read_whole: the whole answer, folded

    @property
    def served_model(self) -> str | None:
        """The concrete model the upstream reported, if it did."""
        if self.agg is not None:
            return self.agg.result_.model
        for event in self.buffered:
            if isinstance(event, ResponseInfo):
                return event.model
        return None


async def close_quietly(stream: AsyncGenerator[Batch, None]) -> None:
    """Close a transport's batches (and with them the upstream connection)."""
    with contextlib.suppress(ProviderError, OSError, RuntimeError):
        await stream.aclose()


def _filtered() -> ProviderError:
    return ProviderError(
        "the model's content filter stopped the answer before any content",
        kind="in_stream",
        code="content_filter",
        reason="content_filter",
    )


async def read_to_commit(stream: AsyncGenerator[Batch, None]) -> Opened:
    """The batches up to the one with the first content event (the commit point), buffered as
    one (the rest of that batch included); the caller reads on from the live stream (and
    closes it if this raises)."""
    buffered: Batch = []
    async for batch in stream:
        for event in batch:
            kind = type(event)
            if kind is ResponseInfo or kind is UsageEvent:
                continue
            if kind is Finish and event.reason == "content_filter":  # type: ignore[union-attr]
                raise _filtered()
            if buffered:
                buffered += batch
                return Opened(stream, buffered)
            return Opened(stream, batch)  # usually: the first read already has content
        buffered += batch
    raise ProviderError("the stream ended before any content", kind="cut")


def check_whole(agg: Aggregator) -> None:
    """Raise the ProviderError that makes a fully read answer no answer: no finish (a cut), or
    a content filter before any content. (Callers ask only when the answer is not a plain
    finish: ``not agg.finished or agg.result_.finish_reason == "content_filter"``.)"""
    if not agg.finished:
        raise ProviderError("the answer ended without a finish", kind="cut")
    if agg.result_.finish_reason == "content_filter":
        res = agg.result()
        if not (res.text or res.tool_calls or res.reasoning):
            raise _filtered()


async def read_whole(stream: AsyncGenerator[Batch, None]) -> Opened:
    """The whole answer, folded into an Aggregator as it arrives (the caller closes the stream
    if this raises). ``Router.complete`` reads a chain's first candidate the same way inline."""
    agg = Aggregator()
    add = agg.add
    async for batch in stream:
        for event in batch:
            add(event)
    if not agg.finished or agg.result_.finish_reason == "content_filter":
        check_whole(agg)
    return Opened(stream, agg=agg)
