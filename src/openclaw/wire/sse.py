"""An incremental Server-Sent Events decoder (the WHATWG event-stream format).

Feed it the body in whatever pieces the network delivers; it returns the events that are complete.
Pieces may split anything: a ``\\r\\n`` pair, a UTF-8 character, a field name. Lines end with
``\\r\\n``, ``\\n`` or ``\\r``. Comment lines (``: OPENROUTER PROCESSING``) are skipped (and
counted), several ``data:`` lines join with ``\\n``, ``event:``, ``id:`` and ``retry:`` are kept,
and :meth:`SSEDecoder.close` returns a final event that was not followed by a blank line.

Event data stays *bytes* (``SSEEvent.raw``): the JSON parser takes bytes directly, so the hot
path never decodes text it is about to parse. ``SSEEvent.data`` gives the text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEEvent"]

MAX_LINE = 16 * 1024 * 1024  # one SSE line larger than this is an upstream bug, not a stream


class SSEError(ValueError):
    pass


@dataclass(slots=True)
class SSEEvent:
    raw: bytes  # data lines joined with b"\n"
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    @property
    def data(self) -> str:
        return self.raw.decode("utf-8", "replace")


class SSEDecoder:
    """``feed(bytes) -> list[SSEEvent]``; ``close() -> list[SSEEvent]`` at the end of the body."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_retry", "comments", "last_id")

    def __init__(self) -> None:
        self._buf = b""  # an unfinished line (possibly ending in a lone b"\r")
        self._data: list[bytes] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self.last_id: str | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._buf + chunk if self._buf else chunk
        if not buf:
            return []
        carry = b""
        if b"\r" in buf:
            if buf[-1:] == b"\r":  # may be the first half of "\r\n": decide with the next piece
                buf, carry = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        rest = lines.pop()
        if len(rest) > MAX_LINE:
            raise SSEError("SSE line too long")
        self._buf = rest + carry
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:  # the common lines inlined: ``data: ...`` and the blank line after it
            if line[:6] == b"data: ":
                data.append(line[6:])
            elif line:
                self._line(line, events)
            elif len(data) == 1 and self._event is None and self._id is None and self._retry is None:
                events.append(SSEEvent(data[0]))
                data.clear()
            else:
                self._dispatch(events)
        return events

    def close(self) -> list[SSEEvent]:
        """End of the body: a last line without a terminator, and a last event without a blank
        line, still count."""
        events: list[SSEEvent] = []
        rest = self._buf.rstrip(b"\r")
        self._buf = b""
        if rest:
            self._line(rest, events)
        self._dispatch(events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line[:6] == b"data: ":  # the common case first
            self._data.append(line[6:])
            return
        if line[:1] == b":":
            self.comments += 1
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
        # other field names are ignored, as the format requires

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if not self._data and self._event is None and self._id is None and self._retry is None:
            return
        if self._id is not None:
            self.last_id = self._id
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        events.append(SSEEvent(data, self._event, self._id, self._retry))
        self._data.clear()
        self._event = None
        self._id = None
        self._retry = None
