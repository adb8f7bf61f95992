"""Measuring one target: readiness, sanity, warm-up, closed-loop and fixed-rate runs, soak, profile.

Each measured run records, besides wrk's figures, the CPU used by the server under test, the fake
upstream and wrk, and what other processes used on each core (a shared machine); a run (closed loop
or fixed rate) during which other processes took the server's core is measured again.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .lua import RequestSpec, render_script
from .plan import MAX_ATTEMPTS, MAX_FOREIGN_CPU, SOAK_FLAT_MB_PER_100K, SOAK_LIMIT_MB, Plan
from .probe import looks_valid, probe, wait_ready
from .procs import (
    Managed,
    Processes,
    cpu_busy_seconds,
    free_port,
    listening_hosts,
    signal_group,
    tree_cpu_seconds,
    tree_rss_bytes,
    tree_wait_seconds,
)
from .profile import parse_collapsed, pyspy_available, start_pyspy, top_frames
from .stats import foreign_by_cpu, parse_cpus, rss_trend
from .targets import SCENARIOS, Context, DirectTarget, Scenario, Target, clean_env
from .wrk import WrkResult, run_wrk, wrk_command

__all__ = ["Factory", "Runner", "measure_target"]

Factory = Callable[[Context], Target]


@dataclass
class Runner:
    plan: Plan
    procs: Processes
    run_dir: Path
    script: Path
    log: Callable[[str], None]
    counter: int = 0

    def start_upstream(self, cpus: str) -> tuple[Managed, int]:
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "openclaw.testing.fake_upstream",
            "--port",
            str(port),
            "--no-record",
            "--script",
            str(self.script),
        ]
        managed = self.procs.start(
            "upstream", argv, cpus=cpus, log=self.run_dir / f"upstream-{port}.log", env=clean_env()
        )
        return managed, port

    def wrk(
        self,
        target: Target,
        spec: RequestSpec,
        label: str,
        *,
        duration: float,
        connections: int,
        rate: float = 0.0,
    ) -> WrkResult:
        self.counter += 1
        stem = f"{self.counter:03d}-{target.name}-{label}"
        script = self.run_dir / "lua" / f"{stem}.lua"
        script.parent.mkdir(exist_ok=True)
        (self.run_dir / "wrk").mkdir(exist_ok=True)
        script.write_text(render_script(spec, rate_per_thread=rate, label=stem))
        argv = wrk_command(
            target.base_url + spec.path,
            script,
            cpus=self.plan.load_cpus,
            connections=connections,
            duration_s=duration,
            nice=self.plan.nice,
        )
        return run_wrk(argv, duration, log=self.run_dir / "wrk" / f"{stem}.txt", nice=self.plan.nice)

    def measured(
        self,
        target: Target,
        spec: RequestSpec,
        label: str,
        *,
        pids: dict[str, tuple[int, str]],
        connections: int,
        rate: float = 0.0,
    ) -> dict[str, Any]:
        """A measured run, repeated (up to MAX_ATTEMPTS) while other processes use the server's core.

        Of the attempts, the least disturbed one is kept; the row says how many there were.
        """
        server_cpus = parse_cpus(self.plan.proxy_cpus)  # the proxy's, or the upstream's in the direct run
        best: dict[str, Any] | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            row = self._measure_once(target, spec, label, pids=pids, connections=connections, rate=rate)
            row["server_core_foreign"] = round(sum(row["foreign_by_cpu"][c] for c in server_cpus), 3)
            if best is None or row["server_core_foreign"] < best["server_core_foreign"]:
                best = {**row}
            if not disturbed(row, server_cpus) or attempt == MAX_ATTEMPTS:
                break
            self.log(f"  (other processes took {row['server_core_foreign']:.0%} of the server's core: again)")
        assert best is not None
        best["attempts"] = attempt
        return best

    def _measure_once(
        self,
        target: Target,
        spec: RequestSpec,
        label: str,
        *,
        pids: dict[str, tuple[int, str]],
        connections: int,
        rate: float,
    ) -> dict[str, Any]:
        """One wrk run plus the CPU used meanwhile by the proxy, the upstream, wrk and everything else."""
        before = {k: tree_cpu_seconds(pid) for k, (pid, _) in pids.items()}
        waited = {k: tree_wait_seconds(pid) for k, (pid, _) in pids.items()}
        busy_before = cpu_busy_seconds()
        result = self.wrk(
            target, spec, label, duration=self.plan.duration_s, connections=connections, rate=rate
        )
        row = result.to_json()
        usage = {k: (tree_cpu_seconds(pid) - before[k]) / result.duration_s for k, (pid, _) in pids.items()}
        usage["wrk"] = result.wrk_cpu_s / result.duration_s
        for key, used in usage.items():
            row[f"{key}_cpu"] = round(used, 3)
        for key, (pid, _) in pids.items():
            row[f"{key}_wait"] = round((tree_wait_seconds(pid) - waited[key]) / result.duration_s, 4)
        busy = [(b - a) / result.duration_s for a, b in zip(busy_before, cpu_busy_seconds(), strict=True)]
        placement = {k: cpus for k, (_, cpus) in pids.items()} | {"wrk": self.plan.load_cpus}
        row["cpu_busy"] = [round(b, 3) for b in busy]
        row["foreign_by_cpu"] = [round(f, 3) for f in foreign_by_cpu(busy, usage, placement)]
        row["ours_by_cpu"] = [round(b - f, 3) for b, f in zip(busy, row["foreign_by_cpu"], strict=True)]
        row["foreign_cpu"] = round(sum(row["foreign_by_cpu"]), 3)
        self.log(
            f"  {target.name:8s} {label:28s} {result.good_rps:10,.0f} req/s (2xx)  "
            f"non-2xx {result.status_errors:,}  p50 {result.latency_us.get('p50', 0) / 1000:.2f} ms  "
            f"p99 {result.latency_us.get('p99', 0) / 1000:.2f} ms  other load {row['foreign_cpu']:.0%}  "
            f"run-queue wait {max(row[f'{k}_wait'] for k in pids):.1%}"
        )
        return row


def disturbed(row: dict[str, Any], server_cpus: list[int]) -> bool:
    """Other processes took more than MAX_FOREIGN_CPU of a core the server under test is pinned to.

    (Other work on wrk's core mostly fills idle time, as our processes run at a higher priority.
    Run-queue wait is recorded too, but multi-threaded servers wait on their own threads.)
    """
    foreign = row["foreign_by_cpu"]
    return any(foreign[c] > MAX_FOREIGN_CPU for c in server_cpus if c < len(foreign))


def _scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


def check_loopback_only(name: str, port: int) -> str:
    hosts = listening_hosts(port)
    wild = {h for h in hosts if h in ("0.0.0.0", "::")}
    if wild:
        raise RuntimeError(f"{name} listens on {sorted(wild)} port {port}; it must bind 127.0.0.1 only")
    return ",".join(sorted(hosts))


def sanity(target: Target, scenario: Scenario, spec: RequestSpec) -> tuple[str, str]:
    """(status, detail) of one real request: ok / n/a (404, 405) / failed: HTTP ..."""
    result = probe(target.base_url, spec, timeout_s=30)
    if looks_valid(result, scenario.stream):
        return "ok", result.summary(200)
    if result.status in (404, 405):
        return "n/a", f"unsupported here: {result.summary(200)}"
    return f"failed: {result.summary(120)}", result.summary(600)


def round_order(names: list[str], round_index: int) -> list[str]:
    """The scenarios of one round: forward in even rounds, reversed in odd ones.

    A gateway process gets slightly slower over its life (measured: ~0.1 ms added p50 at 500
    req/s between the first and the second scenario of a run), so a scenario always measured after
    another would carry that drift as if it were its own cost. Interleaving the rounds and
    alternating their order gives every scenario runs early and late in the process's life.
    """
    return list(reversed(names)) if round_index % 2 else list(names)


def run_scenarios(
    runner: Runner, target: Target, names: list[str], pids: dict[str, tuple[int, str]]
) -> dict[str, dict[str, Any]]:
    """Sanity and warm-up per scenario, then closed-loop and fixed-rate rounds across scenarios."""
    plan = runner.plan
    results: dict[str, dict[str, Any]] = {}
    specs: dict[str, RequestSpec] = {}
    for name in names:
        out, spec = _prepare(runner, target, _scenario(name))
        results[name] = out
        if spec is not None:
            specs[name] = spec
    active = [n for n in names if n in specs]
    for name in active:
        runner.wrk(
            target, specs[name], f"{name}-warmup", duration=plan.warmup_s, connections=plan.connections
        )
    for i in range(plan.runs):
        for name in round_order(active, i):
            label = f"{name}-closed{i + 1}"
            row = runner.measured(target, specs[name], label, pids=pids, connections=plan.connections)
            results[name]["closed"].append(row)
    for i in range(plan.runs):
        for name in round_order(active, i):
            label = f"{name}-rate{i + 1}"
            row = runner.measured(
                target, specs[name], label, pids=pids, connections=plan.rate_connections, rate=plan.rate
            )
            results[name]["fixed"].append(row)
    if plan.profile and target.name == "openclaw" and "proxy" in pids:
        for name in active:
            results[name]["profile"] = profiled_run(runner, target, specs[name], name, pids["proxy"][0])
    return results


def _prepare(runner: Runner, target: Target, scenario: Scenario) -> tuple[dict[str, Any], RequestSpec | None]:
    """The scenario's result skeleton and its request, or None when this target cannot serve it."""
    spec = target.request(scenario)
    if spec is None:
        return {"status": "n/a", "sanity": "no request shape for this target"}, None
    status, detail = sanity(target, scenario, spec)
    runner.log(f"  {target.name:8s} {scenario.name:28s} sanity: {status}")
    if status == "n/a":
        return {"status": status, "sanity": detail}, None
    return {"status": status, "sanity": detail, "closed": [], "fixed": []}, spec


