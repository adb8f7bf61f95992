"""Arithmetic of the report: medians, shares of direct, ratios, and the RSS trend of a soak."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "RssTrend",
    "foreign_by_cpu",
    "iqr_change",
    "linear_slope",
    "median",
    "median_ci",
    "median_ci_change",
    "parse_cpus",
    "ratio",
    "round_ratios",
    "rss_trend",
    "share",
]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def share(rps: float, direct_rps: float) -> float:
    """A proxy's throughput as a fraction of the direct upstream's (0 when direct is 0)."""
    return rps / direct_rps if direct_rps > 0 else 0.0


def ratio(ours: float, theirs: float) -> float | None:
    """``ours / theirs``; None when ``theirs`` is 0 (the report prints "∞" or "n/a")."""
    return ours / theirs if theirs > 0 else None


def parse_cpus(spec: str) -> list[int]:
    """CPU numbers of a taskset list such as ``"0"``, ``"0,2"`` or ``"0-3"``."""
    out: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


def foreign_by_cpu(busy: Sequence[float], usage: dict[str, float], placement: dict[str, str]) -> list[float]:
    """Per CPU, the busy fraction not explained by our processes (each pinned per ``placement``)."""
    ours = [0.0] * len(busy)
    for key, used in usage.items():
        cpus = [c for c in parse_cpus(placement[key]) if c < len(ours)]
        for cpu in cpus:
            ours[cpu] += used / len(cpus)
    return [max(0.0, b - o) for b, o in zip(busy, ours, strict=True)]


def linear_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ``ys`` over ``xs`` (0 with fewer than two distinct xs)."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


@dataclass(frozen=True)
class RssTrend:
    """RSS over a soak: samples are (requests done, RSS bytes)."""

    first_mb: float
    last_mb: float
    max_mb: float
    slope_mb_per_100k: float  # over the second half of the soak (after warm-up growth)
    requests: int

    def verdict(self, limit_mb: float, flat_mb_per_100k: float) -> str:
        under = self.max_mb < limit_mb
        flat = self.slope_mb_per_100k <= flat_mb_per_100k
        return "pass" if under and flat else "FAIL"


def rss_trend(samples: Sequence[tuple[int, int]]) -> RssTrend:
    """Summarise (requests, rss_bytes) samples; the slope uses the samples past half the requests."""
    if not samples:
        return RssTrend(0.0, 0.0, 0.0, 0.0, 0)
    mb = [(req, rss / 2**20) for req, rss in samples]
    total = mb[-1][0]
    tail = [(r, m) for r, m in mb if r >= total / 2] or mb
    slope = linear_slope([r for r, _ in tail], [m for _, m in tail]) * 100_000
    return RssTrend(
        first_mb=mb[0][1],
        last_mb=mb[-1][1],
        max_mb=max(m for _, m in mb),
        slope_mb_per_100k=slope,
        requests=total,
    )


def round_ratios(ours: Sequence[Sequence[float]], base: Sequence[Sequence[float]], col: int) -> list[float]:
    """Per-round ratios ``ours[i][col] / base[i][col]``: the two sides of one round share its
    drift, so the ratio cancels it."""
    return [a[col] / b[col] for a, b in zip(ours, base, strict=True)]


def iqr_change(ratios: Sequence[float]) -> str:
    """The interquartile range of ``ratios`` as per-cent changes, ``"-3.1…+4.0"`` (min…max when
    there are fewer than four)."""
    values = list(ratios)
    q = statistics.quantiles(values, n=4) if len(values) >= 4 else [min(values), 0.0, max(values)]
    return f"{(q[0] - 1) * 100:+.1f}…{(q[2] - 1) * 100:+.1f}"


def median_ci(values: Sequence[float]) -> tuple[float, float]:
    """A distribution-free ~95 % confidence interval of the median: the values of rank
    ``⌊n/2 − 0.98·√n⌋`` and ``⌈1 + n/2 + 0.98·√n⌉`` in sorted order (the binomial's normal
    approximation; 40th and 61st of 100), or min…max below 10 values. It says how well the
    median itself is known, where the IQR says how far single values scatter."""
    ordered = sorted(values)
    n = len(ordered)
    if n < 10:
        return ordered[0], ordered[-1]
    spread = 0.98 * math.sqrt(n)
    low = max(1, math.floor(n / 2 - spread))
    high = min(n, math.ceil(1 + n / 2 + spread))
    return ordered[low - 1], ordered[high - 1]


def median_ci_change(ratios: Sequence[float]) -> str:
    """:func:`median_ci` of ``ratios`` as per-cent changes, ``"-5.1…-2.9"``."""
    low, high = median_ci(ratios)
    return f"{(low - 1) * 100:+.1f}…{(high - 1) * 100:+.1f}"
