"""What the failover machinery costs on the happy path: the transport alone vs. the same transport
through the router, in one run, against the fake upstream.

The fake upstream (``python -m openclaw.testing.fake_upstream --no-record``) runs in its own
process pinned to one core; this client is pinned to the other. Every row uses the same
``openai-completions`` transport over one ``AiohttpClient`` (``--http lean``: over one
``LeanHttpClient``, the client the CLI and the gateway use by default):

* ``transport`` (the baseline): per request a fresh ``ChatRequest`` and ``UpstreamCall`` with a
  deadline (its static part, URL and headers, prepared once up front as the router does),
  ``transport.batches(call)`` (the events of each network read, as the router reads them), and
  for non-streaming the events folded into a ``ChatResult`` (what ``Router.complete`` returns):
  what any caller does without a router;
* ``router``: ``Router.complete`` / ``Router.open`` + ``batches()`` with a two-model chain and two
  keys (credential plan, cooldown lookups, capability check, budget, commit point, Served),
  state backend on, ledger off;
* ``router + ledger``: the same with the SQLite usage ledger recording every attempt;
* ``one more layer``, ``api shape``, ``api shape + capability`` (only when asked for with
  ``--paths``): the parts of the router row that are the shape of its API, not routing
  (``bench/lib/reference_rows.py``).

After the ledger row its writes are flushed and settled before the next row starts, so that
no row pays for another's ledger. The rows of one round run back to back, in reverse order
every other round (a row's place in the round, first or last, otherwise biases it by several
per cent on this machine); the table
shows per-round ratios (router row / baseline row of the same round) and their median, so drift
from other work on the machine hits both sides of a ratio alike, and the client's own CPU time
per answer, which other processes do not inflate.

    python bench/failover_overhead.py [--seconds 2] [--rounds 9] [--concurrency 32] \
        [--modes plain,stream] [--paths router,"router + ledger"] [--gc default|gateway] \
        [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lib.args import names_arg
from lib.reference_rows import PLAIN_ONLY, REFERENCE_PATHS, layered, shape_worker
from lib.stats import iqr_change, median_ci_change, round_ratios

KEY = "sk-or-test-bench0000000000000000000000"
KEY_2 = "sk-or-test-bench1111111111111111111111"
STREAM_MODEL = "bench/stream"
ROUTED = ("router", "router + ledger")
PATHS = ("transport", *ROUTED, *REFERENCE_PATHS)
MODES = ("plain", "stream")
CLIENT_CPU, SERVER_CPU = 0, 1


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if (os.cpu_count() or 1) > 1 else []


def start_fake(chunks: int, folder: Path) -> tuple[subprocess.Popen[str], str]:
    pieces = [f"tok{i} " for i in range(chunks)]
    script = {"default": "ok", "by_model": {STREAM_MODEL: {"kind": "text", "chunks": pieces}}}
    path = folder / "script.json"
    path.write_text(json.dumps(script))
    cmd = [
        sys.executable,
        "-m",
        "openclaw.testing.fake_upstream",
        "--port",
        "0",
        "--no-record",
        "--script",
        str(path),
    ]
    proc = subprocess.Popen([*_pin(SERVER_CPU), *cmd], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"fake upstream did not start: {line!r}")
    return proc, line.split("listening on ", 1)[1].strip()


def make_runtime(folder: Path, base_url: str, *, ledger: bool, http: str = "aiohttp") -> Any:
    """A runtime against the fake upstream; ``http``: the upstream client, ``aiohttp`` (the
    transport benchmark's ``AiohttpClient`` column) or ``lean`` (what the CLI and the gateway
    use by default)."""
    from openclaw.bootstrap import open_runtime
    from openclaw.runtime import load_snapshot

    home = folder / ("home-ledger" if ledger else "home")
    (home / ".openclaw").mkdir(parents=True, mode=0o700)
    config = {
        "models": {"providers": {"openrouter": {"baseUrl": base_url}}},
        "agents": {
            "defaults": {
                "model": {
                    "primary": "openrouter/openai/gpt-4o-mini",
                    "fallbacks": ["openrouter/openai/gpt-4o"],
                }
            }
        },
    }
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))
    os.chmod(home / ".openclaw" / "openclaw.json", 0o600)
    env = {"HOME": str(home), "OPENCLAW_HOME": str(home), "OPENROUTER_API_KEYS": f"{KEY},{KEY_2}"}
    paths, snapshot = load_snapshot(env, cwd=home)
    return open_runtime(
        paths, snapshot, http="lean" if http == "lean" else "aiohttp", ledger=ledger, source="gateway"
    )


async def sustained(
    worker: Callable[[], Awaitable[object]], seconds: float, concurrency: int
) -> tuple[float, float]:
    """(requests/s, client CPU µs per request): CPU time is this process only, so it holds
    even when other work shares the machine."""
    for _ in range(concurrency):  # warm up connections
        await worker()
    count = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await worker()
            count += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    used = time.process_time() - cpu
    return count / (time.perf_counter() - started), used / max(count, 1) * 1e6


def collector(setting: str) -> None:
    """``gateway``: the collector settings the gateway runs the router with
    (:func:`openclaw.gateway.server.tune_gc`: start-up objects frozen, the youngest generation
    collected every 10,000 allocations); ``default``: CPython's (every 700). Both rows of a
    comparison share the process, so they share the setting."""
    if setting == "gateway":
        from openclaw.gateway.server import tune_gc

        tune_gc()


def transport_worker(runtime: Any, model: str, stream: bool) -> Callable[[], Awaitable[object]]:
    """The baseline: what any caller of a transport does per request (a fresh request, a call
    with a deadline, the events folded into an answer when it wants one), minus the router."""
    from openclaw.transports.base import Timeouts, UpstreamCall
    from openclaw.transports.registry import TransportRegistry, upstream_model
    from openclaw.wire.aggregate import Aggregator
    from openclaw.wire.types import ChatRequest, Message

    ref = runtime.resolve(model)
    provider = runtime.provider(ref.provider)
    transport = TransportRegistry(runtime.http).transport_for(provider.api)
    credential = runtime.credentials(ref.provider).credentials[0]
    params = runtime.model_params(ref)
    upstream = upstream_model(provider, ref)
    prepare = getattr(transport, "prepare", None)  # the static part once, as the router does
    prepared = prepare(provider, upstream, params, credential) if prepare is not None else None

    async def one() -> int:
        request = ChatRequest(
            messages=[Message(role="user", content="Reply with OK")], max_tokens=64, stream=stream
        )
        call = UpstreamCall(
            provider=provider,
            ref=ref,
            model=upstream,
            credential=credential,
            request=request,
            stream=stream,
            timeouts=Timeouts(total=600.0),
            params=params,
            prepared=prepared,
        )
        if not stream:
            agg = Aggregator()
            async for batch in transport.batches(call):
                for event in batch:
                    agg.add(event)
            agg.result()
            return 1
        n = 0
        async for batch in transport.batches(call):
            n += len(batch)
        return n

    return one


def router_worker(runtime: Any, router: Any, model: str, stream: bool) -> Callable[[], Awaitable[object]]:
    from openclaw.routing.chain import build_target
    from openclaw.wire.types import ChatRequest, Message

    target = build_target(runtime, model, fallbacks=["openrouter/openai/gpt-4o"])  # a two-model chain
    assert len(target.candidates) == 2

    async def one() -> int:
        request = ChatRequest(
            messages=[Message(role="user", content="Reply with OK")], max_tokens=64, stream=stream
        )
        ctx = router.context("gateway")
        if not stream:
            await router.complete(request, target, ctx)
            return 1
        run = await router.open(request, target, ctx)
        n = 0
        async for batch in run.batches():
            n += len(batch)
        return n

    return one


async def measure(
    base_url: str, folder: Path, args: argparse.Namespace
) -> dict[str, list[tuple[float, float]]]:
    from openclaw.bootstrap import make_router

    plain = make_runtime(folder, base_url, ledger=False, http=args.http)
    logged = make_runtime(folder, base_url, ledger=True, http=args.http)
    routers = {"router": (plain, make_router(plain)), "router + ledger": (logged, make_router(logged))}
    collector(args.gc)
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        await _rounds(routers, plain, results, args)
    finally:
        await plain.aclose()
        await logged.aclose()
    return results


async def _rounds(
    routers: dict[str, Any], plain: Any, results: dict[str, list[tuple[float, float]]], args: Any
) -> None:
    rows = (("plain", "openrouter/openai/gpt-4o-mini", False, args.concurrency),
            ("stream", f"openrouter/{STREAM_MODEL}", True, args.stream_concurrency))  # fmt: skip
    for round_no in range(args.rounds):
        for label, model, stream, conc in rows:
            if label not in args.modes:
                continue
            names = [n for n in args.paths if not (stream and n in PLAIN_ONLY)]
            workers = [
                (name, row_worker(name, plain, routers, model, stream)) for name in ("transport", *names)
            ]
            if round_no % 2:  # odd rounds run the rows in reverse: no row always goes first
                workers.reverse()
            for name, worker in workers:
                results.setdefault(f"{label}|{name}", []).append(await sustained(worker, args.seconds, conc))
                if name in routers:
                    await settle(routers[name][0].ledger)  # before the next row, not during it


def row_worker(
    name: str, plain: Any, routers: dict[str, Any], model: str, stream: bool
) -> Callable[[], Awaitable[object]]:
    """The worker of row ``name`` (see PATHS); ``plain``: the runtime without a ledger, ``routers``:
    (runtime, router) by row name, ``router`` and ``router + ledger``."""
    if name in routers:
        runtime, router = routers[name]
        return router_worker(runtime, router, model, stream)
    if name == "one more layer":
        return layered(transport_worker(plain, model, stream))
    if name in PLAIN_ONLY:
        return shape_worker(plain, routers["router"][1], model, check=name.endswith("capability"))
    return transport_worker(plain, model, stream)


async def settle(ledger: Any) -> None:
    """Let a ledger finish the row's writes now: its writer thread otherwise settles the rows it
    staged (SQLite) once idle for a second, in the middle of whichever row runs next, and that
    row's CPU time would include it (it did: the router row follows the ledger row more often)."""
    if ledger is None:
        return
    await ledger.flush()
    settle_now = getattr(ledger.store, "settle", None)
    if settle_now is not None:
        await asyncio.to_thread(settle_now)


