"""Text renderings of a usage :class:`~openclaw.cli.usage_data.Report`: table, CSV, day chart."""

from __future__ import annotations

import csv
import io

from ..usage.store import Aggregate
from .usage_data import Report, aggregate_json

__all__ = ["chart_text", "csv_text", "money", "table_text"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
_COLUMNS = ("REQS", "FAIL", "IN", "OUT", "CACHE R", "CACHE W", "COST", "ESTIMATED")


def money(value: float) -> str:
    if value == 0:
        return "$0"
    if abs(value) < 0.01:
        return f"${value:.6f}".rstrip("0")
    return f"${value:,.4f}"


def _cells(agg: Aggregate) -> list[str]:
    return [
        f"{agg.requests:,}",
        f"{agg.failures:,}",
        f"{agg.input_tokens:,}",
        f"{agg.output_tokens:,}",
        f"{agg.cache_read_tokens:,}",
        f"{agg.cache_write_tokens:,}",
        money(agg.cost),
        money(agg.cost_estimated),
    ]


def _cost_line(total: Aggregate) -> str:
    line = (
        f"Cost: {money(total.cost)} ({money(total.cost_reported)} reported by providers, "
        f"{money(total.cost_estimated)} estimated from catalog/config prices)"
    )
    if total.unpriced:
        line += f"; {total.unpriced} successful attempt(s) had no known price and are not counted"
    return line + "."


def table_text(report: Report) -> str:
    """The aligned table with a TOTAL row and a cost summary line."""
    head = f"Usage {report.window.describe()} (by {report.by}) - ledger: {report.store_label}"
    if report.empty_reason and not report.groups:
        return f"{head}\nNo usage recorded in this period ({report.empty_reason}).\n"
    if not report.groups:
        return f"{head}\nNo usage recorded in this period.\n"
    label = report.by.upper()
    rows = [[g.key or "-", *_cells(g)] for g in report.groups]
    rows.append(["TOTAL", *_cells(report.total)])
    header = [label, *_COLUMNS]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    widths[0] = min(widths[0], 60)

    def fmt(cells: list[str]) -> str:
        first = cells[0] if len(cells[0]) <= widths[0] else cells[0][: widths[0] - 3] + "..."
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first.ljust(widths[0]), *rest]).rstrip()

    rule = fmt(["-" * widths[0]] + [""] * 8)
    lines = [head, fmt(header), *(fmt(r) for r in rows[:-1]), rule, fmt(rows[-1])]
    total = report.total
    lines.append(
        f"Requests: {total.requests:,} ({total.attempts:,} attempts, {total.failures:,} failed); "
        f"reasoning tokens: {total.reasoning_tokens:,}"
    )
    lines.append(_cost_line(total))
    return "\n".join(lines) + "\n"


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = list(aggregate_json(Aggregate(None)))
    writer.writerow([report.by if k == "key" else k for k in keys])
    for group in report.groups:
        data = aggregate_json(group)
        writer.writerow([data[k] for k in keys])
    return out.getvalue()


def _bar(value: float, peak: float, width: int) -> str:
    if peak <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / peak * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def chart_text(report: Report, *, width: int = 50) -> str:
    """Spend per day as unicode bars (one line per day, newest last)."""
    days = report.days
    head = f"Spend per day, {report.window.describe()} - ledger: {report.store_label}"
    if not days:
        return f"{head}\nNo usage recorded in this period.\n"
    peak = max(d.cost for d in days)
    amounts = [money(d.cost) for d in days]
    money_width = max(len(a) for a in amounts)
    lines = [head]
    for day, amount in zip(days, amounts, strict=True):
        bar = _bar(day.cost, peak, width)
        extra = f"  {day.requests} req" if day.requests else ""
        lines.append(f"{day.key}  {amount.rjust(money_width)}  {bar}{extra}")
    lines.append(_cost_line(report.total))
    return "\n".join(lines) + "\n"