def profiled_run(
    runner: Runner, target: Target, spec: RequestSpec, scenario: str, pid: int
) -> dict[str, Any]:
    """One more closed-loop run with py-spy sampling the proxy; returns the costliest frames."""
    plan = runner.plan
    if not pyspy_available():
        return {"error": "py-spy is not installed (pip install py-spy)"}
    folder = runner.run_dir / "profiles"
    folder.mkdir(exist_ok=True)
    out = folder / f"{target.name}-{scenario}.collapsed.txt"
    spy = start_pyspy(pid, out, plan.duration_s, cpus=plan.load_cpus, nice=plan.nice)
    try:
        time.sleep(0.5)  # let py-spy attach before the load starts
        result = runner.wrk(
            target, spec, f"{scenario}-profiled", duration=plan.duration_s, connections=plan.connections
        )
        spy.wait(timeout=plan.duration_s + 30)
    finally:
        if spy.poll() is None:
            signal_group(spy.pid, signal.SIGKILL)
            spy.wait(timeout=10)
    if not out.exists():
        return {"error": (spy.stderr.read().decode(errors="replace") if spy.stderr else "")[-500:]}
    stacks = parse_collapsed(out.read_text())
    top = top_frames(stacks, 25)
    runner.log(
        f"  {target.name} {scenario} profile: " + "; ".join(f"{f.frame} {f.self_pct:.1f}%" for f in top[:5])
    )
    return {
        "file": str(out.relative_to(runner.run_dir)),
        "samples": sum(n for _, n in stacks),
        "rps_while_profiling": round(result.good_rps, 1),
        "top": [asdict(f) for f in top],
    }


