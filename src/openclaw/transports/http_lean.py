"""LeanHttpClient: a small HTTP/1.1 client on asyncio streams, for the CLI.

Why not aiohttp here: importing aiohttp costs about 190 ms on this machine, more than the whole
``infer`` budget. This client imports only the standard library (``ssl`` lazily, for https).

It speaks plain HTTP/1.1: ``Content-Length``, ``Transfer-Encoding: chunked`` and read-until-close
bodies, streamed as they arrive; keep-alive connections are pooled per origin (a small, bounded
pool) and a body that was not read to the end closes its connection. No proxies, no redirects,
no compression (it never sends ``Accept-Encoding``).

Failures raise :class:`~openclaw.errors.ProviderError`: ``connect`` (DNS, refused, TLS, connect
timeout), ``timeout`` (no headers / no next byte within ``Timeouts.read``, or past
``Timeouts.total``), ``reset`` (closed before the response headers), ``cut`` (closed mid-body).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import InputError, ProviderError
from .base import Timeouts
from .http_wire import Wire

if TYPE_CHECKING:
    import ssl

__all__ = ["LeanHttpClient"]

_READ_SIZE = 65536
_MAX_HEAD = 64 * 1024
_MAX_HEADERS = 200
_MAX_URLS = 256  # parsed URLs remembered per client


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class _Url:
    """A parsed request URL: where to connect, and the request line's target and Host."""

    origin: _Origin
    target: str
    host_header: str


def _parse_url(url: str) -> _Url:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"unsupported URL {url!r}: use http:// or https://")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    origin = _Origin(parts.scheme, parts.hostname, port)
    return _Url(origin, target, origin.host_header)


class _Clock:
    """Per-read timeouts, capped by the exchange's total deadline (``loop.time()`` values)."""

    __slots__ = ("deadline", "loop", "read")

    def __init__(self, timeouts: Timeouts) -> None:
        self.loop = asyncio.get_running_loop()
        self.read = timeouts.read
        self.deadline = None if timeouts.total is None else self.loop.time() + timeouts.total

    def budget(self) -> float:
        if self.deadline is None:
            return self.read
        return max(0.0, min(self.read, self.deadline - self.loop.time()))

    def until(self, budget: float) -> float:
        """The loop time ``budget`` seconds from now."""
        return self.loop.time() + budget


class _Conn:
    __slots__ = ("wire",)

    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def close(self) -> None:
        self.wire.close()

    @property
    def usable(self) -> bool:
        return not self.wire.at_eof and not self.wire.closing


class LeanResponse:
    """One response; ``chunks()`` streams the body, ``read()`` collects it."""

    def __init__(
        self, conn: _Conn, *, status: int, headers: dict[str, str], framing: str, length: int, clock: _Clock
    ) -> None:
        self.status = status
        self.headers: Mapping[str, str] = headers
        self._conn = conn
        self._framing = framing  # length | chunked | close | none
        self._left = length
        self._clock = clock
        self.complete = framing == "none"
        self._started = False

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.chunks()])

    def chunks(self) -> AsyncIterator[bytes]:
        """The body's generator itself (not one wrapping it: every piece passes one frame)."""
        if self._started:
            raise RuntimeError("the response body was already read")
        self._started = True
        if self._framing == "length":
            return self._length_body()
        if self._framing == "chunked":
            return self._chunked_body()
        return self._until_close() if self._framing == "close" else _no_body()

    async def _until_close(self) -> AsyncIterator[bytes]:
        while data := await self._read(_READ_SIZE):
            yield data
        self.complete = True

    async def _read(self, size: int) -> bytes:
        """Up to ``size`` body bytes; a wait longer than the read budget is a timeout."""
        clock = self._clock
        budget = clock.budget()
        try:
            return await self._conn.wire.read(size, clock.until(budget))
        except TimeoutError:
            raise ProviderError(f"no data from the upstream for {budget:g} s", kind="timeout") from None
        except OSError as exc:
            raise ProviderError(
                f"the upstream closed the connection mid-body ({exc.__class__.__name__})", kind="cut"
            ) from None

    async def _length_body(self) -> AsyncIterator[bytes]:
        while self._left > 0:
            data = await self._read(min(self._left, _READ_SIZE))
            if not data:
                raise ProviderError(
                    "the upstream closed the connection before the whole body arrived", kind="cut"
                )
            self._left -= len(data)
            yield data
        self.complete = True

    async def _chunked_body(self) -> AsyncIterator[bytes]:
        """One await per network read; every complete chunk in it is yielded as one piece."""
        parser = _Dechunker()
        while not parser.done:
            data = await self._read(_READ_SIZE)
            if not data:
                raise ProviderError("the upstream closed the connection mid-stream", kind="cut")
            payload = parser.feed(data)
            if parser.done:  # set before the last payload is handed on, so no drain is needed;
                self.complete = not parser.buf  # bytes after the body: do not reuse the connection
            if payload:
                yield payload


async def _no_body() -> AsyncIterator[bytes]:
    return
    yield  # an async generator that yields nothing


_SIZE, _DATA, _CRLF, _TRAILER = 0, 1, 2, 3  # _Dechunker states
_MAX_SIZE_LINE = 4096


class _Dechunker:
    """Incremental ``Transfer-Encoding: chunked`` parser (no I/O): ``feed(bytes) -> payload``.

    One pass over each network read with index arithmetic: a streamed answer arrives as many
    small chunks (one per SSE event), so per-chunk work is kept to a find, a slice and an int().
    """

    __slots__ = ("buf", "done", "left", "state")

    def __init__(self) -> None:
        self.buf = b""  # bytes not consumed yet (an incomplete size line or terminator)
        self.state = _SIZE
        self.left = 0  # bytes of the current chunk still to come
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buf = self.buf + data if self.buf else data
        out: list[bytes] = []
        pos, end = _whole_chunks(buf, out) if self.state == _SIZE else 0, len(buf)
        state, left = self.state, self.left
        while not self.done and pos < end:
            if state == _DATA:
                take = left if left < end - pos else end - pos
                out.append(buf[pos : pos + take])
                pos += take
                left -= take
                if left == 0:
                    state = _CRLF
            elif state == _CRLF:
                if buf[pos] == 10:  # a bare LF, tolerated
                    pos += 1
                elif end - pos < 2:
                    break
                elif buf[pos + 1] == 10 and buf[pos] == 13:
                    pos += 2
                else:
                    raise ProviderError("bad chunk terminator in the upstream body", kind="malformed")
                state = _SIZE
            else:
                eol = buf.find(b"\n", pos)
                if eol < 0:
                    if end - pos > _MAX_SIZE_LINE:
                        raise ProviderError("bad chunk framing in the upstream body", kind="malformed")
                    break
                line = buf[pos:eol].rstrip(b"\r")
                pos = eol + 1
                if state == _TRAILER:
                    self.done = not line
                    continue
                left = _chunk_size(line)
                state = _DATA if left else _TRAILER
        self.buf = buf[pos:] if pos < end else b""
        self.state, self.left = state, left
        return out[0] if len(out) == 1 else b"".join(out)


def _whole_chunks(buf: bytes, out: list[bytes]) -> int:
    """The common case in one tight loop: complete chunks (``SIZE\\r\\n DATA \\r\\n``) from the
    start of ``buf``, their data appended to ``out``; returns where the first chunk that is not
    complete (or not plain: extensions, the last chunk, a bare LF) starts, for the state machine."""
    pos = 0
    find = buf.find
    while (eol := find(b"\n", pos)) >= 0:
        try:
            size = int(buf[pos:eol], 16)  # int() ignores the "\r" around the digits
        except ValueError:
            break
        start = eol + 1
        stop = start + size
        if size <= 0 or buf[stop : stop + 2] != b"\r\n":
            break
        out.append(buf[start:stop])
        pos = stop + 2
    return pos


def _chunk_size(line: bytes) -> int:
    try:
        return int(line.split(b";", 1)[0].strip(), 16)
    except ValueError:
        raise ProviderError(f"bad chunk size line {line[:40]!r}", kind="malformed") from None


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProviderError(f"the upstream did not answer HTTP/1.x: {lines[0][:60]!r}", kind="malformed")
    headers: dict[str, str] = {}
    for line in lines[1 : _MAX_HEADERS + 1]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(parts[1]), headers


def _framing(method: str, status: int, headers: Mapping[str, str]) -> tuple[str, int]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none", 0
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return "chunked", 0
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit():
        size = int(length)
        return ("length", size) if size else ("none", 0)
    return "close", 0


