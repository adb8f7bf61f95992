"""One client connection as an :class:`asyncio.Protocol`: the byte plumbing under
:class:`~openclaw.transports.http_lean.LeanHttpClient`.

Why not ``asyncio.open_connection`` (StreamReader/StreamWriter): on the gateway's hot path every
read went through the stream classes and an ``asyncio.timeout`` block (a ``Timeout`` object and a
timer scheduled and cancelled), even when the bytes were already there, which is the common case
(a whole small answer arrives in one segment). Here received bytes go into one buffer and a read
takes from it at once; only a read that has to *wait* arms a timer, which fires at the caller's
absolute ``deadline`` (``loop.time()`` seconds) and ends the wait with :class:`TimeoutError`.

Flow control: reading pauses while more than ``limit`` bytes wait unread, and resumes once the
reader has caught up; :meth:`Wire.drain` waits while the socket's write buffer is above its
high-water mark. A connection that ended with an error raises that error (an ``OSError``) from the
next read that finds the buffer empty; one that ended cleanly reads as ``b""``.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Wire"]

_LIMIT = 1 << 20  # unread bytes before reading pauses


class Wire(asyncio.Protocol):
    def __init__(self, limit: int = _LIMIT) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._limit = limit
        self._eof = False
        self._error: BaseException | None = None
        self._paused = False  # reading paused (too much unread)
        self._blocked = False  # writing paused (the socket's buffer is full)
        self._waiter: asyncio.Future[None] | None = None

    # -- protocol callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not registered as asyncio.Transport subclasses: no isinstance)
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) > self._limit and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()

    def pause_writing(self) -> None:
        self._blocked = True

    def resume_writing(self) -> None:
        self._blocked = False
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the reader's side -------------------------------------------------------------------

    @property
    def at_eof(self) -> bool:
        return self._eof and not self._buf

    @property
    def closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    async def _wait(self, deadline: float) -> None:
        """Until something happens (bytes, end, writable), or TimeoutError at ``deadline``."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _ended(self) -> bytes:
        if self._error is not None:
            raise self._error
        return b""

    def _take(self, size: int) -> bytes:
        buf = self._buf
        data = bytes(buf[:size])
        del buf[:size]
        if self._paused and len(buf) <= self._limit // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def read(self, size: int, deadline: float) -> bytes:
        """Up to ``size`` bytes (waiting only when none are buffered); ``b""`` at a clean end."""
        while not self._buf:
            if self._eof:
                return self._ended()
            await self._wait(deadline)
        return self._take(size)

    async def readuntil(self, separator: bytes, deadline: float, limit: int) -> bytes:
        """Bytes up to and including ``separator``; IncompleteReadError if the connection ends
        first, LimitOverrunError past ``limit`` bytes without it."""
        start = 0
        while True:
            found = self._buf.find(separator, start)
            if found >= 0:
                return self._take(found + len(separator))
            if len(self._buf) > limit:
                raise asyncio.LimitOverrunError("separator not found within the limit", len(self._buf))
            if self._eof:
                partial = bytes(self._buf)
                self._ended()  # raises the connection's error, if it had one
                raise asyncio.IncompleteReadError(partial, None)
            start = max(0, len(self._buf) - len(separator) + 1)
            await self._wait(deadline)

    # -- the writer's side -------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.transport.write(data)

    async def drain(self, deadline: float) -> None:
        """Wait while the socket's write buffer is full (a large request body)."""
        while self._blocked:
            if self._eof:
                self._ended()
                raise ConnectionResetError("the connection closed while sending")
            await self._wait(deadline)

    def close(self) -> None:
        if self.transport is not None:
            with contextlib.suppress(Exception):  # closing a broken socket may fail; nothing to report
                self.transport.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
