"""What ``openclaw usage`` shows, gathered once: the time window, totals, groups, days.

Time arguments: a duration back from now (``30m``, ``24h``, ``7d``, ``2w``), a date
(``2026-11-01``, local midnight; as ``--until`` the whole day is included), a local date-time
(``2026-11-01T14:00``), or ``today``/``yesterday``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import InputError
from ..usage.store import Aggregate, SqlStore

__all__ = ["GROUP_CHOICES", "Report", "Window", "gather", "parse_window", "utc_offset"]

GROUP_CHOICES = ("model", "provider", "agent", "key", "day", "profile")
DEFAULT_SINCE = "30d"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class Window:
    since: float | None
    until: float | None

    def describe(self) -> str:
        start = "the beginning" if self.since is None else _stamp(self.since)
        end = "now" if self.until is None else _stamp(self.until)
        return f"{start} to {end}"


def _stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _midnight(day: datetime) -> float:
    return day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def parse_time(text: str, *, now: float, end_of_day: bool = False, option: str = "--since") -> float:
    """One time argument as epoch seconds (see the module docstring)."""
    raw = text.strip()
    lowered = raw.lower()
    today = datetime.fromtimestamp(now)
    if lowered in ("today", "yesterday"):
        day = today if lowered == "today" else today - timedelta(days=1)
        start = _midnight(day)
        return start + 86400 if end_of_day else start
    match = _DURATION.match(raw)
    if match:
        return now - float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f'{option} "{text}" is not a time. Use a duration (24h, 7d, 2w), a date (2026-11-01) '
            "or a date-time (2026-11-01T14:00).",
            param=option,
        ) from None
    if len(raw) == 10 and end_of_day:
        return _midnight(parsed + timedelta(days=1))
    return parsed.timestamp()


def parse_window(since: str | None, until: str | None, *, now: float | None = None) -> Window:
    stamp = time.time() if now is None else now
    start = parse_time(since or DEFAULT_SINCE, now=stamp) if since != "all" else None
    end = parse_time(until, now=stamp, end_of_day=True, option="--until") if until else None
    if start is not None and end is not None and end <= start:
        raise InputError("--until must be after --since.", param="--until")
    return Window(start, end)


def utc_offset(at: float | None = None) -> int:
    """Seconds east of UTC of the local zone (at ``at``), for day grouping."""
    local = time.localtime(time.time() if at is None else at)
    return int(local.tm_gmtoff)


@dataclass(slots=True)
class Report:
    window: Window
    by: str
    store_label: str
    total: Aggregate
    groups: list[Aggregate] = field(default_factory=list)
    days: list[Aggregate] = field(default_factory=list)
    empty_reason: str | None = None  # "no ledger yet", "ledger is off"

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.window.since,
            "until": self.window.until,
            "by": self.by,
            "store": self.store_label,
            "total": aggregate_json(self.total),
            "groups": [aggregate_json(g) for g in self.groups],
        }


def aggregate_json(agg: Aggregate) -> dict[str, Any]:
    return {
        "key": agg.key,
        "requests": agg.requests,
        "attempts": agg.attempts,
        "failures": agg.failures,
        "inputTokens": agg.input_tokens,
        "outputTokens": agg.output_tokens,
        "cacheReadTokens": agg.cache_read_tokens,
        "cacheWriteTokens": agg.cache_write_tokens,
        "reasoningTokens": agg.reasoning_tokens,
        "cost": round(agg.cost, 10),
        "costReported": round(agg.cost_reported, 10),
        "costEstimated": round(agg.cost_estimated, 10),
        "unpriced": agg.unpriced,
    }


def gather(store: SqlStore | None, window: Window, by: str, label: str, *, days: bool = False) -> Report:
    """Query the ledger (``store`` None: nothing recorded yet)."""
    if store is None:
        return Report(window, by, label, Aggregate(None), empty_reason="no usage recorded yet")
    offset = utc_offset()
    since, until = window.since, window.until
    report = Report(
        window,
        by,
        label,
        total=store.aggregate(None, since=since, until=until)[0],
        groups=store.aggregate(by, since=since, until=until, utc_offset=offset),
    )
    if days:
        report.days = fill_days(store.aggregate("day", since=since, until=until, utc_offset=offset), window)
    if by != "day":
        report.groups.sort(key=lambda a: (-a.cost, -a.attempts, a.key or ""))
    return report


def fill_days(days: list[Aggregate], window: Window) -> list[Aggregate]:
    """Every day of the window (zeros where nothing happened), oldest first."""
    if not days and window.since is None:
        return []
    known = {a.key: a for a in days if a.key is not None}
    first = min(known) if window.since is None else time.strftime("%Y-%m-%d", time.localtime(window.since))
    end_ts = time.time() if window.until is None else window.until - 1
    last = max([time.strftime("%Y-%m-%d", time.localtime(end_ts)), *known])
    out: list[Aggregate] = []
    day = datetime.strptime(first, "%Y-%m-%d")
    stop = datetime.strptime(last, "%Y-%m-%d")
    while day <= stop and len(out) < 3660:
        key = day.strftime("%Y-%m-%d")
        out.append(known.get(key, Aggregate(key)))
        day += timedelta(days=1)
    return out
