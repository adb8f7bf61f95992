"""The mirror behind RedisState: changes arrive from replies, events and snapshots in any order,
and the sequence numbers decide (no server needed)."""

from __future__ import annotations

from openclaw.state.base import Cooldown
from openclaw.state.redis_lua import decode_event, decode_record, failure_args, pairs
from openclaw.state.redis_mirror import Mirror

T0 = 1_800_000_000.0
DAY = 24 * 3600.0


def rec(key: str, until: float = T0 + 30, count: int = 1, reason: str = "rate_limit") -> Cooldown:
    return Cooldown(key=key, reason=reason, until=until, error_count=count, last_failure_at=T0)


def test_an_older_change_never_overwrites_a_newer_one() -> None:
    m = Mirror(DAY)
    assert m.put(rec("k", T0 + 60), 10)
    assert not m.put(rec("k", T0 + 30), 9)  # a late event for an earlier write
    assert m.cooldowns(["k"], T0)["k"].until == T0 + 60
    m.delete(["k"], 11)
    assert not m.put(rec("k", T0 + 60), 10)  # the tombstone stops a stale resurrection
    assert m.cooldowns(["k"], T0) == {}
    assert m.put(rec("k", T0 + 90), 12)
    m.delete(["k"], 11)  # a stale deletion
    assert "k" in m.cooldowns(["k"], T0)


def test_a_wipe_removes_what_came_before_it_only() -> None:
    m = Mirror(DAY)
    m.put(rec("a"), 5)
    m.put(rec("b"), 8)
    m.wipe(7)
    assert set(m.cooldowns(["a", "b"], T0)) == {"b"}
    assert not m.put(rec("c"), 6)
    assert m.put(rec("c"), 9)


def test_a_snapshot_replaces_what_it_covers_and_keeps_what_came_after() -> None:
    m = Mirror(DAY)
    m.put(rec("gone"), 3)  # deleted in Redis, event missed
    m.put(rec("stale", T0 + 30), 4)  # updated in Redis, event missed
    m.put(rec("newer", T0 + 300), 12)  # an event that arrived before the snapshot's reply
    m.delete(["deleted-after"], 13)
    m.replace(
        [
            (rec("stale", T0 + 60), 6),
            (rec("newer", T0 + 30), 9),
            (rec("deleted-after"), 9),
            (rec("fresh"), 7),
        ],
        at=10,
    )
    active = m.cooldowns(["gone", "stale", "newer", "deleted-after", "fresh"], T0)
    assert set(active) == {"stale", "newer", "fresh"}
    assert active["stale"].until == T0 + 60 and active["newer"].until == T0 + 300


def test_a_wipe_after_the_snapshot_wins_over_it() -> None:
    m = Mirror(DAY)
    m.wipe(20)
    m.replace([(rec("old"), 15)], at=18)
    assert m.all_records(T0) == []


def test_held_failures_merge_without_shortening_and_restart_after_the_window() -> None:
    m = Mirror(DAY)
    m.put(rec("k", T0 + 300, count=3), 1)
    held = m.hold(rec("k", T0 + 30, count=1))
    assert (held.until, held.error_count) == (T0 + 300, 3)
    late = Cooldown(
        key="k", reason="rate_limit", until=T0 + 2 * DAY, error_count=1, last_failure_at=T0 + 2 * DAY - 30
    )
    assert m.hold(late).error_count == 1  # the old record was outside the failure window
    m.drop("k")
    assert m.recent(["k"], T0) == {}


def test_reads_match_local_state() -> None:
    m = Mirror(DAY)
    m.put(rec("b", T0 + 60), 1)
    m.put(rec("a", T0 + 30), 2)
    assert [c.key for c in m.all_cooldowns(T0)] == ["a", "b"]  # soonest first
    assert m.cooldowns(["a", "b"], T0 + 45).keys() == {"b"}
    assert m.recent(["a"], T0 + 45).keys() == {"a"}  # expired, kept for escalation
    assert m.recent(["a"], T0 + DAY + 1) == {}
    assert {c.key for c in m.all_records(T0 + 45)} == {"a", "b"}


def test_codecs_round_trip_exactly() -> None:
    c = Cooldown(
        key="openrouter:default|openrouter/a/b",
        reason="rate_limit",
        until=T0 + 30.000000123,
        error_count=2,
        disabled=True,
        last_failure_at=T0 + 0.1,
        model="a/b",
    )
    args = failure_args(c, DAY)
    stored = dict(
        zip(
            ["key", "reason", "until", "error_count", "disabled", "last_failure_at", "model"],
            args,
            strict=False,
        )
    )
    assert decode_record({**stored, "seq": "1800000000000000123"}) == (c, 1_800_000_000_000_000_123)
    assert decode_record(pairs(["key", "k", "reason", "x"])) is None  # damaged: ignored
    event = decode_event(b'{"op":"del","seq":"1800000000000000124","keys":["k"]}')
    assert event is not None and (event.op, event.seq, event.keys) == (
        "del",
        1_800_000_000_000_000_124,
        ("k",),
    )
    assert decode_event(b"not json") is None and decode_event(b'{"op":"other","seq":"1"}') is None
