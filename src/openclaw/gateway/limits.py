"""Request limits: body size, time to send the body, and the request's deadline.

* Body: ``gateway.limits.maxBodyBytes`` (20 MB by default). A declared ``Content-Length`` over the
  limit is refused before reading; a chunked body is cut off when it passes the limit: 413.
* A body that trickles in slower than ``headerTimeoutSeconds`` is refused with 408 (the header
  part of a slow client is cut off by the server's header timeout; see :mod:`.server`).
* Deadline: ``gateway.limits.requestTimeoutSeconds``, shortened by the client's own timeout when it
  sends one: ``x-openclaw-timeout`` (seconds), ``x-stainless-timeout`` (seconds, sent by the
  OpenAI SDKs) or ``x-request-timeout-ms``. It becomes ``RequestContext.deadline``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping

from aiohttp import web

from .errors import HttpError

__all__ = ["client_timeout", "deadline_for", "read_body"]

_MIN_TIMEOUT = 0.05


def _seconds(value: str | None, scale: float = 1.0) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value) * scale
    except ValueError:
        return None
    if math.isnan(seconds) or seconds <= 0:
        return None
    return max(seconds, _MIN_TIMEOUT)


def client_timeout(headers: Mapping[str, str]) -> float | None:
    """The timeout the client asked for, in seconds (None when it sent none)."""
    for name, scale in (
        ("x-openclaw-timeout", 1.0),
        ("x-stainless-timeout", 1.0),
        ("x-request-timeout-ms", 0.001),
    ):
        found = _seconds(headers.get(name), scale)
        if found is not None:
            return found
    return None


def deadline_for(headers: Mapping[str, str], limit: float) -> float:
    """A ``time.monotonic()`` deadline: now + min(server limit, client timeout)."""
    wanted = client_timeout(headers)
    budget = limit if wanted is None else min(limit, wanted)
    return time.monotonic() + budget


def _too_large(limit: int) -> HttpError:
    return HttpError(
        413,
        f"The request body is larger than this gateway accepts ({limit} bytes; gateway.limits.maxBodyBytes).",
        param="body",
    )


async def read_body(request: web.Request, limit: int, within: float) -> bytes:
    """The whole body, within ``limit`` bytes and ``within`` seconds."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit)
    try:
        if request.content.is_eof():  # the whole body came with the headers: nothing to wait for
            return await request.read()
        async with asyncio.timeout(within):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(limit) from None
    except TimeoutError:
        raise HttpError(408, f"The request body did not arrive within {within:g} s.", param="body") from None
