"""Run wrk (pinned with taskset) and parse what it prints.

The generated Lua script's ``done()`` prints a ``BENCH_JSON {...}`` line; that is the primary
source. wrk's own text summary ("Requests/sec:", "Non-2xx or 3xx responses:") is parsed as a
cross-check and as a fallback when the JSON line is missing.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .procs import pinned, set_autogroup_nice, signal_group

__all__ = ["WrkResult", "parse_wrk_output", "run_wrk", "wrk_command", "wrk_version"]

_JSON_PREFIX = "BENCH_JSON "
_RPS_RE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_TOTAL_RE = re.compile(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m),", re.MULTILINE)
_NON2XX_RE = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE)
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class WrkResult:
    """Totals of one wrk run. ``good`` responses are 2xx/3xx ones."""

    duration_s: float
    requests: int
    status_errors: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    latency_us: dict[str, float] = field(default_factory=dict)
    wrk_cpu_s: float = 0.0

    @property
    def good(self) -> int:
        return max(0, self.requests - self.status_errors)

    @property
    def good_rps(self) -> float:
        return self.good / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "requests": self.requests,
            "status_errors": self.status_errors,
            "socket_errors": self.socket_errors,
            "good_rps": round(self.good_rps, 1),
            "rps": round(self.rps, 1),
            "latency_us": self.latency_us,
            "wrk_cpu_s": round(self.wrk_cpu_s, 3),
        }


def _from_json_line(line: str) -> WrkResult:
    data = json.loads(line[len(_JSON_PREFIX) :])
    errors = dict(data["errors"])
    lat = data["latency_us"]
    latency: dict[str, float] = {k: float(lat[k]) for k in ("min", "max", "mean", "stdev")}
    for pct, value in lat["percentiles"].items():
        latency[f"p{pct}"] = float(value)
    return WrkResult(
        duration_s=data["duration_us"] / 1e6,
        requests=int(data["requests"]),
        status_errors=int(errors.pop("status")),
        socket_errors={k: int(v) for k, v in errors.items()},
        latency_us=latency,
    )


def _from_text(text: str) -> WrkResult:
    total = _TOTAL_RE.search(text)
    if total is None:
        raise ValueError("wrk output has neither a BENCH_JSON line nor a request total")
    requests = int(total.group(1))
    duration = float(total.group(2)) * _UNIT_S[total.group(3)]
    non2xx = _NON2XX_RE.search(text)
    sock = _SOCKET_RE.search(text)
    socket_errors: dict[str, int] = {}
    if sock is not None:
        socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)
        )
    return WrkResult(
        duration_s=duration,
        requests=requests,
        status_errors=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=socket_errors,
    )


def parse_wrk_output(text: str) -> WrkResult:
    """Parse wrk's stdout: the BENCH_JSON line when present, else wrk's text summary."""
    for line in text.splitlines():
        if line.startswith(_JSON_PREFIX):
            return _from_json_line(line)
    return _from_text(text)


def wrk_command(
    url: str,
    script: Path,
    *,
    cpus: str,
    connections: int,
    duration_s: float,
    threads: int = 1,
    timeout_s: int = 10,
    nice: int = 0,
) -> list[str]:
    """The argv: wrk pinned to ``cpus`` (at priority ``nice``) with latency stats and the script."""
    wrk = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    return pinned(wrk, cpus, nice)


def run_wrk(argv: list[str], duration_s: float, log: Path | None = None, nice: int = 0) -> WrkResult:
    """Run wrk (bounded by its duration + 60 s) and parse the result; raise with its output on failure.

    wrk gets its own session, and so its own scheduler autogroup, whose priority is set to ``nice``.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        set_autogroup_nice(proc.pid, nice)
        stdout, stderr = proc.communicate(timeout=duration_s + 60)
    finally:
        if proc.poll() is None:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if log is not None:
        log.write_text(f"$ {' '.join(argv)}\n{stdout}\n--- stderr ---\n{stderr}")
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr.strip() or stdout.strip()}")
    result = parse_wrk_output(stdout)
    result.wrk_cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"
