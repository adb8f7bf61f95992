"""``openclaw usage``: table, groups, JSON, CSV, chart, HTML page, --remote (fake upstream)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from conftest import FAKE_KEY
from openclaw.paths import resolve_paths
from openclaw.usage.base import UsageRecord
from openclaw.usage.sqlite_store import SqliteStore

NOW = time.time()
DAY = 86400.0


def rec(age_days: float, model: str, **kw: object) -> UsageRecord:
    base: dict[str, object] = {
        "ts": NOW - age_days * DAY,
        "source": "gateway",
        "provider": model.split("/", maxsplit=1)[0],
        "model_requested": model,
        "status": "ok",
        "request_id": f"{model}-{age_days}",
        "input_tokens": 1000,
        "output_tokens": 100,
    }
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


SONNET = "openrouter/anthropic/claude-sonnet-4.5"
MINI = "openrouter/openai/gpt-4o-mini"


@pytest.fixture
def ledger_home(home: Path) -> Path:
    store = SqliteStore(resolve_paths({"HOME": str(home), "OPENCLAW_HOME": str(home)}).usage_db)
    store.write(
        [
            rec(0.1, SONNET, cost=0.5, cost_source="provider", client_key="team-a", agent="main"),
            rec(
                0.2,
                SONNET,
                status="error",
                reason="rate_limit",
                http_status=429,
                cost=0.0,
                attempt=1,
                request_id="shared",
            ),
            rec(
                0.2,
                MINI,
                cost=0.25,
                cost_source="catalog",
                cache_read_tokens=400,
                attempt=2,
                request_id="shared",
                profile_id="openrouter:default",
            ),
            rec(3.0, MINI, cost=None, client_key="team-b"),  # no known price
            rec(40.0, SONNET, cost=9.0, cost_source="provider"),  # outside the default 30 days
        ]
    )
    store.close()
    return home


def test_empty_home_says_nothing_recorded(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("usage")
    assert result.code == 0, result.output
    assert "No usage recorded" in result.stdout
    assert not (home / ".openclaw" / "state" / "usage.sqlite").exists()  # reading creates nothing
    data = json.loads(cli("usage", "--json").stdout)
    assert data["total"]["requests"] == 0 and data["groups"] == []


def test_table_by_model_with_totals_and_cost_split(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("usage")
    assert result.code == 0, result.output
    out = result.stdout
    assert SONNET in out and MINI in out and "TOTAL" in out
    lines = out.splitlines()
    assert lines.index(next(line for line in lines if line.startswith(SONNET))) < lines.index(
        next(line for line in lines if line.startswith(MINI))
    )  # most expensive first
    assert "$0.75" in out  # 0.5 + 0.25 in the last 30 days (the $9 row is older)
    assert "$0.5 reported by providers" in out.replace("$0.5000", "$0.5")
    assert "$0.25 estimated" in out.replace("$0.2500", "$0.25")
    assert "1 successful attempt(s) had no known price" in out
    assert "Requests: 3 (4 attempts, 1 failed)" in out
    assert result.stderr == ""


def test_json_groups_and_window(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("usage", "--json", "--by", "provider", "--since", "all").stdout)
    assert data["by"] == "provider"
    (group,) = data["groups"]
    assert group["key"] == "openrouter"
    assert group["cost"] == pytest.approx(9.75)
    assert group["costReported"] == pytest.approx(9.5)
    assert group["costEstimated"] == pytest.approx(0.25)
    assert group["cacheReadTokens"] == 400
    assert data["total"]["unpriced"] == 1
    recent = json.loads(cli("usage", "--json", "--since", "1d").stdout)
    assert recent["total"]["attempts"] == 3
    assert recent["total"]["requests"] == 2  # two attempts share one request id
    until = json.loads(cli("usage", "--json", "--since", "all", "--until", "2d").stdout)
    assert until["total"]["attempts"] == 2  # the 3-day-old row and the 40-day-old one


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        ("key", {"team-a", "team-b", "-"}),
        ("agent", {"main", "-"}),
        ("profile", {"openrouter:default", "-"}),
    ],
)
def test_group_by_other_columns(cli, ledger_home: Path, by: str, keys: set[str]) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("usage", "--json", "--by", by).stdout)
    assert {g["key"] for g in data["groups"]} == keys


def test_csv_is_parseable(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("usage", "--csv", "--by", "day")
    assert result.code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and set(rows[0]) >= {"day", "requests", "cost", "costEstimated"}
    assert sum(int(r["attempts"]) for r in rows) == 4
    assert all(len(r["day"]) == 10 for r in rows)


def test_chart_draws_bars_per_day(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("usage", "--chart", "--since", "7d")
    assert result.code == 0, result.output
    day_lines = [line for line in result.stdout.splitlines() if line[:4].isdigit()]
    assert 7 <= len(day_lines) <= 9  # every day of the window, empty ones too
    longest = max(day_lines, key=lambda line: line.count("█"))
    assert "$0.75" in longest or "$0.5" in longest
    assert any("█" not in line for line in day_lines)  # days without spend have no bar


def test_bad_arguments_are_clear_errors(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    bad = cli("usage", "--since", "last tuesday")
    assert bad.code == 2
    assert "--since" in bad.stderr and "24h" in bad.stderr
    both = cli("usage", "--json", "--csv")
    assert both.code == 2 and "cannot be used together" in both.stderr
    order = cli("usage", "--since", "1d", "--until", "2d")
    assert order.code == 2 and "--until must be after --since" in order.stderr
    assert cli("usage", "--by", "color").code == 2


def test_html_report_is_self_contained(cli, ledger_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SqliteStore(resolve_paths({"HOME": str(ledger_home)}).usage_db)
    store.write([rec(0.5, "openrouter/<script>alert(1)</script>", cost=0.1, cost_source="provider")])
    store.close()
    out = tmp_path / "report" / "usage.html"
    result = cli("usage", "report", "--html", str(out), "--since", "all")
    assert result.code == 0, result.output
    assert result.stdout == "" and "Wrote" in result.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>")
    assert "<svg" in page and "<rect" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "&lt;script&gt;" in page
    assert SONNET in page and "$9.85" in page.replace("$9.8500", "$9.85")


def test_remote_shows_openrouter_numbers_beside_ours(cli, ledger_home: Path, upstream_thread) -> None:  # type: ignore[no-untyped-def]
    config = {"models": {"providers": {"openrouter": {"baseUrl": upstream_thread.base_url}}}}
    (ledger_home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))
    result = cli("usage", "--remote", extra_env={"OPENROUTER_API_KEY": FAKE_KEY})
    assert result.code == 0, result.output
    out = result.stdout
    assert "credential env:OPENROUTER_API_KEY" in out
    assert "$0.25" in out  # the fake key's usage
    assert "balance $9.75" in out  # 10.0 bought - 0.25 used
    assert "Key limit: $25" in out
    assert FAKE_KEY not in result.output
    paths = sorted(r.path for r in upstream_thread.requests)
    assert paths == ["/api/v1/credits", "/api/v1/key"]
    assert all(r.headers["authorization"] == f"Bearer {FAKE_KEY}" for r in upstream_thread.requests)
    data = json.loads(cli("usage", "--remote", "--json", extra_env={"OPENROUTER_API_KEY": FAKE_KEY}).stdout)
    assert data["credits"]["total_credits"] == 10.0
    assert set(data["ledger"]) == {"today", "week", "month", "all"}
    assert data["ledger"]["all"] == pytest.approx(9.75)


def test_remote_without_a_key_explains(cli, ledger_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("usage", "--remote")
    assert result.code == 1
    assert "No API key found" in result.stderr and "OPENROUTER_API_KEY" in result.stderr
