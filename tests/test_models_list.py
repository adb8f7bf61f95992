"""``openclaw models list``: configured rows, catalog facts, tags, filters, table and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, Cli
from openclaw.catalog.resolve import ModelFacts
from openclaw.cli.models_list import build_rows, render_table
from openclaw.runtime import Runtime, load_snapshot


def _home_with(home: Path, config: dict[str, Any]) -> None:
    (home / ".openclaw").mkdir(mode=0o700, exist_ok=True)
    (home / ".openclaw" / "openclaw.json").write_text(json.dumps(config))


def _runtime(env: dict[str, str]) -> Runtime:
    paths, snapshot = load_snapshot(env)
    return Runtime.from_snapshot(paths, snapshot)


CONFIG: dict[str, Any] = {
    "agents": {
        "defaults": {
            "model": {"primary": "sonnet", "fallbacks": ["openrouter/openai/gpt-4o-mini", "mylocal/qwen3"]},
            "imageModel": {"primary": "openrouter/google/gemini-2.5-flash"},
            "models": {
                "openrouter/anthropic/claude-sonnet-4-5": {"alias": "sonnet"},
                "openrouter/unknown/model-x": {},
            },
        }
    },
    "models": {
        "providers": {
            "mylocal": {
                "baseUrl": "http://127.0.0.1:8000/v1",
                "models": [
                    {"id": "qwen3", "name": "Qwen 3", "contextWindow": 32768, "input": ["text"]},
                    {"id": "llava", "input": ["text", "image"], "contextWindow": 4096, "contextTokens": 2048},
                ],
            }
        }
    },
}


def test_empty_home_lists_the_default_model(cli: Cli) -> None:
    result = cli("models", "list", "--json")
    data = json.loads(result.stdout)
    assert data["count"] == 1
    (row,) = data["models"]
    assert row["key"] == "openrouter/auto"
    assert row["tags"] == ["default"]
    assert row["available"] is False  # no credential
    assert list(row) == ["key", "name", "input", "contextWindow", "local", "available", "tags", "missing"]


def test_no_models_found(cli: Cli, home: Path) -> None:
    _home_with(home, CONFIG)
    result = cli("models", "list", "--provider", "moonshot")
    assert result.code == 0
    assert result.stdout == "No models found.\n"
    assert json.loads(cli("models", "list", "--provider", "moonshot", "--json").stdout) == {
        "count": 0,
        "models": [],
    }


def test_configured_rows_tags_and_facts(cli: Cli, home: Path) -> None:
    _home_with(home, CONFIG)
    rows = {
        r["key"]: r
        for r in json.loads(
            cli("models", "list", "--json", extra_env={"OPENROUTER_API_KEY": FAKE_KEY}).stdout
        )["models"]
    }
    assert list(rows) == [
        "openrouter/anthropic/claude-sonnet-4-5",
        "openrouter/openai/gpt-4o-mini",
        "mylocal/qwen3",
        "openrouter/google/gemini-2.5-flash",
        "openrouter/unknown/model-x",
        "mylocal/llava",
    ]
    sonnet = rows["openrouter/anthropic/claude-sonnet-4-5"]
    assert sonnet["tags"] == ["default", "configured", "alias:sonnet"]
    assert sonnet["missing"] is False  # known to the bundled OpenRouter catalog
    assert sonnet["available"] is True
    assert sonnet["local"] is False
    assert rows["openrouter/openai/gpt-4o-mini"]["tags"] == ["fallback#1"]
    qwen = rows["mylocal/qwen3"]
    assert qwen["tags"] == ["fallback#2"]
    assert (qwen["name"], qwen["input"], qwen["contextWindow"], qwen["local"]) == (
        "Qwen 3",
        "text",
        32768,
        True,
    )
    assert qwen["available"] is True  # a loopback provider needs no key
    assert rows["openrouter/google/gemini-2.5-flash"]["tags"][0] == "image"
    assert rows["openrouter/unknown/model-x"]["tags"] == ["configured", "missing"]
    assert rows["openrouter/unknown/model-x"]["missing"] is True
    llava = rows["mylocal/llava"]
    assert (llava["input"], llava["contextWindow"], llava["tags"]) == ("text+image", 4096, [])
    assert llava["contextTokens"] == 2048
    assert "contextTokens" not in qwen


def test_table_layout(cli: Cli, home: Path) -> None:
    _home_with(home, CONFIG)
    lines = cli("models", "list").stdout.splitlines()
    # The Input column widens to the longest modality list (text+image+file here), up to 16.
    assert lines[0] == "Model".ljust(42) + " " + "Input".ljust(15) + " Ctx         Local Auth  Tags"
    qwen = next(line for line in lines if line.startswith("mylocal/qwen3"))
    assert qwen == "mylocal/qwen3".ljust(42) + " " + "text".ljust(15) + " 33k         yes   yes   fallback#2"
    missing = next(line for line in lines if line.startswith("openrouter/unknown"))
    assert missing.split()[1:] == ["-", "-", "no", "no", "configured,missing"]


def test_long_keys_are_truncated_and_context_caps_shown() -> None:
    from openclaw.cli.models_list import ListRow

    row = ListRow(
        key="openrouter/" + "x" * 60, name="x", input="text", context_window=200_000, context_tokens=100_000
    )
    line = render_table([row])[1]
    assert line.startswith("openrouter/" + "x" * 28 + "... ")
    assert "100k/200k" in line  # thousands, as OpenClaw prints 200000 as 200k


def test_plain_and_filters(cli: Cli, home: Path) -> None:
    _home_with(home, CONFIG)
    assert (
        cli("models", "list", "--plain", "--provider", "mylocal").stdout == "mylocal/qwen3\nmylocal/llava\n"
    )
    assert cli("models", "list", "--plain", "--local").stdout == "mylocal/qwen3\nmylocal/llava\n"
    assert (
        cli("models", "list", "--plain", "--provider", " MyLocal ").stdout == "mylocal/qwen3\nmylocal/llava\n"
    )


def test_provider_label_is_rejected(cli: Cli) -> None:
    result = cli("models", "list", "--provider", "Moonshot AI")
    assert result.code == 2
    assert (
        'Invalid provider filter "Moonshot AI". Use a provider id such as "moonshot", not a display label.'
        in result.stderr
    )


def test_all_adds_catalog_rows(cli: Cli, home: Path) -> None:
    _home_with(home, CONFIG)
    default = json.loads(cli("models", "list", "--json").stdout)["count"]
    everything = json.loads(cli("models", "list", "--all", "--provider", "openrouter", "--json").stdout)
    keys = [m["key"] for m in everything["models"]]
    assert everything["count"] > default
    assert "openrouter/auto" in keys  # from the bundled catalog, id without a doubled prefix
    assert all(k.startswith("openrouter/") for k in keys)
    assert len(keys) == len(set(keys))
    # the configured sonnet (4-5) is not listed twice under the catalog's spelling (4.5)
    assert "openrouter/anthropic/claude-sonnet-4.5" not in keys


def test_models_mode_replace_lists_only_provider_models(cli: Cli, home: Path) -> None:
    _home_with(home, {**CONFIG, "models": {**CONFIG["models"], "mode": "replace"}})
    assert cli("models", "list", "--plain").stdout == "mylocal/qwen3\nmylocal/llava\n"


def test_catalog_rows_merge_through_build_rows(env: dict[str, str], home: Path) -> None:
    _home_with(
        home,
        {
            "agents": {"defaults": {"model": "acme/big"}},
            "models": {"providers": {"acme": {"baseUrl": "https://acme.example/v1"}}},
        },
    )
    runtime = _runtime(env)
    facts = [
        ModelFacts(id="big", name="Big", context_window=1_000_000, source="catalog"),
        ModelFacts(id="small", source="catalog"),
    ]
    rows = build_rows(runtime, catalog=[("acme", f) for f in facts])
    assert [(r.key, r.missing) for r in rows] == [("acme/big", False)]
    assert rows[0].name == "Big"
    rows = build_rows(runtime, catalog=[("acme", f) for f in facts], include_catalog=True)
    assert [r.key for r in rows] == ["acme/big", "acme/small"]
    looked_up = build_rows(runtime, lookup=lambda key: ModelFacts(id=key, context_window=7, source="catalog"))
    assert looked_up[0].context_window == 7


@pytest.mark.parametrize("flags", [["--json", "--plain"]])
def test_conflicting_output_flags(cli: Cli, flags: list[str]) -> None:
    result = cli("models", "list", *flags)
    assert result.code == 2
