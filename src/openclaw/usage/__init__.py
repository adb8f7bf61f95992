"""Usage: the per-attempt ledger (SQLite by default, PostgreSQL as an option) and pricing.

``open_ledger(config, paths)`` is what the runtime calls: it returns a
:class:`~openclaw.usage.writer.BatchLedger` over the configured store, or None when
``usage.store.kind`` is ``"off"``. ``open_store`` opens the same store for reading (reports).
Backends are imported here lazily, so ``import openclaw.usage`` costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config.schema import OpenClawConfig, UsageStore
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..paths import StatePaths
    from .store import SqlStore
    from .writer import BatchLedger

__all__ = ["open_ledger", "open_store", "store_config", "store_label"]


def store_config(config: OpenClawConfig) -> UsageStore:
    section = config.usage
    return section.store if section is not None and section.store is not None else UsageStore()


def _sqlite_path(store: UsageStore, paths: StatePaths) -> Path:
    return Path(store.path).expanduser() if store.path else paths.usage_db


def store_label(config: OpenClawConfig, paths: StatePaths) -> str:
    """Where the ledger lives, for messages (never the DSN's password)."""
    store = store_config(config)
    if store.kind == "postgres":
        return "PostgreSQL (usage.store.dsn)"
    if store.kind == "off":
        return "off (usage.store.kind)"
    return paths.display(_sqlite_path(store, paths))


def open_store(config: OpenClawConfig, paths: StatePaths, *, create: bool = True) -> SqlStore | None:
    """The configured store, migrated; None when the ledger is off, or (``create=False``) when
    the SQLite file does not exist yet."""
    store = store_config(config)
    if store.kind == "off":
        return None
    if store.kind == "postgres":
        if not store.dsn:
            raise ConfigError('usage.store.kind is "postgres" but usage.store.dsn is not set.')
        from .postgres_store import PostgresStore

        return PostgresStore(store.dsn)
    path = _sqlite_path(store, paths)
    if not create and not path.exists():
        return None
    from .sqlite_store import SqliteStore

    return SqliteStore(path)


def open_ledger(config: OpenClawConfig, paths: StatePaths) -> BatchLedger | None:
    """The ledger every attempt is recorded in (a background batch writer over the store)."""
    store = open_store(config, paths)
    if store is None:
        return None
    from .writer import BatchLedger

    return BatchLedger(store)
