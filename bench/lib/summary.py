"""Reduce raw run results to the figures the report shows (pure functions over plain dicts).

Raw shape (what bench/gateway_bench.py records)::

    targets[name]["scenarios"][scenario] = {
        "status": "ok" | "n/a" | "failed: ...", "sanity": "...",
        "closed": [run, ...], "fixed": [run, ...],
    }

where a run is ``WrkResult.to_json()`` plus ``proxy_cpu`` / ``upstream_cpu`` (fractions of a core).
"""

from __future__ import annotations

from typing import Any

from .stats import median, ratio, share

__all__ = ["BAR_VS_PORTKEY", "LATENCY_P50_MS", "LATENCY_P99_MS", "MIN_VS_LITELLM", "summarize"]

BAR_VS_PORTKEY = 1.5  # openclaw's share of direct must be >= 1.5x Portkey's
MIN_VS_LITELLM = 5.0  # and its throughput >= 5x LiteLLM's
LATENCY_P50_MS = 1.0  # added latency budget at the fixed rate
LATENCY_P99_MS = 5.0


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return median([float(r[key]) for r in runs if key in r])


def _median_latency(runs: list[dict[str, Any]], pct: str) -> float | None:
    values = [float(r["latency_us"][pct]) for r in runs if r.get("latency_us", {}).get(pct) is not None]
    return median(values) / 1000.0 if values else None


def _closed_row(name: str, data: dict[str, Any]) -> dict[str, Any]:
    runs = data.get("closed", [])
    return {
        "target": name,
        "status": data.get("status", "n/a"),
        "detail": str(data.get("sanity", ""))[:160],
        "runs": len(runs),
        "rps": _median_of(runs, "good_rps") if runs else None,
        "non2xx": sum(int(r.get("status_errors", 0)) for r in runs),
        "requests": sum(int(r.get("requests", 0)) for r in runs),
        "proxy_cpu": _median_of(runs, "proxy_cpu") if runs else None,
        "upstream_cpu": _median_of(runs, "upstream_cpu") if runs else None,
        "wrk_cpu": _median_of(runs, "wrk_cpu") if runs else None,
    }


def _fixed_row(name: str, data: dict[str, Any]) -> dict[str, Any]:
    runs = data.get("fixed", [])
    return {
        "target": name,
        "status": data.get("status", "n/a"),
        "runs": len(runs),
        "achieved_rps": _median_of(runs, "rps") if runs else None,
        "non2xx": sum(int(r.get("status_errors", 0)) for r in runs),
        "p50_ms": _median_latency(runs, "p50"),
        "p99_ms": _median_latency(runs, "p99"),
    }


def _sub(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def _closed_summary(targets: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    rows = [
        _closed_row(n, t["scenarios"][scenario]) for n, t in targets.items() if scenario in t["scenarios"]
    ]
    by_name = {r["target"]: r for r in rows}
    direct = (by_name.get("direct") or {}).get("rps") or 0.0
    litellm = (by_name.get("litellm") or {}).get("rps")
    portkey_share = share((by_name.get("portkey") or {}).get("rps") or 0.0, direct)
    portkey_measured = (by_name.get("portkey") or {}).get("rps") is not None
    for row in rows:
        row["portkey_measured"] = portkey_measured
        rps = row["rps"] or 0.0
        row["share"] = share(rps, direct) if row["rps"] is not None else None
        row["vs_portkey_share"] = ratio(row["share"] or 0.0, portkey_share) if portkey_measured else None
        row["x_litellm"] = ratio(rps, litellm) if litellm is not None else None
    return rows


def _fixed_summary(targets: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    rows = [_fixed_row(n, t["scenarios"][scenario]) for n, t in targets.items() if scenario in t["scenarios"]]
    direct = next((r for r in rows if r["target"] == "direct"), None)
    for row in rows:
        row["added_p50_ms"] = _sub(row["p50_ms"], direct["p50_ms"]) if direct else None
        row["added_p99_ms"] = _sub(row["p99_ms"], direct["p99_ms"]) if direct else None
    return rows


def _bar_met(our_share: float | None, vs_portkey: float | None) -> bool:
    """Met when our share is >= BAR_VS_PORTKEY x Portkey's; when Portkey served nothing, any share > 0."""
    if vs_portkey is None:
        return (our_share or 0.0) > 0.0
    return vs_portkey >= BAR_VS_PORTKEY


def _bar(closed: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for scenario, rows in closed.items():
        by_name = {r["target"]: r for r in rows}
        ours = by_name.get("openclaw")
        if ours is None or ours["rps"] is None:
            continue
        portkey = by_name.get("portkey")
        litellm = by_name.get("litellm")
        vs_portkey = ours["vs_portkey_share"]
        out.append(
            {
                "scenario": scenario,
                "openclaw_share": ours["share"],
                "portkey_share": portkey["share"] if ours["portkey_measured"] and portkey else None,
                "ratio_vs_portkey": vs_portkey,
                "bar_met": _bar_met(ours["share"], vs_portkey) if ours["portkey_measured"] else None,
                "x_litellm": ours["x_litellm"],
                "litellm_met": None
                if litellm is None or ours["x_litellm"] is None
                else ours["x_litellm"] >= MIN_VS_LITELLM,
            }
        )
    return out


def summarize(targets: dict[str, Any]) -> dict[str, Any]:
    """Per scenario: closed-loop rows (req/s, share, ratios), fixed-rate rows (latency), the bar."""
    scenarios: list[str] = []
    for t in targets.values():
        scenarios += [s for s in t["scenarios"] if s not in scenarios]
    closed = {s: _closed_summary(targets, s) for s in scenarios}
    fixed = {s: _fixed_summary(targets, s) for s in scenarios}
    return {"closed": closed, "fixed": fixed, "bar": _bar(closed)}
