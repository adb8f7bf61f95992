"""The fake upstream's catalog and account endpoints, in OpenRouter's shapes."""

from __future__ import annotations

from typing import Any

__all__ = ["CREDITS", "KEY_INFO", "default_models"]


def _model(
    id: str,
    name: str,
    *,
    context: int,
    max_out: int | None,
    inputs: list[str],
    prompt: str,
    completion: str,
    params: list[str],
    **pricing: str,
) -> dict[str, Any]:
    modality = "+".join(inputs) + "->text"
    return {
        "id": id,
        "canonical_slug": id,
        "hugging_face_id": None,
        "name": name,
        "created": 1758672000,
        "description": f"{name} (fake upstream)",
        "context_length": context,
        "architecture": {
            "modality": modality,
            "input_modalities": inputs,
            "output_modalities": ["text"],
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0", **pricing},
        "top_provider": {"context_length": context, "max_completion_tokens": max_out, "is_moderated": False},
        "per_request_limits": None,
        "supported_parameters": params,
        "default_parameters": None,
    }


_TOOLS = ["max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice", "response_format"]
_REASONING = [*_TOOLS, "reasoning", "include_reasoning"]


def default_models() -> list[dict[str, Any]]:
    """A few models with every field the catalog code reads (a fresh list each call)."""
    return [
        _model(
            "anthropic/claude-sonnet-4-5",
            "Anthropic: Claude Sonnet 4.5",
            context=1_000_000,
            max_out=64000,
            inputs=["text", "image", "file"],
            prompt="0.000003",
            completion="0.000015",
            params=_REASONING,
            input_cache_read="0.0000003",
            input_cache_write="0.00000375",
        ),
        _model(
            "openai/gpt-4o-mini",
            "OpenAI: GPT-4o-mini",
            context=128_000,
            max_out=16384,
            inputs=["text", "image", "file"],
            prompt="0.00000015",
            completion="0.0000006",
            params=[*_TOOLS, "seed", "logprobs"],
            input_cache_read="0.000000075",
        ),
        _model(
            "openrouter/auto",
            "Auto Router",
            context=2_000_000,
            max_out=None,
            inputs=["text", "image"],
            prompt="-1",
            completion="-1",
            params=_REASONING,
        ),
        _model(
            "moonshotai/kimi-k2.5",
            "MoonshotAI: Kimi K2.5",
            context=262_144,
            max_out=262_144,
            inputs=["text", "image"],
            prompt="0.0000006",
            completion="0.0000025",
            params=_REASONING,
        ),
        _model(
            "meta-llama/llama-3.1-8b-instruct:free",
            "Meta: Llama 3.1 8B Instruct (free)",
            context=131_072,
            max_out=8192,
            inputs=["text"],
            prompt="0",
            completion="0",
            params=["max_tokens", "temperature", "top_p", "stop"],
        ),
    ]


KEY_INFO: dict[str, Any] = {
    "label": "sk-or-v1-fak...890",
    "limit": 25.0,
    "limit_remaining": 24.75,
    "limit_reset": "monthly",
    "include_byok_in_limit": False,
    "usage": 0.25,
    "usage_daily": 0.05,
    "usage_weekly": 0.1,
    "usage_monthly": 0.25,
    "byok_usage": 0.0,
    "byok_usage_daily": 0.0,
    "byok_usage_weekly": 0.0,
    "byok_usage_monthly": 0.0,
    "is_free_tier": False,
    "is_management_key": False,
    "is_provisioning_key": False,
    "expires_at": None,
    "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
}

CREDITS: dict[str, Any] = {"total_credits": 10.0, "total_usage": 0.25}
