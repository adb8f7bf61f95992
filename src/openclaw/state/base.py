"""The state backend contract.

A cooldown key is a profile (``openrouter:default``), an env/config credential (``env:OPENROUTER_API_KEY``)
or, for model-wide failures, ``<credential>|<provider>/<model>``. Times are epoch seconds.

Backends: :mod:`openclaw.state.local` (in-process, persisted to the state database so the next
CLI process skips a cooled-down key) and :mod:`openclaw.state.redis` (shared by every gateway
process). The happy path must cost nothing: ``cooldowns()`` answers from memory in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import msgspec

__all__ = ["Cooldown", "StateBackend"]


class Cooldown(msgspec.Struct, kw_only=True, omit_defaults=True):
    key: str
    reason: str  # the failure reason that started it (rate_limit, auth, billing, ...)
    until: float  # epoch seconds; the key is skipped before this time
    error_count: int = 0  # consecutive failures inside the failure window
    disabled: bool = False  # long lanes: billing, auth_permanent
    last_failure_at: float = 0.0
    model: str | None = None  # set for a model-scoped cooldown

    def remaining(self, now: float) -> float:
        return max(0.0, self.until - now)


class StateBackend(Protocol):
    def cooldowns(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        """Active cooldowns among ``keys`` (from memory: no I/O)."""
        ...

    def all_cooldowns(self, now: float) -> list[Cooldown]: ...

    async def record_failure(self, cooldown: Cooldown) -> None:
        """Store a new or extended cooldown (never shortens an existing one)."""
        ...

    async def record_success(self, key: str, now: float) -> None:
        """A clean answer: reset the key's error count (its cooldown, if any, is cleared)."""
        ...

    async def clear(self, keys: Iterable[str] | None = None) -> int:
        """Remove cooldowns (all when ``keys`` is None); returns how many were removed."""
        ...

    async def hit(self, bucket: str, *, window: float, limit: int, now: float) -> float:
        """Count one event in a sliding ``window``; returns seconds to wait when over ``limit``
        (0.0 when under it). Used to rate-limit failed gateway logins per client."""
        ...

    async def close(self) -> None: ...
