"""The shared ledger: the same table and migrations in PostgreSQL (psycopg 3).

``usage.store: { kind: "postgres", dsn: "postgresql://..." }``. To keep the table in its own
schema, put ``options=-csearch_path=<schema>`` in the DSN. Migrations take a transaction-level
advisory lock, so several gateway instances starting together migrate once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError
from .schema import POSTGRES
from .store import SqlStore

__all__ = ["PostgresStore"]

_LOCK_KEY = 0x0C1A_0001  # advisory lock id for ledger migrations


class PostgresStore(SqlStore):
    dialect = POSTGRES

    def __init__(self, dsn: str, *, migrate: bool = True, connect_timeout: float = 10.0) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                'usage.store.kind is "postgres" but psycopg is not installed: '
                "pip install 'openclaw[postgres]'."
            ) from exc
        self.db_errors = (psycopg.Error,)
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=int(connect_timeout))
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"Cannot connect to the usage database (usage.store.dsn): {first}") from exc
        self._lock = threading.Lock()
        if migrate:
            self.migrate()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    @contextmanager
    def _migration_lock(self) -> Iterator[Any]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            yield cur

    def close(self) -> None:
        with self._lock:
            self._conn.close()
