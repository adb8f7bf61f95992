"""Keeps a running gateway in step with cooldowns that other processes record or clear.

With local state (:class:`openclaw.state.local.LocalState`) every process keeps its own copy of
the records in memory. A background task asks the backend to ``refresh()`` every
``GatewaySettings.state_refresh_seconds`` (1 s): a cheap check of the state database that re-reads
it only when another process (a CLI ``infer``, ``models auth clear-cooldowns``, another worker)
changed it. A backend without ``refresh`` (Redis, which pushes changes itself) gets no task.

The task runs from start-up until the app's cleanup (after the drain), before the state backend is
closed. It never stops the gateway: an error is logged once (until a refresh works again) and the
next tick tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from .app import Gateway

__all__ = ["install", "refresh_loop"]

Refresh = Callable[[], Awaitable[bool]]


async def refresh_loop(refresh: Refresh, interval: float, warn: Callable[[str], None]) -> None:
    """Call ``refresh`` every ``interval`` seconds until cancelled."""
    failing = False
    while True:
        await asyncio.sleep(interval)
        try:
            await refresh()
        except Exception as exc:  # never let the gateway lose this task; say so once per streak
            if not failing:
                warn(f"warning: cannot re-read the state database ({type(exc).__name__}: {exc}); retrying")
            failing = True
        else:
            if failing:
                warn("the state database can be read again")
            failing = False


def install(app: web.Application, gw: Gateway) -> None:
    """Run :func:`refresh_loop` for the app's lifetime when the state backend can refresh."""
    refresh: Refresh | None = getattr(gw.runtime.state, "refresh", None)
    if refresh is None:
        return
    interval = gw.settings.state_refresh_seconds

    def warn(text: str) -> None:
        gw.log.message(gw.redact(text))

    async def running(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(refresh_loop(refresh, interval, warn), name="openclaw-state-refresh")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.wait({task})

    app.cleanup_ctx.append(running)
