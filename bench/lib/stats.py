"""Arithmetic of the report: medians, shares of direct, ratios, and the RSS trend of a soak."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RssTrend", "linear_slope", "median", "ratio", "rss_trend", "share"]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def share(rps: float, direct_rps: float) -> float:
    """A proxy's throughput as a fraction of the direct upstream's (0 when direct is 0)."""
    return rps / direct_rps if direct_rps > 0 else 0.0


def ratio(ours: float, theirs: float) -> float | None:
    """``ours / theirs``; None when ``theirs`` is 0 (the report prints "∞" or "n/a")."""
    return ours / theirs if theirs > 0 else None


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
