"""What the failover machinery costs on the happy path, counted in CPU instructions instead of
time: the same rows as ``bench/failover_overhead.py`` (the transport alone, the same transport
through the router), each run in a child process under ``valgrind --tool=callgrind``.

Why instructions: on a shared 2-core VM, per-slice throughput moves by ±10-20 %, far more than the
5 % bound being checked. An instruction count of the same code on the same input is repeatable
whatever else the machine is doing. Instructions are not cycles (cache misses, branch
mispredictions), so this complements the timed run; it does not replace it.

How: each row runs twice, with ``--small`` and ``--large`` measured requests after the same
warm-up, and the cost of one request is the difference of the two totals divided by the
difference of the request counts. Start-up, imports, warm-up and shutdown cancel out. The fake
upstream runs natively on the other core, so under valgrind's ~50x slowdown every answer is
already complete when the client reads it.

    python bench/failover_instructions.py [--small 200] [--large 600] [--chunks 200] \
        [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from failover_overhead import (
    CLIENT_CPU,
    PATHS,
    STREAM_MODEL,
    collector,
    make_runtime,
    row_worker,
    start_fake,
)
from lib.args import names_arg

MODES = {"plain": ("openrouter/openai/gpt-4o-mini", False), "stream": (f"openrouter/{STREAM_MODEL}", True)}
_COLLECTED = re.compile(r"Collected : (\d+)")


async def _drive(worker: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> None:
    """``requests`` answers over ``concurrency`` loops (bounded: each loop takes its share)."""
    share, extra = divmod(requests, concurrency)

    async def loop(n: int) -> None:
        for _ in range(n):
            await worker()

    await asyncio.gather(*(loop(share + (i < extra)) for i in range(concurrency)))


async def child(args: argparse.Namespace) -> None:
    """One row in this process: warm up, then ``args.requests`` measured answers."""
    from openclaw.bootstrap import make_router

    model, stream = MODES[args.mode]
    runtime = make_runtime(
        Path(args.folder), args.base_url, ledger=args.path == "router + ledger", http=args.http
    )
    try:
        name = "router" if args.path == "router + ledger" else args.path  # its runtime has the ledger
        worker = row_worker(name, runtime, {"router": (runtime, make_router(runtime))}, model, stream)
        collector(args.gc)
        await _drive(worker, args.warmup, args.concurrency)
        await _drive(worker, args.requests, args.concurrency)
    finally:
        await runtime.aclose()


def count(path: str, mode: str, requests: int, base_url: str, args: argparse.Namespace) -> int:
    """Instructions of one child run (all its threads), from callgrind's summary line."""
    concurrency = args.concurrency if mode == "plain" else args.stream_concurrency
    with tempfile.TemporaryDirectory(prefix="failover-instr-") as tmp:
        cmd = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable, __file__, "--child", "--path", path, "--mode", mode,
            "--requests", str(requests), "--warmup", str(args.warmup),
            "--concurrency", str(concurrency), "--base-url", base_url, "--folder", tmp,
            "--gc", args.gc, "--http", args.http,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            ["taskset", "-c", str(CLIENT_CPU), *cmd],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            timeout=1800,
        )
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"child {path}/{mode}/{requests} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found[-1])


def measure(base_url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Per mode and path: instructions per answer (the marginal cost)."""
    out: dict[str, dict[str, float]] = {}
    for mode in args.modes:
        for path in args.paths:
            started = time.monotonic()
            small = count(path, mode, args.small, base_url, args)
            large = count(path, mode, args.large, base_url, args)
            per = (large - small) / (args.large - args.small)
            out.setdefault(mode, {})[path] = per
            print(
                f"  {mode:6} {path:16} {per:12,.0f} instructions/answer "
                f"({small:,} / {large:,}; {time.monotonic() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return out


def report(per: dict[str, dict[str, float]], args: argparse.Namespace, command: str) -> str:
    lines = [
        "| mode | path | instructions per answer | vs. transport |",
        "| --- | --- | ---: | ---: |",
    ]
    names = {"plain": "non-streaming", "stream": f"streaming, {args.chunks} chunks"}
    for mode, rows in per.items():
        base = rows.get("transport")
        for path, value in rows.items():
            change = "-" if path == "transport" or base is None else f"{(value / base - 1) * 100:+.1f} %"
            lines.append(f"| {names[mode]} | {path} | {value:,.0f} | {change} |")
    return "\n".join(
        [
            f"### Failover overhead in instructions ({datetime.date.today().isoformat()})",
            "",
            f"Command: `{command}`  ",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, uvloop, "
            f"valgrind {_valgrind_version()} (callgrind). Per answer = (instructions of a run with "
            f"{args.large} answers − of one with {args.small}) ÷ {args.large - args.small}, after "
            f"{args.warmup} warm-up answers in both; non-streaming at concurrency {args.concurrency}, "
            f"streaming at {args.stream_concurrency}; collector settings: {args.gc}; upstream client: "
            f"{args.http}. The client's "
            "threads are all counted (the ledger's writer thread included); the fake upstream runs "
            "natively.",
            "",
            *lines,
            "",
        ]
    )


def _valgrind_version() -> str:
    done = subprocess.run(["valgrind", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip().removeprefix("valgrind-")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", type=int, default=200, help="measured answers in the smaller run")
    p.add_argument("--large", type=int, default=600, help="measured answers in the larger run")
    p.add_argument("--warmup", type=int, default=64, help="answers before measuring, in both runs")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--stream-concurrency", type=int, default=8)
    p.add_argument("--chunks", type=int, default=200, help="content chunks per streamed answer")
    p.add_argument(
        "--modes", type=names_arg(tuple(MODES)), default=tuple(MODES), help="plain,stream (default both)"
    )
    p.add_argument("--paths", type=names_arg(PATHS), default=PATHS, help="rows to count (default all)")
    p.add_argument("--gc", choices=("default", "gateway"), default="default", help="collector settings")
    p.add_argument("--http", choices=("aiohttp", "lean"), default="aiohttp", help="upstream HTTP client")
    p.add_argument("--append", type=Path, help="append the result section to this markdown file")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)
    p.add_argument("--mode", choices=tuple(MODES), help=argparse.SUPPRESS)
    p.add_argument("--requests", type=int, help=argparse.SUPPRESS)
    p.add_argument("--base-url", help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.child and not 0 < args.small < args.large:
        p.error("--small must be positive and below --large")
    return args


def _runner() -> Callable[[Any], Any]:
    try:
        import uvloop

        return uvloop.run
    except ImportError:
        return asyncio.run


def main() -> None:
    args = parse_args()
    if args.child:
        _runner()(child(args))
        return
    command = "python " + " ".join(sys.argv)
    with tempfile.TemporaryDirectory(prefix="failover-instr-") as tmp:
        proc, base_url = start_fake(args.chunks, Path(tmp))
        try:
            per = measure(base_url, args)
        finally:
            proc.terminate()
            proc.wait(10)
    section = report(per, args, command)
    print(section)
    if args.append:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)


if __name__ == "__main__":
    main()
