"""Merge a built-in provider row with ``models.providers.<id>`` into a :class:`ResolvedProvider`.

Resolution happens once per runtime (config snapshot), never per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..config.schema import ModelDefinition, OpenClawConfig, ProviderConfig, SecretRef
from ..errors import CredentialError
from .providers import BUILTIN_PROVIDERS, SUPPORTED_API_KINDS, ProviderRow, builtin_provider

__all__ = [
    "ModelFacts",
    "Pricing",
    "ResolvedProvider",
    "is_openrouter_host",
    "known_provider_ids",
    "resolve_provider",
]

OPENROUTER_HOST = "openrouter.ai"
DEFAULT_CONTEXT_WINDOW = 200_000
DEFAULT_MAX_TOKENS = 8192


@dataclass(frozen=True, slots=True)
class Pricing:
    """USD per 1M tokens."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float | None = None
    cache_write: float | None = None


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What we know about one model: from the config, the live catalog, or the bundled snapshot."""

    id: str
    name: str | None = None
    context_window: int | None = None
    max_output: int | None = None
    input_modalities: tuple[str, ...] = ("text",)
    reasoning: bool = False
    supports_tools: bool | None = None  # None: unknown (assume yes)
    pricing: Pricing | None = None
    source: str = "config"  # config | catalog | bundled


@dataclass(frozen=True, slots=True)
class ResolvedProvider:
    id: str
    api: str
    base_url: str
    label: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = None  # from models.providers.<id>.apiKey, resolved
    api_key_env: str | None = None  # the env var an env SecretRef/marker points at
    auth_header: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout_seconds: float | None = None
    max_tokens: int | None = None
    models: Mapping[str, ModelFacts] = field(default_factory=dict)
    row: ProviderRow | None = None
    configured: bool = False  # appears under models.providers
    allow_private_network: bool | None = None

    @property
    def verified_openrouter(self) -> bool:
        """The real openrouter.ai: attribution headers and cache markers apply only here."""
        return is_openrouter_host(self.base_url)

    @property
    def supported(self) -> bool:
        return self.api in SUPPORTED_API_KINDS

    @property
    def env_vars(self) -> tuple[str, ...]:
        return self.row.env_vars if self.row is not None else ()

    @property
    def local(self) -> bool:
        if self.row is not None and self.row.local:
            return True
        host = urlsplit(self.base_url).hostname or ""
        return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local")


def is_openrouter_host(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == OPENROUTER_HOST or host.endswith("." + OPENROUTER_HOST)


def _secret_value(
    value: str | SecretRef | None, env: Mapping[str, str], where: str
) -> tuple[str | None, str | None]:
    """Resolve a config secret: ``(value, env var name it came from)``."""
    if value is None:
        return None, None
    if isinstance(value, SecretRef):
        if value.source != "env":
            raise CredentialError(
                f"{where}: SecretRef source {value.source!r} is not supported yet; "
                'use { source: "env", id: "VAR" }.',
                provider=where,
            )
        return env.get(value.id) or None, value.id
    if value.isupper() and value.replace("_", "").isalnum() and value in env:
        return env[value], value  # a known env-var-name marker, as models.json writes it
    return value, None


def _facts(definition: ModelDefinition) -> ModelFacts:
    cost = definition.cost
    return ModelFacts(
        id=definition.id,
        name=definition.name,
        context_window=definition.context_tokens or definition.context_window,
        max_output=definition.max_tokens,
        input_modalities=tuple(definition.input),
        reasoning=definition.reasoning,
        supports_tools=definition.supports_tools,
        pricing=None if cost is None else Pricing(cost.input, cost.output, cost.cache_read, cost.cache_write),
        source="config",
    )


def known_provider_ids(config: OpenClawConfig) -> set[str]:
    configured = set(config.models.providers) if config.models is not None else set()
    return set(BUILTIN_PROVIDERS) | configured


def resolve_provider(
    provider_id: str, config: OpenClawConfig, env: Mapping[str, str]
) -> ResolvedProvider | None:
    """The merged provider, or None when neither a built-in row nor the config defines it."""
    row = builtin_provider(provider_id)
    pconf: ProviderConfig | None = None
    if config.models is not None:
        pconf = config.models.providers.get(provider_id)
    if row is None and pconf is None:
        return None
    pconf = pconf or ProviderConfig()
    base_url = pconf.base_url or (row.base_url if row else "")
    api = pconf.api or (row.api if row else "openai-completions")
    if api == "openai":
        api = "openai-completions"  # legacy value, migrated by OpenClaw's doctor
    api_key, key_env = _secret_value(pconf.api_key, env, f"models.providers.{provider_id}.apiKey")
    headers: dict[str, str] = dict(row.headers) if row else {}
    for source in (pconf.headers, pconf.request.headers if pconf.request else None):
        for name, value in (source or {}).items():
            resolved, _ = _secret_value(value, env, f"models.providers.{provider_id}.headers")
            if resolved is not None:
                headers[name] = resolved
    return ResolvedProvider(
        id=row.id if row else provider_id,
        api=api,
        base_url=base_url.rstrip("/"),
        label=row.label if row else provider_id,
        headers=headers,
        api_key=api_key,
        api_key_env=key_env,
        auth_header=bool(pconf.auth_header),
        params=pconf.params or {},
        timeout_seconds=pconf.timeout_seconds,
        max_tokens=pconf.max_tokens,
        models={m.id: _facts(m) for m in pconf.models or []},
        row=row,
        configured=config.models is not None and provider_id in config.models.providers,
        allow_private_network=pconf.request.allow_private_network if pconf.request else None,
    )
