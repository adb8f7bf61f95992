"""The in-memory copy of the cooldown records in Redis that :class:`~openclaw.state.redis.RedisState`
answers from.

Every record carries the sequence number of the Redis write that produced it (see
:mod:`openclaw.state.redis_lua`). Three sources update the mirror, in any order:

* the reply to this instance's own write;
* pub/sub events from every instance (this one included);
* a full snapshot (on start, on reconnect, and every few seconds), taken atomically at some
  sequence number ``S``.

The rule that makes the order irrelevant: a change is applied only if its sequence number is newer
than what the mirror knows for that key (deletions leave a tombstone with their number until a
snapshot covers them). A snapshot at ``S`` replaces everything the mirror learned at or before
``S`` and keeps what it learned after. Records written while Redis was unreachable are held
locally (no sequence number) until they can be written.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Cooldown
from .local import _merge

__all__ = ["Mirror"]


class Mirror:
    """Cooldown records by key, with the sequence number each one was written at."""

    def __init__(self, retention: float) -> None:
        self.retention = retention
        self.records: dict[str, Cooldown] = {}
        self._seq: dict[str, int] = {}  # a record's sequence number, or a deletion's (tombstone)
        self._floor = 0  # the last wipe: anything at or below it is gone

    # -- reads (the hot path: no I/O, one dict lookup per key) --------------------------------

    def cooldowns(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        records = self.records
        if not records:
            return {}
        found = {}
        for key in keys:
            entry = records.get(key)
            if entry is not None and entry.until > now:
                found[key] = entry
        return found

    def recent(self, keys: Iterable[str], now: float) -> dict[str, Cooldown]:
        records = self.records
        if not records:
            return {}
        return {k: c for k in keys if (c := records.get(k)) is not None and self.kept(c, now)}

    def all_cooldowns(self, now: float) -> list[Cooldown]:
        return sorted((c for c in self.records.values() if c.until > now), key=lambda c: c.until)

    def all_records(self, now: float) -> list[Cooldown]:
        return [c for c in self.records.values() if self.kept(c, now)]

    def kept(self, entry: Cooldown, now: float) -> bool:
        return entry.until > now or now - entry.last_failure_at <= self.retention

    # -- changes -----------------------------------------------------------------------------

    def _newer(self, key: str, seq: int) -> bool:
        return seq > self._floor and seq > self._seq.get(key, 0)

    def put(self, record: Cooldown, seq: int) -> bool:
        """A record as Redis stored it at ``seq``; False when the mirror already knows better."""
        if not self._newer(record.key, seq):
            return False
        self.records[record.key] = record
        self._seq[record.key] = seq
        return True

    def delete(self, keys: Iterable[str], seq: int) -> None:
        """Keys removed (or found absent) in Redis at ``seq``."""
        for key in keys:
            if self._newer(key, seq):
                self.records.pop(key, None)
                self._seq[key] = seq

    def wipe(self, seq: int) -> None:
        """Everything was removed at ``seq``."""
        if seq <= self._floor:
            return
        self._floor = seq
        self._seq = {k: s for k, s in self._seq.items() if s > seq}
        self.records = {k: c for k, c in self.records.items() if k in self._seq}

    def replace(self, snapshot: Iterable[tuple[Cooldown, int]], at: int) -> None:
        """Redis's whole state at sequence number ``at``."""
        records: dict[str, Cooldown] = {}
        seqs: dict[str, int] = {}
        for key, seq in self._seq.items():  # learned after the snapshot was taken: keep
            if seq > at:
                seqs[key] = seq
                if key in self.records:
                    records[key] = self.records[key]
        for record, seq in snapshot:
            if seq > self._floor and seq > seqs.get(record.key, 0):  # a later wipe wins
                records[record.key] = record
                seqs[record.key] = seq
        self.records, self._seq = records, seqs

    def hold(self, record: Cooldown) -> Cooldown:
        """A failure that could not be written yet: merge it here so this instance skips the key."""
        old = self.records.get(record.key)
        if old is not None and not self.kept(old, record.last_failure_at):
            old = None  # outside the failure window: start over
        merged = _merge(old, record)
        self.records[record.key] = merged
        return merged

    def drop(self, key: str) -> None:
        """A success that could not be written yet."""
        self.records.pop(key, None)
