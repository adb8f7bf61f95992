"""Upstream error bodies and retry hints -> :class:`~openclaw.errors.ProviderError`.

Error bodies come in three shapes, all understood here:

* OpenRouter: ``{"error": {"code": 429, "message": "...", "metadata": {"error_type", "raw",
  "provider_name", "headers": {"X-RateLimit-Reset": ...}}}, "user_id": ...}``
* OpenAI: ``{"error": {"message", "type", "param", "code": "rate_limit_exceeded"}}``
* Anthropic: ``{"type": "error", "error": {"type": "rate_limit_error", "message"}}``

Anything else (HTML from a proxy, plain text, nothing) gives a message from the status line.
``code`` may be an int or a string in the wild; both are kept as text.

How long to wait (``retry_after``, seconds), first match wins: ``retry-after-ms``,
``Retry-After`` (seconds, or an HTTP date), then OpenRouter's ``X-RateLimit-Reset`` (epoch
seconds or milliseconds; also read from ``error.metadata.headers``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import orjson

from ..errors import ProviderError
from ..redact import Redactor

__all__ = ["error_from_object", "http_error", "parse_error_body", "retry_after_seconds"]

_MAX_MESSAGE = 500
_HTTP_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    524: "A Timeout Occurred",
    529: "Overloaded",
}


def _status_from_code(code: Any) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        value = code
    elif isinstance(code, str) and code.isdigit():
        value = int(code)
    else:
        return None
    return value if 100 <= value <= 599 else None


def _message_of(err: Mapping[str, Any]) -> str:
    message = err.get("message")
    text = message if isinstance(message, str) and message else ""
    metadata = err.get("metadata")
    raw = metadata.get("raw") if isinstance(metadata, Mapping) else None
    if isinstance(raw, str) and raw and (not text or text == "Provider returned error"):
        text = f"{text}: {raw}" if text else raw
    return text[:_MAX_MESSAGE]


def parse_error_body(payload: Any) -> tuple[str, str | None, str | None, int | None]:
    """``(message, code, error_type, status-from-code)`` from a decoded error payload."""
    if not isinstance(payload, Mapping):
        return "", None, None, None
    err = payload.get("error")
    if isinstance(err, str):
        return err[:_MAX_MESSAGE], None, None, None
    if not isinstance(err, Mapping):
        message = payload.get("message") or payload.get("detail")
        return (message[:_MAX_MESSAGE] if isinstance(message, str) else ""), None, None, None
    code = err.get("code")
    metadata = err.get("metadata")
    error_type = metadata.get("error_type") if isinstance(metadata, Mapping) else None
    if not isinstance(error_type, str):
        error_type = err.get("type") if isinstance(err.get("type"), str) else None
    if code is None and payload.get("type") == "error":
        code = err.get("type")  # Anthropic: the type is the code
    return _message_of(err), None if code is None else str(code), error_type, _status_from_code(code)


def error_from_object(
    err: Mapping[str, Any] | None, *, kind: str, provider: str = "", model: str = ""
) -> ProviderError:
    """A ProviderError from an in-band ``error`` object (stream chunk or 200 body)."""
    message, code, error_type, status = parse_error_body({"error": dict(err or {})})
    return ProviderError(
        message or "the upstream reported an error",
        kind=kind,
        status=status,
        code=code,
        error_type=error_type,
        provider=provider,
        model=model,
    )


def _reset_header(headers: Mapping[str, str], payload: Any) -> str | None:
    value = headers.get("x-ratelimit-reset")
    if value:
        return value
    err = payload.get("error") if isinstance(payload, Mapping) else None
    metadata = err.get("metadata") if isinstance(err, Mapping) else None
    inner = metadata.get("headers") if isinstance(metadata, Mapping) else None
    if isinstance(inner, Mapping):
        for name, raw in inner.items():
            if str(name).lower() == "x-ratelimit-reset" and raw is not None:
                return str(raw)
    return None


def _float(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def retry_after_seconds(
    headers: Mapping[str, str], payload: Any = None, *, now: float | None = None
) -> float | None:
    """Seconds the upstream asked us to wait, or None when it did not say (see module doc)."""
    current = time.time() if now is None else now
    ms = headers.get("retry-after-ms")
    if ms and (value := _float(ms)) is not None:
        return value / 1000.0
    after = headers.get("retry-after")
    if after:
        value = _float(after)
        if value is not None:
            return value
        from email.utils import parsedate_to_datetime  # rare path: keep it off the import cost

        try:
            when = parsedate_to_datetime(after)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - current)
    reset = _reset_header(headers, payload)
    if reset and (stamp := _float(reset)) is not None:
        if stamp > 1e11:  # epoch milliseconds
            stamp /= 1000.0
        if stamp > 1e9:  # epoch seconds
            return max(0.0, stamp - current)
        return stamp  # a small number: already a delay in seconds
    return None


def http_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    provider: str = "",
    model: str = "",
    redactor: Redactor | None = None,
) -> ProviderError:
    """The ProviderError for a non-2xx answer (``kind="http"``)."""
    payload: Any = None
    if body:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None
    message, code, error_type, _ = parse_error_body(payload)
    if not message:
        text = body.decode("utf-8", "replace").strip()
        looks_textual = text and not text.lstrip().startswith("<") and len(text) <= 200
        message = text if looks_textual else _HTTP_REASONS.get(status, "HTTP error")
    if redactor is not None:
        message = redactor(message)
    return ProviderError(
        message,
        kind="http",
        status=status,
        headers=dict(headers),
        code=code,
        provider=provider,
        model=model,
        retry_after=retry_after_seconds(headers, payload),
        error_type=error_type,
    )
