"""Gateway benchmark: openclaw's gateway vs the fake upstream direct, Portkey's gateway and LiteLLM's proxy.

One command::

    python bench/gateway_bench.py [--quick] [--only openclaw,portkey] [--soak | --no-soak]

installs the baselines if missing (bench/.baselines/, git-ignored), then for each target in turn
starts a fresh fake upstream and the proxy (pinned: proxy on CPU1, wrk + upstream on CPU0; the
direct run puts the upstream on CPU1), checks it answers a real request, and drives it with wrk:
closed loop at 64 connections (non-streaming and streaming), a fixed 500 req/s for latency, and
for openclaw a soak of 100,000 requests with RSS samples. The measured runs go in rounds across
the scenarios, alternating their order, so a process's drift over its life is shared out evenly.
Everything started is stopped in a ``finally`` (process groups, bounded waits), also on Ctrl-C or SIGTERM.

Writes bench/results/gateway-<stamp>.raw/ (raw JSON, wrk output, server logs; git-ignored),
bench/results/gateway-summary.{md,json}, and the gateway section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import baselines
from lib.plan import ALL_TARGETS, Plan
from lib.procs import (
    Processes,
)
from lib.report import render_markdown, splice_section
from lib.runner import Factory, Runner, measure_target
from lib.stats import parse_cpus
from lib.summary import summarize
from lib.targets import (
    SCENARIOS,
    DirectTarget,
    LiteLLMTarget,
    OpenclawTarget,
    PortkeyTarget,
)
from lib.wrk import wrk_version

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
BASELINES = BENCH / ".baselines"
DOCS = REPO / "docs" / "benchmarks.md"
REPLY_WORDS = (
    "Hello! I am the fake upstream, answering this benchmark request in sixteen small streamed pieces today."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 s runs, 1 repetition, no soak (a smoke run)")
    p.add_argument(
        "--only", help=f"comma-separated targets out of {','.join(ALL_TARGETS)} (direct is always run)"
    )
    p.add_argument("--scenarios", help="comma-separated: " + ",".join(s.name for s in SCENARIOS))
    p.add_argument("--soak", action=argparse.BooleanOptionalAction, default=None, help="run the RSS soak")
    p.add_argument(
        "--profile", action="store_true", help="also sample openclaw with py-spy during a closed run"
    )
    p.add_argument("--soak-requests", type=int, help="requests in the soak (default 100000)")
    p.add_argument("--duration", type=float, help="seconds per measured run (default 10)")
    p.add_argument("--runs", type=int, help="repetitions per scenario (default 3)")
    p.add_argument("--rate", type=float, help="fixed rate for the latency runs (default 500 req/s)")
    p.add_argument(
        "--openclaw-variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="also measure openclaw with JSON laid over its config, as target openclaw-NAME (repeatable)",
    )
    p.add_argument(
        "--nice", type=int, help="priority of every benchmark process (default -20 as root, else 0)"
    )
    p.add_argument(
        "--from-raw", type=Path, metavar="RUN_DIR", help="only re-render the report of a saved run"
    )
    p.add_argument(
        "--no-docs", action="store_true", help="do not touch docs/benchmarks.md or the summary files"
    )
    return p.parse_args(argv)


def make_plan(args: argparse.Namespace) -> Plan:
    plan = Plan()
    if args.quick:
        plan.duration_s, plan.runs, plan.warmup_s, plan.soak = 3.0, 1, 1.0, False
    if args.only:
        wanted = [t.strip() for t in args.only.split(",") if t.strip()]
        unknown = set(wanted) - set(ALL_TARGETS)
        if unknown:
            raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
        plan.targets = ["direct", *[t for t in ALL_TARGETS[1:] if t in wanted]]
    if args.scenarios:
        plan.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        known = {s.name for s in SCENARIOS}
        if set(plan.scenarios) - known:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(set(plan.scenarios) - known))}")
    for item in args.openclaw_variant:
        name, _, raw = item.partition("=")
        if not name.replace("-", "_").isidentifier() or not raw:
            raise SystemExit(f"--openclaw-variant wants NAME=JSON, got {item!r}")
        plan.variants[name] = json.loads(raw)
        pos = plan.targets.index("openclaw") + 1 if "openclaw" in plan.targets else len(plan.targets)
        plan.targets.insert(pos, f"openclaw-{name}")
    plan.soak = plan.soak if args.soak is None else args.soak
    plan.profile = args.profile
    plan.soak = plan.soak and plan.soak_target in plan.targets
    for attr, value in (
        ("soak_requests", args.soak_requests),
        ("duration_s", args.duration),
        ("runs", args.runs),
        ("nice", args.nice),
        ("rate", args.rate),
    ):
        if value is not None:
            setattr(plan, attr, value)
    return plan


# --------------------------------------------------------------------------------- environment


def _cmd(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "unknown"
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    if done.returncode != 0:
        return "unknown"
    return lines[0] if lines else ""


def machine_description() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return f"{os.cpu_count()} cores ({model}), {mem_kb / 2**20:.0f} GB RAM, Linux {platform.release()}"


def repo_version() -> str:
    rev = _cmd(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = _cmd(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "src"])
    return f"{rev}{' (src modified)' if dirty not in ('', 'unknown') else ''}"


def base_versions() -> dict[str, str]:
    import aiohttp

    return {
        "openclaw": repo_version(),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "wrk": wrk_version(),
    }


def upstream_script(run_dir: Path) -> Path:
    words = REPLY_WORDS.split(" ")
    chunks = [w + " " for w in words[:-1]] + [words[-1]]
    path = run_dir / "upstream-script.json"
    path.write_text(json.dumps({"default": {"kind": "text", "chunks": chunks}}))
    return path


# ------------------------------------------------------------------------------------ measuring


def target_factory(name: str, plan: Plan, log: Callable[[str], None]) -> Factory:
    """How to build target ``name``; installs its baseline first when missing."""
    if name == "direct":
        return DirectTarget
    if name == "openclaw":
        return OpenclawTarget
    if name.startswith("openclaw-") and name.removeprefix("openclaw-") in plan.variants:
        variant = name.removeprefix("openclaw-")
        return functools.partial(OpenclawTarget, variant=variant, extra_config=plan.variants[variant])
    if name == "portkey":
        log("== setup: Portkey baseline")
        entry, node = baselines.ensure_portkey(BASELINES)
        return functools.partial(PortkeyTarget, entry=entry, node=node)
    if name == "litellm":
        log("== setup: LiteLLM baseline")
        return functools.partial(LiteLLMTarget, python=baselines.ensure_litellm(BASELINES))
    raise ValueError(f"unknown target {name}")


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run(plan: Plan, run_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    procs = Processes(nice=plan.nice)
    old = {s: signal.signal(s, _raise_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    targets: dict[str, Any] = {}
    try:
        runner = Runner(plan, procs, run_dir, upstream_script(run_dir), log)
        for name in plan.targets:
            try:
                targets[name] = measure_target(runner, name, target_factory(name, plan, log))
                save_json(run_dir / "targets.json", targets)
            except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
                log(f"!! {name} failed: {exc}")
                targets[name] = {
                    "error": str(exc),
                    "scenarios": {
                        s: {"status": f"failed: {str(exc).splitlines()[0][:150]}"} for s in plan.scenarios
                    },
                }
    finally:
        procs.stop_all()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return targets


def foreign_load_notes(targets: dict[str, Any], server_cpus: list[int]) -> list[str]:
    """How much CPU other processes used during the kept measured runs: on the server's core, overall."""
    on_server: tuple[float, str] = (0.0, "")
    overall: tuple[float, str] = (0.0, "")
    for name, data in targets.items():
        for scen, s in data.get("scenarios", {}).items():
            kinds = [("", run) for run in s.get("closed", [])] + [
                (", fixed rate", run) for run in s.get("fixed", [])
            ]
            for kind, run in kinds:
                where = f"{name} / {scen}{kind}"
                by_cpu = run.get("foreign_by_cpu", [])
                core = sum(by_cpu[c] for c in server_cpus if c < len(by_cpu))
                on_server = max(on_server, (float(core), where))
                overall = max(overall, (float(run.get("foreign_cpu", 0.0)), where))
    return [
        f"Other processes (other work on this shared machine) used up to {on_server[0]:.0%} of the "
        f"server's core during a kept run ({on_server[1] or 'none'}), and up to "
        f"{overall[0]:.0%} of a core over both CPUs ({overall[1] or 'none'}), mostly on wrk's core, "
        "where our processes have priority.",
    ]


