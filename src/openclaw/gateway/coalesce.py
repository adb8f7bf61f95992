"""One write per event-loop turn for a streamed response.

An upstream read often carries several SSE events (a fast model, TCP coalescing, a burst after a
pause). The relay decodes and re-encodes them one by one without waiting, so writing each on its
own costs one ``send`` system call (and aiohttp's chunk framing) per event: the largest single
cost of a streamed answer on the gateway's profile.

:class:`CoalescingWriter` collects the encoded events and a small writer task sends what has
accumulated as one chunk. The writer only runs when the relay yields to the event loop, that is
when the upstream has nothing more buffered, so every event still goes out in the same loop turn
it arrived in: batching adds no delay. ``add`` never waits unless more than ``limit`` bytes are
waiting (the client reads slower than the upstream writes): then it waits for the writer, so a
slow client still holds the upstream back (back-pressure) instead of growing memory.

:meth:`CoalescingWriter.close` ends the response: what is still waiting goes out with the end of
the body (``write_eof(data)``: for a chunked response, the last chunk and the terminator in one
``send``). A fast upstream whose whole answer arrived in one read therefore costs one write in
all, headers included (see :class:`~.sse.SSEResponse`).

A failed write (the client went away) is raised from the next ``add``/``close`` of the relay.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["CoalescingWriter"]

_LIMIT = 64 * 1024


class _Sink(Protocol):
    async def write(self, data: bytes) -> None: ...
    async def write_eof(self, data: bytes = b"") -> None: ...


class CoalescingWriter:
    __slots__ = ("_closing", "_flushed", "_limit", "_parts", "_sink", "_size", "_task", "_wake")

    def __init__(self, sink: _Sink, *, limit: int = _LIMIT) -> None:
        self._sink = sink
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._closing = False
        self._wake = asyncio.Event()
        self._flushed = asyncio.Event()  # set whenever nothing is waiting
        self._flushed.set()
        self._task: asyncio.Task[None] | None = None

    async def add(self, data: bytes) -> None:
        """Queue ``data``; returns at once unless the client is behind by more than ``limit``."""
        task = self._task
        if task is None:
            task = self._task = asyncio.get_running_loop().create_task(self._run())
        elif task.done():
            task.result()  # the writer failed (client gone): raise it here
        self._parts.append(data)
        self._size += len(data)
        self._flushed.clear()
        self._wake.set()
        if self._size > self._limit:
            await self._wait_flushed()

    async def close(self) -> None:
        """Write what is waiting with the end of the body and stop the writer (raises what a
        write raised)."""
        self._closing = True
        task = self._task
        if task is None:
            await self._sink.write_eof()
            return
        self._wake.set()
        await task

    def cancel(self) -> None:
        """Stop the writer without writing (the request was cancelled or failed)."""
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()  # already reported through the request's own error; mark it seen

    async def _wait_flushed(self) -> None:
        task = self._task
        assert task is not None
        waiter = asyncio.ensure_future(self._flushed.wait())
        await asyncio.wait((waiter, task), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            waiter.cancel()
            task.result()

    async def _run(self) -> None:
        sink = self._sink
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._parts:
                data = b"".join(self._parts) if len(self._parts) > 1 else self._parts[0]
                self._parts.clear()
                self._size = 0
                if self._closing:  # the last bytes: they leave with the end of the body
                    await sink.write_eof(data)
                    self._flushed.set()
                    return
                await sink.write(data)
            self._flushed.set()
            if self._closing:
                await sink.write_eof()
                return
