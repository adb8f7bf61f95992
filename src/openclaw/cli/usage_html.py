"""``openclaw usage report --html out.html``: one self-contained page (inline CSS and SVG, no
scripts, no external URLs) with spend per day, cost per model and the totals tables.

Every value that came from the ledger (model names, keys) is HTML-escaped.
"""

from __future__ import annotations

import html
import time

from ..usage.store import Aggregate
from .usage_data import Report
from .usage_render import money

__all__ = ["REPORTED_COLOR", "render_html"]

REPORTED_COLOR = "#4f46e5"  # provider-reported cost
ESTIMATED_COLOR = "#f59e0b"  # estimated from prices
_TABLE_COLUMNS = ("Requests", "Failed", "Input", "Output", "Cache read", "Cache write", "Cost", "Estimated")
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px 32px;color:#1f2937;
background:#ffffff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#6b7280;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#6b7280;font-size:12px}
table{border-collapse:collapse;font-size:13px;margin-top:6px}
th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
svg text{font-size:11px;fill:#4b5563}
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _day_chart(days: list[Aggregate], *, width: int = 1000, height: int = 260) -> str:
    """Stacked bars per day: reported (indigo) under estimated (amber)."""
    if not days:
        return '<p class="sub">No usage recorded in this period.</p>'
    left, bottom, top = 70, 40, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(d.cost for d in days) or 1.0
    step = plot_w / len(days)
    bar_w = max(step * 0.7, 1.0)
    parts = [f'<svg role="img" aria-label="Spend per day" width="{width}" height="{height}">']
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        tick = _esc(money(peak * i / 4))
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    label_every = max(1, len(days) // 12)
    for i, day in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
        y_base = float(top + plot_h)
        stack = ((day.cost_reported, REPORTED_COLOR), (day.cost - day.cost_reported, ESTIMATED_COLOR))
        for value, color in stack:
            if value <= 0:
                continue
            h = max(plot_h * value / peak, 1.0)
            y_base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y_base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{_esc(day.key)}: {_esc(money(value))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{_esc((day.key or '')[5:])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _model_bars(groups: list[Aggregate], *, width: int = 1000) -> str:
    """Horizontal bars: cost per group (top 12)."""
    top = [g for g in groups if g.cost > 0][:12]
    if not top:
        return '<p class="sub">No priced usage in this period.</p>'
    row_h, label_w = 24, 360
    peak = max(g.cost for g in top)
    height = row_h * len(top) + 8
    parts = [f'<svg role="img" aria-label="Cost per model" width="{width}" height="{height}">']
    for i, g in enumerate(top):
        y = 4 + i * row_h
        w = max((width - label_w - 120) * g.cost / peak, 1.0)
        name = g.key or "-"
        name = name if len(name) <= 52 else name[:49] + "..."
        parts.append(f'<text x="0" y="{y + 15}">{_esc(name)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{REPORTED_COLOR}"'
            f' opacity="0.85"/>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{_esc(money(g.cost))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(title: str, groups: list[Aggregate]) -> str:
    titles = (title, *_TABLE_COLUMNS)
    head = "".join(f"<th>{h}</th>" for h in titles)
    rows = []
    for g in groups:
        cells = (
            g.key or "-",
            f"{g.requests:,}",
            f"{g.failures:,}",
            f"{g.input_tokens:,}",
            f"{g.output_tokens:,}",
            f"{g.cache_read_tokens:,}",
            f"{g.cache_write_tokens:,}",
            money(g.cost),
            money(g.cost_estimated),
        )
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cards(total: Aggregate) -> str:
    cards = (
        ("Total cost", money(total.cost)),
        ("Reported by providers", money(total.cost_reported)),
        ("Estimated from prices", money(total.cost_estimated)),
        ("Requests", f"{total.requests:,}"),
        ("Failed attempts", f"{total.failures:,}"),
        ("Input tokens", f"{total.input_tokens:,}"),
        ("Output tokens", f"{total.output_tokens:,}"),
        ("Cache read / write", f"{total.cache_read_tokens:,} / {total.cache_write_tokens:,}"),
    )
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>' for k, v in cards)
        + "</div>"
    )


def render_html(report: Report, *, by_provider: list[Aggregate]) -> str:
    """The whole page; ``report`` must be gathered ``by="model"`` with days."""
    generated = time.strftime("%Y-%m-%d %H:%M", time.localtime())
    unpriced = (
        f'<p class="sub">{report.total.unpriced} successful attempt(s) had no known price and are '
        "not in the totals.</p>"
        if report.total.unpriced
        else ""
    )
    legend = (
        f'<p class="legend sub"><span style="background:{REPORTED_COLOR}"></span>reported by provider'
        f'<span style="background:{ESTIMATED_COLOR}"></span>estimated from catalog/config prices</p>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>openclaw usage report</title>"
        f"<style>{_CSS}</style></head><body>"
        "<h1>openclaw usage</h1>"
        f'<p class="sub">{_esc(report.window.describe())} - ledger: {_esc(report.store_label)} - '
        f"generated {_esc(generated)}</p>"
        f"{_cards(report.total)}{unpriced}"
        f"<h2>Spend per day</h2>{legend}{_day_chart(report.days)}"
        f"<h2>Cost per model</h2>{_model_bars(report.groups)}"
        f"<h2>By model</h2>{_table('Model', report.groups)}"
        f"<h2>By provider</h2>{_table('Provider', by_provider)}"
        "</body></html>\n"
    )
