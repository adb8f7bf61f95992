"""What recording usage costs, in isolation: ``ledger.record()`` on the request path, and the
background writer's sustained throughput (record + flush) into SQLite and, when reachable,
PostgreSQL.

Baseline in the same run: a "null" ledger whose ``record`` appends to a list (the cheapest
thing a ledger could do), so the request-path figure reads as "ours minus doing nothing".

    python bench/ledger_overhead.py                # 200k rows, SQLite (+ Postgres if up)
    python bench/ledger_overhead.py --rows 50000 --no-postgres

The gateway comparison (recording on vs ``usage.store.kind: off`` under wrk load) needs the
gateway benchmark; see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openclaw.usage.base import UsageRecord
from openclaw.usage.sqlite_store import SqliteStore
from openclaw.usage.writer import BatchLedger

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


def make_rows(n: int) -> list[UsageRecord]:
    now = time.time()
    return [
        UsageRecord(
            ts=now + i * 1e-3,
            source="gateway",
            provider="openrouter",
            model_requested="openrouter/anthropic/claude-sonnet-4.5",
            status="ok",
            request_id=f"req-{i}",
            client_key="team-a",
            model_served="anthropic/claude-sonnet-4.5",
            profile_id="openrouter:default",
            stream=True,
            latency_ms=812.5,
            ttft_ms=210.0,
            input_tokens=1200,
            output_tokens=240,
            cache_read_tokens=800,
            cost=0.0042,
            cost_source="provider",
        )
        for i in range(n)
    ]


class NullLedger:
    def __init__(self) -> None:
        self.rows: list[UsageRecord] = []

    def record(self, row: UsageRecord) -> None:
        self.rows.append(row)


def time_record(ledger: object, rows: list[UsageRecord]) -> float:
    """Seconds spent in record() calls only (the request-path cost)."""
    record = ledger.record  # type: ignore[attr-defined]
    start = time.perf_counter()
    for row in rows:
        record(row)
    return time.perf_counter() - start


def run_store(name: str, make_store, rows: list[UsageRecord], repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    path_costs, totals = [], []
    for _ in range(repeats):
        store = make_store()
        ledger = BatchLedger(store, max_queue=len(rows) + 1)
        start = time.perf_counter()
        path_costs.append(time_record(ledger, rows))
        ledger.flush_sync()
        totals.append(time.perf_counter() - start)
        assert ledger.dropped == 0 and ledger.written == len(rows), (ledger.dropped, ledger.written)
        ledger.close_sync()
    n = len(rows)
    return {
        "record_us": statistics.median(path_costs) / n * 1e6,
        "rows_per_s": n / statistics.median(totals),
        "name": name,  # type: ignore[dict-item]
    }


def run_concurrent(make_store, rows: list[UsageRecord], threads: int) -> float:  # type: ignore[no-untyped-def]
    """Rows/s with several request threads recording into one ledger at once."""
    ledger = BatchLedger(make_store(), max_queue=len(rows) + 1)
    share = len(rows) // threads
    workers = [
        threading.Thread(target=time_record, args=(ledger, rows[i * share : (i + 1) * share]))
        for i in range(threads)
    ]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ledger.flush_sync()
    elapsed = time.perf_counter() - start
    ledger.close_sync()
    return share * threads / elapsed


def postgres_factory(enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None, None
    try:
        import psycopg

        schema = f"openclaw_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        print(f"postgres: skipped ({exc})", file=sys.stderr)
        return None, None
    from openclaw.usage.postgres_store import PostgresStore

    def drop() -> None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return (lambda: PostgresStore(f"{PG_DSN} options='-csearch_path={schema}'")), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rows = make_rows(args.rows)
    null_s = statistics.median(time_record(NullLedger(), rows) for _ in range(args.repeats))
    print(f"rows={args.rows} repeats={args.repeats} cpus={os.cpu_count()} python={sys.version.split()[0]}")
    print(f"{'ledger':<28} {'record() us/row':>16} {'rows/s (record+flush)':>22}")
    print(f"{'null (list.append) baseline':<28} {null_s / len(rows) * 1e6:>16.3f} {'-':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))
        sqlite = run_store(
            "sqlite (WAL)", lambda: SqliteStore(Path(tmp) / f"u{next(counter)}.sqlite"), rows, args.repeats
        )
        print(f"{sqlite['name']:<28} {sqlite['record_us']:>16.3f} {sqlite['rows_per_s']:>22,.0f}")
        conc = run_concurrent(lambda: SqliteStore(Path(tmp) / "conc.sqlite"), rows, 4)
        print(f"{'sqlite, 4 recording threads':<28} {'-':>16} {conc:>22,.0f}")
    factory, drop = postgres_factory(not args.no_postgres)
    if factory is not None:
        try:
            pg = run_store("postgres", factory, rows, args.repeats)
            print(f"{pg['name']:<28} {pg['record_us']:>16.3f} {pg['rows_per_s']:>22,.0f}")
        finally:
            drop()


if __name__ == "__main__":
    main()
