"""The embedded ledger: one SQLite file (``<state>/state/usage.sqlite``), WAL mode, mode 0600.

Several processes (CLI runs, gateway workers) may write at once: WAL lets readers run beside
the one writer, ``busy_timeout`` makes a writer wait for the lock instead of failing, and
migrations run inside ``BEGIN IMMEDIATE`` so two processes opening an empty file do not both
create the table.

Staged batches: :meth:`SqliteStore.write` stores each batch as one msgpack blob in
``usage_staged`` (one row insert, about a microsecond of work per attempt instead of five for a
25-column row and its index), and :meth:`SqliteStore.settle` moves staged batches into
``usage_attempts``, one batch per transaction (each move is atomic: a batch is in exactly one
of the two tables). Small batches (a low rate) skip the stage and go in as rows. The batch writer settles
what is staged once it has been idle for a second, so a busy gateway does not pay for the row
inserts while it is busy, and a backlog never competes with requests; and every read
(``count``, ``rows``, ``aggregate``, so ``openclaw usage`` and its reports) settles first, so no
reader ever misses a row. A tool that reads ``usage_attempts`` directly may see rows a moment
late while a gateway is saturated.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

import msgspec

from ..paths import create_private_db
from .base import UsageRecord
from .schema import COLUMNS, SQLITE, STAGED, TABLE, row_values
from .store import SqlStore

__all__ = ["SqliteStore"]

_BUSY_TIMEOUT_MS = 30_000
_ROWS_PER_INSERT = 64  # rows in one multi-row INSERT (x 25 columns: far below SQLite's 32,766 limit)
_STAGING = "0005_staged_batches"
_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(list[list[Any]]).decode


def _insert_rows_sql(count: int) -> str:
    one = "(" + ", ".join(["?"] * len(COLUMNS)) + ")"
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES " + ", ".join([one] * count)  # noqa: S608


def _chunks(total: int) -> Iterator[int]:
    """Row counts that add up to ``total``: full chunks, then powers of two (so that only a few
    statement shapes exist and SQLite's statement cache keeps every one compiled)."""
    while total >= _ROWS_PER_INSERT:
        yield _ROWS_PER_INSERT
        total -= _ROWS_PER_INSERT
    size = _ROWS_PER_INSERT // 2
    while total:
        if total >= size:
            yield size
            total -= size
        size //= 2


class SqliteStore(SqlStore):
    dialect = SQLITE
    db_errors = (sqlite3.Error,)
    stage_from = 64  # rows in one batch: ~1,300 rows/s at the writer's 50 ms linger

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        create_private_db(path)
        # Used by one thread at a time (the ledger's writer, or a report), guarded by _lock.
        self._conn = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._inserts: dict[int, str] = {}  # row count -> multi-row INSERT statement
        self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._enable_wal()
        self._conn.execute("PRAGMA synchronous = NORMAL")
        if migrate:
            self.migrate()
        self._staging = _STAGING in self.applied()  # an unmigrated file: rows go in directly

    @contextmanager
    def _tx(self, begin: str) -> Iterator[Any]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute(begin)
            try:
                yield cur
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()
            finally:
                cur.close()

    def _cursor(self) -> Any:
        return self._tx("BEGIN")

    def _write_cursor(self) -> Any:
        return self._tx("BEGIN IMMEDIATE")  # take the write lock up front (waits busy_timeout)

    def _migration_lock(self) -> Any:
        return self._tx("BEGIN IMMEDIATE")  # one migrator at a time

    def _enable_wal(self) -> None:
        """Switch to WAL. Changing the journal mode ignores busy_timeout (SQLite answers "locked"
        at once while another process is doing the same), so retry for a while."""
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        delay = 0.005
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def write(self, rows: Sequence[UsageRecord]) -> None:
        """One transaction: a batch of at least ``stage_from`` rows as one staged blob (see the
        module docstring); a smaller one (a low rate), or any in a file without the staging
        table, as rows."""
        if not rows:
            return
        values = [row_values(r) for r in rows]
        with self._write_cursor() as cur:
            if self._staging and len(values) >= self.stage_from:
                cur.execute(f"INSERT INTO {STAGED} (rows) VALUES (?)", (_ENCODE(values),))  # noqa: S608
            else:
                self._insert(cur, values)

    def _insert(self, cur: Any, values: Sequence[Sequence[object]]) -> None:
        """Rows in multi-row INSERTs rather than ``executemany``. Same SQLite work, but
        ``sqlite3`` releases and retakes the GIL around every statement it steps: one statement
        per row made the writer thread and the event loop hand the GIL back and forth once per
        row (measured: the gateway paid for it in throughput)."""
        start = 0
        for count in _chunks(len(values)):
            cur.execute(self._insert_sql(count), list(chain.from_iterable(values[start : start + count])))
            start += count

    def settle(self, stop: Callable[[], bool] | None = None) -> bool:
        """Move staged batches into the table, one per transaction (short write locks and
        short GIL hold times), oldest first, until none is left (True) or until ``stop()``
        says to give way (False: call again later)."""
        if not self._staging:
            return True
        while True:
            with self._write_cursor() as cur:
                cur.execute(f"SELECT id, rows FROM {STAGED} ORDER BY id LIMIT 2")  # noqa: S608
                found = cur.fetchall()
                if found:
                    self._insert(cur, _DECODE(found[0][1]))
                    cur.execute(f"DELETE FROM {STAGED} WHERE id = ?", (found[0][0],))  # noqa: S608
            if len(found) < 2:
                return True
            if stop is not None and stop():
                return False

    def _before_read(self) -> None:
        self.settle()

    def _insert_sql(self, count: int) -> str:
        sql = self._inserts.get(count)
        if sql is None:
            sql = self._inserts[count] = _insert_rows_sql(count)
        return sql

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
