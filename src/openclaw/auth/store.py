"""The auth profile store, kept where OpenClaw 2026.9 keeps it.

Credentials live in ``<state dir>/state/openclaw.sqlite``, table ``config_machine_state``
(``state_key TEXT PRIMARY KEY, value_json TEXT, updated_at_ms INTEGER``), row
``authProfiles.store``::

    {"version": 1, "profiles": {"openrouter:default":
        {"type": "api_key", "provider": "openrouter", "key": "sk-or-..."}}}

so a home written by the real OpenClaw works here and the reverse. Our additions go in rows of
their own: ``authProfiles.order`` (the per-agent order override of ``models auth order set``).
Cooldowns and usage stats are run-time state, kept by :mod:`openclaw.state`.

The directory is 0700 and the database (with its ``-wal``/``-shm`` files) 0600: the process
umask is tightened while SQLite creates them. Every write is one ``BEGIN IMMEDIATE`` transaction,
so concurrent writers serialise and a crash leaves the old value or the new, never half.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import SecretFileError
from ..fsutil import check_private_file
from ..paths import ensure_private_dir

__all__ = ["AuthProfile", "AuthStore", "StoreSnapshot"]

STORE_KEY = "authProfiles.store"
ORDER_KEY = "authProfiles.order"
SHARED_KEY = "auth.sharedStore"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS config_machine_state (
    state_key TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class AuthProfile:
    """One stored credential. ``secret`` is the key or token; ``repr`` never shows it."""

    id: str
    provider: str
    type: str = "api_key"  # api_key | token | oauth
    secret: str | None = field(default=None, repr=False)
    secret_ref: dict[str, Any] | None = None  # {"source": "env", "provider": "default", "id": ...}
    expires: int | None = None  # epoch ms (token/oauth)
    email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "provider": self.provider}
        secret_field = {"api_key": "key", "token": "token", "oauth": "access"}[self.type]
        if self.secret is not None:
            out[secret_field] = self.secret
        if self.secret_ref is not None:
            out["keyRef" if self.type == "api_key" else "tokenRef"] = self.secret_ref
        if self.expires is not None:
            out["expires"] = self.expires
        if self.email:
            out["email"] = self.email
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, profile_id: str, data: dict[str, Any]) -> AuthProfile:
        kind = str(data.get("type", "api_key"))
        secret = data.get("key") if kind == "api_key" else data.get("token" if kind == "token" else "access")
        ref = data.get("keyRef") if kind == "api_key" else data.get("tokenRef")
        known = {"type", "provider", "key", "token", "access", "keyRef", "tokenRef", "expires", "email"}
        provider = str(data.get("provider") or profile_id.partition(":")[0])
        expires = data.get("expires")
        return cls(
            id=profile_id,
            provider=provider,
            type=kind,
            secret=secret if isinstance(secret, str) else None,
            secret_ref=ref if isinstance(ref, dict) else None,
            expires=int(expires) if isinstance(expires, (int, float)) else None,
            email=data.get("email") if isinstance(data.get("email"), str) else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    profiles: dict[str, AuthProfile]
    order: dict[str, list[str]]  # per-agent override set by `models auth order set`

    def for_provider(self, provider: str) -> list[AuthProfile]:
        return [p for p in self.profiles.values() if p.provider == provider]


class AuthStore:
    """Read and write auth profiles in the state database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- connection -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            yield sqlite3.connect(":memory:")
            return
        ensure_private_dir(self.path.parent)
        old_umask = os.umask(0o077)
        try:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise SecretFileError(f"Cannot open {self.path}: {exc}", path=str(self.path)) from exc
        finally:
            os.umask(old_umask)
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            if write:
                old_umask = os.umask(0o077)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(_SCHEMA)
                finally:
                    os.umask(old_umask)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise SecretFileError(
                f"{self.path} is not a readable SQLite database ({exc}).", path=str(self.path)
            ) from exc
        finally:
            conn.close()

    def _read_rows(self, conn: sqlite3.Connection, *keys: str) -> dict[str, Any]:
        try:
            marks = ",".join("?" for _ in keys)
            rows = conn.execute(
                f"SELECT state_key, value_json FROM config_machine_state WHERE state_key IN ({marks})",  # noqa: S608
                keys,
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return {}
            raise
        out = {}
        for key, value in rows:
            try:
                out[key] = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise SecretFileError(
                    f"{self.path}: row {key} is not valid JSON ({exc}).", path=str(self.path)
                ) from exc
        return out

    @staticmethod
    def _write_row(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO config_machine_state(state_key, value_json, updated_at_ms) VALUES (?,?,?) "
            "ON CONFLICT(state_key) DO UPDATE SET value_json=excluded.value_json, "
            "updated_at_ms=excluded.updated_at_ms",
            (key, orjson.dumps(value).decode(), int(time.time() * 1000)),
        )

    # -- reads ------------------------------------------------------------------------------

    def permission_warning(self) -> str | None:
        return check_private_file(self.path)

    def load(self) -> StoreSnapshot:
        with self._connect(write=False) as conn:
            rows = self._read_rows(conn, STORE_KEY, ORDER_KEY)
        store = rows.get(STORE_KEY) or {}
        raw_profiles = store.get("profiles") if isinstance(store, dict) else None
        profiles = {
            pid: AuthProfile.from_json(pid, data)
            for pid, data in (raw_profiles or {}).items()
            if isinstance(data, dict)
        }
        order_raw = rows.get(ORDER_KEY) or {}
        order = {
            str(k): [str(x) for x in v]
            for k, v in (order_raw.get("order") or {}).items()
            if isinstance(v, list)
        }
        return StoreSnapshot(profiles=profiles, order=order)

    # -- writes (each one transaction) -----------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[tuple[sqlite3.Connection, dict[str, Any], dict[str, Any]]]:
        with self._connect(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._read_rows(conn, STORE_KEY, ORDER_KEY)
                store = rows.get(STORE_KEY) or {"version": 1, "profiles": {}}
                store.setdefault("profiles", {})
                order = rows.get(ORDER_KEY) or {"version": 1, "order": {}}
                order.setdefault("order", {})
                yield conn, store, order
                self._write_row(conn, STORE_KEY, store)
                self._write_row(conn, ORDER_KEY, order)
                self._write_row(conn, SHARED_KEY, {"location": "state-db"})
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def upsert(self, profile: AuthProfile) -> None:
        with self._transaction() as (_, store, _order):
            store["profiles"][profile.id] = profile.to_json()

    def remove(self, profile_id: str) -> bool:
        with self._transaction() as (_, store, order):
            existed = store["profiles"].pop(profile_id, None) is not None
            for provider, ids in list(order["order"].items()):
                if profile_id in ids:
                    ids.remove(profile_id)
                    if not ids:
                        del order["order"][provider]
        return existed

    def remove_provider(self, provider: str) -> list[str]:
        with self._transaction() as (_, store, _order):
            gone = [pid for pid, p in store["profiles"].items() if p.get("provider") == provider]
            for pid in gone:
                del store["profiles"][pid]
        return gone

    def set_order(self, provider: str, profile_ids: list[str] | None) -> None:
        """Set (or with None, clear) the per-agent order override for ``provider``."""
        with self._transaction() as (_, _store, order):
            if profile_ids is None:
                order["order"].pop(provider, None)
            else:
                order["order"][provider] = list(profile_ids)
