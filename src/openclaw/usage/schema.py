"""The ledger's table, its named migrations, and the SQL both backends share.

Migrations are applied in order and recorded by name in ``_openclaw_migrations``; a database is
brought up to date from any earlier state (empty, or any prefix of :data:`MIGRATIONS`). Each
migration has a SQLite and a PostgreSQL form; everything else (columns, queries) is one text
with the placeholder spelled per dialect. All values travel as parameters, never in SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import UsageRecord

__all__ = [
    "COLUMNS",
    "MIGRATIONS",
    "MIGRATIONS_TABLE",
    "POSTGRES",
    "SQLITE",
    "STAGED",
    "TABLE",
    "Dialect",
    "Migration",
    "insert_sql",
    "row_values",
]

TABLE = "usage_attempts"
MIGRATIONS_TABLE = "_openclaw_migrations"
STAGED = "usage_staged"  # SQLite: batches not yet moved into TABLE

# The UsageRecord fields stored, in column order.
COLUMNS = (
    "ts",
    "source",
    "provider",
    "model_requested",
    "status",
    "request_id",
    "attempt",
    "agent",
    "session",
    "client_key",
    "model_served",
    "profile_id",
    "reason",
    "http_status",
    "error",
    "stream",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost",
    "cost_source",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    param: str  # placeholder: "?" or "%s"
    id_column: str
    real: str
    boolean: str

    def day_expr(self) -> str:
        """Day number of ``ts`` shifted by a parameter (seconds east of UTC)."""
        if self.name == "sqlite":
            return f"CAST((ts + {self.param}) / 86400 AS INTEGER)"
        return f"CAST(FLOOR((ts + {self.param}) / 86400) AS BIGINT)"


SQLITE = Dialect("sqlite", "?", "id INTEGER PRIMARY KEY AUTOINCREMENT", "REAL", "INTEGER")
POSTGRES = Dialect("postgres", "%s", "id BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION", "BOOLEAN")


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    statements: tuple[str, ...]  # with {id}, {real}, {bool} filled per dialect
    only: str | None = None  # a dialect name: elsewhere the migration is recorded but runs nothing

    def sql(self, dialect: Dialect) -> list[str]:
        if self.only is not None and self.only != dialect.name:
            return []
        fill = {"id": dialect.id_column, "real": dialect.real, "bool": dialect.boolean}
        return [s.format(**fill) for s in self.statements]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_usage_attempts",
        (
            f"""CREATE TABLE {TABLE} (
                {{id}},
                ts {{real}} NOT NULL,
                source TEXT NOT NULL,
                provider TEXT NOT NULL,
                model_requested TEXT NOT NULL,
                status TEXT NOT NULL,
                request_id TEXT NOT NULL DEFAULT '',
                attempt INTEGER NOT NULL DEFAULT 1,
                agent TEXT,
                session TEXT,
                client_key TEXT,
                model_served TEXT,
                profile_id TEXT,
                reason TEXT,
                http_status INTEGER,
                error TEXT,
                stream {{bool}} NOT NULL DEFAULT FALSE,
                latency_ms {{real}} NOT NULL DEFAULT 0,
                ttft_ms {{real}},
                input_tokens BIGINT NOT NULL DEFAULT 0,
                output_tokens BIGINT NOT NULL DEFAULT 0,
                cache_read_tokens BIGINT NOT NULL DEFAULT 0,
                cache_write_tokens BIGINT NOT NULL DEFAULT 0,
                cost {{real}},
                cost_source TEXT
            )""",
            f"CREATE INDEX idx_{TABLE}_ts ON {TABLE} (ts)",
        ),
    ),
    Migration(
        "0002_reasoning_tokens",
        (f"ALTER TABLE {TABLE} ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0",),
    ),
    Migration(
        "0003_report_indexes",
        (
            f"CREATE INDEX idx_{TABLE}_model ON {TABLE} (model_requested, ts)",
            f"CREATE INDEX idx_{TABLE}_client_key ON {TABLE} (client_key, ts)",
        ),
    ),
    # Measured on 300k rows: the reports (GROUP BY over a ts range) ran no faster with these two
    # indexes, while every insert paid for them (SQLite: 5.9 -> 7.6-8.8 µs of CPU per row, on
    # the gateway's core). The ts index stays.
    Migration(
        "0004_drop_report_indexes",
        (
            f"DROP INDEX IF EXISTS idx_{TABLE}_model",
            f"DROP INDEX IF EXISTS idx_{TABLE}_client_key",
        ),
    ),
    # SQLite only: batches of rows as written by a busy gateway, moved into the table when the
    # writer is idle or the rate is low, and before any read (see sqlite_store.py).
    Migration(
        "0005_staged_batches",
        (f"CREATE TABLE {STAGED} (id INTEGER PRIMARY KEY, rows BLOB NOT NULL)",),
        only="sqlite",
    ),
)


def insert_sql(dialect: Dialect) -> str:
    marks = ", ".join([dialect.param] * len(COLUMNS))
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608 (constants only)


def row_values(row: UsageRecord) -> tuple[object, ...]:
    return (
        row.ts,
        row.source,
        row.provider,
        row.model_requested,
        row.status,
        row.request_id,
        row.attempt,
        row.agent,
        row.session,
        row.client_key,
        row.model_served,
        row.profile_id,
        row.reason,
        row.http_status,
        row.error,
        row.stream,
        row.latency_ms,
        row.ttft_ms,
        row.input_tokens,
        row.output_tokens,
        row.cache_read_tokens,
        row.cache_write_tokens,
        row.reasoning_tokens,
        row.cost,
        row.cost_source,
    )
