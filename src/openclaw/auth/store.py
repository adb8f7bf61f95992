"""The auth profile store, kept where OpenClaw 2026.9 keeps it.

Credentials live in ``<state dir>/state/openclaw.sqlite``, table ``config_machine_state``
(``state_key TEXT PRIMARY KEY, value_json TEXT, updated_at_ms INTEGER``), row
``authProfiles.store``::

    {"version": 1, "profiles": {"openrouter:default":
        {"type": "api_key", "provider": "openrouter", "key": "sk-or-..."}}}

so a home written by the real OpenClaw works here and the reverse. Our additions go in rows of
their own: ``authProfiles.order`` holds the order overrides of ``models auth order set``
(``{"version": 1, "order": {provider: [ids]}, "agents": {agentId: {provider: [ids]}}}``; the
top-level ``order`` belongs to the default agent). Cooldowns and usage stats are run-time state,
kept by :mod:`openclaw.state`. Keys of the store row we do not know are kept as they are.

Files: the directory is 0700 and the database 0600. The database file is created 0600 before
SQLite opens it; SQLite gives its ``-wal``/``-shm`` companions the mode of the database file, so
they are 0600 too (no process-wide umask change). Every write is one ``BEGIN IMMEDIATE``
transaction: concurrent writers (several CLI processes, the gateway) serialise on SQLite's lock,
and a crash leaves the old value or the new, never half.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import SecretFileError
from ..fsutil import check_private_file
from ..paths import DEFAULT_AGENT_ID, create_private_db, ensure_private_dir

__all__ = ["ORDER_KEY", "SHARED_KEY", "STORE_KEY", "AuthProfile", "AuthStore", "StoreSnapshot"]

STORE_KEY = "authProfiles.store"
ORDER_KEY = "authProfiles.order"
SHARED_KEY = "auth.sharedStore"
PROFILE_TYPES = ("api_key", "token", "oauth")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS config_machine_state (
    state_key TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
)
"""
_SECRET_FIELD = {"api_key": "key", "token": "token", "oauth": "access"}
_KNOWN_FIELDS = frozenset(
    {"type", "provider", "key", "token", "access", "keyRef", "tokenRef", "expires", "email"}
)


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
        if self.secret is not None:
            out[_SECRET_FIELD.get(self.type, "key")] = self.secret
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
        secret = data.get(_SECRET_FIELD.get(kind, "key"))
        ref = data.get("keyRef") if kind == "api_key" else data.get("tokenRef")
        provider = str(data.get("provider") or profile_id.partition(":")[0])
        expires = data.get("expires")
        email = data.get("email")
        return cls(
            id=profile_id,
            provider=provider,
            type=kind,
            secret=secret if isinstance(secret, str) else None,
            secret_ref=ref if isinstance(ref, dict) else None,
            expires=int(expires)
            if isinstance(expires, (int, float)) and not isinstance(expires, bool)
            else None,
            email=email if isinstance(email, str) else None,
            extra={k: v for k, v in data.items() if k not in _KNOWN_FIELDS},
        )


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    profiles: dict[str, AuthProfile]
    order: dict[str, list[str]]  # the default agent's overrides (`models auth order set`)
    agent_order: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def for_provider(self, provider: str) -> list[AuthProfile]:
        return [p for p in self.profiles.values() if p.provider == provider]

    def order_for(self, agent_id: str = DEFAULT_AGENT_ID) -> dict[str, list[str]]:
        """Order overrides for ``agent_id``: its own, else the default agent's."""
        if agent_id != DEFAULT_AGENT_ID and agent_id in self.agent_order:
            return {**self.order, **self.agent_order[agent_id]}
        return self.order


def _order_map(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): [str(x) for x in v] for k, v in raw.items() if isinstance(v, list)}


