"""Running the gateway: one process or N workers on one port, signals, drain, the runtime file.

* One worker (the default) serves in the calling process on uvloop when it is installed.
* ``--workers N``: the supervisor forks N workers that each bind the port with ``SO_REUSEPORT``
  (the kernel spreads connections); it forwards SIGTERM/SIGINT to them, restarts one that dies
  unexpectedly (bounded), and exits when they have all stopped. What workers share (cooldowns,
  auth-failure counts) is the state backend's business.
* SIGTERM/SIGINT: ``/readyz`` turns 503, the listening socket closes, in-flight requests and
  streams get up to ``gateway.drainSeconds`` to finish, the usage ledger is flushed, exit 0.
* Slow clients: a connection whose request headers are not complete within
  ``gateway.limits.headerTimeoutSeconds`` is closed (aiohttp's keep-alive timer covers a
  connection from its start until its first full request and between requests), so one
  slowloris client holds one idle socket for a bounded time and nobody else waits.
* The runtime file (``<state>/gateway/gateway.json``, 0600) says pid, port, workers, start time
  and version for ``openclaw gateway status``; it is removed on a clean exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from ..errors import OpenClawError
from ..fsutil import write_atomic
from .settings import GatewaySettings

if TYPE_CHECKING:
    from aiohttp import web

    from ..config.loader import ConfigSnapshot
    from ..paths import StatePaths
    from ..runtime import Runtime
    from .app import Gateway

__all__ = ["ServeOptions", "Started", "read_runtime_file", "runtime_file", "serve", "start"]

_MAX_RESTARTS = 10
HTTP_ENV = "OPENCLAW_GATEWAY_HTTP"  # lean | aiohttp: the upstream HTTP client
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    paths: StatePaths
    snapshot: ConfigSnapshot
    settings: GatewaySettings


def runtime_file(paths: StatePaths) -> Path:
    return paths.gateway_dir / "gateway.json"


def read_runtime_file(paths: StatePaths) -> dict[str, Any] | None:
    try:
        data = orjson.loads(runtime_file(paths).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_runtime_file(paths: StatePaths, settings: GatewaySettings, port: int, workers: list[int]) -> None:
    info = {
        "pid": os.getpid(),
        "host": settings.host,
        "port": port,
        "workers": len(workers) or 1,
        "worker_pids": workers or [os.getpid()],
        "started_at": time.time(),
        "version": settings.version,
    }
    write_atomic(runtime_file(paths), orjson.dumps(info, option=orjson.OPT_INDENT_2) + b"\n")


def _remove_runtime_file(paths: StatePaths) -> None:
    info = read_runtime_file(paths)
    if info is not None and info.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            runtime_file(paths).unlink()


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # the "fast" extra is optional
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


# ------------------------------------------------------------------------------ one worker


@dataclass(slots=True)
class Started:
    """A gateway listening in this process (what ``run_worker`` and the tests drive)."""

    runtime: Runtime
    runner: web.AppRunner
    port: int

    @property
    def gateway(self) -> Gateway:
        from .app import GATEWAY_KEY

        return self.runner.app[GATEWAY_KEY]

    async def stop(self) -> None:
        """Drain: refuse new requests, stop listening, wait for in-flight ones, flush, close."""
        gw = self.gateway
        gw.draining = True
        gw.log.message(
            f"draining (up to {gw.settings.drain_seconds:g} s for {gw.metrics.in_flight} in-flight)"
        )
        await self.runner.cleanup()
        await self.runtime.aclose()
        gw.log.message("stopped")
        gw.log.flush()


async def start(options: ServeOptions, *, worker: int = 0, reuse_port: bool = False) -> Started:
    """Build the runtime, router and app, and listen. The caller stops it with ``stop()``."""
    from aiohttp import web

    from ..bootstrap import make_router, open_runtime
    from .app import create_app

    settings = options.settings
    # The upstream HTTP client: the lean stdlib client (pooled keep-alive connections); it served
    # 28 % more requests/s than aiohttp's client in the same gateway benchmark run
    # (docs/benchmarks.md). OPENCLAW_GATEWAY_HTTP=aiohttp selects aiohttp's pooled session.
    chosen = options.snapshot.env.get(HTTP_ENV)
    http: Literal["lean", "aiohttp"] = "aiohttp" if chosen == "aiohttp" else "lean"
    opened = open_runtime(options.paths, options.snapshot, http=http, source="gateway")
    runtime: Runtime = await opened if asyncio.iscoroutine(opened) else opened
    app = create_app(runtime, make_router(runtime), settings, worker=worker)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=settings.drain_seconds,
        handler_cancellation=True,
        keepalive_timeout=settings.header_timeout,
        access_log=None,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None, backlog=2048)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        await runtime.aclose()
        raise
    started = Started(runtime, runner, _bound_port(runner, settings.port))
    started.gateway.log.message(
        f"listening on http://{settings.host}:{started.port} (worker {worker}, pid {os.getpid()})"
    )
    return started


# The youngest generation is collected every 10,000 net allocations instead of CPython's 700 (a
# streamed answer allocates a few hundred objects, so the default ran a collection every couple
# of requests), the older ones every 10 collections of the one below; start-up's objects
# (modules, config, the app) are frozen out of every later collection. Interleaved A/B against no
# tuning (bench/gateway_ab.py --b-source, 6 rounds x 4 s): chat -5.0 % and chat-stream -5.3 % CPU
# per request. A larger first threshold (50,000) was no faster and let the RSS soak with
# streaming grow 4.2 MB per 100k requests; 10,000 keeps it flat.
_GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> None:
    """Collector settings for a long-running server (call once start-up is done)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)


