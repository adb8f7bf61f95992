"""The auth store: the real OpenClaw's SQLite row, private file modes, concurrent writers."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, Cli
from openclaw.auth.store import ORDER_KEY, STORE_KEY, AuthProfile, AuthStore
from openclaw.errors import SecretFileError

SHARED = Path("/work/shared/spec/captures")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> AuthStore:
    return AuthStore(tmp_path / "home" / ".openclaw" / "state" / "openclaw.sqlite")


def _rows(path: Path) -> dict[str, Any]:
    """Each state row's parsed JSON value (``Any``: the tests index into them)."""
    conn = sqlite3.connect(path)
    try:
        return {
            k: orjson.loads(v)
            for k, v in conn.execute("SELECT state_key, value_json FROM config_machine_state")
        }
    finally:
        conn.close()


def test_round_trip_every_profile_type(store: AuthStore) -> None:
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.upsert(
        AuthProfile(
            id="openrouter:manual", provider="openrouter", type="token", secret="tok-abc", expires=123456789
        )
    )
    ref = {"source": "env", "provider": "default", "id": "OPENROUTER_API_KEY"}
    store.upsert(AuthProfile(id="openrouter:ref", provider="openrouter", secret_ref=ref))
    snap = store.load()
    assert snap.profiles["openrouter:default"].secret == FAKE_KEY
    assert snap.profiles["openrouter:manual"].type == "token"
    assert snap.profiles["openrouter:manual"].expires == 123456789
    assert snap.profiles["openrouter:ref"].secret_ref == ref
    assert snap.profiles["openrouter:ref"].secret is None
    assert [p.id for p in snap.for_provider("openrouter")] == [
        "openrouter:default",
        "openrouter:manual",
        "openrouter:ref",
    ]
    rows = _rows(store.path)
    assert rows["auth.sharedStore"] == {"location": "state-db"}
    assert rows[STORE_KEY] == {
        "version": 1,
        "profiles": {
            "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": FAKE_KEY},
            "openrouter:manual": {
                "type": "token",
                "provider": "openrouter",
                "token": "tok-abc",
                "expires": 123456789,
            },
            "openrouter:ref": {"type": "api_key", "provider": "openrouter", "keyRef": ref},
        },
    }
    assert ORDER_KEY not in rows  # no row of ours until an order override is set


def test_repr_never_shows_the_secret() -> None:
    profile = AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY)
    assert FAKE_KEY not in repr(profile)


def test_missing_store_reads_empty_and_creates_nothing(store: AuthStore) -> None:
    snap = store.load()
    assert snap.profiles == {}
    assert not store.path.exists()
    assert not store.path.parent.exists()


