"""The candidate chain: defaults, agent strictness, one-off models, per-request lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from openclaw.errors import RefError
from openclaw.routing.chain import build_target
from openclaw.routing.types import Target
from test_router_support import make_runtime, selection


def keys(target: Target) -> list[str]:
    return [str(ref) for ref in target.candidates]


def test_default_is_primary_then_configured_fallbacks_deduplicated(home: Path) -> None:
    rt = make_runtime(
        home,
        selection(
            "openrouter/anthropic/claude-sonnet-4-5",
            "openrouter/openai/gpt-4o-mini",
            "openrouter/anthropic/claude-sonnet-4-5",
            "openrouter/openai/gpt-4o-mini",
        ),
    )
    target = build_target(rt, None)
    assert keys(target) == ["openrouter/anthropic/claude-sonnet-4-5", "openrouter/openai/gpt-4o-mini"]
    assert target.label == "openclaw/default"
    assert target.strict is False


def test_empty_config_defaults_to_openrouter_auto(home: Path) -> None:
    target = build_target(make_runtime(home, {}), None)
    assert keys(target) == ["openrouter/auto"]


def test_explicit_model_is_strict(home: Path) -> None:
    rt = make_runtime(home, selection("openrouter/a/b", "openrouter/c/d"))
    target = build_target(rt, "openrouter/x/y", strict=True)
    assert keys(target) == ["openrouter/x/y"]
    assert target.strict is True


def test_non_strict_model_gets_fallbacks_then_primary_last(home: Path) -> None:
    rt = make_runtime(home, selection("openrouter/a/b", "openrouter/c/d"))
    assert keys(build_target(rt, "openrouter/x/y")) == ["openrouter/x/y", "openrouter/c/d", "openrouter/a/b"]
    # the requested model is the primary: no duplicate
    assert keys(build_target(rt, "openrouter/a/b")) == ["openrouter/a/b", "openrouter/c/d"]


def test_per_request_list_is_exact(home: Path) -> None:
    rt = make_runtime(home, selection("openrouter/a/b", "openrouter/c/d"))
    target = build_target(rt, "openrouter/x/y", fallbacks=["openrouter/p/q"])
    assert keys(target) == ["openrouter/x/y", "openrouter/p/q"]
    assert target.strict is True
    assert keys(build_target(rt, "openrouter/x/y", fallbacks=[])) == ["openrouter/x/y"]
    assert keys(build_target(rt, None, fallbacks=["openrouter/p/q"])) == ["openrouter/a/b", "openrouter/p/q"]


def test_agent_own_primary_is_strict_unless_it_declares_fallbacks(home: Path) -> None:
    config = selection("openrouter/a/b", "openrouter/c/d")
    config["agents"]["entries"] = {
        "coder": {"model": "openrouter/x/y"},
        "writer": {"model": {"primary": "openrouter/w/w", "fallbacks": ["openrouter/p/q"]}},
    }
    rt = make_runtime(home, config)
    coder = build_target(rt, None, agent_id="coder")
    assert keys(coder) == ["openrouter/x/y"]
    assert coder.strict is True
    assert coder.label == "openclaw/coder"
    writer = build_target(rt, None, agent_id="writer")
    assert keys(writer) == ["openrouter/w/w", "openrouter/p/q"]
    assert writer.strict is False
    # an agent without its own model uses the defaults
    assert keys(build_target(rt, None, agent_id="other")) == ["openrouter/a/b", "openrouter/c/d"]


def test_aliases_and_profile_pins_resolve(home: Path) -> None:
    config = selection("openrouter/a/b")
    config["agents"]["defaults"]["models"] = {"openrouter/anthropic/claude-sonnet-4-5": {"alias": "sonnet"}}
    rt = make_runtime(home, config)
    assert keys(build_target(rt, "sonnet", strict=True)) == ["openrouter/anthropic/claude-sonnet-4-5"]
    pinned = build_target(rt, "openrouter/a/b@openrouter:work", strict=True)
    assert pinned.primary.profile == "openrouter:work"


def test_unknown_provider_gets_did_you_mean(home: Path) -> None:
    rt = make_runtime(home, {})
    with pytest.raises(RefError) as info:
        build_target(rt, "openrouterr/a/b", strict=True)
    assert "Did you mean" in info.value.message
    assert "openrouter/a/b" in info.value.message


def test_bad_configured_fallback_is_reported_as_such(home: Path) -> None:
    rt = make_runtime(home, selection("openrouter/a/b", "nosuchprovider/x"))
    with pytest.raises(RefError) as info:
        build_target(rt, None)
    assert info.value.message.startswith("Configured fallback:")


def test_request_list_overrides_agent_fallbacks(home: Path) -> None:
    config = selection("openrouter/a/b")
    config["agents"]["entries"] = {
        "writer": {"model": {"primary": "openrouter/w/w", "fallbacks": ["openrouter/p/q"]}}
    }
    rt = make_runtime(home, config)
    target = build_target(rt, None, agent_id="writer", fallbacks=["openrouter/z/z"])
    assert keys(target) == ["openrouter/w/w", "openrouter/z/z"]
    assert target.strict is True
