"""In-process state backend, persisted to the state database so the next process agrees.

Reads are from memory (``cooldowns()`` is one dict lookup per key; nothing at all when no
cooldown exists). Writes happen only when something changes: a failure, a recovery (the first
success of a key that has a record), a ``clear``. Each write is one ``BEGIN IMMEDIATE``
transaction that re-reads the rows, merges this change into them (so concurrent CLI processes and
a gateway on the same home do not overwrite each other) and writes two rows of the
``config_machine_state`` table in ``<state dir>/state/openclaw.sqlite``:

``authProfiles.cooldowns`` (ours)::

    {"version": 1, "cooldowns": {"<key>": {"key", "reason", "until", "error_count", "disabled",
                                           "last_failure_at", "model"?}}}

``authProfiles.state`` (OpenClaw's row, kept compatible: other fields are preserved)::

    {"version": 1, "usageStats": {"<profile id>": {"errorCount", "cooldownUntil", "disabledUntil",
        "disabledReason", "lastFailureAt", "cooldownModel"}}}   (times in epoch ms)

Keys are described in :mod:`openclaw.routing.cooldown`. A Redis backend mirrors this with one
hash per key, ``<prefix>cooldown:<key>`` holding the same fields and expiring at
``last_failure_at + retention``, and a sorted set ``<prefix>hits:<bucket>`` for :meth:`hit`.

Records are kept after they expire, until ``retention`` (the failure window, 24 h) has passed
since the last failure, so that a key that fails again soon escalates along the schedule.

A long-running process (the gateway) calls :meth:`LocalState.refresh` every second or so: it asks
SQLite whether another connection committed since the last call (``PRAGMA data_version`` on one
kept read-only connection, in a thread) and only then re-reads the records, so cooldowns recorded
or cleared by other processes (a CLI ``infer``, ``models auth clear-cooldowns``, other workers)
reach it without a restart. Requests never wait for this.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from ..paths import create_private_db
from .base import Cooldown
from .local_watch import DbWatch

if TYPE_CHECKING:
    import asyncio

__all__ = ["COOLDOWNS_ROW", "STATE_ROW", "LocalState"]

COOLDOWNS_ROW = "authProfiles.cooldowns"
STATE_ROW = "authProfiles.state"
_NON_PROFILE = ("env:", "config:", "local:")
_MAX_BUCKETS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS config_machine_state (
    state_key TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
)
"""

_ENCODER = msgspec.json.Encoder()
_DECODE = msgspec.convert


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _usage_stats(entries: list[Cooldown]) -> dict[str, Any]:
    """OpenClaw's ``usageStats`` fields for one profile, from its cooldown records."""
    latest = max(entries, key=lambda c: c.until)
    stats: dict[str, Any] = {
        "errorCount": max(c.error_count for c in entries),
        "lastFailureAt": _ms(max(c.last_failure_at for c in entries)),
    }
    if latest.disabled:
        stats["disabledUntil"] = _ms(latest.until)
        stats["disabledReason"] = latest.reason
    else:
        stats["cooldownUntil"] = _ms(latest.until)
        if latest.model:
            stats["cooldownModel"] = latest.model
    return stats


_STAT_FIELDS = (
    "errorCount",
    "cooldownUntil",
    "disabledUntil",
    "disabledReason",
    "lastFailureAt",
    "cooldownModel",
)