def test_files_are_private_including_wal_and_shm(store: AuthStore) -> None:
    old = os.umask(0o022)
    try:
        store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
        conn = sqlite3.connect(store.path)  # keep a reader open so -wal/-shm exist
        try:
            conn.execute("SELECT count(*) FROM config_machine_state").fetchone()
            store.upsert(AuthProfile(id="openrouter:second", provider="openrouter", secret=FAKE_KEY_2))
            companions = [store.path.with_name(store.path.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            for path in (store.path, *companions):
                assert _mode(path) == 0o600, path
        finally:
            conn.close()
    finally:
        os.umask(old)
    assert _mode(store.path.parent) == 0o700
    assert _mode(store.path.parent.parent) == 0o700
    assert store.permission_warning() is None


def test_world_readable_store_gives_a_warning(store: AuthStore) -> None:
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.path.chmod(0o644)
    warning = store.permission_warning()
    assert warning is not None
    assert "0644" in warning
    assert f"chmod 600 {store.path}" in warning
    assert FAKE_KEY not in warning
    assert store.load().profiles  # still readable


def test_world_readable_store_is_reported_by_the_cli(cli: Cli, home: Path) -> None:
    store = AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite")
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.path.chmod(0o604)
    result = cli("models", "status")
    assert result.code == 0
    assert "Warning:" in result.stderr
    assert "should be 0600" in result.stderr


def test_unreadable_store_is_a_clear_error(store: AuthStore) -> None:
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.path.chmod(0o000)
    try:
        with pytest.raises(SecretFileError) as info:
            store.load()
    finally:
        store.path.chmod(0o600)
    assert "Cannot read the auth store" in info.value.message
    assert "chmod 600" in info.value.message


def test_store_that_is_not_a_database_is_a_clear_error(store: AuthStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(SecretFileError) as info:
        store.load()
    assert "not a readable SQLite database" in info.value.message


def test_store_path_that_is_a_directory_is_a_clear_error(store: AuthStore) -> None:
    store.path.mkdir(parents=True)
    with pytest.raises(SecretFileError) as info:
        store.load()
    assert "is a directory" in info.value.message


def test_reads_the_real_openclaw_format(store: AuthStore) -> None:
    """The rows exactly as OpenClaw 2026.9.6 wrote them (captures/onboard/main.state-db.txt)."""
    capture = (SHARED / "onboard" / "main.state-db.txt").read_text()
    capture += (SHARED / "gw" / "auth-state-after.txt").read_text().split("\n", 1)[1]
    store.path.parent.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(store.path)
    conn.execute("CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json, updated_at_ms)")
    conn.execute("CREATE TABLE other_table (x)")  # the real database has many more tables
    for line in capture.strip().splitlines():
        key, _, value = line.partition("|")
        value = value.replace("<OPENROUTER_API_KEY_2>", FAKE_KEY_2).replace("<OPENROUTER_API_KEY>", FAKE_KEY)
        conn.execute("INSERT OR REPLACE INTO config_machine_state VALUES (?, ?, 0)", (key, value))
    conn.commit()
    conn.close()
    snap = store.load()
    assert set(snap.profiles) == {"openrouter:default", "openrouter:second"}
    assert snap.profiles["openrouter:default"].secret == FAKE_KEY
    assert snap.profiles["openrouter:second"].secret == FAKE_KEY_2
    # a write keeps the rows OpenClaw owns (run-time state, timestamps) untouched
    store.upsert(AuthProfile(id="openrouter:third", provider="openrouter", secret="sk-or-test-third"))
    rows = _rows(store.path)
    assert rows["authProfiles.state"] == {
        "version": 1,
        "usageStats": {"openrouter:default": {"errorCount": 0, "lastProbeAt": 1795485563543}},
    }
    assert rows["config.lastTouchedAt"] == "2026-11-24T01:44:55.138Z"
    assert set(rows[STORE_KEY]["profiles"]) == {"openrouter:default", "openrouter:second", "openrouter:third"}


def test_unknown_fields_are_preserved(store: AuthStore) -> None:
    store.path.parent.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(store.path)
    conn.execute("CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json, updated_at_ms)")
    value: dict[str, Any] = {
        "version": 1,
        "lastGood": {"openai": "openai:me"},
        "profiles": {
            "openai:me": {
                "type": "oauth",
                "provider": "openai",
                "access": "at",
                "refresh": "rt",
                "expires": 5,
                "accountId": "acc",
            }
        },
    }
    conn.execute(
        "INSERT INTO config_machine_state VALUES (?, ?, 0)", (STORE_KEY, orjson.dumps(value).decode())
    )
    conn.commit()
    conn.close()
    profile = store.load().profiles["openai:me"]
    assert profile.type == "oauth"
    assert profile.secret == "at"
    assert profile.extra == {"refresh": "rt", "accountId": "acc"}
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    row = _rows(store.path)[STORE_KEY]
    assert row["lastGood"] == {"openai": "openai:me"}
    assert row["profiles"]["openai:me"] == value["profiles"]["openai:me"]


def test_order_overrides_per_agent_and_cleanup_on_remove(store: AuthStore) -> None:
    for pid, key in (("openrouter:a", FAKE_KEY), ("openrouter:b", FAKE_KEY_2)):
        store.upsert(AuthProfile(id=pid, provider="openrouter", secret=key))
    store.set_order("openrouter", ["openrouter:b", "openrouter:a"])
    store.set_order("openrouter", ["openrouter:a"], agent_id="work")
    snap = store.load()
    assert snap.order == {"openrouter": ["openrouter:b", "openrouter:a"]}
    assert snap.order_for("work") == {"openrouter": ["openrouter:a"]}
    assert snap.order_for("other") == snap.order
    assert store.remove("openrouter:a") is True
    snap = store.load()
    assert snap.order == {"openrouter": ["openrouter:b"]}
    assert "work" not in snap.agent_order or "openrouter" not in snap.agent_order["work"]
    store.set_order("openrouter", None)
    assert store.load().order == {}
    assert store.remove("openrouter:nope") is False


def test_remove_provider(store: AuthStore) -> None:
    store.upsert(AuthProfile(id="openrouter:a", provider="openrouter", secret=FAKE_KEY))
    store.upsert(AuthProfile(id="moonshot:default", provider="moonshot", secret=FAKE_KEY_2))
    assert store.remove_provider("openrouter") == ["openrouter:a"]
    assert list(store.load().profiles) == ["moonshot:default"]


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openclaw.auth.store import AuthProfile, AuthStore
    store = AuthStore(Path(sys.argv[1]))
    for i in range(int(sys.argv[3])):
        pid = f"openrouter:{sys.argv[2]}{i}"
        store.upsert(AuthProfile(id=pid, provider="openrouter", secret=f"sk-or-test-{i}"))
    """
)


def test_concurrent_writers_from_two_processes(store: AuthStore) -> None:
    count = 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(store.path), name, str(count)], stderr=subprocess.PIPE
        )
        for name in ("x", "y")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    profiles = store.load().profiles
    assert len(profiles) == 2 * count
    assert {f"openrouter:x{i}" for i in range(count)} | {f"openrouter:y{i}" for i in range(count)} == set(
        profiles
    )
    assert _mode(store.path) == 0o600