def measure_target(runner: Runner, name: str, factory: Factory) -> dict[str, Any]:
    plan = runner.plan
    is_direct = name == "direct"
    upstream, up_port = runner.start_upstream(plan.proxy_cpus if is_direct else plan.load_cpus)
    try:
        ctx = Context(up_port, runner.run_dir, plan.proxy_cpus, up_port if is_direct else free_port())
        target = factory(ctx)
        runner.log(f"== {target.name}: starting")
        wait_ready(ctx.upstream_root, DirectTarget(ctx).request(_scenario("chat")) or _never(), upstream, 30)
        managed = target.start(runner.procs)
        try:
            return _measure_started(runner, target, managed, upstream)
        finally:
            if managed is not None:
                runner.procs.stop(managed)
    finally:
        runner.procs.stop(upstream)


def _never() -> RequestSpec:
    raise RuntimeError("the direct target has no chat request")


def _measure_started(
    runner: Runner, target: Target, managed: Managed | None, upstream: Managed
) -> dict[str, Any]:
    plan = runner.plan
    first = target.request(_scenario("chat")) or _never()
    started = time.monotonic()
    ready = wait_ready(target.base_url, first, managed, target.startup_timeout_s)
    result: dict[str, Any] = {
        "startup_s": round(time.monotonic() - started, 2),
        "first_answer": ready.summary(200),
    }
    server = managed if managed is not None else upstream
    result["listening_on"] = check_loopback_only(target.name, target.ctx.port)
    result["versions"] = target.versions()
    if managed is None:
        pids = {"upstream": (upstream.pid, plan.proxy_cpus)}
    else:
        pids = {"proxy": (managed.pid, plan.proxy_cpus), "upstream": (upstream.pid, plan.load_cpus)}
    runner.log(f"== {target.name}: ready in {result['startup_s']} s on {result['listening_on']}")
    result["scenarios"] = run_scenarios(runner, target, plan.scenarios, pids)
    result["rss_mb_after_scenarios"] = round(tree_rss_bytes(server.pid) / 2**20, 1)
    if plan.soak and target.name == plan.soak_target:
        result["soak"] = soak(runner, target, server)
    if managed is not None and not managed.alive():
        raise RuntimeError(f"{target.name} died during the run:\n{managed.log_tail()}")
    return result


