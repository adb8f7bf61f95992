"""One structured line per request on stderr (``text`` key=value or ``json``), buffered.

Lines are collected in memory and written at most every 50 ms (or when 64 KiB are waiting), so a
busy gateway makes one ``write`` per batch instead of one per request. ``flush()`` writes the rest
(called on shutdown).

A line carries: request id, method, path, status, model requested and served, provider,
attempts, latency and time-to-first-token in ms, tokens, client key id. Never a secret (the
requested model name is passed through the runtime's redactor) and never prompt text unless
``gateway.logging.includePrompts`` is on.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import IO, Any

import orjson

__all__ = ["AccessLog", "RequestRecord"]

_FLUSH_SECONDS = 0.05
_FLUSH_BYTES = 64 * 1024
_MAX_FIELD = 256


class RequestRecord:
    """What one request did; filled in by the route as it goes."""

    __slots__ = (
        "attempts",
        "client_key",
        "error",
        "input_tokens",
        "method",
        "model",
        "output_tokens",
        "path",
        "prompt",
        "provider",
        "request_id",
        "served",
        "started",
        "status",
        "stream",
        "ttft",
    )

    def __init__(self, request_id: str, method: str, path: str, started: float) -> None:
        self.request_id = request_id
        self.method = method
        self.path = path
        self.started = started  # loop.time() at arrival
        self.status = 0
        self.model: str | None = None
        self.served: str | None = None
        self.provider: str | None = None
        self.attempts = 0
        self.ttft: float | None = None  # seconds
        self.input_tokens = 0
        self.output_tokens = 0
        self.client_key: str | None = None
        self.stream = False
        self.error: str | None = None
        self.prompt: str | None = None


def _text_value(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "-_./:@" for c in text):
        return text
    return orjson.dumps(text).decode()


class AccessLog:
    def __init__(
        self,
        *,
        fmt: str = "text",
        enabled: bool = True,
        redact: Callable[[str], str] = str,
        stream: IO[bytes] | None = None,
    ) -> None:
        self.fmt = fmt
        self.enabled = enabled
        self._redact = redact
        self._out = stream if stream is not None else sys.stderr.buffer
        self._buf: list[bytes] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def fields(self, rec: RequestRecord, latency: float) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ts": round(time.time(), 3),
            "request_id": rec.request_id,
            "method": rec.method,
            "path": rec.path,
            "status": rec.status,
            "latency_ms": round(latency * 1000, 2),
        }
        if rec.model is not None:
            data["model"] = self._redact(rec.model[:_MAX_FIELD])
        optional = (
            ("served", rec.served),
            ("provider", rec.provider),
            ("attempts", rec.attempts or None),
            ("stream", rec.stream or None),
            ("ttft_ms", round(rec.ttft * 1000, 2) if rec.ttft is not None else None),
            ("input_tokens", rec.input_tokens or None),
            ("output_tokens", rec.output_tokens or None),
            ("client_key", rec.client_key),
            ("error", self._redact(rec.error[:_MAX_FIELD]) if rec.error else None),
            ("prompt", self._redact(rec.prompt) if rec.prompt else None),
        )
        data.update((k, v) for k, v in optional if v is not None)
        return data

    def log(self, rec: RequestRecord, latency: float) -> None:
        if not self.enabled:
            return
        data = self.fields(rec, latency)
        if self.fmt == "json":
            line = orjson.dumps(data) + b"\n"
        else:
            line = (" ".join(f"{k}={_text_value(v)}" for k, v in data.items()) + "\n").encode()
        self._buf.append(line)
        self._size += len(line)
        if self._size >= _FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(_FLUSH_SECONDS, self.flush)
            except RuntimeError:
                self.flush()

    def message(self, text: str) -> None:
        """A lifecycle line (listening, draining, stopped), written at once."""
        if self.fmt == "json":
            line = orjson.dumps({"ts": round(time.time(), 3), "event": text}) + b"\n"
        else:
            line = f"[gateway] {text}\n".encode()
        self._buf.append(line)
        self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buf:
            return
        data = b"".join(self._buf)
        self._buf.clear()
        self._size = 0
        try:
            self._out.write(data)
            self._out.flush()
        except (BrokenPipeError, ValueError):
            self.enabled = False  # stderr went away: stop logging, keep serving
