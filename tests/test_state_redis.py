"""The Redis state backend against the real server: the same behaviour as LocalState (the shared
tests run on both), the key scheme, instances that see each other's writes (pub/sub, then the
periodic resync for a missed event), exact cross-instance hit(), no I/O on the hot path, and a
clear error when Redis is not there at start."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
import pytest
import redis
import redis.asyncio.connection
import redis.connection

from openclaw.errors import ConfigError
from openclaw.routing.cooldown import CooldownSchedule
from openclaw.state.base import Cooldown
from openclaw.state.local import LocalState
from openclaw.state.redis import RedisState, RedisUnavailableError
from openclaw.state.redis_lua import FAIL, Keys, failure_args
from test_state_redis_support import REDIS_URL, redis_prefix, require_redis, stored_keys, until

__all__ = ["redis_prefix"]  # the fixture, imported for pytest

pytestmark = pytest.mark.redis

T0 = 1_800_000_000.0
HOUR = 3600.0
SCHED = CooldownSchedule()


def _text(value: bytes | str) -> str:
    """A Redis reply field as text (the sync client returns bytes unless decode_responses is set)."""
    return value.decode() if isinstance(value, bytes) else value


def fail(key: str, reason: str = "rate_limit", now: float = T0, **kw: Any) -> Cooldown:
    return SCHED.next(None, key=key, reason=reason, now=now, **kw)


class Backends(Protocol):
    name: str

    def open(self) -> Any:
        """A new instance over the same storage (another process, or a restart)."""

    def stored(self) -> bool:
        """Whether anything was written to the storage."""


class LocalBackends:
    name = "local"

    def __init__(self, tmp_path: Path) -> None:
        self.db = tmp_path / "state" / "openclaw.sqlite"

    def open(self) -> LocalState:
        return LocalState(self.db, clock=lambda: T0)

    def stored(self) -> bool:
        return self.db.exists()

    async def aclose(self) -> None:
        pass


class RedisBackends:
    name = "redis"

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.opened: list[RedisState] = []
        self.client = require_redis()

    def open(self) -> RedisState:
        state = RedisState(REDIS_URL, prefix=self.prefix)
        self.opened.append(state)
        return state

    def stored(self) -> bool:
        return bool(stored_keys(self.client, self.prefix))

    async def aclose(self) -> None:
        for state in self.opened:
            await state.close()
        self.client.close()


@pytest.fixture(params=["local", "redis"])
async def backends(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "local":
        made: Any = LocalBackends(tmp_path)
    else:
        made = RedisBackends(request.getfixturevalue("redis_prefix"))
    try:
        yield made
    finally:
        await made.aclose()


# ------------------------------------------------------------------- shared with LocalState


async def test_happy_path_writes_nothing(backends: Any) -> None:
    state = backends.open()
    assert state.cooldowns(["openrouter:default"], T0) == {}
    await state.record_success("openrouter:default", T0)
    assert not backends.stored()


async def test_cooldowns_survive_a_restart(backends: Any) -> None:
    state = backends.open()
    model_key = "openrouter:default|openrouter/a/b"
    await state.record_failure(fail(model_key, model="a/b"))
    await state.record_failure(fail("env:OPENROUTER_API_KEY", "auth"))
    again = backends.open()
    active = again.cooldowns([model_key, "env:OPENROUTER_API_KEY", "x"], T0 + 1)
    assert set(active) == {model_key, "env:OPENROUTER_API_KEY"}
    assert active["env:OPENROUTER_API_KEY"].disabled
    assert active[model_key].model == "a/b" and active[model_key].until == T0 + 30
    assert [c.key for c in again.all_cooldowns(T0 + 1)] == [model_key, "env:OPENROUTER_API_KEY"]


async def test_never_shortened_even_when_asked(backends: Any) -> None:
    state = backends.open()
    long = Cooldown(key="k", reason="rate_limit", until=T0 + 300, error_count=3, last_failure_at=T0)
    short = Cooldown(key="k", reason="rate_limit", until=T0 + 30, error_count=1, last_failure_at=T0 + 1)
    await state.record_failure(long)
    await state.record_failure(short)
    kept = state.cooldowns(["k"], T0 + 100)["k"]
    assert (kept.until, kept.error_count, kept.last_failure_at) == (T0 + 300, 3, T0 + 1)
    assert backends.open().cooldowns(["k"], T0 + 100)["k"] == kept


async def test_counts_escalate_within_a_reason_and_restart_on_a_new_one(backends: Any) -> None:
    state = backends.open()
    await state.record_failure(
        Cooldown(key="k", reason="rate_limit", until=T0 + 30, error_count=2, last_failure_at=T0)
    )
    await state.record_failure(
        Cooldown(key="k", reason="rate_limit", until=T0 + 60, error_count=1, last_failure_at=T0 + 1)
    )
    assert state.recent(["k"], T0 + 2)["k"].error_count == 2  # same lane: the count moves forward
    await state.record_failure(
        Cooldown(key="k", reason="auth", until=T0 + 600, error_count=1, disabled=True, last_failure_at=T0 + 2)
    )
    after = backends.open().recent(["k"], T0 + 3)["k"]
    assert (after.reason, after.error_count, after.disabled) == ("auth", 1, True)


async def test_a_failure_after_the_window_starts_over(backends: Any) -> None:
    state = backends.open()
    await state.record_failure(
        Cooldown(key="k", reason="rate_limit", until=T0 + 300, error_count=3, last_failure_at=T0)
    )
    late = T0 + 25 * HOUR
    await state.record_failure(
        Cooldown(key="k", reason="rate_limit", until=late + 30, error_count=1, last_failure_at=late)
    )
    assert state.recent(["k"], late)["k"].error_count == 1


async def test_two_instances_merge_instead_of_overwriting(backends: Any) -> None:
    a, b = backends.open(), backends.open()
    await a.record_failure(fail("one"))
    await b.record_failure(fail("two"))
    assert set(backends.open().cooldowns(["one", "two"], T0 + 1)) == {"one", "two"}


async def test_expired_records_are_kept_for_escalation_then_dropped(backends: Any) -> None:
    state = backends.open()
    await state.record_failure(fail("k"))
    assert state.cooldowns(["k"], T0 + 31) == {}
    assert set(state.recent(["k"], T0 + 31)) == {"k"}
    assert [c.key for c in backends.open().all_records(T0 + 31)] == ["k"]
    assert backends.open().recent(["k"], T0 + 25 * HOUR) == {}


async def test_success_clears_the_record(backends: Any) -> None:
    state = backends.open()
    await state.record_failure(fail("k"))
    await state.record_success("k", T0 + 40)
    assert state.recent(["k"], T0 + 40) == {}
    assert backends.open().recent(["k"], T0 + 40) == {}


async def test_clear_some_or_all(backends: Any) -> None:
    state = backends.open()
    for key in ("openrouter:default", "openrouter:default|openrouter/a/b", "env:X"):
        await state.record_failure(fail(key))
    assert await state.clear(["openrouter:default|openrouter/a/b", "nope"]) == 1
    assert set(backends.open().cooldowns(["openrouter:default", "env:X"], T0)) == {
        "openrouter:default",
        "env:X",
    }
    assert await state.clear() == 2
    assert backends.open().all_records(T0) == []
    assert await state.clear() == 0


async def test_hit_sliding_window(backends: Any) -> None:
    state = backends.open()
    waits = [await state.hit("ip", window=10, limit=3, now=T0 + i) for i in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(7.0)  # the first hit leaves the window at T0 + 10
    assert await state.hit("ip", window=10, limit=3, now=T0 + 4) == pytest.approx(7.0)
    assert await state.hit("ip", window=10, limit=3, now=T0 + 30) == 0.0
    assert await state.hit("other", window=10, limit=3, now=T0) == 0.0


# ------------------------------------------------------------------------ Redis specifics


async def test_key_scheme_expiry_and_event(redis_prefix: str) -> None:
    client = require_redis()
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(f"{redis_prefix}events")
    state = RedisState(REDIS_URL, prefix=redis_prefix)
    now = time.time()
    until_at = now + 30.123456789
    await state.record_failure(
        Cooldown(key="openrouter:default|openrouter/a/b", reason="rate_limit", until=until_at,
                 error_count=1, last_failure_at=now, model="a/b")
    )  # fmt: skip
    stored = client.hgetall(f"{redis_prefix}cooldown:openrouter:default|openrouter/a/b")
    seq = int(client.get(f"{redis_prefix}cooldown-seq"))  # type: ignore[arg-type]
    assert seq > now * 1e6  # numbered from Redis's clock (microseconds), so a restart never goes back
    assert {_text(k): _text(v) for k, v in stored.items()} == {
        "key": "openrouter:default|openrouter/a/b",
        "reason": "rate_limit",
        "until": repr(until_at),
        "error_count": "1",
        "disabled": "0",
        "last_failure_at": repr(now),
        "model": "a/b",
        "seq": str(seq),
    }
    expire_ms = client.pexpiretime(f"{redis_prefix}cooldown:openrouter:default|openrouter/a/b")
    assert abs(expire_ms / 1000 - (now + 24 * HOUR)) < 1
    assert client.zscore(f"{redis_prefix}cooldowns", "openrouter:default|openrouter/a/b") == expire_ms
    message = None
    for _ in range(50):  # bounded
        message = listener.get_message(timeout=0.1)
        if message:
            break
    assert message is not None
    event = orjson.loads(message["data"])
    assert (event["op"], event["seq"], event["rec"]["until"]) == ("set", str(seq), repr(until_at))
    fresh = RedisState(REDIS_URL, prefix=redis_prefix)
    found = fresh.cooldowns([event["rec"]["key"]], now)
    assert found["openrouter:default|openrouter/a/b"].until == until_at  # exact, as Python wrote it
    await fresh.close()
    listener.close()
    await state.close()
    client.close()


async def test_instances_see_each_others_writes_through_pubsub(redis_prefix: str) -> None:
    # No periodic resync in this test: only the events can carry the changes.
    a = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    b = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    assert await until(lambda: a.synced_at is not None and b.synced_at is not None)
    await asyncio.sleep(0.05)  # both followers are subscribed (their first snapshot came after)
    await a.record_failure(fail("openrouter:default|openrouter/a/b", model="a/b"))
    assert await until(lambda: bool(b.cooldowns(["openrouter:default|openrouter/a/b"], T0)))
    await b.record_failure(
        Cooldown(key="openrouter:default|openrouter/a/b", reason="rate_limit", until=T0 + 60,
                 error_count=2, last_failure_at=T0 + 1)
    )  # fmt: skip
    assert await until(lambda: a.recent(["openrouter:default|openrouter/a/b"], T0)[
        "openrouter:default|openrouter/a/b"].error_count == 2)  # fmt: skip
    await b.record_failure(fail("env:X", "billing"))
    await a.record_success("openrouter:default|openrouter/a/b", T0 + 2)
    assert await until(lambda: b.recent(["openrouter:default|openrouter/a/b"], T0 + 2) == {})
    assert await until(lambda: set(a.cooldowns(["env:X"], T0)) == {"env:X"})
    assert await a.clear() == 1
    assert await until(lambda: b.all_records(T0) == [])
    await a.close()
    await b.close()


async def test_a_success_does_not_erase_a_newer_failure_from_elsewhere(redis_prefix: str) -> None:
    a = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    b = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    await a.record_failure(fail("k"))
    await b.record_failure(
        Cooldown(key="k", reason="rate_limit", until=T0 + 90, error_count=2, last_failure_at=T0 + 50)
    )
    await a.record_success("k", T0 + 40)  # a's request started before b's failure
    assert a.cooldowns(["k"], T0 + 60)["k"].until == T0 + 90
    fresh = RedisState(REDIS_URL, prefix=redis_prefix)
    assert fresh.cooldowns(["k"], T0 + 60)["k"].error_count == 2
    for state in (a, b, fresh):
        await state.close()


async def test_a_missed_event_heals_at_the_next_resync(redis_prefix: str) -> None:
    client = require_redis()
    a = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=0.2)
    assert await until(lambda: a.synced_at is not None)
    keys = Keys(redis_prefix)
    # A write whose event nobody receives (published on another channel).
    client.register_script(FAIL)(
        keys=[keys.hash("lost"), keys.index, keys.seq],
        args=[*failure_args(fail("lost"), 24 * HOUR), f"{redis_prefix}nowhere"],
    )
    assert "lost" not in a.cooldowns(["lost"], T0)
    assert await until(lambda: "lost" in a.cooldowns(["lost"], T0))
    client.delete(keys.hash("lost"))  # a deletion nobody announces
    assert await until(lambda: a.recent(["lost"], T0) == {})
    await a.close()
    client.close()


async def test_a_redis_that_lost_everything_is_followed(redis_prefix: str) -> None:
    """Redis restarted without persistence (or was flushed): the instances forget together, and
    new writes (numbered above the old ones) are seen."""
    client = require_redis()
    a = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=0.2)
    b = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    await b.record_failure(fail("old"))
    assert await until(lambda: "old" in a.cooldowns(["old"], T0))
    client.delete(*stored_keys(client, redis_prefix))  # everything under the prefix, counter too
    assert await until(lambda: a.all_records(T0) == [])
    await b.record_failure(fail("new"))
    assert await until(lambda: "new" in a.cooldowns(["new"], T0))
    for state in (a, b):
        await state.close()
    client.close()


async def test_hit_is_exact_across_instances_under_concurrency(redis_prefix: str) -> None:
    instances = [RedisState(REDIS_URL, prefix=redis_prefix) for _ in range(4)]
    now = time.time()

    async def one(i: int) -> float:
        return await instances[i % 4].hit("gateway-auth:10.0.0.1", window=60, limit=25, now=now)

    waits = await asyncio.gather(*(one(i) for i in range(120)))
    assert sum(1 for w in waits if w == 0.0) == 25
    assert all(w == pytest.approx(60.0) for w in waits if w)  # the burst leaves the window at once
    assert await instances[0].hit("gateway-auth:10.0.0.2", window=60, limit=25, now=now) == 0.0
    client = require_redis()
    assert client.zcard(f"{redis_prefix}hits:gateway-auth:10.0.0.1") == 26  # bounded: limit + 1
    assert 0 < client.pttl(f"{redis_prefix}hits:gateway-auth:10.0.0.1") <= 60_000
    client.close()
    for state in instances:
        await state.close()


@pytest.fixture
def sent_commands(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every command any Redis connection of this process sends (sync and asyncio clients)."""
    sent: list[Any] = []
    for module in (redis.connection, redis.asyncio.connection):
        cls = module.AbstractConnection
        original: Callable[..., Any] = cls.send_packed_command

        def counting(self: Any, command: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            sent.append(command)
            return _original(self, command, *args, **kw)

        monkeypatch.setattr(cls, "send_packed_command", counting)
    return sent


async def test_reads_never_touch_redis(redis_prefix: str, sent_commands: list[Any]) -> None:
    state = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
    assert sent_commands, "the counter sees the start-up snapshot"
    for key in ("a", "b|openrouter/x/y"):
        await state.record_failure(fail(key))
    assert await until(lambda: state.synced_at is not None)
    await asyncio.sleep(0.05)
    before = len(sent_commands)
    for i in range(2000):
        assert set(state.cooldowns(["a", "b|openrouter/x/y", "c"], T0 + 1)) == {"a", "b|openrouter/x/y"}
        assert state.recent(["a"], T0 + 100) and state.all_cooldowns(T0) and state.all_records(T0)
        await state.record_success("never-failed", T0)  # the happy path writes nothing
        if i % 100 == 0:
            await asyncio.sleep(0)
    assert len(sent_commands) == before
    await state.record_success("a", T0 + 1)  # a recovery is a write
    assert len(sent_commands) > before
    await state.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_redis_at_start_is_a_clear_error() -> None:
    port = _free_port()
    with pytest.raises(RedisUnavailableError) as caught:
        RedisState(f"redis://:hunter2-secret@127.0.0.1:{port}/0", connect_timeout=1)
    message = str(caught.value)
    assert f"Cannot reach Redis at redis://:***@127.0.0.1:{port}/0 (state.url)" in message
    assert 'set state.kind to "local"' in message and "hunter2" not in message
    assert caught.value.exit_code == 1
    with pytest.raises(ConfigError, match="not a valid Redis URL"):
        RedisState("http://127.0.0.1:6379", prefix="x:")


async def test_bootstrap_builds_it_from_the_config(redis_prefix: str, home: Path) -> None:
    from conftest import clean_env
    from openclaw.bootstrap import open_state
    from openclaw.runtime import load_snapshot
    from test_router_support import write_config

    write_config(home, {"state": {"kind": "redis", "url": REDIS_URL, "prefix": redis_prefix},
                        "auth": {"cooldowns": {"failureWindowHours": 2}}})  # fmt: skip
    paths, snapshot = load_snapshot(clean_env(home), cwd=home)
    state = open_state(paths, snapshot)
    assert isinstance(state, RedisState)
    assert (state.prefix, state.retention) == (redis_prefix, 2 * HOUR)
    await state.close()