def save_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def static_meta(plan: Plan, argv: list[str]) -> dict[str, Any]:
    """What is known before measuring: command, date, machine, base versions, layout, plan."""
    return {
        "command": "python bench/gateway_bench.py" + ("" if not argv else " " + shlex.join(argv)),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "versions": base_versions(),
        "layout": {"load_cpus": plan.load_cpus, "proxy_cpus": plan.proxy_cpus},
        "plan": asdict(plan),
        "reply": f"a {len(REPLY_WORDS.split())}-piece text answer (streamed as that many content chunks "
        "plus role, finish, usage and [DONE] events)",
    }


def build_meta(static: dict[str, Any], targets: dict[str, Any]) -> dict[str, Any]:
    """``static`` plus what the run found: each target's versions and notes on failures and load."""
    versions = dict(static["versions"])
    for data in targets.values():
        versions.update(data.get("versions", {}))
    notes = [f"{name}: {data['error'].splitlines()[0]}" for name, data in targets.items() if "error" in data]
    for name, data in targets.items():
        for scen, s in data.get("scenarios", {}).items():
            if str(s.get("status", "")).startswith("failed"):
                notes.append(f"{name} / {scen}: sanity request {s.get('sanity', s['status'])[:300]}")
    notes += foreign_load_notes(targets, parse_cpus(static["layout"]["proxy_cpus"]))
    return {**static, "versions": versions, "notes": notes}


