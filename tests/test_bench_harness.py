"""Pure helpers of the gateway benchmark (bench/lib): wrk parsing, Lua generation, arithmetic, docs splice.

Fast and network-free: nothing here starts a process or opens a socket.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from lib.args import names_arg
from lib.baselines import proxy_extra_requirements
from lib.lua import RequestSpec, lua_quote, render_script
from lib.procs import cpu_busy_seconds, listening_hosts
from lib.profile import parse_collapsed, top_frames
from lib.report import BEGIN, END, fmt_ratio, render_markdown, splice_section
from lib.runner import round_order
from lib.stats import (
    foreign_by_cpu,
    linear_slope,
    median_ci,
    median_ci_change,
    parse_cpus,
    ratio,
    rss_trend,
    share,
)
from lib.summary import summarize
from lib.wrk import parse_wrk_output, wrk_command

WRK_TEXT = """Running 10s test @ http://127.0.0.1:8080/v1/chat/completions
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  300.00us   9.00ms   90.00%
  Latency Distribution
     50%    2.00ms
     99%    4.00ms
  41234 requests in 10.00s, 20.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:   4123.40
Transfer/sec:      2.00MB
"""

BENCH_JSON = (
    'BENCH_JSON {"label":"x","duration_us":10000000,"requests":50000,"bytes":123,'
    '"errors":{"connect":0,"read":1,"write":0,"status":100,"timeout":0},'
    '"latency_us":{"min":50,"max":9000,"mean":1200.5,"stdev":30.0,'
    '"percentiles":{"50":1100,"75":1300,"90":1500,"99":2500,"99.9":4000}}}'
)


def test_parse_bench_json_line_wins_over_text() -> None:
    result = parse_wrk_output(WRK_TEXT + BENCH_JSON + "\n")
    assert result.requests == 50000
    assert result.status_errors == 100
    assert result.socket_errors == {"connect": 0, "read": 1, "write": 0, "timeout": 0}
    assert result.duration_s == pytest.approx(10.0)
    assert result.good_rps == pytest.approx(4990.0)
    assert result.latency_us["p50"] == 1100
    assert result.latency_us["p99.9"] == 4000


def test_parse_text_fallback() -> None:
    result = parse_wrk_output(WRK_TEXT)
    assert result.requests == 41234
    assert result.duration_s == pytest.approx(10.0)
    assert result.status_errors == 17
    assert result.socket_errors["timeout"] == 2
    assert result.good == 41217


def test_parse_text_units_and_garbage() -> None:
    assert parse_wrk_output("  10 requests in 500.00ms, 1KB read\n").duration_s == pytest.approx(0.5)
    assert parse_wrk_output("  60 requests in 1.00m, 1KB read\n").duration_s == pytest.approx(60.0)
    with pytest.raises(ValueError):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_command_pins_and_rounds() -> None:
    argv = wrk_command("http://127.0.0.1:1/x", Path("/s.lua"), cpus="0", connections=64, duration_s=2.6)
    assert argv[:4] == ["taskset", "-c", "0", "wrk"]
    assert "-c64" in argv and "-d3s" in argv and "--latency" in argv
    assert argv[-1] == "http://127.0.0.1:1/x"


def test_lua_quote_escapes() -> None:
    assert lua_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_quote("line\nnext") == '"line\\010next"'
    assert lua_quote("é") == '"\\195\\169"'
    assert lua_quote(b"\x00" + b"1") == '"\\0001"'  # three digits, so the following digit stays a digit


def test_render_script_prelude_and_common_part() -> None:
    body = json.dumps({"model": "m", "stream": True}).encode()
    spec = RequestSpec("/v1/chat/completions", body, {"Authorization": "Bearer t", "x-cfg": '{"a":1}'})
    script = render_script(spec, rate_per_thread=250.0, label="run-1")
    assert 'wrk.method = "POST"' in script
    assert 'wrk.path = "/v1/chat/completions"' in script
    assert 'wrk.headers["x-cfg"] = "{\\"a\\":1}"' in script
    assert "bench_rate_per_thread = 250.0" in script
    assert 'bench_label = "run-1"' in script
    assert "function done(summary, latency, requests)" in script
    assert "function delay()" in script
    with pytest.raises(ValueError):
        render_script(spec, rate_per_thread=-1)


def test_share_ratio_slope() -> None:
    assert share(250.0, 1000.0) == pytest.approx(0.25)
    assert share(5.0, 0.0) == 0.0
    assert ratio(3.0, 2.0) == pytest.approx(1.5)
    assert ratio(1.0, 0.0) is None
    assert linear_slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    assert linear_slope([1], [5]) == 0.0
    assert fmt_ratio(None) == "∞" and fmt_ratio(1.234) == "1.23×"


def test_rss_trend_uses_second_half() -> None:
    mib = 2**20
    samples = [(i * 10_000, (40 + (5 if i < 5 else 0.0)) * mib) for i in range(1, 11)]
    trend = rss_trend([(r, int(b)) for r, b in samples])
    assert trend.requests == 100_000
    assert trend.max_mb == pytest.approx(45.0)
    assert trend.slope_mb_per_100k == pytest.approx(0.0, abs=1e-9)
    assert trend.verdict(80.0, 2.0) == "pass"
    growing = rss_trend([(i * 10_000, (40 + i) * mib) for i in range(1, 11)])
    assert growing.slope_mb_per_100k == pytest.approx(10.0)
    assert growing.verdict(80.0, 2.0) == "FAIL"


def _run(rps: float, non2xx: int = 0, p50: float = 1000.0, p99: float = 2000.0) -> dict[str, Any]:
    latency = {"p50": p50, "p99": p99}
    return {"good_rps": rps, "rps": rps, "status_errors": non2xx, "requests": 10, "latency_us": latency}


def _targets(portkey_stream_rps: float = 0.0) -> dict[str, Any]:
    def scen(rps: float, p50: float = 1000.0) -> dict[str, Any]:
        return {
            "status": "ok",
            "closed": [_run(rps), _run(rps * 2), _run(rps / 2)],
            "fixed": [_run(500, p50=p50)],
        }

    return {
        "direct": {"scenarios": {"chat": scen(1000.0, p50=100.0), "chat-stream": scen(800.0, p50=100.0)}},
        "openclaw": {"scenarios": {"chat": scen(300.0, p50=600.0), "chat-stream": scen(200.0, p50=900.0)}},
        "portkey": {"scenarios": {"chat": scen(100.0), "chat-stream": scen(portkey_stream_rps)}},
        "litellm": {"scenarios": {"chat": scen(10.0), "chat-stream": scen(5.0)}},
    }


def test_summarize_shares_ratios_and_bar() -> None:
    summary = summarize(_targets())
    rows = {r["target"]: r for r in summary["closed"]["chat"]}
    assert rows["direct"]["rps"] == 1000.0  # the median of three runs
    assert rows["openclaw"]["share"] == pytest.approx(0.3)
    assert rows["portkey"]["share"] == pytest.approx(0.1)
    assert rows["openclaw"]["vs_portkey_share"] == pytest.approx(3.0)
    assert rows["openclaw"]["x_litellm"] == pytest.approx(30.0)
    bar = {b["scenario"]: b for b in summary["bar"]}
    assert bar["chat"]["bar_met"] is True and bar["chat"]["litellm_met"] is True
    # Portkey's streaming served nothing: infinite ratio, met by any share above zero.
    assert bar["chat-stream"]["ratio_vs_portkey"] is None
    assert bar["chat-stream"]["portkey_share"] == 0.0
    assert bar["chat-stream"]["bar_met"] is True
    fixed = {r["target"]: r for r in summary["fixed"]["chat"]}
    assert fixed["openclaw"]["added_p50_ms"] == pytest.approx(0.5)


def test_summarize_bar_not_met_and_missing_portkey() -> None:
    targets = _targets(portkey_stream_rps=200.0)
    bar = {b["scenario"]: b for b in summarize(targets)["bar"]}
    assert bar["chat-stream"]["ratio_vs_portkey"] == pytest.approx(1.0)
    assert bar["chat-stream"]["bar_met"] is False
    del targets["portkey"]
    bar = {b["scenario"]: b for b in summarize(targets)["bar"]}
    assert bar["chat"]["bar_met"] is None and bar["chat"]["portkey_share"] is None


def test_render_markdown_has_every_table() -> None:
    meta = {
        "command": "python bench/gateway_bench.py --quick",
        "date": "2026-01-01 00:00 UTC",
        "machine": "2 cores",
        "versions": {"wrk": "4.1"},
        "layout": {"load_cpus": "0", "proxy_cpus": "1"},
        "plan": {
            "connections": 64,
            "runs": 3,
            "duration_s": 10.0,
            "warmup_s": 3.0,
            "rate": 500.0,
            "rate_connections": 64,
            "nice": -20,
        },
        "reply": "a text answer",
        "notes": ["a note"],
    }
    text = render_markdown(meta, summarize(_targets()), None)
    for needle in ("### The bar", "### Throughput", "### Latency at a fixed 500", "### Memory", "- a note"):
        assert needle in text
    assert "| chat | openclaw |" in text


def test_splice_section_appends_then_replaces_only_ours() -> None:
    others = "# Benchmarks\n\n## CLI start-up\n\nfast\n"
    first = splice_section(others, "table one")
    assert first.startswith(others.rstrip())
    assert BEGIN in first and END in first and "table one" in first
    second = splice_section(first + "\n## Later section\n\nkept\n", "table two")
    assert "table one" not in second and "table two" in second
    assert "## CLI start-up" in second and "## Later section" in second
    assert second.count(BEGIN) == 1
    assert splice_section("", "x").startswith("# Benchmarks\n")


def test_proxy_extra_requirements_unpins_missing_release() -> None:
    specs = [
        "uvicorn<1.0,>=0.33.0",
        "litellm-proxy-extras==0.4.113",
        "uvicorn<1.0,>=0.33.0",
        "Litellm_Enterprise==0.1",
    ]
    assert proxy_extra_requirements(specs) == [
        "uvicorn<1.0,>=0.33.0",
        "litellm-proxy-extras",
        "Litellm_Enterprise==0.1",
    ]


def test_listening_hosts_reads_proc_tables(tmp_path: Path) -> None:
    tcp = tmp_path / "tcp"
    tcp.write_text(
        "  sl  local_address rem_address   st\n"
        "   0: 0100007F:1F90 00000000:0000 0A\n"  # 127.0.0.1:8080 listening
        "   1: 00000000:1F91 00000000:0000 0A\n"  # 0.0.0.0:8081 listening
        "   2: 0100007F:1F90 0100007F:C350 01\n"  # an established connection
    )
    tcp6 = tmp_path / "tcp6"
    tcp6.write_text(
        "  sl  local_address rem_address st\n"
        "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A\n"
    )
    assert listening_hosts(8080, (str(tcp), str(tcp6))) == {"127.0.0.1", "::"}
    assert listening_hosts(8081, (str(tcp),)) == {"0.0.0.0"}
    assert listening_hosts(9999, (str(tcp),)) == set()


def test_cpu_busy_seconds_parses_per_cpu_lines() -> None:
    stat = (
        "cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 100 0 50 1000 7 10 5 5 0 0\ncpu1 0 0 0 10 0 0 0 0 0 0\nintr 1\n"
    )
    busy = cpu_busy_seconds(stat)
    assert len(busy) == 2
    assert busy[0] > 0 and busy[1] == 0


def test_foreign_load_is_attributed_per_pinned_cpu() -> None:
    assert parse_cpus("0") == [0] and parse_cpus("0-2,5") == [0, 1, 2, 5]
    busy = [0.9, 1.0]
    usage = {"proxy": 0.8, "upstream": 0.3, "wrk": 0.4}
    placement = {"proxy": "1", "upstream": "0", "wrk": "0"}
    assert foreign_by_cpu(busy, usage, placement) == pytest.approx([0.2, 0.2])
    assert foreign_by_cpu([0.5, 0.5], {"x": 1.0}, {"x": "0-1"}) == pytest.approx([0.0, 0.0])


def test_collapsed_stacks_rank_self_and_inclusive_time() -> None:
    text = "main;handle;json_dumps 30\nmain;handle 10\nmain;log;write 60\nnot a stack line\n"
    stacks = parse_collapsed(text)
    assert len(stacks) == 3
    top = {f.frame: f for f in top_frames(stacks)}
    assert top["write"].self_pct == pytest.approx(60.0)
    assert top["handle"].self_pct == pytest.approx(10.0) and top["handle"].total_pct == pytest.approx(40.0)
    assert "main" not in top  # never the innermost frame
    assert top_frames([]) == []


def test_rounds_alternate_the_scenario_order() -> None:
    names = ["chat", "chat-stream", "messages", "messages-stream"]
    rounds = [round_order(names, i) for i in range(4)]
    assert rounds[0] == names
    assert rounds[1] == list(reversed(names))
    assert rounds[2] == names
    # every scenario sits, summed over an even number of rounds, at the same mean position
    positions = {n: sum(r.index(n) for r in rounds) for n in names}
    assert set(positions.values()) == {6}
    assert names == ["chat", "chat-stream", "messages", "messages-stream"]  # input left alone


def test_median_ci_takes_the_binomial_ranks() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert median_ci(values) == (40.0, 61.0)  # ranks 40 and 61 of 100
    assert median_ci([3.0, 1.0, 2.0]) == (1.0, 3.0)  # too few: min…max
    assert median_ci_change([0.9] * 5 + [1.1] * 5) == "-10.0…+10.0"


def test_names_arg_keeps_order_and_rejects_unknown_names() -> None:
    parse = names_arg(("plain", "stream"))
    assert parse(" stream, plain ") == ("stream", "plain")
    for bad in ("", "plain,bogus", ","):
        with pytest.raises(argparse.ArgumentTypeError, match="choose from plain, stream"):
            parse(bad)
