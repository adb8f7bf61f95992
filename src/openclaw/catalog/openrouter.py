"""Where OpenRouter differs from any OpenAI-compatible provider (spec §13).

* attribution headers and Anthropic ``cache_control`` markers: only on the *verified* route (the
  base URL's host is openrouter.ai), never on a custom base URL (§13.5, captures/tls);
* per-model ``params``: ``provider`` routing preferences, ``transforms``, ``plugins``, ``usage``,
  ... go into the body on any OpenRouter route (the ``openrouter`` provider, whatever its base URL);
  response-cache params become headers on the verified route (§13.12);
* a thinking level becomes OpenRouter's ``reasoning`` object, never for ``openrouter/auto`` (§13.10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .resolve import ModelFacts, ResolvedProvider

__all__ = [
    "ATTRIBUTION_HEADERS",
    "BODY_PARAMS",
    "add_cache_markers",
    "is_openrouter_route",
    "reasoning_for",
    "response_cache_headers",
    "wants_cache_markers",
]

ATTRIBUTION_HEADERS: dict[str, str] = {
    "HTTP-Referer": "https://openclaw.ai",
    "X-OpenRouter-Title": "OpenClaw",
    "X-OpenRouter-Categories": (
        "cli-agent,cloud-agent,programming-app,creative-writing,writing-assistant,general-chat,personal-agent"
    ),
}

# Per-model params that OpenRouter reads from the request body, passed through unvalidated.
BODY_PARAMS = (
    "provider",
    "transforms",
    "plugins",
    "usage",
    "models",
    "route",
    "include_reasoning",
    "session_id",
    "trace",
    "debug",
    "cache_control",
    "prompt_cache_options",
    "verbosity",
    "top_k",
    "min_p",
    "top_a",
    "repetition_penalty",
)

_NO_REASONING = ("openrouter/auto", "openrouter/hunter-alpha")
_DEEPSEEK_V4 = ("deepseek/deepseek-v4-flash", "deepseek/deepseek-v4-pro")
_EPHEMERAL = {"type": "ephemeral"}
_MAX_BREAKPOINTS = 4  # Anthropic's limit on cache_control markers per request


def is_openrouter_route(provider: ResolvedProvider) -> bool:
    """The ``openrouter`` provider (any base URL) or any provider pointed at openrouter.ai."""
    return provider.id == "openrouter" or provider.verified_openrouter


def wants_cache_markers(provider: ResolvedProvider, model: str) -> bool:
    return provider.verified_openrouter and model.startswith("anthropic/")


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "yes"))


def response_cache_headers(params: Mapping[str, Any]) -> dict[str, str]:
    """§13.12: ``responseCache`` / TTL / clear params as OpenRouter response-cache headers."""
    headers: dict[str, str] = {}
    if any(_truthy(params.get(k)) for k in ("responseCache", "response_cache")):
        headers["X-OpenRouter-Cache"] = "true"
    for key in (
        "responseCacheTtlSeconds",
        "response_cache_ttl_seconds",
        "responseCacheTtl",
        "response_cache_ttl",
    ):
        value = params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            headers["X-OpenRouter-Cache-TTL"] = str(int(value))
            break
    if any(_truthy(params.get(k)) for k in ("responseCacheClear", "response_cache_clear")):
        headers["X-OpenRouter-Cache-Clear"] = "true"
    return headers


def reasoning_for(model: str, thinking: str | None, facts: ModelFacts | None) -> dict[str, Any] | None:
    """OpenRouter's ``reasoning`` object for a thinking level, or None to send nothing.

    ``model`` is the upstream id (``anthropic/claude-sonnet-4-5``, ``openrouter/auto``)."""
    if thinking is None or model in _NO_REASONING:
        return None
    level = thinking.strip().lower()
    if level == "off":
        # observed: reasoning-capable models get an explicit "none" (§6 item 9)
        return {"effort": "none"} if facts is not None and facts.reasoning else None
    if model in _DEEPSEEK_V4:
        return {"effort": "xhigh" if level in ("xhigh", "max", "ultra") else "high"}
    effort = {"adaptive": "medium", "ultra": "max"}.get(level, level)
    if effort not in ("minimal", "low", "medium", "high", "xhigh", "max"):
        effort = "medium"
    return {"effort": effort}


def _mark_last_text(content: Any) -> tuple[Any, bool]:
    """Put the marker on the last text part (a string becomes one text part)."""
    if isinstance(content, str):
        if not content:
            return content, False
        return [{"type": "text", "text": content, "cache_control": dict(_EPHEMERAL)}], True
    if isinstance(content, list):
        for part in reversed(content):
            if isinstance(part, dict) and part.get("type") == "text":
                if "cache_control" in part:
                    return content, False
                part["cache_control"] = dict(_EPHEMERAL)
                return content, True
    return content, False


def _count_markers(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
    count = sum(1 for t in tools or () if "cache_control" in t)
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            count += sum(1 for p in content if isinstance(p, dict) and "cache_control" in p)
    return count


def add_cache_markers(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> None:
    """§13.11 on wire-shaped (OpenAI) messages, in place: the system prompt, the last user turn
    and the last tool get an ephemeral ``cache_control``; markers the caller set are kept and
    count against Anthropic's limit of four."""
    budget = _MAX_BREAKPOINTS - _count_markers(messages, tools)
    system = next((m for m in messages if m.get("role") in ("system", "developer")), None)
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    for message in (system, last_user):
        if message is None or budget <= 0:
            continue
        message["content"], added = _mark_last_text(message.get("content"))
        budget -= int(added)
    if tools and budget > 0 and "cache_control" not in tools[-1]:
        tools[-1]["cache_control"] = dict(_EPHEMERAL)
