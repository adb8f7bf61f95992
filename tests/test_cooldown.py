"""Cooldown state machine (schedule, lanes, never shorter) and the local, persisted backend."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import orjson
import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.config.schema import CooldownConfig
from openclaw.routing.cooldown import CooldownSchedule, credential_key, model_key, profile_of
from openclaw.state.base import Cooldown
from openclaw.state.local import COOLDOWNS_ROW, STATE_ROW, LocalState
from openclaw.transports.base import Credential

T0 = 1_800_000_000.0
SCHED = CooldownSchedule()


def fail(prev: Cooldown | None, reason: str, now: float, wait: float | None = None) -> Cooldown:
    return SCHED.next(prev, key="openrouter:default", reason=reason, now=now, server_wait=wait)


def durations(reason: str, n: int, gap: float = 0.0) -> list[float]:
    out, prev, now = [], None, T0
    for _ in range(n):
        prev = fail(prev, reason, now)
        out.append(prev.until - now)
        now = prev.until + gap
    return out


def test_transient_lane_escalates_30s_1min_5min_and_caps() -> None:
    assert durations("rate_limit", 5) == [30, 60, 300, 300, 300]
    assert durations("overloaded", 2) == [30, 60]


def test_auth_lane_10min_doubling_to_60min() -> None:
    assert durations("auth", 5) == [600, 1200, 2400, 3600, 3600]
    assert fail(None, "auth", T0).disabled is True


def test_billing_lane_5h_doubling_to_24h() -> None:
    assert [d / 3600 for d in durations("billing", 5)] == [5, 10, 20, 24, 24]
    assert fail(None, "billing", T0).disabled is True
    assert fail(None, "rate_limit", T0).disabled is False


def test_count_resets_after_a_clean_failure_window() -> None:
    first = fail(None, "rate_limit", T0)
    second = fail(first, "rate_limit", T0 + 100)
    assert second.error_count == 2
    later = fail(second, "rate_limit", T0 + 100 + 24 * 3600 + 1)
    assert later.error_count == 1
    assert later.until - (T0 + 100 + 24 * 3600 + 1) == 30


def test_lane_change_restarts_the_count() -> None:
    rl = fail(fail(None, "rate_limit", T0), "rate_limit", T0 + 31)
    auth = fail(rl, "auth", rl.until + 1)
    assert (auth.reason, auth.error_count, auth.until - (rl.until + 1)) == ("auth", 1, 600)


def test_never_shortened() -> None:
    billing = fail(None, "billing", T0)
    after = fail(billing, "rate_limit", T0 + 10)
    assert after.until == billing.until
    assert after.reason == "billing"
    assert after.disabled is True
    long_wait = fail(None, "rate_limit", T0, wait=200)
    again = fail(long_wait, "rate_limit", T0 + 1)  # count 2 -> 60 s, but 199 s are left
    assert again.until == long_wait.until
    assert again.error_count == 2


def test_retry_after_extends_but_does_not_shrink_the_schedule() -> None:
    assert fail(None, "rate_limit", T0, wait=120).until == T0 + 120
    assert fail(None, "rate_limit", T0, wait=2).until == T0 + 30


def test_schedule_from_config() -> None:
    sched = CooldownSchedule.from_config(
        CooldownConfig(
            schedule_seconds=[1, 2],
            failure_window_hours=1,
            billing_backoff_hours=1,
            billing_max_hours=2,
            auth_backoff_minutes=1,
            auth_max_minutes=3,
        )
    )
    assert [sched.duration("transient", n) for n in (1, 2, 3)] == [1, 2, 2]
    assert [sched.duration("billing", n) for n in (1, 2, 3)] == [3600, 7200, 7200]
    assert [sched.duration("auth", n) for n in (1, 2, 3)] == [60, 120, 180]
    assert sched.failure_window == 3600


def test_keys_never_contain_the_secret() -> None:
    profile = Credential(secret=FAKE_KEY, profile_id="openrouter:default", source="profile")
    env = Credential(secret=FAKE_KEY, profile_id=None, source="env", env_var="OPENROUTER_API_KEY")
    listed1 = Credential(secret=FAKE_KEY, profile_id=None, source="env", env_var="OPENROUTER_API_KEYS")
    listed2 = Credential(secret=FAKE_KEY_2, profile_id=None, source="env", env_var="OPENROUTER_API_KEYS")
    config = Credential(secret=FAKE_KEY, profile_id=None, source="config")
    keys = [credential_key("openrouter", c) for c in (profile, env, listed1, listed2, config)]
    assert keys[0] == "openrouter:default"
    assert re.fullmatch(r"env:OPENROUTER_API_KEY#[0-9a-f]{6}", keys[1])
    assert keys[2].startswith("env:OPENROUTER_API_KEYS#") and keys[2] != keys[3]
    assert keys[4].startswith("config:openrouter#")
    # a key replaced in the environment is a new key, not one still cooling down
    replaced = Credential(secret=FAKE_KEY_2, profile_id=None, source="env", env_var="OPENROUTER_API_KEY")
    assert credential_key("openrouter", replaced) != keys[1]
    assert all(FAKE_KEY not in k and FAKE_KEY_2 not in k for k in keys)
    mk = model_key("openrouter:default", "openrouter/openai/gpt-4o-mini")
    assert profile_of(mk) == ("openrouter:default", "openrouter/openai/gpt-4o-mini")
    assert profile_of("env:OPENROUTER_API_KEY") == (None, None)


# ----------------------------------------------------------------------------- LocalState


def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state" / "openclaw.sqlite"


def rows(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        return {
            k: orjson.loads(v)
            for k, v in conn.execute("SELECT state_key, value_json FROM config_machine_state")
        }


async def test_happy_path_does_no_io(tmp_path: Path) -> None:
    state = LocalState(db(tmp_path), clock=lambda: T0)
    assert state.cooldowns(["openrouter:default"], T0) == {}
    await state.record_success("openrouter:default", T0)
    assert not db(tmp_path).exists()


async def test_cooldown_survives_a_restart_and_is_openclaw_compatible(tmp_path: Path) -> None:
    state = LocalState(db(tmp_path), clock=lambda: T0)
    rate = SCHED.next(None, key="openrouter:default|openrouter/a/b", reason="rate_limit", now=T0, model="a/b")
    await state.record_failure(rate)
    await state.record_failure(SCHED.next(None, key="env:OPENROUTER_API_KEY", reason="auth", now=T0))
    again = LocalState(db(tmp_path), clock=lambda: T0 + 1)
    active = again.cooldowns(["openrouter:default|openrouter/a/b", "env:OPENROUTER_API_KEY", "x"], T0 + 1)
    assert set(active) == {"openrouter:default|openrouter/a/b", "env:OPENROUTER_API_KEY"}
    assert active["env:OPENROUTER_API_KEY"].disabled
    stored = rows(db(tmp_path))
    stats = stored[STATE_ROW]["usageStats"]  # type: ignore[index]
    assert stats == {
        "openrouter:default": {
            "errorCount": 1,
            "cooldownUntil": int((T0 + 30) * 1000),
            "lastFailureAt": int(T0 * 1000),
            "cooldownModel": "a/b",
        }
    }
    assert set(stored[COOLDOWNS_ROW]["cooldowns"]) == {  # type: ignore[index]
        "openrouter:default|openrouter/a/b",
        "env:OPENROUTER_API_KEY",
    }
    assert (db(tmp_path).stat().st_mode & 0o777) == 0o600


async def test_disabled_profiles_show_in_usage_stats_and_recovery_resets(tmp_path: Path) -> None:
    path = db(tmp_path)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:  # a row the real OpenClaw wrote
        conn.execute(
            "CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json, updated_at_ms)"
        )
        conn.execute(
            "INSERT INTO config_machine_state VALUES (?,?,0)",
            (STATE_ROW, '{"version":1,"usageStats":{"openrouter:default":{"errorCount":0,"lastProbeAt":5}}}'),
        )
    state = LocalState(path, clock=lambda: T0)
    await state.record_failure(SCHED.next(None, key="openrouter:default", reason="billing", now=T0))
    stats = rows(path)[STATE_ROW]["usageStats"]["openrouter:default"]  # type: ignore[index]
    assert stats["disabledReason"] == "billing"
    assert stats["disabledUntil"] == int((T0 + 5 * 3600) * 1000)
    assert stats["lastProbeAt"] == 5  # OpenClaw's own fields are kept
    await state.record_success("openrouter:default", T0 + 1)
    stats = rows(path)[STATE_ROW]["usageStats"]["openrouter:default"]  # type: ignore[index]
    assert stats == {"errorCount": 0, "lastProbeAt": 5}
    assert rows(path)[COOLDOWNS_ROW]["cooldowns"] == {}  # type: ignore[index]


async def test_backend_never_shortens_even_when_asked(tmp_path: Path) -> None:
    state = LocalState(db(tmp_path), clock=lambda: T0)
    long = Cooldown(key="k", reason="rate_limit", until=T0 + 300, error_count=3, last_failure_at=T0)
    short = Cooldown(key="k", reason="rate_limit", until=T0 + 30, error_count=1, last_failure_at=T0 + 1)
    await state.record_failure(long)
    await state.record_failure(short)
    assert state.cooldowns(["k"], T0 + 100)["k"].until == T0 + 300
    assert LocalState(db(tmp_path)).cooldowns(["k"], T0 + 100)["k"].until == T0 + 300


async def test_two_processes_merge_instead_of_overwriting(tmp_path: Path) -> None:
    a = LocalState(db(tmp_path), clock=lambda: T0)
    b = LocalState(db(tmp_path), clock=lambda: T0)
    await a.record_failure(SCHED.next(None, key="one", reason="rate_limit", now=T0))
    await b.record_failure(SCHED.next(None, key="two", reason="rate_limit", now=T0))
    assert set(LocalState(db(tmp_path)).cooldowns(["one", "two"], T0 + 1)) == {"one", "two"}


async def test_expired_records_are_kept_for_escalation_then_dropped(tmp_path: Path) -> None:
    now = [T0]
    state = LocalState(db(tmp_path), clock=lambda: now[0])
    await state.record_failure(SCHED.next(None, key="k", reason="rate_limit", now=T0))
    assert state.cooldowns(["k"], T0 + 31) == {}
    assert set(state.recent(["k"], T0 + 31)) == {"k"}
    now[0] = T0 + 25 * 3600
    assert LocalState(db(tmp_path), clock=lambda: now[0]).recent(["k"], now[0]) == {}


async def test_clear_some_or_all(tmp_path: Path) -> None:
    state = LocalState(db(tmp_path), clock=lambda: T0)
    for key in ("openrouter:default", "openrouter:default|openrouter/a/b", "env:X"):
        await state.record_failure(SCHED.next(None, key=key, reason="rate_limit", now=T0))
    assert await state.clear(["openrouter:default|openrouter/a/b", "nope"]) == 1
    assert set(LocalState(db(tmp_path)).cooldowns(["openrouter:default", "env:X"], T0)) == {
        "openrouter:default",
        "env:X",
    }
    assert await state.clear() == 2
    assert LocalState(db(tmp_path)).all_cooldowns(T0) == []
    stats = rows(db(tmp_path))[STATE_ROW]["usageStats"]  # type: ignore[index]
    assert stats["openrouter:default"] == {"errorCount": 0}


async def test_hit_sliding_window() -> None:
    state = LocalState(None)
    waits = [await state.hit("ip", window=10, limit=3, now=T0 + i) for i in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(7.0)  # the first hit leaves the window at T0 + 10
    assert await state.hit("ip", window=10, limit=3, now=T0 + 30) == 0.0
    assert await state.hit("other", window=10, limit=3, now=T0) == 0.0