def write_outputs(run_dir: Path, meta: dict[str, Any], targets: dict[str, Any], update_docs: bool) -> str:
    summary = summarize({n: t for n, t in targets.items() if "scenarios" in t})
    soak_data = next((t["soak"] for t in targets.values() if "soak" in t), None)
    profiles = {
        f"{name} / {scen}": s["profile"]
        for name, t in targets.items()
        for scen, s in t.get("scenarios", {}).items()
        if "profile" in s
    }
    markdown = render_markdown(meta, summary, soak_data, profiles)
    raw = {"meta": meta, "targets": targets, "summary": summary}
    (run_dir / "results.json").write_text(json.dumps(raw, indent=2, default=str))
    (run_dir / "summary.md").write_text(markdown)
    if update_docs:
        slim_soak = {k: v for k, v in (soak_data or {}).items() if k not in ("rss_timeline",)}
        (RESULTS / "gateway-summary.json").write_text(
            json.dumps({"meta": meta, "summary": summary, "soak": slim_soak or None}, indent=2, default=str)
            + "\n"
        )
        (RESULTS / "gateway-summary.md").write_text(markdown)
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        document = DOCS.read_text() if DOCS.exists() else ""
        DOCS.write_text(splice_section(document, markdown))
    return markdown


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.from_raw is not None:
        return rerender(args.from_raw, update_docs=not args.no_docs)
    plan = make_plan(args)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = RESULTS / f"gateway-{stamp}.raw"
    run_dir.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, file=sys.stderr, flush=True)
        with (run_dir / "bench.log").open("a") as fh:
            fh.write(line + "\n")

    log(f"plan: {asdict(plan)}; raw results in {run_dir}")
    static = static_meta(plan, argv)
    save_json(run_dir / "meta.json", static)
    targets = run(plan, run_dir, log)
    save_json(run_dir / "targets.json", targets)
    markdown = write_outputs(run_dir, build_meta(static, targets), targets, update_docs=not args.no_docs)
    print(markdown)
    return 1 if any("error" in t for t in targets.values()) else 0


def rerender(run_dir: Path, update_docs: bool) -> int:
    """Write the summary and docs again from a run's saved meta.json and targets.json."""
    static = json.loads((run_dir / "meta.json").read_text())
    targets = json.loads((run_dir / "targets.json").read_text())
    print(write_outputs(run_dir, build_meta(static, targets), targets, update_docs=update_docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
