"""One write per event-loop turn for a streamed response, without a writer task.

An upstream read often carries several SSE events (a fast model, TCP coalescing, a burst after a
pause). The relay decodes and re-encodes them one by one without waiting, so writing each on its
own costs one ``send`` system call (and aiohttp's chunk framing) per event: the largest single
cost of a streamed answer on the gateway's profile.

:class:`CoalescingWriter` collects the encoded events (``add`` is a plain call: no coroutine per
event) and sends what has accumulated as one chunk from a callback scheduled for the next turn of
the event loop. That callback only runs when the relay yields to the loop, that is when the
upstream has nothing more buffered, so every event still goes out in the same loop turn it
arrived in: batching adds no delay.

The callback starts the write itself: aiohttp's ``write`` finishes without waiting unless the
client is behind (its transport paused), so in the common case a stream costs no task and no
wake-up at all. A write that does have to wait is finished by a task, which then also writes
what queued meanwhile; events keep queueing without waiting until more than ``limit`` bytes are
behind, and then ``add`` says so and the relay awaits :meth:`CoalescingWriter.drain`: a slow
client still holds the upstream back (back-pressure) instead of growing memory.

:meth:`CoalescingWriter.close` ends the response: what is still waiting goes out with the end of
the body (``write_eof(data)``: for a chunked response, the last chunk and the terminator in one
``send``). A fast upstream whose whole answer arrived in one read therefore costs one write in
all, headers included (see :class:`~.sse.SSEResponse`).

A failed write (the client went away) is raised from the next ``add``/``drain``/``close`` of the
relay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

__all__ = ["CoalescingWriter"]

_LIMIT = 64 * 1024


class _Sink(Protocol):
    async def write(self, data: bytes) -> None: ...
    async def write_eof(self, data: bytes = b"") -> None: ...


class CoalescingWriter:
    __slots__ = ("_closing", "_error", "_handle", "_limit", "_loop", "_parts", "_sink", "_size", "_task")

    def __init__(self, sink: _Sink, *, limit: int = _LIMIT) -> None:
        self._sink = sink
        self._limit = limit
        self._loop = asyncio.get_running_loop()
        self._parts: list[bytes] = []
        self._size = 0
        self._closing = False
        self._handle: asyncio.Handle | None = None  # the flush at the next loop turn
        self._task: asyncio.Task[None] | None = None  # a write that waits for the client
        self._error: Exception | None = None  # what a write raised, for the relay

    def add(self, data: bytes) -> bool:
        """Queue ``data`` (it leaves at the next loop turn); True when more than ``limit`` bytes
        are waiting: the caller then awaits :meth:`drain`."""
        if self._error is not None:
            raise self._error
        self._parts.append(data)
        self._size += len(data)
        if self._handle is None and self._task is None:
            self._handle = self._loop.call_soon(self._flush)
        return self._size > self._limit

    async def drain(self) -> None:
        """Wait until the client has taken what was queued (raises what a write raised)."""
        while self._parts:
            if self._task is not None:
                await self._task
            elif self._closing:
                return
            else:
                await self._sink.write(self._take())
            if self._error is not None:
                raise self._error

    async def close(self) -> None:
        """Write what is waiting with the end of the body (raises what a write raised)."""
        self._closing = True
        self._unschedule()
        if self._task is not None:
            await self._task  # it stops after the write it is in
        if self._error is not None:
            raise self._error
        await self._sink.write_eof(self._take() if self._parts else b"")

    def cancel(self) -> None:
        """Stop writing (the request was cancelled or failed)."""
        self._unschedule()
        task = self._task
        if task is not None and not task.done():
            task.cancel()

    def _unschedule(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _take(self) -> bytes:
        parts = self._parts
        data = b"".join(parts) if len(parts) > 1 else parts[0]
        parts.clear()
        self._size = 0
        return data

    def _flush(self) -> None:
        """The relay yielded: start writing what accumulated; a write that has to wait for the
        client is left to a task."""
        self._handle = None
        if not self._parts or self._task is not None or self._closing or self._error is not None:
            return
        write = self._sink.write(self._take())
        try:
            waiting = write.send(None)
        except StopIteration:
            return  # written (the usual case)
        except Exception as exc:
            self._error = exc
            return
        self._task = self._loop.create_task(self._finish(write, waiting))

    async def _finish(self, write: Coroutine[Any, Any, None], waiting: Any) -> None:
        """Drive a write that had to wait (as a task would: resumed once what it waits on is
        done), then write what queued meanwhile."""
        try:
            try:
                while True:
                    if waiting is None:  # a bare yield
                        await asyncio.sleep(0)
                    else:
                        await asyncio.wait((waiting,))
                    try:
                        waiting = write.send(None)
                    except StopIteration:
                        break
            except asyncio.CancelledError:
                write.close()
                raise
            while self._parts and not self._closing:
                await self._sink.write(self._take())
        except Exception as exc:
            self._error = exc
        finally:
            self._task = None
