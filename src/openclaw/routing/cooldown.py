"""Cooldown keys and the schedule that turns one failure into a :class:`Cooldown`.

Keys (the same in every state backend):

* a stored profile: its id, ``openrouter:default``;
* a key from the environment: the variable and a short fingerprint of the key,
  ``env:OPENROUTER_API_KEY#3fa94c`` (6 hex digits of its SHA-256: enough to tell keys apart,
  useless to an attacker). Keys of one list variable (``OPENROUTER_API_KEYS``) differ by it, and
  a key replaced in the environment is a new key, not one still cooling down;
* ``models.providers.P.apiKey``: ``config:P#<fingerprint>``; a local placeholder: ``local:P``;
* a model-scoped cooldown (rate limits, overload, a model that keeps timing out): the credential
  key, ``|``, then the model ref: ``openrouter:default|openrouter/openai/gpt-4o-mini``.

Lanes and schedule (``auth.cooldowns`` overrides every number):

=========  ===================================================  ===========================
lane       reasons                                              duration per failure
=========  ===================================================  ===========================
transient  rate_limit, overloaded, timeout, server_error        30 s, 1 min, 5 min (cap)
auth       auth (bad, revoked key)                              10 min doubling to 60 min
billing    billing (no credits, key spending limit)             5 h doubling to 24 h
=========  ===================================================  ===========================

The count of consecutive failures restarts after ``failureWindowHours`` (24 h) without a failure,
on a success, or when the lane changes. A server wait (``Retry-After``) longer than the schedule
extends the cooldown. A new cooldown never ends before an existing one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import msgspec

from ..config.schema import CooldownConfig
from ..state.base import Cooldown
from ..transports.base import Credential
from .classify import policy_for

__all__ = [
    "CooldownSchedule",
    "RecentCooldowns",
    "credential_key",
    "fingerprint",
    "model_key",
    "profile_of",
]

HOUR = 3600.0
_NON_PROFILE = ("env:", "config:", "local:")


def credential_key(provider: str, credential: Credential) -> str:
    """The state key of one credential (never contains the secret)."""
    if credential.profile_id:
        return credential.profile_id
    if credential.source == "local":
        return f"local:{provider}"
    base = f"env:{credential.env_var}" if credential.env_var else f"{credential.source}:{provider}"
    return f"{base}#{fingerprint(credential.secret)}"


def fingerprint(secret: str) -> str:
    """6 hex digits of the key's SHA-256: tells keys apart in state and output, reveals nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()[:6]


def model_key(cred_key: str, ref_key: str) -> str:
    return f"{cred_key}|{ref_key}"


def profile_of(key: str) -> tuple[str | None, str | None]:
    """(auth profile id, model ref) for a key: ``(None, ...)`` when the credential is not a
    stored profile (an env or config key)."""
    cred, _, model = key.partition("|")
    profile = None if cred.startswith(_NON_PROFILE) else cred
    return profile, model or None


@runtime_checkable
class RecentCooldowns(Protocol):
    """Optional backend capability: cooldowns still inside their failure window, expired or not,
    so that a failure soon after a cooldown ended escalates (30 s, then 1 min, ...)."""

    def recent(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]: ...


@dataclass(frozen=True, slots=True)
class CooldownSchedule:
    steps: tuple[float, ...] = (30.0, 60.0, 300.0)
    failure_window: float = 24 * HOUR
    billing_start: float = 5 * HOUR
    billing_cap: float = 24 * HOUR
    auth_start: float = 600.0
    auth_cap: float = 3600.0

    @classmethod
    def from_config(cls, config: CooldownConfig | None) -> CooldownSchedule:
        c = config or CooldownConfig()
        steps = tuple(max(0.0, float(s)) for s in c.schedule_seconds) or (30.0,)
        return cls(
            steps=steps,
            failure_window=max(0.0, c.failure_window_hours) * HOUR,
            billing_start=c.billing_backoff_hours * HOUR,
            billing_cap=max(c.billing_backoff_hours, c.billing_max_hours) * HOUR,
            auth_start=c.auth_backoff_minutes * 60.0,
            auth_cap=max(c.auth_backoff_minutes, c.auth_max_minutes) * 60.0,
        )

    def duration(self, lane: str, count: int) -> float:
        """Seconds for failure number ``count`` (1-based) in ``lane``."""
        if lane == "billing":
            return min(self.billing_cap, self.billing_start * 2.0 ** min(count - 1, 30))
        if lane == "auth":
            return min(self.auth_cap, self.auth_start * 2.0 ** min(count - 1, 30))
        return self.steps[min(count, len(self.steps)) - 1]

    def next(
        self,
        previous: Cooldown | None,
        *,
        key: str,
        reason: str,
        now: float,
        server_wait: float | None = None,
        model: str | None = None,
    ) -> Cooldown:
        """The cooldown after one more failure of ``reason`` on ``key``."""
        lane = policy_for(reason).lane or "transient"
        count = 1
        if (
            previous is not None
            and (policy_for(previous.reason).lane or "transient") == lane
            and now - previous.last_failure_at <= self.failure_window
        ):
            count = previous.error_count + 1
        seconds = self.duration(lane, count)
        if server_wait is not None and server_wait > seconds:
            seconds = server_wait
        fresh = Cooldown(
            key=key,
            reason=reason,
            until=now + seconds,
            error_count=count,
            disabled=lane in ("auth", "billing"),
            last_failure_at=now,
            model=model,
        )
        if previous is None or previous.until <= fresh.until:
            return fresh
        if count > 1:  # same lane, still running longer: keep its end, count the failure
            return msgspec.structs.replace(fresh, until=previous.until)
        # another lane ends later (a billing disable outlives a rate limit): never shorten it
        return msgspec.structs.replace(previous, key=key, last_failure_at=now)
