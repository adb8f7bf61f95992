"""Local state follows other processes: ``LocalState.refresh()`` (PRAGMA data_version on a kept
read-only connection) and the gateway task that calls it, against real SQLite files.

Two ``LocalState`` objects on one file stand for two processes (each write uses its own
connection, so SQLite sees them as two writers either way).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web

from conftest import FAKE_KEY, FAKE_KEY_2, clean_env
from openclaw.gateway.server import ServeOptions, start
from openclaw.gateway.settings import GatewaySettings
from openclaw.gateway.state_refresh import install, refresh_loop
from openclaw.routing.cooldown import credential_key
from openclaw.runtime import load_snapshot
from openclaw.state.base import Cooldown
from openclaw.state.local import LocalState
from openclaw.testing import FakeUpstream
from openclaw.transports.base import Credential
from test_gateway_support import GatewayHarness, base_config, merge, write_config
from test_router_support import sent

T0 = 1_800_000_000.0
KEY = "openrouter:default"


def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state" / "openclaw.sqlite"


def cooldown(key: str = KEY, until: float = T0 + 300) -> Cooldown:
    return Cooldown(key=key, reason="rate_limit", until=until, error_count=1, last_failure_at=T0)


def counting(state: LocalState) -> list[int]:
    """Count the re-reads of ``state`` (its ``_records`` calls)."""
    calls: list[int] = []
    real = state._records

    def wrapped() -> dict[str, Cooldown]:
        calls.append(1)
        return real()

    state._records = wrapped  # type: ignore[method-assign]
    return calls


async def test_a_failure_recorded_elsewhere_shows_after_refresh(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    b = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown("other"))
    assert await a.refresh() is True  # the first call has nothing to compare with: one re-read
    await b.record_failure(cooldown())
    assert a.cooldowns([KEY], T0) == {}  # memory only: nothing read yet
    assert await a.refresh() is True
    assert a.cooldowns([KEY, "other"], T0 + 1)[KEY].until == T0 + 300
    assert sorted(c.key for c in a.all_cooldowns(T0 + 1)) == [KEY, "other"]
    await a.close()
    await b.close()


async def test_a_clear_elsewhere_removes_the_cooldown_after_refresh(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown())
    await a.refresh()
    b = LocalState(db(tmp_path), clock=lambda: T0)
    assert await b.clear([KEY]) == 1
    assert set(a.cooldowns([KEY], T0)) == {KEY}
    assert await a.refresh() is True
    assert a.cooldowns([KEY], T0) == {}
    assert a.recent([KEY], T0) == {}  # gone for escalation too: the record itself was cleared
    await a.close()


async def test_no_change_means_no_reread(tmp_path: Path) -> None:
    b = LocalState(db(tmp_path), clock=lambda: T0)
    await b.record_failure(cooldown())
    a = LocalState(db(tmp_path), clock=lambda: T0)
    reads = counting(a)
    assert await a.refresh() is True
    assert len(reads) == 1
    for _ in range(3):
        assert await a.refresh() is False
    assert len(reads) == 1
    a.cooldowns([KEY], T0)  # reads are memory only: no re-read either
    assert len(reads) == 1
    await b.record_failure(cooldown("two"))
    assert await a.refresh() is True
    assert len(reads) == 2
    assert set(a.cooldowns([KEY, "two"], T0)) == {KEY, "two"}


async def test_own_writes_cost_one_harmless_reread(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown())
    await a.refresh()
    await a.record_failure(cooldown("two"))
    assert await a.refresh() is True  # our write used its own connection: a change like any other
    assert set(a.cooldowns([KEY, "two"], T0)) == {KEY, "two"}
    assert await a.refresh() is False


async def test_a_missing_file_is_nothing_to_do_until_it_appears(tmp_path: Path) -> None:
    path = db(tmp_path)
    a = LocalState(path, clock=lambda: T0)
    assert await a.refresh() is False
    assert await a.refresh() is False
    assert not path.exists()  # looking does not create it
    assert not path.parent.exists()
    await LocalState(path, clock=lambda: T0).record_failure(cooldown())
    assert await a.refresh() is True
    assert set(a.cooldowns([KEY], T0)) == {KEY}
    assert await a.refresh() is False


async def test_a_replaced_database_is_noticed(tmp_path: Path) -> None:
    path = db(tmp_path)
    await LocalState(path, clock=lambda: T0).record_failure(cooldown())
    a = LocalState(path, clock=lambda: T0)
    assert await a.refresh() is True
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    assert await a.refresh() is False  # gone: nothing to do, the records in memory are kept
    assert set(a.cooldowns([KEY], T0)) == {KEY}
    await LocalState(path, clock=lambda: T0).record_failure(cooldown("new"))
    assert await a.refresh() is True
    assert set(a.cooldowns([KEY, "new"], T0)) == {"new"}
    await a.close()


async def test_a_failed_reread_keeps_memory_and_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown())
    await a.refresh()
    await LocalState(db(tmp_path), clock=lambda: T0).record_failure(cooldown("two"))
    real = a._records

    def broken() -> dict[str, Cooldown]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(a, "_records", broken)
    with pytest.raises(sqlite3.OperationalError):
        await a.refresh()
    assert set(a.cooldowns([KEY, "two"], T0)) == {KEY}  # kept, not emptied
    monkeypatch.setattr(a, "_records", real)
    assert await a.refresh() is True  # the change was not lost
    assert set(a.cooldowns([KEY, "two"], T0)) == {KEY, "two"}


async def test_refresh_never_runs_inside_a_write(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown())
    await a.refresh()
    await LocalState(db(tmp_path), clock=lambda: T0).record_failure(cooldown("two"))
    async with a._lock():  # what a write holds from its read of memory to its update
        pending = asyncio.ensure_future(a.refresh())
        await asyncio.sleep(0.05)
        assert not pending.done()
    assert await asyncio.wait_for(pending, 5) is True


async def test_a_cancelled_refresh_holds_the_lock_until_its_thread_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    entered, release = threading.Event(), threading.Event()

    def slow() -> dict[str, Cooldown] | None:
        entered.set()
        release.wait(5)
        raise sqlite3.OperationalError("late")  # nobody is waiting for it any more

    monkeypatch.setattr(a, "_reread", slow)
    task = asyncio.ensure_future(a.refresh())
    assert await asyncio.to_thread(entered.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done() and a._lock().locked()  # close() cannot pull the watch from under it
    release.set()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled() and not a._lock().locked()


async def test_close_releases_the_watch_and_without_a_path_there_is_nothing_to_do(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(cooldown())
    await a.refresh()
    watch = a._watch
    assert watch is not None and watch._conn is not None
    conn = watch._conn
    await a.close()
    assert a._watch is None
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
    assert await LocalState(None).refresh() is False


# --------------------------------------------------------------------------- the gateway task


async def test_the_loop_warns_once_per_failing_streak_and_keeps_going() -> None:
    outcomes: list[bool | Exception] = [
        True,
        OSError("gone"),
        sqlite3.OperationalError("locked"),
        False,
        OSError("again"),
        True,
    ]
    calls: list[int] = []
    done = asyncio.Event()

    async def refresh() -> bool:
        calls.append(1)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if len(calls) >= len(outcomes):
            done.set()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    said: list[str] = []
    task = asyncio.create_task(refresh_loop(refresh, 0.001, said.append))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    await asyncio.wait({task})
    assert task.cancelled()
    assert len(said) == 4, said
    assert "OSError: gone" in said[0] and "retrying" in said[0]
    assert "can be read again" in said[1]
    assert "OSError: again" in said[2]
    assert "can be read again" in said[3]


CHAT = {"model": "openclaw", "messages": [{"role": "user", "content": "Reply with OK"}]}


async def served_key(session: aiohttp.ClientSession, harness: GatewayHarness) -> str:
    """Send one chat request; the upstream key that answered it."""
    before = len(sent(harness.upstream))
    async with session.post(harness.url + "/v1/chat/completions", json=CHAT, headers=harness.auth()) as resp:
        assert resp.status == 200, await resp.text()
    return sent(harness.upstream)[-1][1] if len(sent(harness.upstream)) > before else ""


async def until_served_by(
    session: aiohttp.ClientSession, harness: GatewayHarness, key: str, *, within: float = 5.0
) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:  # bounded by the deadline
        if await served_key(session, harness) == key:
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.fixture
async def gateway(home: Path, upstream: FakeUpstream) -> AsyncIterator[GatewayHarness]:
    """A gateway on local state with two keys, looking for outside changes every 50 ms."""
    write_config(home, merge(base_config(upstream.base_url), {}))
    environ = {**clean_env(home), "OPENROUTER_API_KEY": FAKE_KEY, "OPENROUTER_API_KEY_2": FAKE_KEY_2}
    paths, snapshot = load_snapshot(environ)
    settings = GatewaySettings.build(snapshot.typed.gateway, snapshot.env, port=0)
    settings = dataclasses.replace(settings, state_refresh_seconds=0.05)
    harness = GatewayHarness(await start(ServeOptions(paths, snapshot, settings)), upstream, home)
    try:
        yield harness
    finally:
        await asyncio.wait_for(harness.started.stop(), 10)
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "openclaw-state-refresh"]


def key_state(harness: GatewayHarness) -> LocalState:
    state = harness.gw.runtime.state
    assert isinstance(state, LocalState) and state.db_path is not None
    return state


async def test_the_gateway_sees_cooldowns_recorded_and_cleared_by_another_process(
    gateway: GatewayHarness,
) -> None:
    own = key_state(gateway)
    first = credential_key(
        "openrouter", Credential(secret=FAKE_KEY, profile_id=None, source="env", env_var="OPENROUTER_API_KEY")
    )
    async with aiohttp.ClientSession() as session:
        assert await served_key(session, gateway) == FAKE_KEY
        outside = LocalState(own.db_path)  # another process on the same home (a CLI run, a worker)
        now = time.time()
        await outside.record_failure(
            Cooldown(key=first, reason="billing", until=now + 600, disabled=True, last_failure_at=now)
        )
        assert await until_served_by(session, gateway, FAKE_KEY_2)
        assert set(own.cooldowns([first], time.time())) == {first}
        for _ in range(3):
            assert await served_key(session, gateway) == FAKE_KEY_2  # key 1 is skipped, not tried

        assert await LocalState(own.db_path).clear() == 1  # `models auth clear-cooldowns --all`
        assert await until_served_by(session, gateway, FAKE_KEY)
        assert own.cooldowns([first], time.time()) == {}
    await outside.close()


def test_only_a_backend_with_refresh_gets_the_task(tmp_path: Path) -> None:
    settings = GatewaySettings()
    for state, tasks in ((object(), 0), (None, 0), (LocalState(db(tmp_path)), 1)):  # object(): like Redis
        app = web.Application()
        gw = SimpleNamespace(runtime=SimpleNamespace(state=state), settings=settings)
        install(app, gw)  # type: ignore[arg-type]
        assert len(app.cleanup_ctx) == tasks


def test_an_empty_file_is_watched_as_missing_until_it_has_content(tmp_path: Path) -> None:
    from openclaw.state.local_watch import DbWatch

    path = db(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()  # created 0600 by a writer that has not written yet
    watch = DbWatch(path)
    try:
        assert watch.changed() is False
        assert watch._conn is None  # no connection kept on an empty file
        writer = sqlite3.connect(path)
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("CREATE TABLE t (x)")
        writer.commit()
        assert watch.changed() is True  # first look with content
        assert watch.changed() is False
        writer.execute("INSERT INTO t VALUES (1)")
        writer.commit()
        assert watch.changed() is True
        writer.close()
    finally:
        watch.close()
