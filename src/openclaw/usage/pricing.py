"""Cost of one attempt, in USD, and where the number came from.

Order of preference (field lesson 6, "wrong costs"):

1. the cost the provider reported (OpenRouter's ``usage.cost``): ``cost_source = "provider"``;
2. otherwise the model's prices (``ModelFacts.pricing``, USD per 1M tokens) from the config
   (``cost_source = "config"``) or the catalog (``"catalog"``, also for the bundled snapshot),
   applied to each kind of token separately:

   * uncached input  = ``input - cache_read - cache_write`` at the input price
     (``Usage.input`` counts every prompt token, cached or not, as OpenAI and OpenRouter do);
   * cache reads at the cache-read price, cache writes at the cache-write price;
   * output at the output price. Reasoning tokens are output tokens: ``Usage.output`` already
     includes them (OpenAI, OpenRouter and Anthropic all count them there), so they are not
     added a second time;

3. otherwise ``None``. A token kind that was used but has no known price makes the whole cost
   unknown: a missing number is better than a wrong one.

A failed attempt costs nothing unless the provider reported a cost for it
(:func:`attempt_cost`).
"""

from __future__ import annotations

import msgspec

from ..catalog.resolve import ModelFacts, Pricing
from ..wire.types import Usage

__all__ = ["attempt_cost", "cost_from_pricing", "price_usage"]

_PER = 1_000_000.0


def cost_from_pricing(usage: Usage, pricing: Pricing) -> float | None:
    """USD for ``usage`` at ``pricing`` (per 1M tokens), or None when a needed price is unknown."""
    if pricing.input < 0 or pricing.output < 0:
        return None
    cache_read = usage.cache_read if usage.cache_read > 0 else 0
    cache_write = usage.cache_write if usage.cache_write > 0 else 0
    uncached = usage.input - cache_read - cache_write
    output = usage.output
    total = (uncached if uncached > 0 else 0) * pricing.input + (output if output > 0 else 0) * pricing.output
    if cache_read:
        price = pricing.cache_read
        if price is None or price < 0:
            return None
        total += cache_read * price
    if cache_write:
        price = pricing.cache_write
        if price is None or price < 0:
            return None
        total += cache_write * price
    return total / _PER


def price_usage(usage: Usage, facts: ModelFacts | None) -> Usage:
    """``usage`` with ``cost`` and ``cost_source`` filled in (a new value unless nothing
    changes; the input is never modified).

    A provider-reported cost is kept as it is. Without one, the cost is computed from the
    model's prices; when they are unknown the cost stays ``None``.
    """
    if usage.cost is not None:
        if usage.cost_source is None:
            return msgspec.structs.replace(usage, cost_source="provider")
        return usage
    pricing = facts.pricing if facts is not None else None
    cost = cost_from_pricing(usage, pricing) if pricing is not None else None
    if cost is None:
        return usage if usage.cost_source is None else msgspec.structs.replace(usage, cost_source=None)
    assert facts is not None
    source = "config" if facts.source == "config" else "catalog"
    return msgspec.structs.replace(usage, cost=cost, cost_source=source)


def attempt_cost(
    usage: Usage | None, facts: ModelFacts | None, *, ok: bool
) -> tuple[float | None, str | None]:
    """``(cost, cost_source)`` for one ledger row.

    Successful attempts are priced by :func:`price_usage`. A failed attempt is charged only what
    the provider said it billed; otherwise it costs 0 (nothing was delivered, nothing estimated).
    """
    if usage is None:
        return (None, None) if ok else (0.0, None)
    if ok:
        priced = price_usage(usage, facts)
        return priced.cost, priced.cost_source
    if usage.cost is not None:
        return usage.cost, usage.cost_source or "provider"
    return 0.0, None
