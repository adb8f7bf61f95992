"""The Redis backend where it is used: ``models status`` / ``models auth clear-cooldowns`` with
``state.kind: "redis"``, and the real router over two runtimes sharing one Redis (a cooldown
recorded through one is honoured by the other; the happy path sends Redis nothing)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.auth.store import AuthProfile, AuthStore
from openclaw.routing.chain import build_target
from openclaw.routing.cooldown import CooldownSchedule, fingerprint
from openclaw.state.redis import RedisState
from openclaw.testing import FakeUpstream, Reply
from test_router_support import chat, make_test_router, open_test_runtime, router_config, sent, write_config
from test_state_redis import sent_commands
from test_state_redis_support import REDIS_URL, redis_prefix, until

__all__ = ["redis_prefix", "sent_commands"]  # fixtures, imported for pytest

pytestmark = pytest.mark.redis

SCHED = CooldownSchedule()
SONNET = "openrouter/anthropic/claude-sonnet-4-5"
MINI = "openrouter/openai/gpt-4o-mini"


def redis_config(prefix: str, url: str = REDIS_URL) -> dict[str, Any]:
    return {"state": {"kind": "redis", "url": url, "prefix": prefix}}


def seed(home: Path, prefix: str, *specs: tuple[str, str]) -> None:
    """Two stored profiles, and one failure per (key, reason) recorded in Redis."""
    store = AuthStore(home / ".openclaw" / "state" / "openclaw.sqlite")
    store.upsert(AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY))
    store.upsert(AuthProfile(id="openrouter:second", provider="openrouter", secret=FAKE_KEY_2))
    state = RedisState(REDIS_URL, prefix=prefix)
    now = time.time()

    async def record() -> None:
        for key, reason in specs:
            model = key.partition("|")[2].partition("/")[2] or None
            await state.record_failure(SCHED.next(None, key=key, reason=reason, now=now, model=model))

    asyncio.run(record())


def keys_in_redis(prefix: str) -> set[str]:
    return {c.key for c in RedisState(REDIS_URL, prefix=prefix).all_records(time.time())}


def test_status_and_auth_list_read_cooldowns_from_redis(home: Path, cli, redis_prefix: str) -> None:  # type: ignore[no-untyped-def]
    write_config(home, redis_config(redis_prefix))
    seed(home, redis_prefix, (f"openrouter:default|{SONNET}", "rate_limit"), ("openrouter:second", "billing"))
    text = cli("models", "status")
    assert text.code == 0, text.output
    section = text.stdout.split("Unavailable auth profiles", 1)[1]
    assert re.search(rf"openrouter:default cooldown \(rate_limit\) on {SONNET}: (29|30)s left", section)
    assert re.search(r"openrouter:second disabled \(billing\): (4h 59m|5h 00m) left", section)
    data = json.loads(cli("models", "status", "--json").stdout)
    unusable = {e["profileId"]: e for e in data["auth"]["unusableProfiles"]}
    assert (unusable["openrouter:default"]["reason"], unusable["openrouter:second"]["kind"]) == (
        "rate_limit",
        "disabled",
    )
    assert "disabled:billing" in cli("models", "auth", "list").stdout
    assert not (home / ".openclaw" / "state" / "openclaw.sqlite").read_bytes().count(b"cooldownUntil")


def test_clear_cooldowns_clears_them_in_redis(home: Path, cli, redis_prefix: str) -> None:  # type: ignore[no-untyped-def]
    write_config(home, redis_config(redis_prefix))
    seed(
        home,
        redis_prefix,
        (f"openrouter:default|{SONNET}", "rate_limit"),
        ("openrouter:default", "auth"),
        ("openrouter:second", "billing"),
    )
    result = cli("models", "auth", "clear-cooldowns", "openrouter:default")
    assert result.code == 0, result.output
    assert result.stdout.startswith("Cleared 2 cooldowns:")
    assert keys_in_redis(redis_prefix) == {"openrouter:second"}
    out = json.loads(cli("models", "auth", "clear-cooldowns", "--all", "--json").stdout)
    assert out == {"cleared": 1, "keys": ["openrouter:second"]}
    assert keys_in_redis(redis_prefix) == set()
    assert "Unavailable auth profiles" not in cli("models", "status").stdout


def test_commands_fail_clearly_when_redis_is_down(home: Path, cli) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(home, redis_config("x:", f"redis://127.0.0.1:{port}/0"))
    for args in (("models", "status"), ("models", "auth", "clear-cooldowns", "--all")):
        result = cli(*args)
        assert result.code == 1
        assert f"Error: Cannot reach Redis at redis://127.0.0.1:{port}/0 (state.url)" in result.stderr


async def test_two_runtimes_share_cooldowns_and_the_happy_path_is_free(
    home: Path, upstream: FakeUpstream, redis_prefix: str, sent_commands: list[Any]
) -> None:
    upstream.on_key(FAKE_KEY, Reply.status(429, "Rate limit exceeded", headers={"Retry-After": "60"}))
    config = router_config(upstream.base_url, SONNET, MINI, **redis_config(redis_prefix))
    keys = {"OPENROUTER_API_KEYS": f"{FAKE_KEY},{FAKE_KEY_2}"}
    one = open_test_runtime(home, config, **keys)
    two = open_test_runtime(home, config, **keys)
    state_one, state_two = one.state, two.state
    assert isinstance(state_one, RedisState) and isinstance(state_two, RedisState)
    assert await until(lambda: state_one.synced_at is not None and state_two.synced_at is not None)
    router_one, router_two = make_test_router(one), make_test_router(two)

    await router_one.complete(chat(), build_target(one, None), router_one.context("gateway"))
    assert sent(upstream) == [
        ("anthropic/claude-sonnet-4-5", FAKE_KEY),
        ("anthropic/claude-sonnet-4-5", FAKE_KEY_2),
    ]
    assert await until(lambda: bool(state_two.all_cooldowns(time.time())))
    [cooled] = state_two.all_cooldowns(time.time())  # seen by the other runtime
    assert cooled.key.endswith(f"#{fingerprint(FAKE_KEY)}|{SONNET}") and cooled.reason == "rate_limit"

    await asyncio.sleep(0.05)
    before = len(sent_commands)
    for _ in range(10):
        _, served = await router_two.complete(chat(), build_target(two, None), router_two.context("gateway"))
        assert served.attempt_count == 1
    assert {key for _, key in sent(upstream)[2:]} == {FAKE_KEY_2}  # the cooled key is skipped
    assert len(sent_commands) == before  # ten answers, not one Redis command
    await one.aclose()
    await two.aclose()
