"""Pricing paths: provider-reported cost, catalog prices with cache reads/writes, config prices,
unknown prices (no cost rather than a wrong one), failed attempts."""

from __future__ import annotations

from pathlib import Path

import pytest

from openclaw.catalog.models import ModelCatalog
from openclaw.catalog.openrouter_catalog import parse_entry
from openclaw.catalog.resolve import ModelFacts, Pricing
from openclaw.config.validate import validate
from openclaw.paths import resolve_paths
from openclaw.usage.pricing import attempt_cost, cost_from_pricing, price_usage
from openclaw.wire.types import Usage

SONNET = Pricing(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)


def facts(pricing: Pricing | None, source: str = "catalog") -> ModelFacts:
    return ModelFacts(id="m", pricing=pricing, source=source)


def test_provider_reported_cost_wins_over_prices() -> None:
    usage = Usage(input=1000, output=500, cost=0.000051)
    priced = price_usage(usage, facts(SONNET))
    assert priced.cost == 0.000051
    assert priced.cost_source == "provider"
    assert usage.cost_source is None  # the input value is not modified


def test_provider_cost_zero_is_kept_not_recomputed() -> None:
    priced = price_usage(Usage(input=10_000, output=10_000, cost=0.0), facts(SONNET))
    assert priced.cost == 0.0
    assert priced.cost_source == "provider"


def test_catalog_price_with_cached_tokens() -> None:
    # 10k prompt tokens, of which 6k cache reads and 2k cache writes; 1k output incl. 400 reasoning
    usage = Usage(input=10_000, output=1_000, cache_read=6_000, cache_write=2_000, reasoning=400)
    priced = price_usage(usage, facts(SONNET, "catalog"))
    expected = (2_000 * 3.0 + 6_000 * 0.3 + 2_000 * 3.75 + 1_000 * 15.0) / 1e6
    assert priced.cost == pytest.approx(expected)
    assert priced.cost_source == "catalog"
    # Not the naive price that ignores the cache discount (field lesson 6)
    assert priced.cost != pytest.approx((10_000 * 3.0 + 1_000 * 15.0) / 1e6)


def test_reasoning_tokens_are_not_billed_twice() -> None:
    with_reasoning = price_usage(Usage(input=100, output=1000, reasoning=900), facts(SONNET))
    without = price_usage(Usage(input=100, output=1000), facts(SONNET))
    assert with_reasoning.cost == without.cost == pytest.approx((100 * 3 + 1000 * 15) / 1e6)


def test_bundled_prices_count_as_catalog() -> None:
    priced = price_usage(Usage(input=1_000_000), facts(SONNET, "bundled"))
    assert priced.cost == pytest.approx(3.0)
    assert priced.cost_source == "catalog"


def test_config_price(home: Path) -> None:
    raw = {
        "models": {
            "providers": {
                "openrouter": {
                    "models": [
                        {
                            "id": "anthropic/claude-sonnet-4.5",
                            "cost": {"input": 1.0, "output": 2.0, "cacheRead": 0.5, "cacheWrite": 1.5},
                        }
                    ]
                }
            }
        }
    }
    config = validate(raw, path="openclaw.json")
    catalog = ModelCatalog.load(resolve_paths({"HOME": str(home)}), config)
    model_facts = catalog.facts("openrouter/anthropic/claude-sonnet-4.5")
    assert model_facts is not None and model_facts.source == "config"
    priced = price_usage(Usage(input=3_000, output=1_000, cache_read=1_000, cache_write=1_000), model_facts)
    assert priced.cost == pytest.approx((1_000 * 1.0 + 1_000 * 0.5 + 1_000 * 1.5 + 1_000 * 2.0) / 1e6)
    assert priced.cost_source == "config"
    # the config's facts keep the catalog's context window where the config says nothing
    assert model_facts.context_window == 1_000_000


def test_unknown_price_gives_no_cost() -> None:
    assert price_usage(Usage(input=100, output=100), None).cost is None
    assert price_usage(Usage(input=100, output=100), facts(None)).cost is None
    # openrouter/auto: variable pricing ("-1") is unknown, never zero or negative
    auto = parse_entry(
        {"id": "openrouter/auto", "pricing": {"prompt": "-1", "completion": "-1"}, "context_length": 2000000}
    )
    assert auto is not None and auto.pricing is None
    assert price_usage(Usage(input=100, output=100), auto.facts("catalog")).cost is None


def test_cache_tokens_without_a_cache_price_make_the_cost_unknown() -> None:
    no_cache_write = Pricing(input=3.0, output=15.0, cache_read=0.3, cache_write=None)
    usage = Usage(input=5000, output=10, cache_write=4000)
    assert cost_from_pricing(usage, no_cache_write) is None
    priced = price_usage(usage, facts(no_cache_write))
    assert priced.cost is None and priced.cost_source is None
    # ...but a request that wrote nothing to the cache is priced normally
    assert cost_from_pricing(Usage(input=5000, output=10), no_cache_write) == pytest.approx(
        (5000 * 3 + 10 * 15) / 1e6
    )


def test_catalog_price_strings_are_per_token() -> None:
    entry = parse_entry(
        {
            "id": "x/y",
            "pricing": {
                "prompt": "0.000003",
                "completion": "0.000015",
                "input_cache_read": "0.0000003",
                "input_cache_write": "0.00000375",
            },
        }
    )
    assert entry is not None
    assert entry.pricing == Pricing(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)
    missing = parse_entry({"id": "x/z", "pricing": {"prompt": "0.000001"}})
    assert missing is not None and missing.pricing is None
    garbage = parse_entry({"id": "x/w", "pricing": {"prompt": "abc", "completion": "0"}})
    assert garbage is not None and garbage.pricing is None


def test_failed_attempts_cost_nothing_unless_billed() -> None:
    assert attempt_cost(None, facts(SONNET), ok=False) == (0.0, None)
    # tokens counted but the attempt failed: not estimated
    assert attempt_cost(Usage(input=1000, output=50), facts(SONNET), ok=False) == (0.0, None)
    # the provider billed the failed attempt: that is what it cost
    assert attempt_cost(Usage(input=1000, cost=0.0042), facts(SONNET), ok=False) == (0.0042, "provider")
    cost, source = attempt_cost(Usage(input=1_000_000), facts(SONNET), ok=True)
    assert cost == pytest.approx(3.0) and source == "catalog"
    assert attempt_cost(None, facts(SONNET), ok=True) == (None, None)
