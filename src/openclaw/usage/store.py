"""What both ledger backends do with a DB-API connection: migrate, insert, aggregate.

:class:`SqlStore` is subclassed by the SQLite and PostgreSQL stores, which only open the
connection and take the migration lock their own way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from .base import UsageRecord
from .schema import COLUMNS, MIGRATIONS, MIGRATIONS_TABLE, TABLE, Dialect, insert_sql, row_values

__all__ = ["GROUPS", "Aggregate", "SqlStore", "UsageStoreLike"]

# --by value -> SQL expression of the group key (day is per dialect).
GROUPS = {
    "model": "model_requested",
    "provider": "provider",
    "agent": "COALESCE(agent, '-')",
    "key": "COALESCE(client_key, '-')",
    "profile": "COALESCE(profile_id, '-')",
    "status": "status",
    "day": None,
}

_METRICS = """
    COUNT(DISTINCT NULLIF(request_id, '')) + SUM(CASE WHEN request_id = '' THEN 1 ELSE 0 END),
    COUNT(*),
    SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
    SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
    SUM(reasoning_tokens),
    SUM(cost),
    SUM(CASE WHEN cost_source = 'provider' THEN cost ELSE 0 END),
    SUM(CASE WHEN cost_source IN ('catalog', 'config') THEN cost ELSE 0 END),
    SUM(CASE WHEN status = 'ok' AND cost IS NULL THEN 1 ELSE 0 END)
"""


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Totals for one group (or for everything when ``key`` is None)."""

    key: str | None
    requests: int = 0
    attempts: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float = 0.0
    cost_reported: float = 0.0
    cost_estimated: float = 0.0
    unpriced: int = 0  # successful attempts whose cost is unknown

    @classmethod
    def from_row(cls, key: str | None, values: Sequence[Any]) -> Aggregate:
        n = [int(v or 0) for v in values[:8]]
        f = [float(v or 0.0) for v in values[8:11]]
        return cls(
            key,
            requests=n[0],
            attempts=n[1],
            failures=n[2],
            input_tokens=n[3],
            output_tokens=n[4],
            cache_read_tokens=n[5],
            cache_write_tokens=n[6],
            reasoning_tokens=n[7],
            cost=f[0],
            cost_reported=f[1],
            cost_estimated=f[2],
            unpriced=int(values[11] or 0),
        )


class _Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class UsageStoreLike(Protocol):
    def write(self, rows: Sequence[UsageRecord]) -> None: ...
    def close(self) -> None: ...


class SqlStore:
    """Shared SQL; subclasses provide ``_cursor()``, ``_migration_lock()`` and ``close()``."""

    dialect: Dialect
    db_errors: tuple[type[Exception], ...] = ()

    def _cursor(self) -> AbstractContextManager[_Cursor]:
        raise NotImplementedError

    def _write_cursor(self) -> AbstractContextManager[_Cursor]:
        return self._cursor()

    def _migration_lock(self) -> AbstractContextManager[_Cursor]:
        """A transaction that excludes other migrators; commits on success."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _before_read(self) -> None:
        """Make every written row visible to the reads below (SQLite: settle staged batches)."""

    # -- migrations --------------------------------------------------------------------------

    def applied(self) -> list[str]:
        try:
            with self._cursor() as cur:
                cur.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name")  # noqa: S608
                return [str(r[0]) for r in cur.fetchall()]
        except self.db_errors:  # no migrations table yet: nothing applied
            return []

    def migrate(self, upto: str | None = None) -> list[str]:
        """Apply every pending migration (through ``upto`` when given); returns their names."""
        done: list[str] = []
        with self._migration_lock() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
                f"(name TEXT PRIMARY KEY, applied_at {self.dialect.real} NOT NULL)"
            )
            cur.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")  # noqa: S608
            have = {str(r[0]) for r in cur.fetchall()}
            for migration in MIGRATIONS:
                if migration.name not in have:
                    for statement in migration.sql(self.dialect):
                        cur.execute(statement)
                    cur.execute(
                        f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES "  # noqa: S608
                        f"({self.dialect.param}, {self.dialect.param})",
                        (migration.name, time.time()),
                    )
                    done.append(migration.name)
                if migration.name == upto:
                    break
        return done

    # -- rows --------------------------------------------------------------------------------

    def write(self, rows: Sequence[UsageRecord]) -> None:
        if not rows:
            return
        sql = insert_sql(self.dialect)
        with self._write_cursor() as cur:
            cur.executemany(sql, [row_values(r) for r in rows])

    def count(self) -> int:
        self._before_read()
        with self._cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608
            return int(cur.fetchall()[0][0])

    def rows(self, since: float | None = None, until: float | None = None) -> Iterator[dict[str, Any]]:
        where, params = self._where(since, until)
        self._before_read()
        with self._cursor() as cur:
            cur.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE}{where} ORDER BY ts", params)  # noqa: S608
            fetched = cur.fetchall()
        for values in fetched:
            yield dict(zip(COLUMNS, values, strict=True))

    def _where(self, since: float | None, until: float | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if since is not None:
            clauses.append(f"ts >= {self.dialect.param}")
            params.append(since)
        if until is not None:
            clauses.append(f"ts < {self.dialect.param}")
            params.append(until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def aggregate(
        self,
        by: str | None,
        *,
        since: float | None = None,
        until: float | None = None,
        utc_offset: int = 0,
    ) -> list[Aggregate]:
        """Totals per group (``by`` from :data:`GROUPS`), or one total row when ``by`` is None.

        Day groups are keyed ``YYYY-MM-DD`` in the zone ``utc_offset`` seconds east of UTC.
        """
        where, params = self._where(since, until)
        self._before_read()
        if by is None:
            sql = f"SELECT {_METRICS} FROM {TABLE}{where}"  # noqa: S608
            with self._cursor() as cur:
                cur.execute(sql, params)
                values = cur.fetchall()[0]
            return [Aggregate.from_row(None, values)]
        if by not in GROUPS:
            raise ValueError(f"unknown group {by!r}")
        expr = GROUPS[by] or self.dialect.day_expr()
        head: list[Any] = [utc_offset] if by == "day" else []
        sql = f"SELECT {expr} AS k, {_METRICS} FROM {TABLE}{where} GROUP BY k ORDER BY k"  # noqa: S608
        with self._cursor() as cur:
            cur.execute(sql, head + params)
            fetched = cur.fetchall()
        out = []
        for values in fetched:
            key = _day_label(int(values[0])) if by == "day" else str(values[0])
            out.append(Aggregate.from_row(key, values[1:]))
        return out


def _day_label(day_number: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day_number * 86400))
