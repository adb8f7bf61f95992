"""The packaged fake OpenRouter (and Anthropic) upstream.

In async tests::

    async with FakeUpstream() as up:           # binds 127.0.0.1:0
        up.queue(Reply.status(429, "Rate limit exceeded", headers={"Retry-After": "2"}))
        up.on_model("openai/gpt-4o-mini", Reply.text("OK"))
        ...  # point a provider's baseUrl at up.base_url
        up.requests[0].json["model"]

In sync tests ``with FakeUpstream.running() as up:`` runs it in a thread with its own loop.
As a process (benchmarks, demos)::

    python -m openclaw.testing.fake_upstream --port 18080 [--script FILE.json] [--no-record]
        [--latency-ms N]

It prints ``listening on http://127.0.0.1:PORT/api/v1`` on stdout once it accepts connections.
See :mod:`openclaw.testing.routes` for the routes and :mod:`openclaw.testing.replies` for what
a reply can be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .http11 import HttpProtocol, ParsedRequest
from .rendered import Step
from .replies import Reply
from .routes import RecordedRequest, Script, handle_request

__all__ = ["FakeUpstream", "main"]


class FakeUpstream:
    """A scripted upstream on 127.0.0.1. See the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        latency_ms: float = 0.0,
        models: list[dict[str, Any]] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context  # serve https (tests of TLS clients)
        self.port = port
        self.script = Script(record=record, latency=latency_ms / 1000.0)
        if models is not None:
            self.script.models = models
        self._server: asyncio.Server | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenRouter-style base URL (``…/api/v1``); chat goes to ``{base_url}/chat/completions``."""
        return f"{self.root_url}/api/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Anthropic-style base URL (no ``/v1``: the client appends ``/v1/messages``)."""
        return self.root_url

    # -- scripting ---------------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        """Answer the next chat requests with these replies, in order (before any other rule)."""
        self.script.queue.extend(replies)

    def on_model(self, model: str, reply: Reply) -> None:
        self.script.by_model[model] = reply

    def on_key(self, key: str, reply: Reply) -> None:
        """Answer requests carrying this credential with ``reply`` (after the queue)."""
        self.script.by_key[key] = reply

    def set_default(self, reply: Reply) -> None:
        self.script.default = reply

    def load_script(self, spec: dict[str, Any]) -> None:
        self.script.load(spec)

    def reset(self) -> None:
        self.script.reset()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.script.requests

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.script.requests if r.path.endswith(("/chat/completions", "/messages"))]

    # -- connection statistics ---------------------------------------------------------------

    @property
    def connections_opened(self) -> int:
        return self.script.stats.opened

    @property
    def connections_closed_by_client(self) -> int:
        return self.script.stats.closed_by_client

    @property
    def aborted_responses(self) -> int:
        """Connections the client closed while an answer was still being sent or awaited."""
        return self.script.stats.aborted_responses

    @property
    def open_connections(self) -> int:
        return self.script.stats.open

    async def wait_for(self, predicate: Callable[[FakeUpstream], bool], within: float = 5.0) -> bool:
        """Poll ``predicate(self)`` until true or ``within`` seconds pass; returns the last value."""
        deadline = time.monotonic() + within
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def wait_for_sync(self, predicate: Callable[[FakeUpstream], bool], within: float = 5.0) -> bool:
        """:meth:`wait_for` for the thread mode (call from the test's thread)."""
        deadline = time.monotonic() + within
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # -- lifecycle ---------------------------------------------------------------------------

    def _handle(self, request: ParsedRequest) -> list[Step]:
        return handle_request(self.script, request)

    async def start(self) -> FakeUpstream:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpProtocol(self._handle, self.script.stats),
            self.host,
            self.port,
            backlog=2048,
            ssl=self.ssl_context,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.script.stats.live):
            conn.abort()
        await self._server.wait_closed()
        self._server = None

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> FakeUpstream:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @classmethod
    @contextlib.contextmanager
    def running(cls, **kwargs: Any) -> Iterator[FakeUpstream]:
        """Run the fake in a background thread with its own event loop (for sync tests)."""
        upstream = cls(**kwargs)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(upstream.start())
            except BaseException as exc:  # reported to the caller's thread below
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(upstream.close())
            loop.close()

        thread = threading.Thread(target=run, name="fake-upstream", daemon=True)
        thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        try:
            yield upstream
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m openclaw.testing.fake_upstream",
        description="A fake OpenRouter/Anthropic upstream on 127.0.0.1 for tests, benchmarks and demos.",
        epilog="Example: python -m openclaw.testing.fake_upstream --port 18080 --no-record",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=18080, help="port (0: any free port)")
    parser.add_argument(
        "--script", type=Path, help='JSON script: {"queue": [...], "by_model": {...}, "default": ...}'
    )
    parser.add_argument("--no-record", action="store_true", help="do not keep requests (for benchmarks)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="wait this long before every chat answer"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    upstream = FakeUpstream(
        host=args.host, port=args.port, record=not args.no_record, latency_ms=args.latency_ms
    )
    if args.script is not None:
        upstream.load_script(orjson.loads(args.script.read_bytes()))
    await upstream.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"listening on {upstream.base_url}\n")
    sys.stdout.flush()
    await stop.wait()
    await upstream.close()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    if not args.no_uvloop:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
