"""Model refs: ``provider/model``, split on the FIRST ``/`` only.

``openrouter/meta-llama/llama-3.1-8b`` is provider ``openrouter``, model ``meta-llama/llama-3.1-8b``.
Provider ids are trimmed and lower-cased (``Z.AI`` → ``zai`` through the alias table); model ids
keep their case, since upstream ids are case-sensitive.

A ref may carry a pinned auth profile: ``openrouter/auto@openrouter:work``.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .catalog.providers import BUILTIN_PROVIDERS, PROVIDER_ALIASES
from .errors import RefError

__all__ = ["ModelRef", "canonical_provider", "parse_ref", "resolve_ref", "suggest"]


@dataclass(frozen=True, slots=True)
class ModelRef:
    provider: str
    model: str
    profile: str | None = None  # pinned auth profile id from an ``@profile`` suffix

    @property
    def key(self) -> str:
        """The canonical ``provider/model`` string (without any profile pin)."""
        return f"{self.provider}/{self.model}"

    def __str__(self) -> str:
        return self.key if self.profile is None else f"{self.key}@{self.profile}"


def canonical_provider(raw: str) -> str:
    pid = raw.strip().lower()
    return PROVIDER_ALIASES.get(pid, pid)


def _split_profile(raw: str) -> tuple[str, str | None]:
    # The profile id itself looks like "provider:name"; a model id may contain "@" only when
    # what follows does not look like a profile id (no ":").
    head, sep, tail = raw.rpartition("@")
    if sep and head and ":" in tail:
        return head, tail.strip()
    return raw, None


def parse_ref(raw: str) -> ModelRef:
    """Parse an explicit ``provider/model[@profile]`` (no alias lookup)."""
    text = raw.strip()
    if not text:
        raise RefError("Empty model ref. Use provider/model, e.g. openrouter/auto.", ref=raw)
    body, profile = _split_profile(text)
    provider, sep, model = body.partition("/")
    provider = canonical_provider(provider)
    model = model.strip()
    if not sep or not provider or not model:
        raise RefError(
            f'Invalid model ref "{raw}". Use provider/model, e.g. openrouter/anthropic/claude-sonnet-4-5.',
            ref=raw,
        )
    if provider == "openrouter" and model.startswith("openrouter/") and "/" not in model[11:]:
        model = model[11:]  # "openrouter/openrouter/auto" is the same model as "openrouter/auto"
    return ModelRef(provider, model, profile)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def resolve_ref(
    raw: str,
    *,
    aliases: Mapping[str, str],
    known_providers: Collection[str],
    configured: Iterable[str] = (),
) -> ModelRef:
    """Resolve what a user typed to a :class:`ModelRef`.

    ``aliases`` maps alias → ref key (matched case-insensitively, only for strings without ``/``);
    ``known_providers`` are built-in plus configured provider ids; ``configured`` are the ref keys
    the config mentions (used to resolve a bare model id that one configured provider owns).
    An unknown provider raises :class:`RefError` with a "did you mean" when one is close.
    """
    text = raw.strip()
    body, profile = _split_profile(text)
    if "/" not in body:
        folded = {k.strip().lower(): v for k, v in aliases.items()}
        target = folded.get(body.strip().lower())
        if target is not None:
            ref = parse_ref(target)
            return ModelRef(ref.provider, ref.model, profile or ref.profile)
        owners = [k for k in configured if k.partition("/")[2].lower() == body.lower()]
        if len(set(owners)) == 1:
            ref = parse_ref(owners[0])
            return ModelRef(ref.provider, ref.model, profile)
        hint = suggest(body, [*aliases, *configured])
        raise RefError(
            f'Unknown model "{raw}": not an alias, and a model ref needs a provider '
            "(provider/model, e.g. openrouter/auto).",
            ref=raw,
            suggestion=hint,
        )
    ref = parse_ref(text)
    if ref.provider not in known_providers:
        hint_provider = suggest(ref.provider, known_providers)
        raise RefError(
            f'Unknown provider "{ref.provider}" in model ref "{raw}".',
            ref=raw,
            suggestion=f"{hint_provider}/{ref.model}" if hint_provider else None,
        )
    return ref


def builtin_provider_ids() -> list[str]:
    return sorted(BUILTIN_PROVIDERS)
