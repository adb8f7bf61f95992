"""The Runtime: everything a request needs, built once and passed down (no mutable globals).

``Runtime`` holds the config snapshot, the auth store, the state backend (cooldowns), the HTTP
client, the usage ledger, the model catalog and the redactor. The CLI builds one per command; the
gateway one per process. Heavy pieces (aiohttp, the ledger) are imported only by the factories
that need them, so ``import openclaw.runtime`` stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .auth.resolve import CredentialPlan, missing_credential_error, plan_credentials
from .auth.store import AuthStore, StoreSnapshot
from .catalog.providers import BUILTIN_PROVIDERS
from .catalog.resolve import ResolvedProvider, known_provider_ids, resolve_provider
from .config.loader import ConfigSnapshot, load_config
from .config.schema import ModelSelection, OpenClawConfig
from .errors import RefError
from .paths import DEFAULT_AGENT_ID, StatePaths, resolve_paths
from .redact import Redactor
from .refs import ModelRef, resolve_ref

if TYPE_CHECKING:
    from .catalog.models import ModelCatalog
    from .state.base import StateBackend
    from .transports.base import HttpClient
    from .usage.base import Ledger

__all__ = ["DEFAULT_PRIMARY", "Runtime", "credential_env_vars", "load_snapshot"]

DEFAULT_PRIMARY = "openrouter/auto"


def credential_env_vars() -> frozenset[str]:
    """Every env var that may hold a provider key (ignored in a working-directory .env)."""
    names = {name for row in BUILTIN_PROVIDERS.values() for name in row.env_vars}
    return frozenset(names | {"ANTHROPIC_OAUTH_TOKEN", "CUSTOM_API_KEY"})


def load_snapshot(
    env: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    dev: bool = False,
    cwd: Path | None = None,
    strict_env: bool = True,
) -> tuple[StatePaths, ConfigSnapshot]:
    environ = dict(os.environ) if env is None else dict(env)
    paths = resolve_paths(environ, profile=profile, dev=dev)
    snapshot = load_config(
        paths,
        environ,
        cwd=cwd if cwd is not None else Path.cwd(),
        credential_vars=credential_env_vars(),
        strict_env=strict_env,
    )
    return paths, snapshot


def _selection(value: str | ModelSelection | None) -> tuple[str | None, list[str]]:
    if value is None:
        return None, []
    if isinstance(value, str):
        return value, []
    return value.primary, list(value.fallbacks or [])


@dataclass
class Runtime:
    paths: StatePaths
    config: ConfigSnapshot
    auth_store: AuthStore
    state: StateBackend | None = None
    http: HttpClient | None = None
    ledger: Ledger | None = None
    catalog: ModelCatalog | None = None
    _providers: dict[str, ResolvedProvider | None] = field(default_factory=dict)
    _store: StoreSnapshot | None = None
    _redactor: Redactor | None = None

    # -- config views ------------------------------------------------------------------------

    @property
    def typed(self) -> OpenClawConfig:
        return self.config.typed

    @property
    def env(self) -> Mapping[str, str]:
        return self.config.env

    def provider(self, provider_id: str) -> ResolvedProvider | None:
        if provider_id not in self._providers:
            self._providers[provider_id] = resolve_provider(provider_id, self.typed, self.env)
        return self._providers[provider_id]

    def known_providers(self) -> set[str]:
        return known_provider_ids(self.typed)

    def aliases(self) -> dict[str, str]:
        defaults = self.typed.agents.defaults if self.typed.agents else None
        models = defaults.models if defaults else {}
        return {entry.alias: key for key, entry in models.items() if entry.alias}

    def configured_refs(self) -> list[str]:
        """Every ref the config names: primary, fallbacks, agents.defaults.models keys."""
        primary, fallbacks = self.default_selection()
        defaults = self.typed.agents.defaults if self.typed.agents else None
        keys = list(defaults.models) if defaults else []
        return list(dict.fromkeys([k for k in [primary, *fallbacks, *keys] if k]))

    def default_selection(self, agent_id: str = DEFAULT_AGENT_ID) -> tuple[str | None, list[str]]:
        """(primary, fallbacks) for an agent: its own model when set, else the defaults."""
        agents = self.typed.agents
        entry = agents.entries.get(agent_id) if agents else None
        if entry is not None and entry.model is not None:
            return _selection(entry.model)  # an agent's own primary is strict unless it lists fallbacks
        defaults = agents.defaults if agents else None
        return _selection(defaults.model if defaults else None)

    def resolve(self, raw: str) -> ModelRef:
        return resolve_ref(
            raw,
            aliases=self.aliases(),
            known_providers=self.known_providers(),
            configured=self.configured_refs(),
        )

    def model_params(self, ref: ModelRef, agent_id: str = DEFAULT_AGENT_ID) -> dict[str, Any]:
        """Params merged low → high: provider params < defaults.params < models[ref].params <
        agent params. OpenRouter's ``provider`` object merges key by key."""
        provider = self.provider(ref.provider)
        layers: list[Mapping[str, Any]] = [provider.params if provider else {}]
        agents = self.typed.agents
        defaults = agents.defaults if agents else None
        if defaults is not None:
            layers.append(defaults.params or {})
            entry = defaults.models.get(ref.key)
            layers.append(entry.params or {} if entry else {})
        agent = agents.entries.get(agent_id) if agents else None
        if agent is not None:
            layers.append(agent.params or {})
            own = (agent.models or {}).get(ref.key)
            layers.append(own.params or {} if own else {})
        merged: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if key == "provider" and isinstance(value, dict):
                    merged[key] = {**merged.get(key, {}), **value}
                else:
                    merged[key] = value
        return merged

    # -- auth --------------------------------------------------------------------------------

    def store_snapshot(self, *, refresh: bool = False) -> StoreSnapshot:
        if self._store is None or refresh:
            self._store = self.auth_store.load()
        return self._store

    def credentials(self, provider_id: str, *, pinned: str | None = None) -> CredentialPlan:
        provider = self.provider(provider_id)
        if provider is None:
            raise RefError(f'Unknown provider "{provider_id}".', ref=provider_id)
        plan = plan_credentials(
            provider,
            snapshot=self.store_snapshot(),
            config=self.typed,
            env=self.env,
            pinned_profile=pinned,
        )
        if not plan:
            raise missing_credential_error(provider, self.paths.display(self.auth_store.path))
        return plan

    @property
    def redactor(self) -> Redactor:
        """Knows every secret this runtime can see (keys, tokens) for exact-value redaction."""
        if self._redactor is None:
            secrets = [p.secret for p in self.store_snapshot().profiles.values() if p.secret]
            for pid in self.known_providers():
                row = BUILTIN_PROVIDERS.get(pid)
                for name in row.env_vars if row else ():
                    if self.env.get(name):
                        secrets.append(self.env[name])
            for name, value in self.env.items():
                if "API_KEY" in name or name.endswith(("_TOKEN", "_PASSWORD", "_SECRET")):
                    secrets.append(value)
            gateway = self.typed.gateway
            auth = gateway.auth if gateway else None
            for secret in (auth.token, auth.password) if auth else ():
                if isinstance(secret, str):
                    secrets.append(secret)
            for pid in self.known_providers():
                provider = self.provider(pid)
                if provider is not None and provider.api_key:
                    secrets.append(provider.api_key)
            self._redactor = Redactor(secrets)
        return self._redactor

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self.ledger is not None:
            await self.ledger.close()
        if self.http is not None:
            await self.http.close()
        if self.state is not None:
            await self.state.close()

    @classmethod
    def from_snapshot(cls, paths: StatePaths, snapshot: ConfigSnapshot) -> Runtime:
        """A runtime with the config and auth store only (no network, no state backend):
        enough for the commands that read and edit configuration."""
        return cls(paths=paths, config=snapshot, auth_store=AuthStore(paths.state_db))
