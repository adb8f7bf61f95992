"""One structured line per request on stderr (``text`` key=value or ``json``), buffered.

Lines are collected in memory and written at most every 50 ms (or when 64 KiB are waiting), so a
busy gateway makes one ``write`` per batch instead of one per request. ``flush()`` writes the rest
(called on shutdown).

A line costs a few microseconds (it is on every request's path, measured with
``bench/gateway_bench.py``'s no-access-log variant): the fields are one dict in a fixed order, the
text format quotes only values that need it (one compiled regex match, numbers never), and the
redacted form of a requested model name is remembered (clients repeat the same few names).

A line carries: request id, method, path, status, model requested and served, provider,
attempts, latency and time-to-first-token in ms, tokens, client key id. Never a secret (the
requested model name is passed through the runtime's redactor) and never prompt text unless
``gateway.logging.includePrompts`` is on.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Callable
from typing import IO, Any

import orjson

__all__ = ["AccessLog", "RequestRecord"]

_FLUSH_SECONDS = 0.05
_FLUSH_BYTES = 64 * 1024
_MAX_FIELD = 256
_MODEL_CACHE = 256  # distinct requested model names whose redacted form is kept
_PLAIN = re.compile(r"[\w\-./:@]+").fullmatch  # values written unquoted in the text format


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


def _stamp() -> str:
    """Epoch seconds with milliseconds, formatted from an integer (a float's repr costs more)."""
    ms = int(time.time() * 1000)
    return f"{ms // 1000}.{ms % 1000:03d}"


def _text(value: str) -> str:
    """A string value as written in the text format: as is when plain, else JSON-quoted."""
    return value if _PLAIN(value) else orjson.dumps(value).decode()


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
        self._models: dict[str, str] = {}

    def _model(self, model: str) -> str:
        """The requested model name, cut and redacted (remembered: a few names repeat)."""
        known = self._models.get(model)
        if known is None:
            if len(self._models) >= _MODEL_CACHE:
                self._models.clear()
            known = self._models[model] = self._redact(model[:_MAX_FIELD])
        return known

    def fields(self, rec: RequestRecord, latency: float) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ts": round(time.time(), 3),
            "request_id": rec.request_id,
            "method": rec.method,
            "path": rec.path,
            "status": rec.status,
            "latency_ms": round(latency * 1000, 2),
        }
        # optional fields, in this order, only when set
        if rec.model is not None:
            data["model"] = self._model(rec.model)
        if rec.served is not None:
            data["served"] = rec.served
        if rec.provider is not None:
            data["provider"] = rec.provider
        if rec.attempts:
            data["attempts"] = rec.attempts
        if rec.stream:
            data["stream"] = True
        if rec.ttft is not None:
            data["ttft_ms"] = round(rec.ttft * 1000, 2)
        if rec.input_tokens:
            data["input_tokens"] = rec.input_tokens
        if rec.output_tokens:
            data["output_tokens"] = rec.output_tokens
        if rec.client_key is not None:
            data["client_key"] = rec.client_key
        if rec.error:
            data["error"] = self._redact(rec.error[:_MAX_FIELD])
        if rec.prompt:
            data["prompt"] = self._redact(rec.prompt)
        return data

    def text_line(self, rec: RequestRecord, latency: float) -> bytes:
        """The same fields as :meth:`fields`, as ``key=value`` pairs: one f-string for the fields
        every line has, then the optional ones (this runs for every request)."""
        line = (
            f"ts={_stamp()} request_id={_text(rec.request_id)} method={_text(rec.method)} "
            f"path={_text(rec.path)} status={rec.status} latency_ms={latency * 1000:.2f}"
        )
        if rec.model is not None:
            line += f" model={_text(self._model(rec.model))}"
        if rec.served is not None:
            line += f" served={_text(rec.served)}"
        if rec.provider is not None:
            line += f" provider={_text(rec.provider)}"
        if rec.attempts:
            line += f" attempts={rec.attempts}"
        if rec.stream:
            line += " stream=True"
        if rec.ttft is not None:
            line += f" ttft_ms={rec.ttft * 1000:.2f}"
        if rec.input_tokens:
            line += f" input_tokens={rec.input_tokens}"
        if rec.output_tokens:
            line += f" output_tokens={rec.output_tokens}"
        if rec.client_key is not None:
            line += f" client_key={_text(rec.client_key)}"
        if rec.error:
            line += f" error={_text(self._redact(rec.error[:_MAX_FIELD]))}"
        if rec.prompt:
            line += f" prompt={_text(self._redact(rec.prompt))}"
        return (line + "\n").encode()

    def log(self, rec: RequestRecord, latency: float) -> None:
        if not self.enabled:
            return
        if self.fmt == "json":
            line = orjson.dumps(self.fields(rec, latency)) + b"\n"
        else:
            line = self.text_line(rec, latency)
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
