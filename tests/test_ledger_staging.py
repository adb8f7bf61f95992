"""Staged batches in the SQLite ledger: a busy writer stores each large batch as one blob, and
the rows reach ``usage_attempts`` when the writer settles (once idle) or before any read; small
batches (a low rate) go in as rows at once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from openclaw.usage.base import UsageRecord
from openclaw.usage.sqlite_store import SqliteStore
from openclaw.usage.writer import BatchLedger


def row(i: int) -> UsageRecord:
    return UsageRecord(
        ts=1_780_000_000.0 + i,
        source="gateway",
        provider="openrouter",
        model_requested="openrouter/openai/gpt-4o-mini",
        status="ok",
        request_id=f"r{i}",
        stream=bool(i % 2),
        input_tokens=i,
        cost=0.001 * i if i % 3 else None,
        cost_source="provider" if i % 3 else None,
    )


def raw_counts(path: Path) -> tuple[int, int]:
    """(rows in usage_attempts, batches in usage_staged), read past the store."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT COUNT(*) FROM usage_attempts").fetchone()[0]
        staged = conn.execute("SELECT COUNT(*) FROM usage_staged").fetchone()[0]
    finally:
        conn.close()
    return int(rows), int(staged)


def wait_for(predicate: object, seconds: float = 5.0) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def test_a_write_is_one_staged_batch_and_a_read_settles_it_first(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    store = SqliteStore(path)
    try:
        store.write([row(i) for i in range(1, 101)])
        assert raw_counts(path) == (0, 1)
        assert store.count() == 100  # the read settled the batch
        assert raw_counts(path) == (100, 0)
        got = list(store.rows())
        assert [r["input_tokens"] for r in got] == list(range(1, 101))
        assert got[1]["stream"] == 0 and got[0]["stream"] == 1
        assert got[2]["cost"] is None and got[0]["cost"] == 0.001
    finally:
        store.close()


def test_settle_gives_way_when_asked_and_finishes_later(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    store = SqliteStore(path)
    try:
        for b in range(10):
            store.write([row(b * 64 + i) for i in range(64)])
        assert raw_counts(path) == (0, 10)
        assert store.settle(lambda: True) is False  # gives way after one batch
        assert raw_counts(path) == (64, 9)
        assert store.settle() is True
        assert raw_counts(path) == (640, 0)
        assert store.settle() is True  # nothing left: a no-op
    finally:
        store.close()


def test_a_small_batch_goes_in_as_rows_at_once(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    ledger = BatchLedger(SqliteStore(path), linger=0.01, idle_after=60.0)
    try:
        ledger.record(row(1))
        ledger.record(row(2))
        assert ledger.flush_sync(5.0)
        assert raw_counts(path) == (2, 0)
    finally:
        ledger.close_sync()


def test_a_busy_writer_stages_and_settles_once_idle(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    ledger = BatchLedger(SqliteStore(path), linger=0.2, idle_after=0.3)
    try:
        for i in range(100):  # one wake brings 100 rows: a high rate, so they are only staged
            ledger.record(row(i))
        assert ledger.flush_sync(5.0)
        assert raw_counts(path) == (0, 1)
        assert wait_for(lambda: raw_counts(path) == (100, 0))  # idle for 0.3 s: settled
    finally:
        ledger.close_sync()


def test_a_file_without_the_staging_table_gets_rows_directly(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    old = SqliteStore(path, migrate=False)
    old.migrate(upto="0004_drop_report_indexes")
    old.close()
    store = SqliteStore(path, migrate=False)
    try:
        store.write([row(1), row(2)])
        assert store.settle() is True
        assert store.count() == 2
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM usage_attempts").fetchone()[0] == 2
    finally:
        conn.close()
