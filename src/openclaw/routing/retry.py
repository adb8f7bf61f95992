"""Retry timing: server hints, capped jittered backoff, and the one time budget per request.

* **Server hints** (:func:`server_wait`): ``retry-after-ms`` (milliseconds), ``Retry-After``
  (seconds or an HTTP date), and OpenRouter's ``X-RateLimit-Reset`` (epoch seconds or
  milliseconds) when the transport did not already parse one into ``ProviderError.retry_after``.
  A hint is honoured exactly (no jitter), but never slept when it is longer than
  ``maxRetryAfterSeconds`` (default 60 s; ``OPENCLAW_SDK_RETRY_MAX_WAIT_SECONDS`` overrides, and
  ``0``/``off`` removes the cap): the router fails over instead and the hint lengthens the
  cooldown.
* **Backoff** (:meth:`RetryPolicy.backoff`): ``base · 2^n`` capped at ``maxDelayMs``, jittered by
  ``±jitter`` (default 20 %), never above the cap.
* **Budget** (:class:`Budget`): one deadline per request, shared by every attempt, retry, wait
  and failover. An attempt's timeouts are cut to what is left of it; a wait that would not leave
  room for the next attempt is not taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import msgspec

from ..config.schema import RetryConfig, RoutingSection
from ..errors import ProviderError

__all__ = [
    "Budget",
    "Clock",
    "RetryPolicy",
    "SystemClock",
    "parse_retry_headers",
    "server_wait",
]

MIN_ATTEMPT_SECONDS = 0.05  # a retry is pointless when less than this is left of the budget
_OFF = {"0", "false", "off", "none", "disabled"}


@dataclass(frozen=True, slots=True)
class Clock:
    """Time, sleep and randomness, injected so tests run on a fake clock."""

    now: Callable[[], float]  # epoch seconds (cooldowns, Retry-After dates)
    monotonic: Callable[[], float]  # deadlines
    sleep: Callable[[float], Awaitable[None]]
    random: Callable[[], float]


def SystemClock() -> Clock:
    rng = random.Random()
    return Clock(now=time.time, monotonic=time.monotonic, sleep=asyncio.sleep, random=rng.random)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    base: float = 1.0
    cap: float = 30.0
    jitter: float = 0.2
    max_retry_after: float | None = 60.0  # None: no cap on server-requested waits
    request_timeout: float = 600.0
    attempt_timeout: float | None = None

    @classmethod
    def from_config(cls, routing: RoutingSection | None, env: Mapping[str, str]) -> RetryPolicy:
        section = routing or RoutingSection()
        retry = section.retry or RetryConfig()
        cap: float | None = retry.max_retry_after_seconds
        raw = env.get("OPENCLAW_SDK_RETRY_MAX_WAIT_SECONDS", "").strip().lower()
        if raw in _OFF:
            cap = None
        elif raw:
            with contextlib.suppress(ValueError):  # unreadable: the configured cap stays
                cap = max(0.0, float(raw))
        return cls(
            max_retries=max(0, retry.max_retries),
            base=max(0.0, retry.base_delay_ms / 1000.0),
            cap=max(0.0, retry.max_delay_ms / 1000.0),
            jitter=min(1.0, max(0.0, retry.jitter)),
            max_retry_after=cap,
            request_timeout=section.request_timeout_seconds,
            attempt_timeout=section.attempt_timeout_seconds,
        )

    def backoff(self, retry_index: int, rand: float) -> float:
        """Delay before retry ``retry_index`` (0-based): capped, jittered exponential."""
        raw = min(self.cap, self.base * math.pow(2.0, min(retry_index, 30)))
        jittered = raw * (1.0 + self.jitter * (2.0 * rand - 1.0))
        return max(0.0, min(self.cap, jittered))

    def may_sleep(self, seconds: float) -> bool:
        """A server-requested wait is slept only up to ``max_retry_after``."""
        return self.max_retry_after is None or seconds <= self.max_retry_after


def _parse_seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def parse_retry_headers(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``retry-after`` or ``x-ratelimit-reset``."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        value = _parse_seconds(ms.strip())
        if value is not None:
            return value / 1000.0
    after = headers.get("retry-after")
    if after is not None:
        value = _parse_seconds(after.strip())
        if value is not None:
            return value
        try:
            when = email.utils.parsedate_to_datetime(after.strip())
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and headers.get("x-ratelimit-remaining", "0").strip() == "0":
        stamp = _parse_seconds(reset.strip())
        if stamp is not None:
            stamp = stamp / 1000.0 if stamp > 1e11 else stamp  # epoch ms or epoch s
            if stamp > 1e9:
                return max(0.0, stamp - now)
    return None


def server_wait(err: ProviderError, now: float) -> float | None:
    """The wait the provider asked for, if any (the transport's parse first, then headers)."""
    if err.retry_after is not None and err.retry_after >= 0:
        return float(err.retry_after)
    if not err.headers:
        return None
    return parse_retry_headers({k.lower(): v for k, v in err.headers.items()}, now)


class Budget(msgspec.Struct):
    """The request's one deadline (a ``time.monotonic()`` value)."""

    deadline: float
    monotonic: Callable[[], float]

    def remaining(self) -> float:
        return self.deadline - self.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= MIN_ATTEMPT_SECONDS

    def fits(self, wait: float) -> bool:
        """True when waiting ``wait`` seconds still leaves time for one more attempt."""
        return wait + MIN_ATTEMPT_SECONDS < self.remaining()
