"""Sample a Python server with py-spy while wrk loads it, and rank where its CPU time goes.

py-spy (``pip install py-spy``) writes collapsed stacks (``frame;frame;frame COUNT`` per line,
``--format raw``); :func:`top_frames` ranks frames by self time (the innermost frame of a sample)
and by inclusive time (any frame of a sample, counted once per sample).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .procs import pinned, set_autogroup_nice

__all__ = ["FrameCost", "parse_collapsed", "pyspy_available", "start_pyspy", "top_frames"]


@dataclass(frozen=True)
class FrameCost:
    frame: str
    self_pct: float
    total_pct: float


def pyspy_available() -> bool:
    return shutil.which("py-spy") is not None


def start_pyspy(pid: int, out: Path, duration_s: float, *, cpus: str, nice: int) -> subprocess.Popen[bytes]:
    """Start ``py-spy record`` (raw collapsed output, non-blocking, idle frames dropped) on ``pid``."""
    argv = [
        "py-spy", "record", "--pid", str(pid), "--duration", str(max(1, round(duration_s))),
        "--rate", "200", "--format", "raw", "--nonblocking", "--output", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(
        pinned(argv, cpus, nice), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    set_autogroup_nice(proc.pid, nice)
    return proc


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    """``frame;frame;... COUNT`` lines as (frames outermost first, count)."""
    out: list[tuple[list[str], int]] = []
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():
            out.append((stack.split(";"), int(count)))
    return out


def top_frames(stacks: list[tuple[list[str], int]], limit: int = 20) -> list[FrameCost]:
    """The ``limit`` costliest frames by self time, with their inclusive time, in % of all samples."""
    total = sum(count for _, count in stacks)
    if total == 0:
        return []
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return [
        FrameCost(frame, 100.0 * n / total, 100.0 * inclusive[frame] / total)
        for frame, n in own.most_common(limit)
    ]
