"""Error bodies in OpenAI's shape, and how a failover maps to a status and an error type.

Every error the gateway returns is ``{"error": {"message", "type", "param", "code"}}`` (OpenAI's
shape, which OpenRouter clients read too), with a status that OpenAI SDKs turn into the matching
exception class (400 ``BadRequestError``, 401 ``AuthenticationError``, 404 ``NotFoundError``,
429 ``RateLimitError``, 5xx ``InternalServerError``).

A :class:`~openclaw.errors.FailoverError` takes the status of the *last* failure and the type of
its reason; its message lists every attempt and is redacted before it leaves the process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..errors import FailoverError, ProviderError

__all__ = ["HttpError", "error_body", "failover_error", "provider_error_json", "retry_after_header"]

# status -> (OpenAI error type, default code)
_BY_STATUS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    402: ("billing_error", "insufficient_credits"),
    403: ("permission_error", None),
    404: ("not_found_error", "model_not_found"),
    408: ("timeout_error", "request_timeout"),
    409: ("conflict_error", None),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", None),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    504: ("timeout_error", "upstream_timeout"),
}

# failure reason -> status when the upstream gave none (connect errors, cut streams, timeouts)
_REASON_STATUS = {
    "auth": 401,
    "auth_permanent": 401,
    "billing": 402,
    "rate_limit": 429,
    "timeout": 504,
    "overloaded": 503,
    "model_not_found": 404,
    "format": 400,
}


class HttpError(Exception):
    """An error answer: raise it anywhere in a handler; the app renders it."""

    __slots__ = ("code", "err_type", "headers", "message", "metadata", "param", "status")

    def __init__(
        self,
        status: int,
        message: str,
        *,
        err_type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        default_type, default_code = _type_for(status)
        self.status = status
        self.message = message
        self.err_type = err_type or default_type
        self.param = param
        self.code = code if code is not None else default_code
        self.headers = dict(headers or {})
        self.metadata = metadata

    def body(self) -> bytes:
        return error_body(
            self.message, self.err_type, param=self.param, code=self.code, metadata=self.metadata
        )


def _type_for(status: int) -> tuple[str, str | None]:
    found = _BY_STATUS.get(status)
    if found is not None:
        return found
    if status >= 500:
        return "api_error", None
    return "invalid_request_error", None


def error_body(
    message: str,
    err_type: str,
    *,
    param: str | None = None,
    code: str | int | None = None,
    metadata: dict[str, Any] | None = None,
) -> bytes:
    error: dict[str, Any] = {"message": message, "type": err_type, "param": param, "code": code}
    if metadata:
        error["metadata"] = metadata
    return orjson.dumps({"error": error})


def retry_after_header(seconds: float | None) -> dict[str, str]:
    if seconds is None or seconds <= 0:
        return {}
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _status_of(error: ProviderError | None, reason: str | None) -> int:
    if error is not None and error.status is not None and 400 <= error.status <= 599:
        return error.status
    if error is not None and error.kind == "timeout":
        return 504
    if reason in _REASON_STATUS:
        return _REASON_STATUS[reason]
    return 502


def _retry_after(exc: FailoverError, now: float) -> float | None:
    waits = []
    if exc.last is not None and exc.last.retry_after is not None:
        waits.append(exc.last.retry_after)
    if exc.retry_at is not None:
        waits.append(exc.retry_at - now)
    waits = [w for w in waits if w > 0]
    return min(waits) if waits else None


def failover_error(exc: FailoverError, redact: Callable[[str], str]) -> HttpError:
    """The HTTP answer for a request where every candidate failed."""
    reason = exc.reason
    status = _status_of(exc.last, reason)
    headers = retry_after_header(_retry_after(exc, time.time())) if status in (429, 503) else {}
    attempts = [
        {
            "provider": a.provider,
            "model": a.model,
            "profile": a.profile_id,
            "status": a.status,
            "reason": a.reason,
            "skipped": a.skipped,
        }
        for a in exc.attempts
    ]
    return HttpError(
        status,
        redact(exc.message),
        headers=headers,
        metadata={"error_type": reason or "unknown", "attempts": attempts},
    )


def provider_error_json(error: ProviderError, redact: Callable[[str], str]) -> dict[str, Any]:
    """The ``error`` object of a mid-stream error chunk (OpenRouter's shape plus OpenAI's type)."""
    status = _status_of(error, error.reason)
    err_type, _ = _type_for(status)
    head = f"{error.provider}/{error.model}: " if error.provider and error.model else ""
    return {
        "code": status,
        "message": redact(head + error.describe()),
        "type": err_type,
        "metadata": {"error_type": error.reason or error.kind},
    }