# ----------------------------------------------------------------------------------------- soak


class RssSampler(threading.Thread):
    """Reads the RSS of a process tree every ``every_s`` seconds until stopped."""

    def __init__(self, pid: int, every_s: float) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.every_s = pid, every_s
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self._stop_event.is_set():
            self.samples.append((round(time.monotonic() - start, 2), tree_rss_bytes(self.pid)))
            self._stop_event.wait(self.every_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def soak(runner: Runner, target: Target, server: Managed) -> dict[str, Any]:
    plan = runner.plan
    names = [n for n in ("chat", "chat-stream") if n in plan.scenarios] or ["chat"]
    specs = [(n, target.request(_scenario(n)) or _never()) for n in names]
    slice_s, sample_every = 2.0, 0.5
    runner.log(
        f"== soak: {plan.soak_requests:,} requests on {target.name}, {slice_s:.0f} s slices of {names}"
    )
    done, non2xx, boundaries = 0, 0, [(0, tree_rss_bytes(server.pid))]
    sampler = RssSampler(server.pid, sample_every)
    sampler.start()
    deadline = time.monotonic() + 30 * 60
    try:
        while done < plan.soak_requests and time.monotonic() < deadline:
            name, spec = specs[len(boundaries) % len(specs)]
            result = runner.wrk(target, spec, f"soak-{name}", duration=slice_s, connections=plan.connections)
            done += result.requests
            non2xx += result.status_errors
            boundaries.append((done, tree_rss_bytes(server.pid)))
    finally:
        sampler.stop()
    trend = rss_trend(boundaries[1:])
    peak_mb = max([trend.max_mb] + [rss / 2**20 for _, rss in sampler.samples])
    verdict = trend.verdict(SOAK_LIMIT_MB, SOAK_FLAT_MB_PER_100K)
    if peak_mb >= SOAK_LIMIT_MB:
        verdict = "FAIL"
    if done < plan.soak_requests:
        verdict = "incomplete"
    runner.log(
        f"== soak: {done:,} requests; RSS {trend.first_mb:.1f} -> {trend.last_mb:.1f} MB "
        f"(peak {peak_mb:.1f}, slope {trend.slope_mb_per_100k:+.2f} MB/100k): {verdict}"
    )
    return {
        "target": target.name,
        "requests": done,
        "non2xx": non2xx,
        "scenarios": names,
        "slice_s": slice_s,
        "connections": plan.connections,
        "sample_every_s": sample_every,
        "limit_mb": SOAK_LIMIT_MB,
        "flat_mb_per_100k": SOAK_FLAT_MB_PER_100K,
        "trend": asdict(trend),
        "verdict": verdict,
        "rss_at_requests": boundaries,
        "rss_timeline": sampler.samples,
        "peak_mb": round(peak_mb, 1),
    }


# ----------------------------------------------------------------------------------------- main