async def run_worker(
    options: ServeOptions,
    *,
    worker: int = 0,
    reuse_port: bool = False,
    on_listening: Callable[[int], None] | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT, then drain and close. Returns the exit code."""
    started = await start(options, worker=worker, reuse_port=reuse_port)
    tune_gc()
    if on_listening is not None:
        on_listening(started.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await started.stop()
    return 0


def _bound_port(runner: web.AppRunner, asked: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return asked


def _run_loop(options: ServeOptions, **kwargs: Any) -> int:
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        return runner.run(run_worker(options, **kwargs))


# ----------------------------------------------------------------------------- supervision


def _reserve_port(host: str, port: int) -> int:
    """With port 0 and several workers, pick one free port they will all bind."""
    if port != 0:
        return port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _fork_worker(options: ServeOptions, index: int) -> int:
    pid = os.fork()
    if pid == 0:  # the child: its own loop, its own runtime
        code = 1
        try:
            for sig in _STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            code = _run_loop(options, worker=index, reuse_port=True)
        except OpenClawError as exc:  # e.g. Redis (state.url) unreachable: say why, not just "exited"
            sys.stderr.write(f"[gateway] worker {index}: Error: {exc.message}\n")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


class _Supervisor:
    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.children: dict[int, int] = {}  # pid -> worker index
        self.stopping = False
        self.restarts = 0

    def _forward(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _reap(self, pid: int, status: int) -> int:
        index = self.children.pop(pid, -1)
        code = os.waitstatus_to_exitcode(status)
        if self.stopping or index < 0:
            return code
        sys.stderr.write(f"[gateway] worker {index} (pid {pid}) exited with {code}; restarting\n")
        self.restarts += 1
        if self.restarts > _MAX_RESTARTS:
            sys.stderr.write("[gateway] too many worker restarts; stopping\n")
            self._forward(signal.SIGTERM, None)
            return 1
        self.children[_fork_worker(self.options, index)] = index
        return 0

    def run(self, workers: int) -> int:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, self._forward)
        for index in range(workers):
            self.children[_fork_worker(self.options, index)] = index
        settings = self.options.settings
        _write_runtime_file(self.options.paths, settings, settings.port, list(self.children))
        worst = 0
        try:
            while self.children:  # bounded: each pass reaps one child; restarts are capped
                try:
                    pid, status = os.wait()
                except ChildProcessError:
                    break
                worst = max(worst, abs(self._reap(pid, status)))
        finally:
            _remove_runtime_file(self.options.paths)
        return worst


def serve(options: ServeOptions) -> int:
    """Run the gateway in the foreground until it is told to stop; returns the exit code."""
    settings = options.settings
    if settings.workers <= 1:

        def listening(port: int) -> None:
            _write_runtime_file(options.paths, settings, port, [])

        try:
            return _run_loop(options, on_listening=listening)
        finally:
            _remove_runtime_file(options.paths)
    port = _reserve_port(settings.host, settings.port)
    options = ServeOptions(options.paths, options.snapshot, _with_port(settings, port))
    sys.stderr.write(f"[gateway] starting {settings.workers} workers on port {port} (SO_REUSEPORT)\n")
    return _Supervisor(options).run(settings.workers)


def _with_port(settings: GatewaySettings, port: int) -> GatewaySettings:
    from dataclasses import replace

    return replace(settings, port=port)