def _parse_snapshot(rows: dict[str, Any]) -> StoreSnapshot:
    store = rows.get(STORE_KEY)
    raw_profiles = store.get("profiles") if isinstance(store, dict) else None
    profiles = {
        str(pid): AuthProfile.from_json(str(pid), data)
        for pid, data in (raw_profiles if isinstance(raw_profiles, dict) else {}).items()
        if isinstance(data, dict)
    }
    order_row = rows.get(ORDER_KEY)
    order_row = order_row if isinstance(order_row, dict) else {}
    agents_raw = order_row.get("agents")
    agents = {
        str(agent): _order_map(value)
        for agent, value in (agents_raw if isinstance(agents_raw, dict) else {}).items()
    }
    return StoreSnapshot(profiles=profiles, order=_order_map(order_row.get("order")), agent_order=agents)


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _enable_wal(conn: sqlite3.Connection, timeout: float = 10.0) -> None:
    """Switch to WAL once. The switch needs a lock SQLite's busy handler does not wait for, so a
    writer that meets another one creating the database retries here (bounded)."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()
            if mode is not None and str(mode[0]).lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class AuthStore:
    """Read and write auth profiles in the state database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- connection -------------------------------------------------------------------------

    def _check_readable(self) -> None:
        try:
            st = self.path.stat()
        except PermissionError as exc:
            raise SecretFileError(
                f"Cannot read the auth store {self.path}: permission denied on its directory.",
                path=str(self.path),
            ) from exc
        if stat.S_ISDIR(st.st_mode):
            raise SecretFileError(
                f"The auth store {self.path} is a directory, not a SQLite database file.", path=str(self.path)
            )
        if not st.st_mode & stat.S_IRUSR or not os.access(self.path, os.R_OK):
            raise SecretFileError(
                f"Cannot read the auth store {self.path} (mode {st.st_mode & 0o777:04o}). It should be "
                f"owned by you with mode 0600: chmod 600 {self.path}",
                path=str(self.path),
            )

    def _create_private(self) -> None:
        """Create the parent dirs 0700 and the database file 0600 (before SQLite touches it)."""
        for directory in (self.path.parent.parent, self.path.parent):
            if not directory.exists():
                ensure_private_dir(directory)
        create_private_db(self.path)

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            conn = sqlite3.connect(":memory:")
            try:
                yield conn
            finally:
                conn.close()
            return
        if write:
            self._create_private()
        self._check_readable()
        try:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise SecretFileError(
                f"Cannot open the auth store {self.path}: {exc}", path=str(self.path)
            ) from exc
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            if write:
                _enable_wal(conn)
                conn.execute(_SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise SecretFileError(
                    f"The auth store {self.path} stayed locked by another openclaw process for 10 s; "
                    "try again.",
                    path=str(self.path),
                ) from exc
            raise SecretFileError(
                f"The auth store {self.path} is not a readable SQLite database ({exc}).", path=str(self.path)
            ) from exc
        finally:
            conn.close()

    def _read_rows(self, conn: sqlite3.Connection, *keys: str) -> dict[str, Any]:
        marks = ",".join("?" for _ in keys)
        try:
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
                    f"The auth store {self.path}: row {key} is not valid JSON ({exc}).", path=str(self.path)
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
        """A warning when the database (or its -wal/-shm files) is readable by others."""
        for suffix in ("", "-wal", "-shm"):
            warning = check_private_file(self.path.with_name(self.path.name + suffix))
            if warning:
                return warning
        return None

    def load(self) -> StoreSnapshot:
        with self._connect(write=False) as conn:
            rows = self._read_rows(conn, STORE_KEY, ORDER_KEY)
        return _parse_snapshot(rows)

    # -- writes (each one transaction) -----------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        with self._connect(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._read_rows(conn, STORE_KEY, ORDER_KEY)
                store = rows.get(STORE_KEY)
                store = store if isinstance(store, dict) else {"version": 1}
                if not isinstance(store.get("profiles"), dict):
                    store["profiles"] = {}
                order = rows.get(ORDER_KEY)
                order = order if isinstance(order, dict) else {"version": 1}
                if not isinstance(order.get("order"), dict):
                    order["order"] = {}
                before_order = orjson.dumps(order)
                yield store, order
                self._write_row(conn, STORE_KEY, store)
                if ORDER_KEY in rows or orjson.dumps(order) != before_order:
                    self._write_row(conn, ORDER_KEY, order)
                self._write_row(conn, SHARED_KEY, {"location": "state-db"})
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def upsert(self, profile: AuthProfile) -> None:
        with self._transaction() as (store, _order):
            store["profiles"][profile.id] = profile.to_json()

    def remove(self, profile_id: str) -> bool:
        """Remove a profile and drop it from every order override; False when it was absent."""
        with self._transaction() as (store, order):
            existed = store["profiles"].pop(profile_id, None) is not None
            tables = [
                order["order"],
                *(v for v in (order.get("agents") or {}).values() if isinstance(v, dict)),
            ]
            for table in tables:
                for provider, ids in list(table.items()):
                    if isinstance(ids, list) and profile_id in ids:
                        ids.remove(profile_id)
                        if not ids:
                            del table[provider]
        return existed

    def remove_provider(self, provider: str) -> list[str]:
        """Remove every profile of ``provider``; returns the removed ids."""
        with self._transaction() as (store, _order):
            gone = [
                pid
                for pid, p in store["profiles"].items()
                if isinstance(p, dict) and p.get("provider") == provider
            ]
            for pid in gone:
                del store["profiles"][pid]
        return gone

    def set_order(
        self, provider: str, profile_ids: list[str] | None, *, agent_id: str = DEFAULT_AGENT_ID
    ) -> None:
        """Set (or with None, clear) the order override for ``provider`` (per agent)."""
        with self._transaction() as (_store, order):
            if agent_id == DEFAULT_AGENT_ID:
                table = order["order"]
            else:
                agents = order.setdefault("agents", {})
                table = agents.setdefault(agent_id, {})
            if profile_ids is None:
                table.pop(provider, None)
            else:
                table[provider] = list(profile_ids)
            if agent_id != DEFAULT_AGENT_ID and not table:
                order["agents"].pop(agent_id, None)
