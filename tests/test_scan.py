"""``openclaw models scan``: candidate filters, ranking (§11.7), probes and --set-default."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, Cli
from openclaw.catalog.openrouter_catalog import CatalogEntry, parse_entry
from openclaw.cli.models_probe import ProbeOutcome
from openclaw.cli.models_scan import Candidate, filter_candidates, rank
from openclaw.testing import FakeUpstream, Reply

NOW = 1_780_000_000


def row(
    model_id: str, *, ctx: int = 131072, image: bool = False, tools: bool = True, age_days: float = 10
) -> dict[str, Any]:
    params = ["max_tokens", "temperature"] + (["tools", "tool_choice"] if tools else [])
    return {
        "id": model_id,
        "name": model_id,
        "created": int(NOW - age_days * 86400),
        "context_length": ctx,
        "architecture": {
            "input_modalities": ["text", "image"] if image else ["text"],
            "output_modalities": ["text"],
        },
        "pricing": {"prompt": "0", "completion": "0"},
        "top_provider": {"context_length": ctx, "max_completion_tokens": 4096},
        "supported_parameters": params,
    }


ROWS = [
    row("meta-llama/llama-3.3-70b-instruct:free", ctx=65536),
    row("meta-llama/llama-3.2-3b-instruct:free", tools=False),
    row("google/gemma-3-27b-it:free", image=True, tools=False, ctx=96000),
    row("qwen/qwen2.5-vl-72b-instruct:free", image=True, ctx=32768, age_days=400),
    row("mistralai/mistral-small-3.2-24b-instruct:free", ctx=131072),
    row("openai/gpt-4o-mini", image=True),  # not free
    {
        **row("acme/embedder:free"),
        "architecture": {"input_modalities": ["text"], "output_modalities": ["embeddings"]},
    },
]


def entries() -> list[CatalogEntry]:
    parsed = [parse_entry(r) for r in ROWS]
    return [e for e in parsed if e is not None]


def test_filters() -> None:
    ids = [e.id for e in filter_candidates(entries(), now=NOW)]
    assert "openai/gpt-4o-mini" not in ids and "acme/embedder:free" not in ids
    assert len(ids) == 5
    assert [e.id for e in filter_candidates(entries(), provider="meta-llama", now=NOW)] == [
        "meta-llama/llama-3.3-70b-instruct:free",
        "meta-llama/llama-3.2-3b-instruct:free",
    ]
    big = {e.id for e in filter_candidates(entries(), min_params=25, now=NOW)}
    assert big == {
        "meta-llama/llama-3.3-70b-instruct:free",
        "google/gemma-3-27b-it:free",
        "qwen/qwen2.5-vl-72b-instruct:free",
    }
    recent = {e.id for e in filter_candidates(entries(), max_age_days=30, now=NOW)}
    assert "qwen/qwen2.5-vl-72b-instruct:free" not in recent and len(recent) == 4


def test_metadata_ranking_image_then_tools_then_context_then_params() -> None:
    ranked = [c.entry.id for c in rank([Candidate(e) for e in filter_candidates(entries(), now=NOW)])]
    assert ranked == [
        "qwen/qwen2.5-vl-72b-instruct:free",  # image + tools
        "google/gemma-3-27b-it:free",  # image, no tools
        "mistralai/mistral-small-3.2-24b-instruct:free",  # tools, 131k context
        "meta-llama/llama-3.3-70b-instruct:free",  # tools, 65k context
        "meta-llama/llama-3.2-3b-instruct:free",  # no tools
    ]


def test_probe_results_override_metadata_and_latency_breaks_ties() -> None:
    by_id = {e.id: Candidate(e) for e in filter_candidates(entries(), now=NOW)}
    by_id["qwen/qwen2.5-vl-72b-instruct:free"].tool = ProbeOutcome("rate_limit")
    by_id["qwen/qwen2.5-vl-72b-instruct:free"].image = ProbeOutcome("rate_limit")
    by_id["google/gemma-3-27b-it:free"].tool = ProbeOutcome("format")
    by_id["google/gemma-3-27b-it:free"].image = ProbeOutcome("ok", latency_ms=900)
    by_id["mistralai/mistral-small-3.2-24b-instruct:free"].tool = ProbeOutcome("ok", latency_ms=800)
    by_id["meta-llama/llama-3.3-70b-instruct:free"].tool = ProbeOutcome("ok", latency_ms=200)
    by_id["meta-llama/llama-3.2-3b-instruct:free"].tool = ProbeOutcome("ok", latency_ms=50)  # tools after all
    ranked = [c.entry.id for c in rank(list(by_id.values()))]
    assert ranked == [
        "google/gemma-3-27b-it:free",  # the only working image model
        "meta-llama/llama-3.2-3b-instruct:free",  # fastest tool call
        "meta-llama/llama-3.3-70b-instruct:free",
        "mistralai/mistral-small-3.2-24b-instruct:free",
        "qwen/qwen2.5-vl-72b-instruct:free",  # answered nothing: last
    ]


@pytest.fixture
def scan_upstream() -> Iterator[FakeUpstream]:
    rows = [dict(r, created=int(time.time() - 10 * 86400)) for r in ROWS]
    with FakeUpstream.running(models=rows) as up:
        yield up


def write_config(home: Path, config: dict[str, Any]) -> Path:
    state = home / ".openclaw"
    state.mkdir(exist_ok=True)
    path = state / "openclaw.json"
    path.write_text(json.dumps(config))
    return path


def test_scan_no_probe_lists_ranked_free_models(cli: Cli, home: Path, scan_upstream: FakeUpstream) -> None:
    write_config(home, {"models": {"providers": {"openrouter": {"baseUrl": scan_upstream.base_url}}}})
    result = cli("models", "scan", "--no-probe", "--max-candidates", "3")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["#", "Model"]
    assert [line.split()[1] for line in lines[1:]] == [
        "openrouter/qwen/qwen2.5-vl-72b-instruct:free",
        "openrouter/google/gemma-3-27b-it:free",
        "openrouter/mistralai/mistral-small-3.2-24b-instruct:free",
    ]
    assert scan_upstream.chat_requests == []
    data = json.loads(cli("models", "scan", "--no-probe", "--json").stdout)
    assert data["probed"] is False and data["count"] == 5
    assert data["catalog"]["source"] == "cache" and data["catalog"]["stale"] is False
    assert data["candidates"][0]["paramsB"] == 72.0


def test_scan_probes_then_sets_the_default(cli: Cli, home: Path, scan_upstream: FakeUpstream) -> None:
    path = write_config(home, {"models": {"providers": {"openrouter": {"baseUrl": scan_upstream.base_url}}}})
    scan_upstream.set_default(Reply.status(404, "No endpoints found that support tool use."))
    scan_upstream.on_model("meta-llama/llama-3.3-70b-instruct:free", Reply.tool_call("ping"))
    scan_upstream.on_model("google/gemma-3-27b-it:free", Reply.text("OK"))
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    result = cli("models", "scan", "--json", extra_env=env)
    assert result.code == 0, result.output
    data = json.loads(result.stdout)
    assert data["probed"] is True
    first, second = data["candidates"][:2]
    assert first["id"] == "google/gemma-3-27b-it:free" and first["imageProbe"]["status"] == "ok"
    assert second["id"] == "meta-llama/llama-3.3-70b-instruct:free" and second["toolProbe"]["status"] == "ok"
    tool_bodies = [r.json for r in scan_upstream.chat_requests if r.json.get("tools")]
    assert len(tool_bodies) == 5 and all(b["tools"][0]["function"]["name"] == "ping" for b in tool_bodies)
    image_bodies = [r.json for r in scan_upstream.chat_requests if not r.json.get("tools")]
    assert {b["model"] for b in image_bodies} == {
        "google/gemma-3-27b-it:free",
        "qwen/qwen2.5-vl-72b-instruct:free",
    }
    assert FAKE_KEY not in result.output

    refused = cli("models", "scan", "--set-default", extra_env=env)  # not a terminal, no --yes
    assert refused.code == 2 and "--yes" in refused.stderr
    assert "agents" not in json.loads(path.read_text())
    done = cli("models", "scan", "--set-default", "--yes", extra_env=env)
    assert done.code == 0, done.output
    config = json.loads(path.read_text())
    assert (
        config["agents"]["defaults"]["model"]["primary"]
        == "openrouter/meta-llama/llama-3.3-70b-instruct:free"
    )
    assert "Default model: openrouter/meta-llama/llama-3.3-70b-instruct:free" in done.stderr


def test_scan_without_a_key_explains_and_shows_metadata(
    cli: Cli, home: Path, scan_upstream: FakeUpstream
) -> None:
    # the catalogue comes from the fake; chat would go to openrouter.ai, which has no key here
    write_config(home, {"models": {"catalogRefresh": {"url": f"{scan_upstream.base_url}/models"}}})
    result = cli("models", "scan", "--max-candidates", "2")
    assert result.code == 0, result.output
    assert "No OpenRouter key, so no live probes" in result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert scan_upstream.chat_requests == []
    need = cli("models", "scan", "--set-default", "--yes")
    assert need.code == 1 and "need live probes" in need.stderr
    assert cli("models", "scan", "--set-default", "--no-probe").code == 2


def test_scan_offline_uses_the_bundled_snapshot(cli: Cli, home: Path) -> None:
    write_config(home, {"models": {"catalogRefresh": {"url": "http://127.0.0.1:9/api/v1/models"}}})
    result = cli("models", "scan", "--no-probe", "--json")
    assert result.code == 0, result.output
    data = json.loads(result.stdout)
    assert data["catalog"]["source"] == "bundled" and data["catalog"]["stale"] is True
    assert data["count"] == 6 and all(c["id"].endswith(":free") for c in data["candidates"])
    assert "Could not refresh the model catalogue" in result.stderr
