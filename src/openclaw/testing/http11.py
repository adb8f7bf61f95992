"""A small, fast HTTP/1.1 server on :class:`asyncio.Protocol` for the fake upstream.

It parses requests with ``Content-Length`` or ``Transfer-Encoding: chunked`` bodies, keeps
connections alive (HTTP/1.1 default; ``Connection: close`` and HTTP/1.0 end them), and runs the
handler's :class:`~openclaw.testing.rendered.Step` list. A plain answer is one ``write`` straight
from ``data_received`` (no task, no copy); pauses, hangs and delays run in a task. A connection
the client closes is counted, and separately when it closed in the middle of an answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from .rendered import CLOSE, HANG, Step

__all__ = ["ConnStats", "HttpProtocol", "ParsedRequest"]

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


@dataclass(slots=True)
class ParsedRequest:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]  # lower-cased names, in order
    body: bytes
    keep_alive: bool


@dataclass
class ConnStats:
    opened: int = 0
    closed_by_client: int = 0  # the client closed the connection (at any time)
    aborted_responses: int = 0  # ... while an answer was still being sent (or awaited)
    open: int = 0
    live: set[HttpProtocol] = field(default_factory=set)


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


Handler = Callable[[ParsedRequest], list[Step]]


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("_buf", "_busy", "_handler", "_head", "_lost", "_ours", "_stats", "_task", "transport")

    def __init__(self, handler: Handler, stats: ConnStats) -> None:
        self._handler = handler
        self._stats = stats
        self._buf = bytearray()
        self._head: tuple[str, str, str, list[tuple[str, str]], int] | None = None
        self._busy = False  # an answer is in progress (its task owns the connection)
        self._ours = False  # we closed the connection
        self._lost: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.transport: asyncio.Transport | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's class is not a subclass
        self._stats.opened += 1
        self._stats.open += 1
        self._stats.live.add(self)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._busy:
            self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stats.open -= 1
        self._stats.live.discard(self)
        if not self._ours:
            self._stats.closed_by_client += 1
            if self._busy:
                self._stats.aborted_responses += 1
        self.transport = None
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # -- requests ----------------------------------------------------------------------------

    def close(self) -> None:
        """Server side close (shutdown or a scripted reset)."""
        self._ours = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self._ours = True
        if self.transport is not None:
            self.transport.abort()

    def _process(self) -> None:
        while self.transport is not None and not self._busy:
            try:
                request = self._parse()
            except BadRequest as exc:
                self._reply_error(exc.status, str(exc))
                return
            if request is None:
                return
            steps = self._handler(request)
            if len(steps) == 1 and isinstance(steps[0], bytes):
                self.transport.write(steps[0])
                if not request.keep_alive:
                    self.close()
                continue
            self._busy = True
            self._task = asyncio.get_running_loop().create_task(self._run(steps, request.keep_alive))

    async def _run(self, steps: list[Step], keep_alive: bool) -> None:
        try:
            for step in steps:
                if self.transport is None:
                    return
                if isinstance(step, bytes):
                    self.transport.write(step)
                elif isinstance(step, float | int):
                    await asyncio.sleep(step)
                elif step == CLOSE:
                    self.abort()
                    return
                elif step == HANG:
                    self._lost = asyncio.get_running_loop().create_future()
                    await self._lost
                    return
        except asyncio.CancelledError:
            return
        self._busy = False
        if not keep_alive:
            self.close()
        elif self._buf:
            self._process()

    def _reply_error(self, status: int, message: str) -> None:
        body = message.encode()
        head = f"HTTP/1.1 {status} Bad Request\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        if self.transport is not None:
            self.transport.write(head.encode() + body)
        self.close()

    # -- parsing -----------------------------------------------------------------------------

    def _parse(self) -> ParsedRequest | None:
        buf = self._buf
        if self._head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    raise BadRequest(431, "request head too large")
                return None
            self._head = _parse_head(bytes(buf[:end]), end + 4)
            if len(buf) == end + 4 and _expects_continue(self._head[3]) and self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        method, target, version, headers, start = self._head
        chunked = False
        length = 0
        for name, value in headers:
            if name == "content-length":
                length = _content_length(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            found = _dechunk(buf, start)
            if found is None:
                return None
            body, consumed = found
        else:
            if len(buf) < start + length:
                return None
            body, consumed = bytes(buf[start : start + length]), start + length
        del buf[:consumed]
        self._head = None
        return ParsedRequest(method, target, version, headers, body, _keep_alive(version, headers))


def _parse_head(raw: bytes, start: int) -> tuple[str, str, str, list[tuple[str, str]], int]:
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header line")
        headers.append((name.lower(), value.strip()))
    return parts[0], parts[1], parts[2], headers, start


def _content_length(value: str) -> int:
    if not value.isdigit():
        raise BadRequest(400, "bad Content-Length")
    length = int(value)
    if length > MAX_BODY:
        raise BadRequest(413, "body too large")
    return length


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """(body, bytes consumed) once the whole chunked body is buffered, else None."""
    parts: list[bytes] = []
    total = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest(400, "bad chunk size") from None
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n", pos)
            while end >= 0 and end != pos:  # skip trailer lines up to the empty line
                pos = end + 2
                end = buf.find(b"\r\n", pos)
            if end < 0:
                return None
            return b"".join(parts), end + 2
        if len(buf) < pos + size + 2:
            return None
        total += size
        if total > MAX_BODY:
            raise BadRequest(413, "body too large")
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


def _expects_continue(headers: list[tuple[str, str]]) -> bool:
    return any(n == "expect" and v.lower() == "100-continue" for n, v in headers)


def _keep_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    connection = next((v.lower() for n, v in headers if n == "connection"), "")
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection
