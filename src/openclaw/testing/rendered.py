"""A rendered answer (status, headers, body or SSE events) and how it becomes socket writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["CLOSE", "HANG", "Rendered", "Step", "json_bytes", "sse_data", "sse_event"]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Site Overloaded",
}

CLOSE = "close"  # step: close the connection now
HANG = "hang"  # step: wait until the client goes away

Step = bytes | float | str


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def sse_data(value: Any) -> bytes:
    return b"data: " + orjson.dumps(value) + b"\n\n"


def sse_event(name: str, value: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(value) + b"\n\n"


@dataclass
class Rendered:
    """``body`` for a plain answer; ``events`` (each one complete SSE event) for a stream.

    ``truncate`` closes the connection after the events (or after half of the body) without
    the terminating chunk: a cut stream. ``preamble`` is sent before the first event and not
    counted (comment lines)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    events: list[bytes] | None = None
    preamble: bytes = b""
    interval: float = 0.0
    truncate: bool = False

    def steps(self, keep_alive: bool) -> list[Step]:
        """Socket writes (bytes), pauses (float seconds) and CLOSE, in order."""
        if self.events is None:
            return self._plain_steps(keep_alive)
        return self._stream_steps(keep_alive)

    def _head(self, extra: list[tuple[str, str]], keep_alive: bool) -> bytes:
        reason = REASONS.get(self.status, "Status")
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines += [f"{k}: {v}" for k, v in (*self.headers, *extra)]
        if not keep_alive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _plain_steps(self, keep_alive: bool) -> list[Step]:
        body = self.body or b""
        head = self._head([("Content-Length", str(len(body)))], keep_alive and not self.truncate)
        if self.truncate:
            return [head + body[: len(body) // 2], CLOSE]
        return [head + body] if keep_alive else [head + body, CLOSE]

    def _stream_steps(self, keep_alive: bool) -> list[Step]:
        head = self._head([("Transfer-Encoding", "chunked")], keep_alive and not self.truncate)
        events = list(self.events or [])
        if self.preamble and events:
            events[0] = self.preamble + events[0]
        elif self.preamble:
            events = [self.preamble]
        framed = [b"%x\r\n%b\r\n" % (len(e), e) for e in events]
        tail: list[Step] = [CLOSE] if self.truncate else [b"0\r\n\r\n"]
        if not self.truncate and not keep_alive:
            tail.append(CLOSE)
        if self.interval <= 0:
            joined = head + b"".join(framed)
            if tail and isinstance(tail[0], bytes):
                return [joined + tail[0], *tail[1:]]
            return [joined, *tail]
        steps: list[Step] = [head]
        for index, chunk in enumerate(framed):
            if index:
                steps.append(self.interval)
            steps.append(chunk)
        return [*steps, *tail]
