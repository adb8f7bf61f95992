"""The PostgreSQL ledger, against the real server on 127.0.0.1:5432 (database ``test``).

Each test gets its own schema (``search_path`` in the DSN), dropped afterwards. With ``CI`` set a
missing server fails these tests; without it they skip and say why.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from openclaw.config.validate import validate
from openclaw.errors import ConfigError
from openclaw.paths import resolve_paths
from openclaw.usage import open_ledger, open_store
from openclaw.usage.base import UsageRecord
from openclaw.usage.schema import MIGRATIONS

pytestmark = pytest.mark.postgres

psycopg = pytest.importorskip("psycopg")

BASE_DSNS = (
    "host=127.0.0.1 port=5432 dbname=test user=postgres",
    "host=127.0.0.1 port=5432 dbname=test user=root",
)
ALL = [m.name for m in MIGRATIONS]


def _admin_dsn() -> str:
    errors = []
    for dsn in BASE_DSNS:
        try:
            with psycopg.connect(dsn, connect_timeout=3):
                return dsn
        except psycopg.Error as exc:
            errors.append(f"{dsn}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}")
    message = "PostgreSQL is not reachable at 127.0.0.1:5432: " + "; ".join(errors)
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    admin = _admin_dsn()
    schema = f"openclaw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{admin} options='-csearch_path={schema}'"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def row(i: int, **kw: object) -> UsageRecord:
    base: dict[str, object] = {
        "ts": 1_780_000_000.0 + i,
        "source": "gateway",
        "provider": "openrouter",
        "model_requested": "openrouter/anthropic/claude-sonnet-4.5",
        "status": "ok",
        "request_id": f"r{i}",
        "input_tokens": 1000,
        "output_tokens": 20,
    }
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


def config(dsn: str):  # type: ignore[no-untyped-def]
    return validate({"usage": {"store": {"kind": "postgres", "dsn": dsn}}})


def test_ledger_writes_to_postgres_with_all_migrations(pg_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = resolve_paths({"HOME": str(tmp_path)})
    ledger = open_ledger(config(pg_dsn), paths)
    assert ledger is not None
    for i in range(250):
        ledger.record(row(i, cost=0.001, cost_source="provider", stream=i % 2 == 0))
    ledger.record(row(999, status="error", http_status=429, reason="rate_limit", cost=0.0))
    ledger.close_sync()
    assert not paths.usage_db.exists()  # nothing went to SQLite
    store = open_store(config(pg_dsn), paths)
    assert store is not None
    try:
        assert store.applied() == ALL
        assert store.count() == 251
        (total,) = store.aggregate(None)
        assert (total.requests, total.failures) == (251, 1)
        assert total.cost_reported == pytest.approx(0.25)
        by_day = store.aggregate("day")
        assert sum(a.attempts for a in by_day) == 251
        first = next(iter(store.rows()))
        assert first["stream"] is True and first["input_tokens"] == 1000
    finally:
        store.close()


def test_postgres_migrates_an_older_schema(pg_dsn: str) -> None:
    from openclaw.usage.postgres_store import PostgresStore

    old = PostgresStore(pg_dsn, migrate=False)
    assert old.applied() == []
    assert old.migrate(upto="0001_usage_attempts") == ["0001_usage_attempts"]
    with old._cursor() as cur:
        cur.execute(
            "INSERT INTO usage_attempts (ts, source, provider, model_requested, status, input_tokens) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (1_780_000_000.0, "cli", "openrouter", "openrouter/auto", "ok", 5),
        )
    old.close()
    store = PostgresStore(pg_dsn)
    try:
        assert store.applied() == ALL
        (only,) = list(store.rows())
        assert only["reasoning_tokens"] == 0 and only["input_tokens"] == 5
    finally:
        store.close()


def test_concurrent_ledgers_on_one_postgres(pg_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = resolve_paths({"HOME": str(tmp_path)})
    ledgers = []
    for _ in range(3):  # three "instances" start together and migrate once
        ledger = open_ledger(config(pg_dsn), paths)
        assert ledger is not None
        ledgers.append(ledger)

    def work(n: int) -> None:
        for i in range(400):
            ledgers[n % 3].record(row(n * 1000 + i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ledger in ledgers:
        ledger.close_sync()
    store = open_store(config(pg_dsn), paths)
    assert store is not None
    assert store.count() == 2400
    store.close()


def test_bad_dsn_is_a_clear_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = resolve_paths({"HOME": str(tmp_path)})
    bad = "host=127.0.0.1 port=5432 dbname=openclaw_no_such_db_" + uuid.uuid4().hex[:6] + " user=postgres"
    with pytest.raises(ConfigError, match="usage database"):
        open_ledger(config(bad), paths)
    with pytest.raises(ConfigError, match="dsn is not set"):
        open_ledger(validate({"usage": {"store": {"kind": "postgres"}}}), paths)
