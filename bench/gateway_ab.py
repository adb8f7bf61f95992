"""What one gateway feature costs: two openclaw gateways, interleaved, under the same wrk load.

``bench/gateway_bench.py`` measures its targets one after another, so a few per cent of drift
between two targets (other work on the machine, CPU frequency, the order of the runs) cannot
be told apart from a few per cent of cost. This script answers "what does feature X cost the
gateway?" to that precision:

* two ``openclaw gateway run`` processes start side by side, ``A`` with the benchmark's base
  config and ``B`` with a JSON overlay (default: ``usage.store.kind: "off"``, i.e. no ledger),
  both pinned to CPU 1, both in front of one fake upstream that shares CPU 0 with wrk;
* per round, wrk drives each in turn (A B in even rounds, B A in odd ones) for ``--duration``
  seconds at 64 connections, closed loop, after a warm-up of each;
* each run records the gateway's requests/s (2xx only) and the CPU time its process used per
  request (from /proc: other processes on the machine do not inflate it);
* the result is the median over rounds of the per-round ratio A/B, for both figures.

    python bench/gateway_ab.py                         # ledger on (A) vs off (B), chat + chat-stream
    python bench/gateway_ab.py --rounds 12 --duration 5 --scenarios chat
    python bench/gateway_ab.py --name access-log --overlay '{"gateway":{"logging":{"requests":false}}}'
    python bench/gateway_ab.py --append docs/benchmarks.md
    python bench/gateway_ab.py --rate 500 --scenarios chat-stream   # latency at a fixed rate
    git worktree add /tmp/base HEAD~1 && \
      python bench/gateway_ab.py --name 'the change' --b-source /tmp/base   # a code change

With ``--b-source`` B runs the code of another source tree with the same config (no overlay
unless ``--overlay`` is given): A is this checkout, B the tree before the change.

The idle gateway costs nothing while the other is measured (no timers run per second beyond a
cooldown refresh check).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_bench import upstream_script
from lib.lua import render_script
from lib.probe import wait_ready
from lib.procs import Processes, free_port, tree_cpu_seconds
from lib.stats import iqr_change, round_ratios
from lib.targets import SCENARIOS, Context, OpenclawTarget, Scenario
from lib.wrk import run_wrk, wrk_command

PROXY_CPU, LOAD_CPU = "1", "0"
_LEDGER_OFF = '{"usage":{"store":{"kind":"off"}}}'
CONNECTIONS = 64


def _scenario(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise SystemExit(f"unknown scenario {name!r}: one of {', '.join(s.name for s in SCENARIOS)}")


class Side:
    """One gateway under test and its per-round figures per scenario."""

    def __init__(self, target: OpenclawTarget, pid: int) -> None:
        self.target = target
        self.pid = pid
        self.runs: dict[str, list[tuple[float, float]]] = {}  # scenario -> [(req/s, CPU µs/req)]
        self.latency: dict[str, list[tuple[float, float]]] = {}  # scenario -> [(p50 ms, p99 ms)]

    def drive(
        self, scenario: Scenario, seconds: float, folder: Path, *, nice: int, keep: bool, rate: float = 0.0
    ) -> None:
        spec = self.target.request(scenario)
        assert spec is not None
        script = folder / f"{self.target.name}-{scenario.name}.lua"
        script.write_text(
            render_script(spec, rate_per_thread=rate, label=f"{self.target.name}-{scenario.name}")
        )
        argv = wrk_command(
            self.target.base_url + spec.path,
            script,
            cpus=LOAD_CPU,
            connections=CONNECTIONS,
            duration_s=seconds,
            nice=nice,
        )
        cpu = tree_cpu_seconds(self.pid)
        result = run_wrk(argv, seconds, nice=nice)
        used = tree_cpu_seconds(self.pid) - cpu
        if result.good == 0:
            raise RuntimeError(f"{self.target.name} answered no request with 2xx in {scenario.name}")
        if keep:
            per_request = used / result.good * 1e6
            self.runs.setdefault(scenario.name, []).append((result.good_rps, per_request))
            p50, p99 = result.latency_us.get("p50", 0.0), result.latency_us.get("p99", 0.0)
            self.latency.setdefault(scenario.name, []).append((p50 / 1000, p99 / 1000))


def report(a: Side, b: Side, args: argparse.Namespace, command: str) -> str:
    lines = [
        f"| scenario | {a.target.name} req/s | {b.target.name} req/s | throughput cost of {args.name}, "
        f"median (IQR) | CPU µs/req {a.target.name} | CPU µs/req {b.target.name} | "
        "CPU cost, median (IQR) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in args.scenarios:
        ra, rb = a.runs[name], b.runs[name]
        rate = round_ratios(ra, rb, 0)
        cost = [2 - x for x in rate]  # the cost 1 - x, written as a change from 1 for iqr_change
        cpu = round_ratios(ra, rb, 1)
        lines.append(
            f"| {name} | {statistics.median(r for r, _ in ra):,.0f} | "
            f"{statistics.median(r for r, _ in rb):,.0f} | "
            f"{(1 - statistics.median(rate)) * 100:.1f} % ({iqr_change(cost)}) | "
            f"{statistics.median(c for _, c in ra):,.0f} | {statistics.median(c for _, c in rb):,.0f} | "
            f"{(statistics.median(cpu) - 1) * 100:+.1f} % ({iqr_change(cpu)}) |"
        )
    if args.rate:
        lines += ["", *_latency_lines(a, b, args)]
    return "\n".join(
        [
            f"### Cost of {args.name} in the gateway, interleaved A/B ({datetime.date.today().isoformat()})",
            "",
            f"Command: `{command}`  ",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}. Both gateways pinned "
            f"to CPU {PROXY_CPU} (one loaded at a time), wrk and the fake upstream on CPU {LOAD_CPU}; "
            f"{args.rounds} rounds of {args.duration:g} s per gateway and scenario at {CONNECTIONS} "
            f"connections ({f'a fixed {args.rate:g} req/s' if args.rate else 'closed loop'}), "
            f"order alternating per round. A = {a.target.name} (the benchmark config), "
            f"B = {b.target.name} ({_b_label(args)}). Throughput cost = "
            "1 − median over rounds of (A req/s ÷ B req/s of the same round); CPU cost = median of "
            "(A's gateway CPU per request ÷ B's). IQR of the per-round figures in brackets.",
            "",
            *lines,
            "",
        ]
    )


def _latency_lines(a: Side, b: Side, args: argparse.Namespace) -> list[str]:
    """p50/p99 per side (median over rounds) and the median of the per-round differences A − B."""
    lines = [
        f"| scenario | p50 {a.target.name} | p50 {b.target.name} | p50 A − B, median (IQR) | "
        f"p99 {a.target.name} | p99 {b.target.name} |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in args.scenarios:
        la, lb = a.latency[name], b.latency[name]
        diff = sorted(x[0] - y[0] for x, y in zip(la, lb, strict=True))
        q1, q3 = diff[len(diff) // 4], diff[(3 * len(diff)) // 4]
        lines.append(
            f"| {name} | {statistics.median(p for p, _ in la):.3f} ms | "
            f"{statistics.median(p for p, _ in lb):.3f} ms | {statistics.median(diff):+.3f} ms "
            f"({q1:+.3f}…{q3:+.3f}) | {statistics.median(q for _, q in la):.2f} ms | "
            f"{statistics.median(q for _, q in lb):.2f} ms |"
        )
    return lines


def _b_label(args: argparse.Namespace) -> str:
    overlay = f"overlay `{json.dumps(args.overlay_json)}`"
    if args.b_source is None:
        return overlay
    return f"the code in `{args.b_source}`" + (f", {overlay}" if args.overlay_json else "")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="ledger", help="what B switches off (for the report)")
    parser.add_argument(
        "--overlay",
        help=f"JSON laid over B's config (default {_LEDGER_OFF}, or none with --b-source)",
    )
    parser.add_argument(
        "--b-source", type=Path, help="run B from this source tree (e.g. a git worktree of HEAD~1)"
    )
    parser.add_argument("--scenarios", default="chat,chat-stream")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="a fixed rate (req/s) instead of the closed loop: compares latency (p50, p99)",
    )
    parser.add_argument("--nice", type=int, default=-20 if os.geteuid() == 0 else 0)
    parser.add_argument("--append", type=Path, help="append the result section to this markdown file")
    args = parser.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for name in args.scenarios:
        _scenario(name)
    if args.b_source is not None and not (args.b_source / "src" / "openclaw").is_dir():
        raise SystemExit(f"--b-source {args.b_source} has no src/openclaw")
    if args.overlay is None:
        args.overlay = "{}" if args.b_source is not None else _LEDGER_OFF
    try:
        args.overlay_json = json.loads(args.overlay)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--overlay is not JSON: {exc}") from None
    if args.rounds < 2 or args.duration < 1:
        raise SystemExit("--rounds must be at least 2 and --duration at least 1 s")
    return args


def _start(
    procs: Processes,
    folder: Path,
    upstream_port: int,
    variant: str,
    overlay: dict[str, Any],
    *,
    source: Path | None = None,
) -> Side:
    ctx = Context(upstream_port=upstream_port, run_dir=folder, proxy_cpus=PROXY_CPU, port=free_port())
    target = OpenclawTarget(ctx, variant=variant, extra_config=overlay, source=source)
    managed = target.start(procs)
    assert managed is not None
    spec = target.request(_scenario("chat"))
    assert spec is not None
    result = wait_ready(target.base_url, spec, managed, target.startup_timeout_s)
    if result.status != 200:
        raise RuntimeError(f"{target.name} is not ready: {result.status} {managed.log_tail(500)}")
    return Side(target, managed.pid)


def measure(args: argparse.Namespace, folder: Path) -> tuple[Side, Side]:
    procs = Processes(nice=args.nice)
    try:
        port = free_port()
        argv = [sys.executable, "-m", "openclaw.testing.fake_upstream", "--port", str(port), "--no-record"]
        argv += ["--script", str(upstream_script(folder))]
        procs.start("upstream", argv, cpus=LOAD_CPU, log=folder / "upstream.log")
        a = _start(procs, folder, port, "", {})
        variant = "base" if args.b_source is not None else f"no-{args.name}"
        b = _start(procs, folder, port, variant, args.overlay_json, source=args.b_source)
        for round_no in range(args.rounds + 1):  # round 0 warms both up and is not kept
            pair = (a, b) if round_no % 2 == 0 else (b, a)
            for name in args.scenarios:
                for side in pair:
                    seconds = args.warmup if round_no == 0 else args.duration
                    keep = round_no > 0
                    side.drive(_scenario(name), seconds, folder, nice=args.nice, keep=keep, rate=args.rate)
            if round_no:
                print(f"round {round_no}/{args.rounds} done", file=sys.stderr, flush=True)
        return a, b
    finally:
        procs.stop_all()


def main() -> None:
    args = _parse()
    command = "python " + " ".join(sys.argv)
    with tempfile.TemporaryDirectory(prefix="gateway-ab-") as tmp:
        a, b = measure(args, Path(tmp))
    section = report(a, b, args, command)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    section += f"Load average when the run ended (1, 5, 15 min): {load}.\n"
    print(section)
    if args.append is not None:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)


if __name__ == "__main__":
    main()
