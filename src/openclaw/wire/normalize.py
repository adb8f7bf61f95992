"""Shared normalizers: finish reasons and token usage, from any upstream's vocabulary.

Used by the upstream decoders (:mod:`openclaw.wire.openai_upstream`,
:mod:`openclaw.wire.anthropic_upstream`) and by the client-facing encoders, so that both sides
agree on one vocabulary: ``stop | length | tool_calls | content_filter | error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import Usage

__all__ = [
    "ANTHROPIC_STOP_REASONS",
    "FINISH_TO_ANTHROPIC",
    "normalize_finish",
    "usage_from_anthropic",
    "usage_from_openai",
]

# Anthropic stop_reason -> our finish reason
ANTHROPIC_STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# our finish reason -> Anthropic stop_reason (for Anthropic-shaped front doors)
FINISH_TO_ANTHROPIC: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}

_OPENAI_FINISH: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
    **ANTHROPIC_STOP_REASONS,
}


def normalize_finish(raw: str | None) -> str:
    """Any provider's finish/stop reason in our vocabulary (unknown values count as ``stop``)."""
    if not raw:
        return "stop"
    return _OPENAI_FINISH.get(raw, _OPENAI_FINISH.get(raw.lower(), "stop"))


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return 0


def usage_from_openai(raw: Mapping[str, Any]) -> Usage:
    """OpenAI/OpenRouter ``usage`` (also accepts ``input_tokens``/``output_tokens`` aliases).

    ``cost`` is OpenRouter's provider-billed USD, kept with ``cost_source="provider"``."""
    prompt = raw.get("prompt_tokens", raw.get("input_tokens"))
    completion = raw.get("completion_tokens", raw.get("output_tokens"))
    pdetails = raw.get("prompt_tokens_details") or raw.get("input_tokens_details") or {}
    cdetails = raw.get("completion_tokens_details") or raw.get("output_tokens_details") or {}
    input_tokens, output_tokens = _int(prompt), _int(completion)
    total = _int(raw.get("total_tokens")) or input_tokens + output_tokens
    raw_cost = raw.get("cost")
    cost = float(raw_cost) if isinstance(raw_cost, int | float) and not isinstance(raw_cost, bool) else None
    return Usage(
        input=input_tokens,
        output=output_tokens,
        cache_read=_int(pdetails.get("cached_tokens") if isinstance(pdetails, Mapping) else 0),
        cache_write=_int(pdetails.get("cache_write_tokens") if isinstance(pdetails, Mapping) else 0),
        reasoning=_int(cdetails.get("reasoning_tokens") if isinstance(cdetails, Mapping) else 0),
        total=total,
        cost=cost,
        cost_source="provider" if cost is not None else None,
    )


def usage_from_anthropic(raw: Mapping[str, Any]) -> Usage:
    """Anthropic ``usage``: ``input_tokens`` excludes cache reads and writes, ours includes them."""
    read = _int(raw.get("cache_read_input_tokens"))
    write = _int(raw.get("cache_creation_input_tokens"))
    input_tokens = _int(raw.get("input_tokens")) + read + write
    output_tokens = _int(raw.get("output_tokens"))
    return Usage(
        input=input_tokens,
        output=output_tokens,
        cache_read=read,
        cache_write=write,
        total=input_tokens + output_tokens,
    )
