"""The SQLite ledger: migrations, file mode, WAL, batching, concurrency, SIGTERM, aggregation."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from openclaw.config.validate import validate
from openclaw.paths import resolve_paths
from openclaw.usage import open_ledger, open_store
from openclaw.usage.base import UsageRecord
from openclaw.usage.schema import MIGRATIONS
from openclaw.usage.sqlite_store import SqliteStore
from openclaw.usage.writer import BatchLedger

ALL = [m.name for m in MIGRATIONS]
SRC = str(Path(__file__).resolve().parents[1] / "src")


def row(i: int = 0, **kw: object) -> UsageRecord:
    base: dict[str, object] = {
        "ts": 1_780_000_000.0 + i,
        "source": "cli",
        "provider": "openrouter",
        "model_requested": "openrouter/openai/gpt-4o-mini",
        "status": "ok",
        "request_id": f"r{i}",
        "input_tokens": 100,
        "output_tokens": 10,
    }
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


def test_empty_database_gets_every_migration_wal_and_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "usage.sqlite"
    store = SqliteStore(path)
    try:
        assert store.applied() == ALL
        assert store.journal_mode() == "wal"
        assert store.migrate() == []  # idempotent
    finally:
        store.close()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_a_database_with_the_report_indexes_loses_them_and_keeps_the_ts_index(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    old = SqliteStore(path, migrate=False)
    old.migrate(upto="0003_report_indexes")
    old.close()

    def indexes() -> set[str]:
        with sqlite3.connect(path) as conn:
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_attempts'"
            )
            names = {str(r[0]) for r in found}
        conn.close()
        return names

    assert indexes() == {"idx_usage_attempts_ts", "idx_usage_attempts_model", "idx_usage_attempts_client_key"}
    store = SqliteStore(path)
    try:
        assert store.applied() == ALL
    finally:
        store.close()
    assert indexes() == {"idx_usage_attempts_ts"}


def test_migrates_an_older_schema_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    old = SqliteStore(path, migrate=False)
    assert old.migrate(upto="0001_usage_attempts") == ["0001_usage_attempts"]
    old.close()
    with sqlite3.connect(path) as conn:  # a row written by the version-1 schema
        conn.execute(
            "INSERT INTO usage_attempts (ts, source, provider, model_requested, status, input_tokens, cost, "
            "cost_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1_780_000_000.0, "gateway", "openrouter", "openrouter/auto", "ok", 42, 0.5, "provider"),
        )
        cols = [r[1] for r in conn.execute("PRAGMA table_info(usage_attempts)")]
        assert "reasoning_tokens" not in cols
    conn.close()
    store = SqliteStore(path)
    try:
        assert store.applied() == ALL
        store.write([row(1, reasoning_tokens=7)])
        rows = list(store.rows())
        assert [r["input_tokens"] for r in rows] == [42, 100]
        assert [r["reasoning_tokens"] for r in rows] == [0, 7]
    finally:
        store.close()


def test_rows_round_trip_every_field(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "u.sqlite")
    full = row(
        3,
        attempt=2,
        agent="main",
        session="s1",
        client_key="team-a",
        model_served="openai/gpt-4o-mini-2024-07-18",
        profile_id="openrouter:default",
        reason="rate_limit",
        http_status=429,
        error="Rate limit exceeded",
        stream=True,
        latency_ms=12.5,
        ttft_ms=3.25,
        cache_read_tokens=5,
        cache_write_tokens=6,
        reasoning_tokens=7,
        cost=0.25,
        cost_source="provider",
    )
    store.write([full])
    (got,) = list(store.rows())
    store.close()
    expected = {k: getattr(full, k) for k in got}
    expected["stream"] = 1  # SQLite stores booleans as integers
    assert got == expected


def test_record_does_not_wait_for_a_locked_database(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    ledger = open_ledger(
        validate({"usage": {"store": {"path": str(path)}}}), resolve_paths({"HOME": str(tmp_path)})
    )
    assert ledger is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        for i in range(500):
            ledger.record(row(i))  # returns at once: rows wait in memory
        reader = SqliteStore(path, migrate=False)
        assert ledger.written == 0
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    assert ledger.flush_sync(timeout=30)
    assert reader.count() == 500
    reader.close()
    ledger.close_sync()


class GateStore:
    """A store whose writes wait for a gate: models a database that has stopped answering."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.rows: list[UsageRecord] = []

    def write(self, rows: Sequence[UsageRecord]) -> None:
        self.gate.wait()
        self.rows.extend(rows)

    def close(self) -> None:
        pass


def test_queue_is_bounded_and_drops_are_counted() -> None:
    store = GateStore()
    warnings: list[str] = []
    ledger = BatchLedger(store, max_queue=100, batch_size=10, linger=0, warn=warnings.append)
    for i in range(10_000):
        ledger.record(row(i))
    # the writer holds at most one batch; the queue holds at most max_queue rows
    assert ledger.dropped >= 10_000 - 100 - 10
    assert len(warnings) == 1 and "dropping rows" in warnings[0]
    store.gate.set()
    ledger.close_sync()
    assert len(store.rows) + ledger.dropped == 10_000


