"""Redis state backend: cooldowns and rate-limit buckets shared by every gateway process.

Configured with ``state: {kind: "redis", url: "redis://127.0.0.1:6379/0", prefix: "openclaw:"}``;
:func:`openclaw.bootstrap.open_state` builds it as ``RedisState(url, prefix=..., retention=...)``.
Same semantics as :class:`~openclaw.state.local.LocalState` (a cooldown is never shortened,
counts escalate, records are kept for ``retention`` after the last failure, ``clear`` returns how
many it removed); the keys and scripts are in :mod:`openclaw.state.redis_lua`.

The happy path costs nothing. ``cooldowns()``, ``recent()``, ``all_cooldowns()`` and
``all_records()`` answer from a local mirror (:mod:`openclaw.state.redis_mirror`) without I/O, and
``record_success()`` of a key with no record writes nothing. The mirror follows Redis:

* this instance's writes (failures, recoveries, clears) are one Lua script each: merge with the
  stored hash, bump the sequence number, set the expiry, publish an event on ``<prefix>events``;
  the reply updates the mirror at once;
* other instances' writes arrive as those events (pub/sub);
* a full snapshot is read at start (synchronously, in the constructor: an unreachable Redis is a
  :class:`RedisUnavailableError` there), when the follower (re)connects, and every
  ``resync_interval`` seconds, so a missed event heals.

``hit()`` (failed gateway logins) is exact across instances: one script on a sorted set per
bucket, one round trip.

The follower runs as a task on the event loop that built the backend (the gateway builds its
runtime inside its loop) or that called :meth:`RedisState.start`; it ends with :meth:`close`.
Without it (a one-shot CLI command) each write opens a short-lived connection, and the mirror
is the snapshot the constructor read.

When Redis goes away later: one warning on stderr, then the gateway keeps serving from the last
known mirror; failures and recoveries are applied locally and written when Redis is back;
``hit()`` counts per process meanwhile (still a limit, no longer shared); ``clear()`` raises
:class:`RedisUnavailableError` (nothing is pretended). The follower retries with capped backoff,
and on reconnecting writes what it held, resyncs and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ..errors import ConfigError, OpenClawError
from .base import Cooldown
from .local import LocalState
from .redis_lua import (
    CLEAR,
    FAIL,
    HIT,
    OK,
    SNAPSHOT,
    WIPE,
    Keys,
    decode_event,
    decode_record,
    failure_args,
    pairs,
)
from .redis_mirror import Mirror

__all__ = ["RedisState", "RedisUnavailableError", "display_url"]

_DOWN = (RedisError, OSError)  # what "Redis is unreachable" looks like from redis-py
_MAX_SNAPSHOT = 100_000
_MAX_PENDING = 10_000
_CLEAR_CHUNK = 500
_MIN_BACKOFF = 0.05
_MAX_CONNECTIONS = 32


class RedisUnavailableError(OpenClawError):
    """Redis could not be reached: at start, or for an operation that needs it (``clear``)."""


def display_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def _stderr(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


class RedisState:
    """The Redis :class:`~openclaw.state.base.StateBackend`. See the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "openclaw:",
        retention: float = 24 * 3600.0,
        resync_interval: float = 5.0,
        connect_timeout: float = 3.0,
        command_timeout: float = 3.0,
        max_backoff: float = 5.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        if not url:
            raise ConfigError('state.kind is "redis" but state.url is not set.')
        self.url = url
        self.prefix = prefix
        self.retention = retention
        self.resync_interval = resync_interval
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.max_backoff = max_backoff
        self.synced_at: float | None = None  # monotonic time of the last snapshot
        self._warn = warn or _stderr
        self._keys = Keys(prefix)
        self._mirror = Mirror(retention)
        self._pending: dict[str, Cooldown | float] = {}  # key -> failure to write, or success time
        self._fallback = LocalState(None, retention=retention)  # hit() while Redis is away
        self._id = uuid.uuid4().hex
        self._counter = itertools.count()
        self._down = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: aredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._load()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: a one-shot command (start() attaches later if wanted)
        self._attach(loop)

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    @property
    def connected(self) -> bool:
        """False after a connection failure, until Redis answers again."""
        return not self._down

    # -- reads (the mirror: no I/O) ----------------------------------------------------------

    def cooldowns(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        return self._mirror.cooldowns(keys, now)

    def recent(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        """Records still inside the failure window, active or expired (for escalation)."""
        return self._mirror.recent(keys, now)

    def all_cooldowns(self, now: float) -> list[Cooldown]:
        return self._mirror.all_cooldowns(now)

    def all_records(self, now: float) -> list[Cooldown]:
        """Every kept record, active or not (for ``clear-cooldowns`` matching)."""
        return self._mirror.all_records(now)

    # -- writes ------------------------------------------------------------------------------

    async def record_failure(self, cooldown: Cooldown) -> None:
        if not self._holding():
            try:
                await self._write_failure(cooldown)
            except _DOWN as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return
        self._hold(cooldown.key, self._mirror.hold(cooldown))

    async def record_success(self, key: str, now: float) -> None:
        if key not in self._mirror.records:
            return  # the happy path: nothing recorded, nothing to write
        if not self._holding():
            try:
                await self._write_success(key, now)
            except _DOWN as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return
        self._mirror.drop(key)
        self._hold(key, float(now))

    async def _write_failure(self, cooldown: Cooldown, client: aredis.Redis | None = None) -> None:
        keys = self._keys
        flat = await self._call(
            FAIL,
            [keys.hash(cooldown.key), keys.index, keys.seq],
            [*failure_args(cooldown, self.retention), keys.channel],
            client,
        )
        self._pending.pop(cooldown.key, None)
        self._apply_stored(cooldown.key, flat)

    async def _write_success(self, key: str, now: float, client: aredis.Redis | None = None) -> None:
        keys = self._keys
        reply = await self._call(
            OK, [keys.hash(key), keys.index, keys.seq], [key, repr(float(now)), keys.channel], client
        )
        self._pending.pop(key, None)
        self._apply_ok(key, reply)

    async def clear(self, keys: Iterable[str] | None = None) -> int:
        try:
            count = await (self._wipe() if keys is None else self._clear(list(dict.fromkeys(keys))))
        except _DOWN as exc:
            self._went_down(exc)
            raise RedisUnavailableError(
                f"Cannot clear cooldowns: Redis at {self.display_url} is unreachable ({_reason(exc)})."
            ) from exc
        self._came_back()
        return count

    async def _wipe(self) -> int:
        keys = self._keys
        count, seq = await self._call(WIPE, [keys.index, keys.seq], [keys.channel, keys.hash_prefix])
        self._mirror.wipe(int(seq))
        self._pending.clear()
        return int(count)

    async def _clear(self, wanted: list[str]) -> int:
        keys, count = self._keys, 0
        for start in range(0, len(wanted), _CLEAR_CHUNK):
            chunk = wanted[start : start + _CLEAR_CHUNK]
            hashes = [keys.hash(k) for k in chunk]
            removed, seq = await self._call(CLEAR, [keys.index, keys.seq, *hashes], [keys.channel, *chunk])
            self._mirror.delete(chunk, int(seq))
            for key in chunk:
                self._pending.pop(key, None)
            count += int(removed)
        return count

    async def hit(self, bucket: str, *, window: float, limit: int, now: float) -> float:
        if not self._holding():
            args = [
                repr(float(now)),
                repr(float(now - window)),
                str(max(1, limit) + 1),
                str(limit),
                f"{self._id}:{next(self._counter)}",
                str(max(1, math.ceil(window * 1000))),
            ]
            try:
                oldest = await self._call(HIT, [self._keys.hits(bucket)], args)
            except _DOWN as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return 0.0 if oldest is None else max(0.0, float(oldest) + window - now)
        return await self._fallback.hit(bucket, window=window, limit=limit, now=now)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow other instances' writes from the running event loop until :meth:`close`
        (automatic when the backend is built inside a running loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._attach(loop)

    async def close(self) -> None:
        self._closed = True
        task, client, loop = self._task, self._client, self._loop
        self._task, self._client, self._loop = None, None, None
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if not here:
            return  # that loop is gone, and its connections with it
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if client is not None:
            if self._pending:
                with contextlib.suppress(*_DOWN):
                    await self._flush(client)
            await client.aclose()
        if self._pending:
            self._warn(
                f"[state] {len(self._pending)} cooldown change(s) made while Redis at "
                f"{self.display_url} was unreachable were not written to it"
            )

    # -- connections -------------------------------------------------------------------------

    def _new_client(self) -> aredis.Redis:
        pool = aredis.BlockingConnectionPool.from_url(
            self.url,
            decode_responses=True,
            max_connections=_MAX_CONNECTIONS,
            timeout=self.command_timeout,
            socket_connect_timeout=self.connect_timeout,
            socket_timeout=self.command_timeout,
            retry=AsyncRetry(ExponentialBackoff(cap=0.2, base=0.02), 1),  # one reconnect, then down
        )
        return aredis.Redis.from_pool(pool)

    def _here(self) -> bool:
        if self._loop is None:
            return False
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _holding(self) -> bool:
        """Redis is known to be away and the follower will write what we hold: don't wait on it."""
        return self._down and self._task is not None and not self._task.done() and self._here()

    async def _call(
        self, script: str, keys: list[str], args: list[str], client: aredis.Redis | None = None
    ) -> Any:
        """Run a script on ``client``, else on this loop's client, else on a short connection."""
        if client is None and self._here():
            client = self._client
        if client is not None:
            return await client.register_script(script)(keys=keys, args=args)
        async with self._new_client() as client:  # no follower in this loop: a short connection
            return await client.register_script(script)(keys=keys, args=args)

    def _load(self) -> None:
        """The first snapshot, synchronously: an unreachable Redis stops start-up here."""
        try:
            client = redis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_connect_timeout=self.connect_timeout,
                socket_timeout=self.command_timeout,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:
            raise ConfigError(f"state.url is not a valid Redis URL ({self.display_url}): {exc}") from exc
        keys = self._keys
        try:
            raw = client.register_script(SNAPSHOT)(
                keys=[keys.index, keys.seq], args=[keys.hash_prefix, str(_MAX_SNAPSHOT)]
            )
        except _DOWN as exc:
            raise RedisUnavailableError(
                f"Cannot reach Redis at {self.display_url} (state.url): {_reason(exc)}. "
                'Start Redis, fix state.url, or set state.kind to "local".'
            ) from exc
        finally:
            client.close()
        self._apply_snapshot(raw)

    # -- the follower ------------------------------------------------------------------------

    def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._closed = False
        self._loop = loop
        self._client = self._new_client()
        self._task = loop.create_task(self._follow(), name=f"openclaw-state-redis:{self.prefix}")
        self._task.add_done_callback(self._follower_done)

    def _follower_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._warn(
                f"[state] the Redis follower stopped ({task.exception()!r}); cooldowns written by "
                "other instances are no longer seen by this one"
            )

    async def _follow(self) -> None:
        """Subscribe, resync, apply events; on a connection failure back off and start over."""
        delay = 0.0
        while not self._closed:  # ends with close(), which also cancels this task
            synced = self.synced_at
            try:
                await self._session()
            except _DOWN as exc:
                self._went_down(exc)
            if self.synced_at != synced:
                delay = 0.0  # it was healthy for a while: retry quickly
            delay = min(self.max_backoff, max(_MIN_BACKOFF, delay * 2))
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        client = self._client
        if client is None:
            return
        loop = asyncio.get_running_loop()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._keys.channel)
            await self._resync(client)
            due = loop.time() + self.resync_interval
            while not self._closed:
                wait = min(1.0, max(0.0, due - loop.time()))
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
                if message is not None and message.get("type") == "message":
                    self._on_event(message.get("data"))
                if loop.time() >= due:
                    await self._resync(client)
                    due = loop.time() + self.resync_interval
        finally:
            with contextlib.suppress(*_DOWN):
                await pubsub.aclose()

    async def _resync(self, client: aredis.Redis) -> None:
        await self._flush(client)
        keys = self._keys
        raw = await self._call(
            SNAPSHOT, [keys.index, keys.seq], [keys.hash_prefix, str(_MAX_SNAPSHOT)], client
        )
        self._apply_snapshot(raw)
        self._came_back()

    async def _flush(self, client: aredis.Redis) -> None:
        """Write what was held while Redis was away (bounded: each key once)."""
        for key, item in list(self._pending.items()):
            if isinstance(item, Cooldown):
                await self._write_failure(item, client)
            else:
                await self._write_success(key, item, client)

    # -- applying replies and events ---------------------------------------------------------

    def _apply_snapshot(self, raw: Any) -> None:
        seq = int(raw[0])
        records = [d for flat in raw[1:] if (d := decode_record(pairs(flat))) is not None]
        self._mirror.replace(records, seq)
        for key, item in self._pending.items():  # not written yet: still true here
            if isinstance(item, Cooldown):
                self._mirror.hold(item)
            else:
                self._mirror.drop(key)
        self.synced_at = time.monotonic()

    def _apply_stored(self, key: str, flat: Any) -> None:
        decoded = decode_record(pairs(flat))
        if decoded is None:
            self._mirror.drop(key)  # expired as it was written (a failure older than retention)
        else:
            self._mirror.put(*decoded)

    def _apply_ok(self, key: str, reply: Any) -> None:
        code = int(reply[0])
        if code == 1:  # another instance recorded a newer failure: it stays
            self._apply_stored(key, reply[1])
        else:
            self._mirror.delete([key], int(reply[1]))

    def _on_event(self, data: Any) -> None:
        event = decode_event(data)
        if event is None:
            return
        if event.op == "set" and event.record is not None:
            self._mirror.put(event.record, event.seq)
        elif event.op == "del":
            self._mirror.delete(event.keys, event.seq)
        elif event.op == "wipe":
            self._mirror.wipe(event.seq)

    def _hold(self, key: str, item: Cooldown | float) -> None:
        if key not in self._pending and len(self._pending) >= _MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))  # bounded: the oldest change goes
        self._pending[key] = item

    # -- health ------------------------------------------------------------------------------

    def _went_down(self, exc: BaseException) -> None:
        if self._down:
            return
        self._down = True
        self._warn(
            f"[state] Redis at {self.display_url} is unreachable ({_reason(exc)}); serving from the "
            "last known cooldowns, counting failed logins per process, retrying with backoff"
        )

    def _came_back(self) -> None:
        if not self._down:
            return
        self._down = False
        held = f"; {len(self._pending)} change(s) still to write" if self._pending else ""
        self._warn(f"[state] Redis at {self.display_url} is reachable again{held}")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
