"""Helpers for the Redis state tests (no tests here): the server check, a unique key prefix per
test (deleted afterwards), a bounded wait, and a TCP proxy that can cut Redis off.

The tests run against the real server at 127.0.0.1:6379. With ``CI`` set a missing server fails
them; without it they skip and say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"

__all__ = ["REDIS_URL", "RedisProxy", "redis_prefix", "require_redis", "stored_keys", "until"]


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        message = f"Redis is not reachable at 127.0.0.1:6379: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return client


def stored_keys(client: redis.Redis, prefix: str) -> set[str]:
    return {k.decode() for k in client.scan_iter(match=f"{prefix}*", count=1000)}


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    client = require_redis()
    prefix = f"openclaw-test:{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


async def until(check: Callable[[], bool], *, within: float = 5.0, step: float = 0.01) -> bool:
    """Poll ``check`` until it holds or ``within`` seconds pass (bounded); returns its last value."""
    for _ in range(max(1, int(within / step))):
        if check():
            return True
        await asyncio.sleep(step)
    return check()


class RedisProxy:
    """A loopback TCP proxy in front of Redis, served from its own thread and event loop (the
    backend's start-up read is synchronous, so the proxy must not share the test's loop).

    ``cut()`` closes every connection and refuses new ones (accepts and closes them at once)
    until ``restore()``: Redis "goes away" without touching the shared server."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 6379)) -> None:
        self.target = target
        self.port = 0
        self.open = True
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisProxy:
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()
        server = self._server
        assert server is not None

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        self._run(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def cut(self) -> None:
        async def close_all() -> None:
            self.open = False
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        self._run(close_all())

    def restore(self) -> None:
        self.open = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while self.open:  # bounded by the connection: EOF or cut() ends it
                data = await src.read(65536)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        dst.close()
        self._writers.discard(dst)