def test_threads_writing_through_one_ledger_and_several(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    shared = BatchLedger(SqliteStore(path), batch_size=64)
    own = [BatchLedger(SqliteStore(path), batch_size=64) for _ in range(3)]

    def work(n: int) -> None:
        target = shared if n % 2 == 0 else own[n % 3]
        for i in range(1500):
            target.record(row(n * 10_000 + i, request_id=f"t{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ledger in [shared, *own]:
        ledger.close_sync()
        assert ledger.dropped == 0
    store = SqliteStore(path)
    assert store.count() == 8 * 1500
    (total,) = store.aggregate(None)
    assert total.requests == 8 * 1500
    store.close()


WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {src!r})
    from pathlib import Path
    from openclaw.usage.base import UsageRecord
    from openclaw.usage.sqlite_store import SqliteStore
    from openclaw.usage.writer import BatchLedger
    tag, n = sys.argv[1], int(sys.argv[2])
    ledger = BatchLedger(SqliteStore(Path({path!r})), batch_size=50, linger=0.001)
    for i in range(n):
        ledger.record(UsageRecord(ts=time.time(), source="gateway", provider="openrouter",
                                  model_requested="openrouter/auto", status="ok",
                                  request_id=f"{{tag}}-{{i}}", input_tokens=1))
        if i % 100 == 0:
            ledger.flush_sync()
    ledger.close_sync()
    """
)


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(src=SRC, path=str(path)))
    procs = [subprocess.Popen([sys.executable, str(script), tag, "2000"]) for tag in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    store = SqliteStore(path)
    assert store.count() == 4000
    assert {r["request_id"][0] for r in store.rows()} == {"a", "b"}
    store.close()


SIGTERM_CHILD = textwrap.dedent(
    """
    import asyncio, signal, sys, time
    sys.path.insert(0, {src!r})
    from pathlib import Path
    from openclaw.usage.base import UsageRecord
    from openclaw.usage.sqlite_store import SqliteStore
    from openclaw.usage.writer import BatchLedger

    async def main() -> None:
        # linger: rows wait in memory for a minute, so only close() can have written them
        ledger = BatchLedger(SqliteStore(Path({path!r})), linger=60.0)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        for i in range({n}):
            ledger.record(UsageRecord(ts=time.time(), source="gateway", provider="openrouter",
                                      model_requested="openrouter/auto", status="ok",
                                      request_id=str(i)))
        print("ready", ledger.written, flush=True)
        await stop.wait()
        await ledger.close()  # what the gateway does on shutdown

    asyncio.run(main())
    """
)


def test_nothing_is_lost_on_sigterm(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    script = tmp_path / "child.py"
    script.write_text(SIGTERM_CHILD.format(src=SRC, path=str(path), n=3000))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["ready", "0"]  # nothing written yet
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    store = SqliteStore(path)
    assert store.count() == 3000
    store.close()


def test_open_ledger_honours_kind_off_and_a_custom_path(tmp_path: Path) -> None:
    paths = resolve_paths({"HOME": str(tmp_path)})
    assert open_ledger(validate({"usage": {"store": {"kind": "off"}}}), paths) is None
    ledger = open_ledger(validate({}), paths)
    assert ledger is not None
    ledger.record(row())
    ledger.close_sync()
    assert paths.usage_db.exists()
    custom = tmp_path / "elsewhere" / "ledger.db"
    assert open_store(validate({"usage": {"store": {"path": str(custom)}}}), paths, create=False) is None
    store = open_store(validate({"usage": {"store": {"path": str(custom)}}}), paths)
    assert store is not None and custom.exists()
    store.close()


def test_aggregates_by_group_with_estimated_and_reported_cost(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "u.sqlite")
    day = 86400.0
    t0 = 1_780_000_000.0 - (1_780_000_000.0 % day) + 3600  # 01:00 UTC
    store.write(
        [
            row(0, ts=t0, request_id="a", status="error", reason="rate_limit", cost=0.0),
            row(1, ts=t0 + 1, request_id="a", attempt=2, cost=0.02, cost_source="provider", client_key="k1"),
            row(2, ts=t0 + 2, request_id="b", model_requested="openrouter/auto", cost=None),
            row(3, ts=t0 + day, request_id="c", cost=0.5, cost_source="catalog", cache_read_tokens=30),
        ]
    )
    (total,) = store.aggregate(None)
    assert (total.requests, total.attempts, total.failures, total.unpriced) == (3, 4, 1, 1)
    assert total.cost == pytest.approx(0.52)
    assert total.cost_reported == pytest.approx(0.02)
    assert total.cost_estimated == pytest.approx(0.5)
    assert total.cache_read_tokens == 30
    by_day = store.aggregate("day")
    assert [a.key for a in by_day] == [
        time.strftime("%Y-%m-%d", time.gmtime(t0)),
        time.strftime("%Y-%m-%d", time.gmtime(t0 + day)),
    ]
    assert [a.attempts for a in by_day] == [3, 1]
    # the same rows one hour west of UTC fall on the previous day
    west = store.aggregate("day", utc_offset=-7200)
    assert west[0].key == time.strftime("%Y-%m-%d", time.gmtime(t0 - 7200))
    by_key = {a.key: a.attempts for a in store.aggregate("key")}
    assert by_key == {"-": 3, "k1": 1}
    window = store.aggregate(None, since=t0 + 1, until=t0 + day)
    assert window[0].attempts == 2
    with pytest.raises(ValueError):
        store.aggregate("nonsense")
    store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_migration_is_safe_when_two_processes_open_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    code = (
        f"import sys; sys.path.insert(0, {SRC!r}); from pathlib import Path; "
        f"from openclaw.usage.sqlite_store import SqliteStore; SqliteStore(Path({str(path)!r})).close()"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 4
    store = SqliteStore(path)
    assert store.applied() == ALL
    store.close()
