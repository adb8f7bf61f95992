"""Render the summary as markdown and splice it into docs/benchmarks.md between our markers."""

from __future__ import annotations

from typing import Any

from .summary import BAR_VS_PORTKEY, LATENCY_P50_MS, LATENCY_P99_MS, MIN_VS_LITELLM

__all__ = ["BEGIN", "END", "fmt_ratio", "render_markdown", "splice_section"]

BEGIN = "<!-- gateway-bench:begin (written by bench/gateway_bench.py; edits inside are overwritten) -->"
END = "<!-- gateway-bench:end -->"
NA = "–"
SECTION_TITLE = "## Gateway throughput, latency and memory"


def fmt_ratio(value: float | None, *, zero_denominator: str = "∞") -> str:
    return zero_denominator if value is None else f"{value:.2f}×"


def _num(value: float | None, fmt: str = "{:,.0f}") -> str:
    return "–" if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _yes(flag: bool | None) -> str:
    return "–" if flag is None else ("**met**" if flag else "**NOT met**")


def _cores(meta: dict[str, Any], target: str) -> str:
    layout = meta["layout"]
    if target == "direct":
        return f"upstream: CPU{layout['proxy_cpus']}; wrk: CPU{layout['load_cpus']}"
    return f"proxy: CPU{layout['proxy_cpus']}; wrk+upstream: CPU{layout['load_cpus']}"