def _request_bytes(method: str, url: _Url, headers: Mapping[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {url.target} HTTP/1.1", f"Host: {url.host_header}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise InputError(f"header {name!r} contains a line break")
        if name.lower() not in ("host", "content-length", "transfer-encoding", "connection"):
            lines.append(f"{name}: {value}")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


class LeanHttpClient:
    """The :class:`~openclaw.transports.base.HttpClient` seam on asyncio streams."""

    # Idle keep-alive connections kept per origin: one for a CLI run, up to one per concurrent
    # request in a gateway (a smaller pool would close and reopen connections under load).
    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_idle_per_origin: int = 256) -> None:
        self._ssl = ssl_context
        self._idle: dict[_Origin, list[_Conn]] = {}
        self._max_idle = max_idle_per_origin
        self._urls: dict[str, _Url] = {}  # parsed once: a gateway calls the same few URLs

    def _url(self, url: str) -> _Url:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            parsed = self._urls[url] = _parse_url(url)
        return parsed

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import ssl

            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _connect(self, origin: _Origin, timeouts: Timeouts) -> _Conn:
        ssl_ctx = self._ssl_context() if origin.scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeouts.connect):
                _, wire = await loop.create_connection(
                    Wire,
                    origin.host,
                    origin.port,
                    ssl=ssl_ctx,
                    server_hostname=origin.host if ssl_ctx else None,
                )
        except TimeoutError:
            raise ProviderError(
                f"could not connect to {origin.host}:{origin.port} within {timeouts.connect:g} s",
                kind="connect",
            ) from None
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
            reason = exc.strerror or exc.__class__.__name__
            raise ProviderError(
                f"could not connect to {origin.host}:{origin.port}: {reason}", kind="connect"
            ) from None
        return _Conn(wire)

    def _pooled(self, origin: _Origin) -> _Conn | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable:
                return conn
            conn.close()
        return None

    def _release(self, origin: _Origin, conn: _Conn) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < self._max_idle and conn.usable:
            idle.append(conn)
        else:
            conn.close()

    async def _exchange(self, conn: _Conn, payload: bytes, method: str, clock: _Clock) -> LeanResponse:
        budget = clock.budget()
        deadline = clock.until(budget)  # for the request and the response headers together
        wire = conn.wire
        try:
            wire.write(payload)
            await wire.drain(deadline)
            head = await wire.readuntil(b"\r\n\r\n", deadline, _MAX_HEAD)
            status, headers = _parse_head(head[:-4])
            while 100 <= status < 200:  # 100 Continue and friends: the real answer follows
                head = await wire.readuntil(b"\r\n\r\n", deadline, _MAX_HEAD)
                status, headers = _parse_head(head[:-4])
        except TimeoutError:
            raise ProviderError(
                f"no response headers from the upstream within {budget:g} s", kind="timeout"
            ) from None
        except asyncio.LimitOverrunError:
            raise ProviderError("the upstream's response headers are too large", kind="malformed") from None
        except (asyncio.IncompleteReadError, OSError) as exc:
            raise ProviderError(
                f"the upstream closed the connection before answering ({exc.__class__.__name__})",
                kind="reset",
            ) from None
        framing, length = _framing(method, status, headers)
        return LeanResponse(conn, status=status, headers=headers, framing=framing, length=length, clock=clock)

    @contextlib.asynccontextmanager
    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> AsyncIterator[LeanResponse]:
        parsed = self._url(url)
        origin = parsed.origin
        payload = _request_bytes(method, parsed, headers, body)
        clock = _Clock(timeouts)
        conn = self._pooled(origin)
        response: LeanResponse | None = None
        try:
            if conn is not None:
                try:
                    response = await self._exchange(conn, payload, method, clock)
                except ProviderError as exc:
                    if exc.kind != "reset":
                        raise
                    conn.close()  # a stale keep-alive connection: try once on a fresh one
                    conn = None
            if response is None:
                conn = await self._connect(origin, timeouts)
                response = await self._exchange(conn, payload, method, clock)
            yield response
        finally:
            if conn is not None:
                keep = (
                    response is not None
                    and response.complete
                    and response.headers.get("connection", "").lower() != "close"
                )
                if keep:
                    self._release(origin, conn)
                else:
                    conn.close()

    async def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
