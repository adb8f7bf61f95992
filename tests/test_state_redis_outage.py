"""Redis going away and coming back, through a proxy this test controls (the shared server itself
is never stopped): one warning, service from the last known mirror, writes held and replayed,
per-process login limits meanwhile, ``clear`` refused, resync on return."""

from __future__ import annotations

import pytest

from openclaw.state.base import Cooldown
from openclaw.state.redis import RedisState, RedisUnavailableError
from test_state_redis_support import REDIS_URL, RedisProxy, redis_prefix, until

__all__ = ["redis_prefix"]  # the fixture, imported for pytest

pytestmark = pytest.mark.redis

T0 = 1_800_000_000.0


def fail(key: str, until_at: float = T0 + 30, now: float = T0) -> Cooldown:
    return Cooldown(key=key, reason="rate_limit", until=until_at, error_count=1, last_failure_at=now)


async def test_outage_serves_the_mirror_holds_writes_and_resyncs(redis_prefix: str) -> None:
    warnings: list[str] = []
    with RedisProxy() as proxy:
        a = RedisState(
            proxy.url, prefix=redis_prefix, resync_interval=0.2, max_backoff=0.1, warn=warnings.append
        )
        b = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
        await a.record_failure(fail("known"))
        assert await until(lambda: "known" in b.cooldowns(["known"], T0))

        proxy.cut()
        assert await until(lambda: not a.connected)
        await b.record_failure(fail("written-elsewhere"))  # a cannot hear about this one
        await a.record_failure(fail("held", until_at=T0 + 60))  # a cannot write this one
        await a.record_failure(fail("known", until_at=T0 + 300))
        assert set(a.cooldowns(["known", "held", "written-elsewhere"], T0)) == {"known", "held"}
        assert a.cooldowns(["known"], T0)["known"].until == T0 + 300
        assert "held" not in b.cooldowns(["held"], T0)
        waits = [await a.hit("gateway-auth:1.2.3.4", window=60, limit=2, now=T0 + i) for i in range(3)]
        assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # still limited, per process meanwhile
        with pytest.raises(RedisUnavailableError, match="Cannot clear cooldowns: Redis at redis://127"):
            await a.clear()
        assert [w for w in warnings if "unreachable" in w] == [warnings[0]]  # said once
        assert "serving from the last known cooldowns" in warnings[0]

        proxy.restore()
        assert await until(
            lambda: a.connected and "written-elsewhere" in a.cooldowns(["written-elsewhere"], T0)
        )
        assert await until(lambda: "held" in b.cooldowns(["held"], T0))  # replayed, then announced
        assert await until(lambda: b.cooldowns(["known"], T0)["known"].until == T0 + 300)
        assert any("reachable again" in w for w in warnings)
        assert await a.hit("gateway-auth:1.2.3.4", window=60, limit=2, now=T0 + 3) == 0.0  # shared again
        await a.clear(["held"])
        assert await until(lambda: "held" not in b.cooldowns(["held"], T0))
        await a.close()
        await b.close()
    assert sum("were not written" in w for w in warnings) == 0


async def test_a_recovery_during_the_outage_is_replayed(redis_prefix: str) -> None:
    warnings: list[str] = []
    with RedisProxy() as proxy:
        a = RedisState(
            proxy.url, prefix=redis_prefix, resync_interval=0.2, max_backoff=0.1, warn=warnings.append
        )
        b = RedisState(REDIS_URL, prefix=redis_prefix, resync_interval=3600)
        await a.record_failure(fail("k"))
        assert await until(lambda: "k" in b.cooldowns(["k"], T0))
        proxy.cut()
        assert await until(lambda: not a.connected)
        await a.record_success("k", T0 + 40)
        assert a.recent(["k"], T0 + 40) == {}
        assert "k" in b.recent(["k"], T0 + 40)
        proxy.restore()
        assert await until(lambda: b.recent(["k"], T0 + 40) == {})
        await a.close()
        await b.close()


async def test_close_during_an_outage_says_what_was_not_written(redis_prefix: str) -> None:
    warnings: list[str] = []
    with RedisProxy() as proxy:
        a = RedisState(proxy.url, prefix=redis_prefix, max_backoff=0.1, warn=warnings.append)
        proxy.cut()
        await a.record_failure(fail("lost"))  # the first failed write notices the outage itself
        assert not a.connected and "lost" in a.cooldowns(["lost"], T0)
        await a.close()
    assert any("1 cooldown change(s)" in w and "were not written" in w for w in warnings)
