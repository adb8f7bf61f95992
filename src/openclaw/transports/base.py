"""The transport contract and the HTTP seam under it.

A :class:`Transport` turns one :class:`UpstreamCall` (provider, model, credential, request) into
stream events. Its contract:

* it yields :data:`~openclaw.wire.types.StreamEvent` values and ends with ``Finish``, right
  after the answer's one ``UsageEvent`` when there is one: a stream's last batch ends with
  ``[UsageEvent, Finish]`` or ``[Finish]``, and no other batch holds either (the router looks
  only at the end of each batch);
* any failure, at any point, is *raised* as :class:`~openclaw.errors.ProviderError` (status,
  headers and the provider's message filled in); it never yields ``ErrorEvent`` (the router
  decides what a failure means for the caller);
* an upstream stream that ends without a finish reason or ``[DONE]`` raises with ``kind="cut"``;
  an in-stream error chunk raises with ``kind="in_stream"``: never an empty success;
* a non-streaming upstream answer is yielded as the same event sequence.

It yields them in two shapes: :meth:`Transport.batches` gives one list per network read (the
events that arrived together; the list is the caller's to keep or change), which is what the
router and the gateway read, so an event costs no async-iterator step of its own;
:meth:`Transport.stream` gives them one by one (:func:`flatten`), for callers that want that.

Transports never open sockets themselves: they go through :class:`HttpClient`, a one-method seam
(``request``) with an aiohttp implementation for servers and a lean asyncio one for the CLI.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from ..catalog.resolve import ModelFacts, ResolvedProvider
from ..refs import ModelRef
from ..wire.types import ChatRequest, StreamEvent

__all__ = [
    "Batch",
    "Credential",
    "HttpClient",
    "HttpResponse",
    "Timeouts",
    "Transport",
    "UpstreamCall",
    "flatten",
]

Batch = list[StreamEvent]  # the events of one network read, in order (never empty)


class Timeouts(msgspec.Struct, frozen=True, gc=False):  # numbers: not GC-tracked
    """Seconds. ``read`` bounds the wait for headers and for each next body chunk;
    ``total`` bounds the whole exchange (None: no bound beyond the caller's)."""

    connect: float = 10.0
    read: float = 120.0
    total: float | None = None


class HttpResponse(Protocol):
    status: int
    headers: Mapping[str, str]  # lower-cased names

    async def read(self) -> bytes: ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, in whatever pieces the network delivers."""
        ...

    @property
    def complete(self) -> bool:
        """True once the whole body has arrived (nothing is left to read before the connection
        can be reused); False while that is not known."""
        ...


class HttpClient(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> AbstractAsyncContextManager[HttpResponse]:
        """Open one exchange. Connection failures raise ``ProviderError`` with ``kind``
        ``connect``, ``timeout`` or ``reset`` (closed before the headers arrived)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Credential:
    """A resolved secret and where it came from. ``repr`` never shows the secret."""

    secret: str = field(repr=False)
    profile_id: str | None
    source: str  # profile | env | config | local
    kind: str = "api_key"  # api_key | token
    env_var: str | None = None  # the variable it came from, for env/config sources

    @property
    def label(self) -> str:
        """What the user sees for this credential (never the secret)."""
        if self.profile_id:
            return self.profile_id
        return f"env:{self.env_var}" if self.env_var else self.source


class UpstreamCall(msgspec.Struct, frozen=True):
    provider: ResolvedProvider
    ref: ModelRef
    model: str  # the model id as the upstream wants it ("anthropic/claude-sonnet-4-5")
    credential: Credential
    request: ChatRequest
    stream: bool  # ask the upstream for SSE
    timeouts: Timeouts = msgspec.field(default_factory=Timeouts)
    params: Mapping[str, Any] = msgspec.field(default_factory=dict)  # merged per-model params
    facts: ModelFacts | None = None
    thinking: str | None = None  # off|minimal|low|medium|high|xhigh|... (None: provider default)
    # What every request to this provider/model/key/params carries (URL, headers, route facts),
    # as returned by the transport's ``prepare`` (the router computes it once per candidate);
    # None: the transport works it out per call.
    prepared: object | None = None


class Transport(Protocol):
    api: str

    def batches(self, call: UpstreamCall) -> AsyncGenerator[Batch, None]:
        """The answer's events, one non-empty list per network read."""
        ...

    def stream(self, call: UpstreamCall) -> AsyncGenerator[StreamEvent, None]:
        """The same events one by one (``flatten(self.batches(call))``)."""
        ...

    def build(self, call: UpstreamCall) -> tuple[str, dict[str, str], bytes]:
        """The exact request that would be sent: URL, headers, body (for tests and --dry-run)."""
        ...


async def flatten(batches: AsyncGenerator[Batch, None]) -> AsyncGenerator[StreamEvent, None]:
    """``batches`` one event at a time. Closing this closes ``batches`` (and with it the
    upstream connection) at once, not when the garbage collector gets to it."""
    try:
        async for batch in batches:
            for event in batch:
                yield event
    finally:
        await batches.aclose()
