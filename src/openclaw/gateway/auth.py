"""Who may call the gateway: the shared token or password, or a client key; failed tries limited.

* ``Authorization: Bearer <secret>`` (or ``x-api-key: <secret>``, which Anthropic clients send).
* The shared secret is compared with :func:`hmac.compare_digest` (constant time).
* Client keys are stored as SHA-256 hashes only (``gateway.auth.clientKeys``); a presented key is
  hashed and looked up, and the matching key id travels with the request (context, ledger, logs).
* Failed tries are counted per client IP through the state backend's ``hit()`` (shared between
  workers when the backend is Redis). Past ``maxFailures`` within ``windowSeconds`` the IP is locked
  out for ``lockoutSeconds``: every request from it gets ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import math
import time
from typing import TYPE_CHECKING

from .errors import HttpError
from .settings import GatewaySettings

if TYPE_CHECKING:
    from ..state.base import StateBackend

__all__ = ["Authenticator", "LocalHits"]

_MAX_TRACKED = 10_000  # lock-out entries kept in memory before expired ones are swept


class LocalHits:
    """A sliding-window counter in this process, used when the runtime has no state backend."""

    def __init__(self) -> None:
        self._events: dict[str, collections.deque[float]] = {}

    async def hit(self, bucket: str, *, window: float, limit: int, now: float) -> float:
        events = self._events.setdefault(bucket, collections.deque(maxlen=max(1, limit + 1)))
        while events and events[0] <= now - window:
            events.popleft()
        events.append(now)
        if len(self._events) > _MAX_TRACKED:
            self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - window}
        if len(events) > limit:
            return max(0.0, events[0] + window - now)
        return 0.0


def _presented(authorization: str | None, api_key: str | None) -> str | None:
    """The bearer token, else ``x-api-key`` (what Anthropic SDKs send), else None."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if not api_key:
            return None
    return api_key.strip() if api_key else None


class Authenticator:
    def __init__(self, settings: GatewaySettings, state: StateBackend | LocalHits | None) -> None:
        self._mode = settings.auth_mode
        self._secret = settings.secret.encode() if settings.secret else None
        self._keys = dict(settings.client_keys)
        self._state = state if state is not None else LocalHits()
        self._window = settings.failure_window
        self._limit = settings.max_failures
        self._lockout = settings.lockout
        self._locked: dict[str, float] = {}
        self.failures = 0

    @property
    def open(self) -> bool:
        """True when no credential is needed (mode ``none``)."""
        return self._mode == "none"

    def _match(self, presented: str) -> tuple[bool, str | None]:
        raw = presented.encode()
        if self._secret is not None and hmac.compare_digest(raw, self._secret):
            return True, None
        if self._keys:
            key_id = self._keys.get(hashlib.sha256(raw).hexdigest())
            if key_id is not None:
                return True, key_id
        return False, None

    def _check_locked(self, client: str, now: float) -> None:
        until = self._locked.get(client)
        if until is None:
            return
        if until <= now:
            del self._locked[client]
            return
        raise _too_many(until - now)

    async def authenticate(self, authorization: str | None, api_key: str | None, client: str) -> str | None:
        """The client key id (None for the shared secret or open mode); raises 401 or 429."""
        presented = _presented(authorization, api_key)
        if self._mode == "none":
            return self._match(presented)[1] if presented else None
        now = time.time()
        if self._locked:
            self._check_locked(client, now)
        if presented is not None:
            ok, key_id = self._match(presented)
            if ok:
                return key_id
        await self._failed(client, now)
        if presented is None:
            raise HttpError(
                401,
                "Missing credentials: send Authorization: Bearer <gateway token or client key> "
                "(Anthropic clients: x-api-key).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise HttpError(401, "Invalid gateway token or client key.", headers={"WWW-Authenticate": "Bearer"})

    async def _failed(self, client: str, now: float) -> None:
        self.failures += 1
        wait = await self._state.hit(
            f"gateway-auth:{client}", window=self._window, limit=self._limit, now=now
        )
        if wait <= 0:
            return
        if len(self._locked) > _MAX_TRACKED:
            self._locked = {k: v for k, v in self._locked.items() if v > now}
        until = now + max(wait, self._lockout)
        self._locked[client] = until
        raise _too_many(until - now)


def _too_many(seconds: float) -> HttpError:
    wait = max(1, math.ceil(seconds))
    return HttpError(
        429,
        f"Too many failed authentication attempts from this client; try again in {wait} s.",
        code="auth_rate_limited",
        headers={"Retry-After": str(wait)},
    )
