"""Model refs: split on the first "/", aliases, provider aliases, "did you mean", @profile pins."""

from __future__ import annotations

import pytest

from openclaw.catalog.providers import BUILTIN_PROVIDERS
from openclaw.errors import RefError
from openclaw.refs import ModelRef, canonical_provider, parse_ref, resolve_ref

KNOWN = {"openrouter", "anthropic", "openai", "zai", "moonshot", "mylocal"}


@pytest.mark.parametrize(
    ("raw", "provider", "model"),
    [
        ("openrouter/meta-llama/llama-3.1-8b", "openrouter", "meta-llama/llama-3.1-8b"),
        ("openrouter/anthropic/claude-sonnet-4-5", "openrouter", "anthropic/claude-sonnet-4-5"),
        ("openrouter/auto", "openrouter", "auto"),
        ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("  OpenRouter/Meta-Llama/Llama-3.1-8B  ", "openrouter", "Meta-Llama/Llama-3.1-8B"),
        ("z.ai/glm-4.7", "zai", "glm-4.7"),
        ("Z-AI/glm-4.7", "zai", "glm-4.7"),
        ("glm/glm-4.7", "zai", "glm-4.7"),
        ("opencode-zen/claude-sonnet-4-5", "opencode", "claude-sonnet-4-5"),
    ],
)
def test_split_on_first_slash_only(raw: str, provider: str, model: str) -> None:
    ref = parse_ref(raw)
    assert (ref.provider, ref.model) == (provider, model)
    assert ref.key == f"{provider}/{model}"
    assert ref.profile is None


def test_openrouter_prefix_is_not_doubled() -> None:
    # OpenRouter's own models (openrouter/auto, openrouter/fusion) keep one prefix in the key; the
    # upstream id gets it back from the row's bare-model prefix.
    for raw, key in (
        ("openrouter/openrouter/auto", "openrouter/auto"),
        ("openrouter/openrouter/fusion", "openrouter/fusion"),
    ):
        ref = parse_ref(raw)
        assert ref.key == key
        row = BUILTIN_PROVIDERS["openrouter"]
        assert f"{row.bare_model_prefix}{ref.model}" == key


@pytest.mark.parametrize("raw", ["", "   ", "openrouter", "openrouter/", "/auto", " / "])
def test_malformed_refs_are_rejected(raw: str) -> None:
    with pytest.raises(RefError) as info:
        parse_ref(raw)
    assert "provider/model" in info.value.message


def test_profile_pin_after_the_model() -> None:
    ref = parse_ref("openrouter/anthropic/claude-sonnet-4-5@openrouter:work")
    assert ref == ModelRef("openrouter", "anthropic/claude-sonnet-4-5", "openrouter:work")
    assert str(ref) == "openrouter/anthropic/claude-sonnet-4-5@openrouter:work"
    assert ref.key == "openrouter/anthropic/claude-sonnet-4-5"


def test_at_sign_without_profile_shape_stays_in_the_model_id() -> None:
    ref = parse_ref("openrouter/some/model@v2")
    assert ref.model == "some/model@v2"
    assert ref.profile is None


def test_canonical_provider_aliases() -> None:
    assert canonical_provider("Z.AI") == "zai"
    assert canonical_provider(" kimi-code ") == "kimi-coding"
    assert canonical_provider("vercel") == "vercel-ai-gateway"
    assert canonical_provider("openrouter") == "openrouter"


def test_alias_lookup_is_case_insensitive_and_keeps_a_pin() -> None:
    aliases = {"OpenRouter": "openrouter/auto", "sonnet": "openrouter/anthropic/claude-sonnet-4-5"}
    assert resolve_ref("openrouter", aliases=aliases, known_providers=KNOWN).key == "openrouter/auto"
    assert resolve_ref(" SONNET ", aliases=aliases, known_providers=KNOWN).key == aliases["sonnet"]
    pinned = resolve_ref("sonnet@openrouter:work", aliases=aliases, known_providers=KNOWN)
    assert pinned.profile == "openrouter:work"
    assert pinned.key == aliases["sonnet"]


def test_aliases_are_only_consulted_without_a_slash() -> None:
    aliases = {"openrouter/auto": "anthropic/claude-opus-5"}
    assert resolve_ref("openrouter/auto", aliases=aliases, known_providers=KNOWN).provider == "openrouter"


def test_bare_id_resolves_to_the_unique_configured_owner() -> None:
    configured = ["mylocal/qwen3", "openrouter/auto"]
    ref = resolve_ref("qwen3", aliases={}, known_providers=KNOWN, configured=configured)
    assert ref.key == "mylocal/qwen3"


def test_bare_id_owned_by_two_providers_is_ambiguous() -> None:
    configured = ["mylocal/qwen3", "openrouter/qwen3"]
    with pytest.raises(RefError):
        resolve_ref("qwen3", aliases={}, known_providers=KNOWN, configured=configured)


def test_unknown_alias_gets_a_suggestion() -> None:
    with pytest.raises(RefError) as info:
        resolve_ref("sonet", aliases={"sonnet": "anthropic/claude-sonnet-4-5"}, known_providers=KNOWN)
    assert info.value.suggestion == "sonnet"
    assert 'Did you mean "sonnet"?' in info.value.message


def test_unknown_provider_is_rejected_with_did_you_mean() -> None:
    with pytest.raises(RefError) as info:
        resolve_ref("openruter/anthropic/claude-sonnet-4-5", aliases={}, known_providers=KNOWN)
    assert 'Unknown provider "openruter"' in info.value.message
    assert info.value.suggestion == "openrouter/anthropic/claude-sonnet-4-5"


def test_unknown_provider_without_a_close_match_has_no_suggestion() -> None:
    with pytest.raises(RefError) as info:
        resolve_ref("qqqqqq/model", aliases={}, known_providers=KNOWN)
    assert info.value.suggestion is None
    assert "Did you mean" not in info.value.message


def test_same_model_under_two_providers_are_distinct_refs() -> None:
    a = resolve_ref("openrouter/gpt-4o", aliases={}, known_providers=KNOWN)
    b = resolve_ref("openai/gpt-4o", aliases={}, known_providers=KNOWN)
    assert a != b
    assert a.model == b.model
