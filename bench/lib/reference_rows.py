"""Reference rows for the failover benchmarks: what the router's *shape* costs with no routing in it.

Issue 5 bounds what the router adds to a transport's answer. Part of that is not routing at all
but the shape of any API that hands back a whole answer and says who served it; these rows
measure those parts alone, against the same transport row, so that the router row can be read
against them:

* ``one more layer``: the transport row's own work, awaited through one more coroutine (what
  ``await router.complete(...)`` costs before ``complete`` does anything);
* ``api shape``: ``Router.context``, one coroutine, the call made from the lead candidate's
  template (``Candidate.upstream_call``: timeouts cut to the deadline), the events folded, and
  the answer's ``Served`` with its one ``Attempt``: the router's non-streaming happy path with
  nothing else (no lead lookup, capability check, cooldown lookup, truncation or price check);
* ``api shape + capability``: the same plus ``capability.check`` of the request against the
  lead's model, as the router makes it.

Non-streaming only (``one more layer`` works for both modes).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

REFERENCE_PATHS = ("one more layer", "api shape", "api shape + capability")
PLAIN_ONLY = ("api shape", "api shape + capability")


def layered(worker: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    """``worker`` awaited through one more coroutine."""

    async def one() -> object:
        return await worker()

    return one


def shape_worker(runtime: Any, router: Any, model: str, *, check: bool) -> Callable[[], Awaitable[object]]:
    """The router's non-streaming API shape around the transport, with no routing (see above)."""
    from msgspec.structs import replace

    from openclaw.routing import capability
    from openclaw.routing.chain import build_target
    from openclaw.routing.types import Served
    from openclaw.wire.aggregate import Aggregator
    from openclaw.wire.types import ChatRequest, Message

    first = router.lead(build_target(runtime, model))
    if first is None:
        raise SystemExit(f"{model}: no usable lead candidate")
    monotonic = time.monotonic

    async def complete(request: ChatRequest, ctx: Any) -> tuple[Any, Served]:
        if check and capability.check(request, first.facts) is not None:
            raise SystemExit("the benchmark's request does not fit its model")
        started = monotonic()
        folded = Aggregator()
        async for batch in first.transport.batches(
            first.upstream_call(router, request, ctx, "main", started)
        ):
            for event in batch:
                folded.add(event)
        result = folded.result()
        attempts = [replace(first.won, latency_ms=(monotonic() - started) * 1000.0)]
        return result, Served(first.ref, first.profile, result.model or first.upstream_model, attempts)

    async def one() -> int:
        request = ChatRequest(messages=[Message(role="user", content="Reply with OK")], max_tokens=64)
        await complete(request, router.context("gateway"))
        return 1

    return one