def _closed_table(meta: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    plan = meta["plan"]
    lines = [
        f"### Throughput: closed loop, {plan['connections']} connections "
        f"(median of {plan['runs']} × {plan['duration_s']:.0f} s after {plan['warmup_s']:.0f} s warm-up)",
        "",
        "| scenario | target | cores | req/s (2xx) | share of direct | share ÷ Portkey's | × LiteLLM "
        "| non-2xx | proxy CPU | note |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scenario, rows in summary["closed"].items():
        for row in rows:
            na = row["rps"] is None or not row.get("portkey_measured") or row["target"] == "direct"
            lines.append(
                f"| {scenario} | {row['target']} | {_cores(meta, row['target'])} | {_num(row['rps'])} "
                f"| {_pct(row['share'])} | {'–' if na else fmt_ratio(row['vs_portkey_share'])} "
                f"| {'–' if row['target'] == 'direct' else fmt_ratio(row['x_litellm'], zero_denominator=NA)} "
                f"| {row['non2xx']:,} "
                f"| {_pct(row['proxy_cpu']) if row['target'] != 'direct' else '–'} | {_note(row)} |"
            )
    return lines


def _note(row: dict[str, Any]) -> str:
    status = str(row.get("status", ""))
    if status == "ok":
        return "" if not row["non2xx"] else "non-2xx answers do not count"
    if status == "n/a" and row.get("detail"):
        status = str(row["detail"])
    return status.replace("|", "/")[:160]


def _bar_table(summary: dict[str, Any]) -> list[str]:
    lines = [
        f"### The bar: openclaw's share of direct ≥ {BAR_VS_PORTKEY}× Portkey's; "
        f"throughput ≥ {MIN_VS_LITELLM:g}× LiteLLM's",
        "",
        "| scenario | openclaw share | Portkey share | ratio | bar | × LiteLLM | ≥ 5× LiteLLM |",
        "| --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for row in summary["bar"]:
        lines.append(
            f"| {row['scenario']} | {_pct(row['openclaw_share'])} | {_pct(row['portkey_share'])} "
            f"| {fmt_ratio(row['ratio_vs_portkey'])} | {_yes(row['bar_met'])} "
            f"| {fmt_ratio(row['x_litellm'], zero_denominator='–')} | {_yes(row['litellm_met'])} |"
        )
    if not summary["bar"]:
        lines.append("| (openclaw not measured in this run) | | | | | | |")
    if any(row["portkey_share"] == 0 for row in summary["bar"]):
        lines += [
            "",
            "Where Portkey's share is 0 it answered no request with 2xx (see the notes below), "
            "so the ratio is infinite and the bar is met by any share above zero.",
        ]
    return lines


def _fixed_table(meta: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    plan = meta["plan"]
    lines = [
        f"### Latency at a fixed {plan['rate']:g} req/s ({plan['rate_connections']} connections, "
        f"median of {plan['runs']} × {plan['duration_s']:.0f} s)",
        "",
        f"Budget for openclaw: added p50 ≤ {LATENCY_P50_MS:g} ms, added p99 ≤ {LATENCY_P99_MS:g} ms "
        "(added = this target's percentile minus direct's, same scenario, same run).",
        "",
        "| scenario | target | achieved req/s | non-2xx | p50 ms | p99 ms "
        "| added p50 ms | added p99 ms | budget |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scenario, rows in summary["fixed"].items():
        for row in rows:
            lines.append(
                f"| {scenario} | {row['target']} | {_num(row['achieved_rps'])} | {row['non2xx']:,} "
                f"| {_num(row['p50_ms'], '{:.2f}')} | {_num(row['p99_ms'], '{:.2f}')} "
                f"| {_num(row['added_p50_ms'], '{:+.2f}')} | {_num(row['added_p99_ms'], '{:+.2f}')} "
                f"| {_latency_verdict(row, plan['rate'])} |"
            )
    return lines


def _latency_verdict(row: dict[str, Any], rate: float) -> str:
    if row["achieved_rps"] is not None and row["achieved_rps"] < 0.95 * rate:
        return "saturated: below the target rate"
    if row["target"] != "openclaw" or row["added_p50_ms"] is None or row["added_p99_ms"] is None:
        return ""
    ok = row["added_p50_ms"] <= LATENCY_P50_MS and row["added_p99_ms"] <= LATENCY_P99_MS and not row["non2xx"]
    return _yes(ok)


def _soak_table(soak: dict[str, Any] | None) -> list[str]:
    lines = ["### Memory: RSS of the gateway's process tree during a soak", ""]
    if not soak:
        return [*lines, "Not run in this invocation (`--soak`)."]
    trend = soak["trend"]
    lines += [
        f"{soak['requests']:,} requests ({soak['non2xx']:,} non-2xx), alternating "
        f"{', '.join(soak['scenarios'])} slices of {soak['slice_s']:.0f} s at {soak['connections']} "
        f"connections; RSS read from /proc after each slice and every {soak['sample_every_s']:g} s "
        "in between.",
        "",
        "| target | RSS after warm-up | RSS at end | max RSS | slope, 2nd half | limit | verdict |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
        f"| {soak['target']} | {trend['first_mb']:.1f} MB | {trend['last_mb']:.1f} MB "
        f"| {soak.get('peak_mb', trend['max_mb']):.1f} MB "
        f"| {trend['slope_mb_per_100k']:+.2f} MB / 100k req | < {soak['limit_mb']:g} MB, slope ≤ "
        f"{soak['flat_mb_per_100k']:g} MB / 100k | **{soak['verdict']}** |",
    ]
    return lines


def _header(meta: dict[str, Any]) -> list[str]:
    versions = ", ".join(
        f"{k} {str(v).split(' [')[0].removeprefix('wrk ')}" for k, v in meta["versions"].items()
    )
    layout = meta["layout"]
    return [
        f"Run: `{meta['command']}` on {meta['date']}.",
        "",
        f"Machine: {meta['machine']}. Versions: {versions}.",
        "",
        f"Core layout (same for every proxy): proxy under test on CPU{layout['proxy_cpus']} alone; "
        f"wrk and the fake upstream share CPU{layout['load_cpus']}. Direct run: the fake upstream on "
        f"CPU{layout['proxy_cpus']}, wrk on CPU{layout['load_cpus']}. Each side is pinned with "
        "`taskset`; every server runs one process "
        "(openclaw `--workers 1`, LiteLLM `--num_workers 1`, Portkey one node process). "
        f"Every benchmark process (servers and wrk) runs at `nice {meta['plan']['nice']}`, so that other "
        "work on the machine disturbs it less; the CPU that other processes still used is recorded.",
        "",
        "Order: each target gets one process for all scenarios. After a warm-up of each scenario, "
        "the measured runs go in rounds across the scenarios (all closed-loop rounds, then all "
        "fixed-rate rounds), forward in odd rounds and reversed in even ones, so that no scenario "
        "is always measured later in the process's life than another.",
        "",
        f"Upstream: `python -m openclaw.testing.fake_upstream --no-record` answering every chat request with "
        f"{meta['reply']}.",
    ]


_HOW_TO_RUN = """\
```
python bench/gateway_bench.py                  # all of it: 3 x 10 s per scenario and mode, soak
python bench/gateway_bench.py --quick          # smoke run: 1 x 3 s, no soak
python bench/gateway_bench.py --only openclaw,portkey --scenarios chat,chat-stream,messages,messages-stream
python bench/gateway_bench.py --openclaw-variant 'ledger-off={"usage":{"store":{"kind":"off"}}}'
python bench/gateway_bench.py --from-raw bench/results/gateway-STAMP.raw   # re-render a saved run
```"""


def _method() -> list[str]:
    return [
        "### How to run",
        "",
        _HOW_TO_RUN,
        "",
        "The first run installs the baselines into `bench/.baselines/` (git-ignored): `litellm==1.109.1` in "
        "its own venv plus the requirements of its `[proxy]` extra read from its metadata "
        "(`litellm-proxy-extras` unpinned: the pinned 0.4.113 is not on the index), and "
        "`@portkey-ai/gateway@1.15.2` from npm, started through `bench/portkey_preload.mjs` so that it "
        "binds 127.0.0.1. Raw results (every wrk output, server logs, per-run CPU figures) go to "
        "`bench/results/gateway-STAMP.raw/` (git-ignored); `bench/results/gateway-summary.{md,json}` and "
        "this section are rewritten. A new request shape (e.g. another front door) is one `Scenario` row "
        "and one request builder per target in `bench/lib/targets.py`; a target that answers 404 for it "
        "shows n/a.",
        "",
        "### How the figures are made",
        "",
        "- Load: `wrk` 4.1 (Debian) with a generated Lua script per target and scenario (POST body "
        "and headers; Portkey's routing travels in its `x-portkey-config` header). Only 2xx/3xx "
        "answers count as throughput.",
        "- Share of direct = target req/s ÷ the fake upstream's req/s served directly in the same run; "
        "\"share ÷ Portkey's\" divides by Portkey's share (∞ when Portkey served nothing). The fake "
        "upstream answers from a pre-rendered reply on its own core, so every proxy's share is small; "
        "the ratio between two proxies' shares equals the ratio of their req/s in the same run.",
        "- Fixed rate: wrk's `delay()` hook hands each request an absolute send slot (one every 1/rate s, "
        "LuaJIT FFI `clock_gettime`), so the rate does not drift with response times; delays are whole "
        "milliseconds (requests bunch onto 1 ms ticks). Latency is measured from the moment wrk writes the "
        "request, so time a request waited for a free connection is not counted (coordinated omission): "
        "the achieved rate is reported, and a target that cannot keep up shows it below the target rate.",
        "- `messages` rows (Anthropic Messages door, `POST /v1/messages`): openclaw translates to OpenRouter "
        "chat completions upstream; LiteLLM likewise (`use_chat_completions_url_for_anthropic_messages`); "
        "Portkey, configured with provider `anthropic`, passes the request through to the fake upstream's "
        "own `/v1/messages`; direct is the fake upstream's `/v1/messages`.",
        "- Each target starts fresh (own fake upstream process too), is health-checked with a real request, "
        "warmed up per scenario, then measured in rounds across the scenarios (order alternating per round); "
        "servers are stopped (process groups, bounded waits) before the next one starts.",
        "- Other work on the machine: per run, /proc/stat gives each CPU's busy time and /proc/PID/stat our "
        "processes' share of it (the rest is reported as other load); a run in which other processes took "
        "more than 10% of the core the server under test is pinned to is measured again (up to 3 "
        "attempts, the least disturbed kept). Every benchmark process runs in its own session whose "
        "scheduler autogroup gets the `nice` priority above, so other work mostly fills idle time.",
    ]


def _profile_tables(profiles: dict[str, dict[str, Any]] | None, limit: int = 12) -> list[str]:
    if not profiles:
        return []
    lines = ["### Where openclaw's CPU goes (py-spy, closed loop, self time)"]
    for key, prof in profiles.items():
        if "top" not in prof:
            lines += ["", f"{key}: {prof.get('error', 'no profile')}"]
            continue
        lines += [
            "",
            f"{key}: {prof['samples']:,} samples at {prof['rps_while_profiling']:,.0f} req/s "
            f"(raw stacks: `{prof['file']}` in the run's folder)",
            "",
            "| frame | self | inclusive |",
            "| --- | ---: | ---: |",
        ]
        lines += [
            f"| `{f['frame'].replace('|', '/')}` | {f['self_pct']:.1f}% | {f['total_pct']:.1f}% |"
            for f in prof["top"][:limit]
        ]
    return lines


def render_markdown(
    meta: dict[str, Any],
    summary: dict[str, Any],
    soak: dict[str, Any] | None,
    profiles: dict[str, dict[str, Any]] | None = None,
) -> str:
    parts = [
        _header(meta),
        _bar_table(summary),
        _closed_table(meta, summary),
        _fixed_table(meta, summary),
        _soak_table(soak),
        _profile_tables(profiles),
        _notes(meta),
        _method(),
    ]
    return "\n\n".join("\n".join(p) for p in parts if p) + "\n"


def _notes(meta: dict[str, Any]) -> list[str]:
    notes = meta.get("notes") or []
    if not notes:
        return []
    return ["### Notes on this run", "", *[f"- {n}" for n in notes]]


def splice_section(document: str, body: str) -> str:
    """Replace what lies between BEGIN and END (or append a new section with them) with ``body``."""
    block = f"{BEGIN}\n\n{body.strip()}\n\n{END}"
    start = document.find(BEGIN)
    end = document.find(END)
    if start != -1 and end > start:
        return document[:start] + block + document[end + len(END) :]
    prefix = document.rstrip() + "\n\n" if document.strip() else "# Benchmarks\n\n"
    return f"{prefix}{SECTION_TITLE}\n\n{block}\n"