def _change(ratios: list[float]) -> str:
    """A row's change against the transport row: the median of its per-round ratios, how far
    single rounds scatter (IQR) and how well the median is known (its 95 % confidence interval)."""
    middle = (statistics.median(ratios) - 1) * 100
    return f"{middle:+.1f} % ({iqr_change(ratios)}; {median_ci_change(ratios)})"


def report(results: dict[str, list[tuple[float, float]]], args: argparse.Namespace, command: str) -> str:
    rate = {k: statistics.median(r for r, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    lines = [
        "| mode | path | answers/s | vs. transport, median (IQR; 95 % CI of the median) | "
        "client CPU µs/answer | vs. transport, median (IQR; 95 % CI) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, mode in (("plain", "non-streaming"), ("stream", f"streaming, {args.chunks} chunks")):
        base = f"{label}|transport"
        for name in ("transport", *args.paths):
            key = f"{label}|{name}"
            if key not in results:
                continue
            if name == "transport":
                lines.append(f"| {mode} | {name} | {rate[key]:,.1f} | - | {cpu[key]:,.0f} | - |")
                continue
            by_rate = _change(round_ratios(results[key], results[base], 0))
            by_cpu = _change(round_ratios(results[key], results[base], 1))
            lines.append(f"| {mode} | {name} | {rate[key]:,.1f} | {by_rate} | {cpu[key]:,.0f} | {by_cpu} |")
    return "\n".join(
        [
            f"### Failover overhead on the happy path ({datetime.date.today().isoformat()})",
            "",
            f"Command: `{command}`  ",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, uvloop; "
            f"client pinned to CPU {CLIENT_CPU}, fake upstream (`--no-record`, zero latency) "
            f"pinned to CPU {SERVER_CPU}; {args.rounds} rounds of {args.seconds:g} s per row, the "
            f"rows of a round back to back, reversed every other round; non-streaming at "
            f"concurrency {args.concurrency}, "
            f"streaming at {args.stream_concurrency}; collector settings: {args.gc}; upstream client: "
            f"{args.http}. Ratios are per "
            "round (router row / transport row of the same round), then the median over rounds. CPU "
            "is the client process's own CPU time per answer.",
            "",
            *lines,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stream-concurrency", type=int, default=8)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--modes", type=names_arg(MODES), default=MODES, help="plain,stream (default both)")
    parser.add_argument(
        "--paths",
        type=names_arg(PATHS[1:]),
        default=ROUTED,
        help="rows measured against the transport row (default: router,router + ledger; also: "
        + ", ".join(REFERENCE_PATHS)
        + ")",
    )
    parser.add_argument(
        "--gc", choices=("default", "gateway"), default="default", help="collector settings (see collector())"
    )
    parser.add_argument(
        "--http",
        choices=("aiohttp", "lean"),
        default="aiohttp",
        help="upstream HTTP client (default aiohttp)",
    )
    parser.add_argument("--append", type=Path, help="append the result section to this markdown file")
    args = parser.parse_args()
    command = "python " + " ".join(sys.argv)
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {CLIENT_CPU})
    try:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    with tempfile.TemporaryDirectory(prefix="failover-bench-") as tmp:
        folder = Path(tmp)
        proc, base_url = start_fake(args.chunks, folder)
        try:
            results = runner(measure(base_url, folder, args))
        finally:
            proc.terminate()
            proc.wait(10)
    section = report(results, args, command)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    section += f"Load average when the run ended (1, 5, 15 min): {load}.\n"
    print(section)
    if args.append is not None:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)


if __name__ == "__main__":
    main()