class LocalState:
    """The default :class:`~openclaw.state.base.StateBackend`."""

    def __init__(
        self,
        db_path: Path | None,
        *,
        retention: float = 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db_path = db_path
        self.retention = retention
        self._clock = clock
        self._mem: dict[str, Cooldown] = {}  # the one dict for the object's life (see records)
        # every record in memory, read-only: a caller may keep this reference and test it for
        # emptiness without a call (the router's happy path does)
        self.records: Mapping[str, Cooldown] = self._mem
        self._hits: dict[str, deque[float]] = {}
        self._lock_obj: asyncio.Lock | None = None  # made on first write (asyncio imported then)
        self._watch: DbWatch | None = None  # made by the first refresh()
        if db_path is not None and db_path.exists():
            self._mem.update(self._load())

    def _replace(self, fresh: dict[str, Cooldown]) -> None:
        """New contents for the records dict, kept as the same object (see ``records``)."""
        self._mem.clear()
        self._mem.update(fresh)

    def _lock(self) -> asyncio.Lock:
        if self._lock_obj is None:
            import asyncio

            self._lock_obj = asyncio.Lock()
        return self._lock_obj

    # -- reads (memory only) -----------------------------------------------------------------

    def cooldowns(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        mem = self._mem
        if not mem:
            return {}
        found = {}
        for key in keys:
            entry = mem.get(key)
            if entry is not None and entry.until > now:
                found[key] = entry
        return found

    def recent(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        """Records still inside the failure window, active or expired (for escalation)."""
        mem = self._mem
        if not mem:
            return {}
        return {k: c for k in keys if (c := mem.get(k)) is not None and self._kept(c, now)}

    def all_cooldowns(self, now: float) -> list[Cooldown]:
        return sorted((c for c in self._mem.values() if c.until > now), key=lambda c: c.until)

    def all_records(self, now: float) -> list[Cooldown]:
        """Every kept record, active or not (for ``clear-cooldowns`` matching)."""
        return [c for c in self._mem.values() if self._kept(c, now)]

    def _kept(self, entry: Cooldown, now: float) -> bool:
        return entry.until > now or now - entry.last_failure_at <= self.retention

    # -- writes ------------------------------------------------------------------------------

    async def record_failure(self, cooldown: Cooldown) -> None:
        async with self._lock():
            old = self._mem.get(cooldown.key)
            if old is not None and not self._kept(old, cooldown.last_failure_at):
                old = None  # outside the failure window: start over
            merged = _merge(old, cooldown)
            self._mem[cooldown.key] = merged
            await self._persist(upserts=[merged], deletes=[])

    async def record_success(self, key: str, now: float) -> None:
        if key not in self._mem:
            return  # the happy path: nothing recorded, nothing to write
        async with self._lock():
            if self._mem.pop(key, None) is not None:
                await self._persist(upserts=[], deletes=[key])

    async def clear(self, keys: Iterable[str] | None = None) -> int:
        async with self._lock():
            if self.db_path is None or not self.db_path.exists():
                if not self._mem:
                    return 0  # nothing recorded anywhere: no file to create
            else:
                self._replace(self._load())  # clear what other processes wrote too
            targets = list(self._mem) if keys is None else [k for k in keys if k in self._mem]
            for key in targets:
                del self._mem[key]
            if targets or keys is None:
                await self._persist(upserts=[], deletes=targets, wipe=keys is None)
            return len(targets)

    async def hit(self, bucket: str, *, window: float, limit: int, now: float) -> float:
        events = self._hits.get(bucket)
        if events is None:
            if len(self._hits) >= _MAX_BUCKETS:
                self._prune_hits(now, window)
            events = self._hits[bucket] = deque(maxlen=max(1, limit) + 1)
        while events and events[0] <= now - window:
            events.popleft()
        events.append(now)
        if len(events) > limit:
            return max(0.0, events[0] + window - now)
        return 0.0

    def _prune_hits(self, now: float, window: float) -> None:
        for name in [b for b, ev in self._hits.items() if not ev or ev[-1] <= now - window]:
            del self._hits[name]
        while len(self._hits) >= _MAX_BUCKETS:  # still full of live buckets: drop the oldest
            self._hits.pop(next(iter(self._hits)))

    async def close(self) -> None:
        async with self._lock():  # writes are awaited where they happen; nothing is pending
            watch, self._watch = self._watch, None
            if watch is not None:
                import asyncio

                await asyncio.to_thread(watch.close)

    # -- other processes' changes ------------------------------------------------------------

    async def refresh(self) -> bool:
        """Re-read the records if the database changed since the last call; True when it did.

        Cheap when nothing changed (one ``stat`` and one ``PRAGMA data_version``, in a thread).
        The first call re-reads once (it has nothing to compare with). A missing file is nothing
        to do; the call after it appears re-reads it. Our own writes count as changes too: the
        next call then re-reads what we wrote. Raises ``sqlite3.Error``/``OSError`` when the
        database cannot be read (the records in memory are kept and the next call tries again).
        """
        if self.db_path is None:
            return False
        import asyncio

        async with self._lock():  # never between a write's read and its update of memory
            job = asyncio.ensure_future(asyncio.to_thread(self._reread))
            try:
                fresh = await asyncio.shield(job)
            except asyncio.CancelledError:
                await asyncio.wait({job})  # a thread cannot be stopped: keep the lock until it ends
                if not job.cancelled():
                    job.exception()  # retrieved (nobody wants the result any more)
                raise
            if fresh is None:
                return False
            self._replace(fresh)
            return True

    def _reread(self) -> dict[str, Cooldown] | None:
        """The records, if the database changed since the last look; None if not (in a thread)."""
        assert self.db_path is not None
        if self._watch is None:
            self._watch = DbWatch(self.db_path)
        if not self._watch.changed():
            return None
        try:
            return self._records()
        except BaseException:
            self._watch.forget()  # the change is still unread: look again next time
            raise

    # -- persistence -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        assert self.db_path is not None
        create_private_db(self.db_path)  # 0600 (no umask change: writes run in worker threads)
        conn = sqlite3.connect(self.db_path, timeout=10.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        try:
            yield conn
        finally:
            conn.close()

    @staticmethod
    def _read(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT value_json FROM config_machine_state WHERE state_key = ?", (key,)
        ).fetchone()
        if row is None:
            return {}
        try:
            value = orjson.loads(row[0])
        except orjson.JSONDecodeError:
            return {}  # a damaged row is rewritten on the next write
        return value if isinstance(value, dict) else {}

    def _load(self) -> dict[str, Cooldown]:
        try:
            return self._records()
        except sqlite3.Error:
            return {}

    def _records(self) -> dict[str, Cooldown]:
        """The stored records still inside the failure window (raises ``sqlite3.Error``)."""
        with self._connect() as conn:
            raw = self._read(conn, COOLDOWNS_ROW).get("cooldowns") or {}
        now = self._clock()
        out: dict[str, Cooldown] = {}
        for key, data in raw.items() if isinstance(raw, dict) else ():
            try:
                entry = _DECODE(data, Cooldown)
            except msgspec.ValidationError:
                continue
            if self._kept(entry, now):
                out[str(key)] = entry
        return out

    async def _persist(self, *, upserts: list[Cooldown], deletes: list[str], wipe: bool = False) -> None:
        if self.db_path is None:
            return
        import asyncio

        await asyncio.to_thread(self._write, upserts, deletes, wipe)

    def _write(self, upserts: list[Cooldown], deletes: list[str], wipe: bool) -> None:
        now = self._clock()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._read(conn, COOLDOWNS_ROW).get("cooldowns") or {}
                stored: dict[str, Cooldown] = {}
                for key, data in rows.items() if isinstance(rows, dict) and not wipe else ():
                    with contextlib.suppress(msgspec.ValidationError):
                        stored[str(key)] = _DECODE(data, Cooldown)
                for key in deletes:
                    stored.pop(key, None)
                for entry in upserts:
                    stored[entry.key] = _merge(stored.get(entry.key), entry)
                stored = {k: c for k, c in stored.items() if self._kept(c, now)}
                self._write_rows(conn, stored, deletes, wipe)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _write_rows(
        self, conn: sqlite3.Connection, stored: dict[str, Cooldown], deletes: list[str], wipe: bool
    ) -> None:
        encoded = {k: orjson.loads(_ENCODER.encode(c)) for k, c in stored.items()}
        payload = {"version": 1, "cooldowns": encoded}
        _put(conn, COOLDOWNS_ROW, payload)
        state = self._read(conn, STATE_ROW) or {"version": 1}
        stats = state.get("usageStats")
        stats = dict(stats) if isinstance(stats, dict) else {}
        by_profile: dict[str, list[Cooldown]] = {}
        for key, entry in stored.items():
            profile = key.partition("|")[0]
            if not profile.startswith(_NON_PROFILE):
                by_profile.setdefault(profile, []).append(entry)
        touched = {k.partition("|")[0] for k in deletes} | set(by_profile)
        if wipe:
            touched |= set(stats)
        for profile in touched:
            if profile.startswith(_NON_PROFILE):
                continue
            current = stats.get(profile)
            kept = {k: v for k, v in (current or {}).items() if k not in _STAT_FIELDS}
            if profile in by_profile:
                kept.update(_usage_stats(by_profile[profile]))
            elif current is not None:
                kept["errorCount"] = 0  # recovered (or cleared)
            if kept:
                stats[profile] = kept
        state["usageStats"] = stats
        state.setdefault("version", 1)
        _put(conn, STATE_ROW, state)


def _merge(old: Cooldown | None, new: Cooldown) -> Cooldown:
    """Never shorten: the later end wins; counts and last failure move forward."""
    if old is None:
        return new
    if old.until > new.until:
        return msgspec.structs.replace(
            old,
            error_count=max(old.error_count, new.error_count),
            last_failure_at=max(old.last_failure_at, new.last_failure_at),
        )
    return msgspec.structs.replace(
        new,
        error_count=max(old.error_count, new.error_count) if old.reason == new.reason else new.error_count,
        last_failure_at=max(old.last_failure_at, new.last_failure_at),
    )


def _put(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO config_machine_state(state_key, value_json, updated_at_ms) VALUES (?,?,?) "
        "ON CONFLICT(state_key) DO UPDATE SET value_json=excluded.value_json, "
        "updated_at_ms=excluded.updated_at_ms",
        (key, orjson.dumps(value).decode(), _ms(time.time())),
    )
