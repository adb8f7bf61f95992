"""Which credentials a provider can use, in the order to try them (OpenClaw §9).

For provider P:

1. a pinned profile (``ref@profile``) is the only candidate; unknown → error;
2. auth profiles in rotation order: the stored override (``models auth order set``), else
   ``auth.order[P]`` (profiles left out are *excluded*, ``[]`` disables profiles), else the
   ``auth.profiles`` entries for P, then any other stored profile of P; without an explicit order,
   OAuth before tokens before API keys;
3. keys from the environment: ``OPENCLAW_LIVE_<P>_KEY`` (pins exactly one key and stops here),
   ``<P>_API_KEYS`` (comma, semicolon or space separated), the provider's own variables
   (``OPENROUTER_API_KEY``), then ``<P>_API_KEY_*`` in name order;
4. ``models.providers.P.apiKey`` from the config;
5. a placeholder for local providers (Ollama, vLLM, a loopback custom URL) that need no key.

Duplicate secrets are tried once. Cooldowns are not applied here: the router reorders.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..catalog.providers import rotation_prefix
from ..catalog.resolve import ResolvedProvider
from ..config.schema import OpenClawConfig
from ..errors import CredentialError
from ..paths import DEFAULT_AGENT_ID
from ..transports.base import Credential
from .store import AuthProfile, StoreSnapshot

__all__ = [
    "CredentialPlan",
    "env_keys",
    "missing_credential_error",
    "plan_credentials",
    "profile_order",
    "profile_secret",
]

_TYPE_RANK = {"oauth": 0, "token": 1, "api_key": 2}
_SPLIT = re.compile(r"[,;\s]+")
LOCAL_PLACEHOLDER = "openclaw-local"


@dataclass(slots=True)
class CredentialPlan:
    provider: str
    credentials: list[Credential] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (profile id, reason code)

    def __bool__(self) -> bool:
        return bool(self.credentials)


def profile_secret(profile: AuthProfile, env: Mapping[str, str], now_ms: int) -> tuple[str | None, str]:
    """The profile's secret and, when there is none, the reason code (OpenClaw's vocabulary)."""
    if profile.type == "token" and profile.expires is not None:
        if not 0 < profile.expires <= 8_640_000_000_000_000:
            return None, "invalid_expires"
        if profile.expires <= now_ms:
            return None, "expired"
    if profile.secret:
        return profile.secret, ""
    ref = profile.secret_ref
    if ref is not None:
        if ref.get("source") == "env" and env.get(str(ref.get("id"))):
            return env[str(ref["id"])], ""
        return None, "unresolved_ref"
    return None, "missing_credential"


def profile_order(
    provider: str, snapshot: StoreSnapshot, config: OpenClawConfig, agent_id: str = DEFAULT_AGENT_ID
) -> tuple[list[str], set[str]]:
    """Profile ids to try for ``provider``, and the stored ids an explicit order excludes."""
    stored = [p.id for p in snapshot.for_provider(provider)]
    auth = config.auth
    overrides = snapshot.order_for(agent_id)
    if provider in overrides:
        chosen = overrides[provider]
        return chosen, set(stored) - set(chosen)
    if auth is not None and provider in auth.order:
        chosen = auth.order[provider]
        return chosen, set(stored) - set(chosen)
    configured = [pid for pid, meta in (auth.profiles if auth else {}).items() if meta.provider == provider]
    ids = list(dict.fromkeys([*configured, *stored]))
    ids.sort(
        key=lambda pid: _TYPE_RANK.get(
            snapshot.profiles[pid].type if pid in snapshot.profiles else "api_key", 3
        )
    )
    return ids, set()


def env_keys(provider: ResolvedProvider, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, secret) pairs from the environment, in priority order."""
    prefix = rotation_prefix(provider.id, provider.row)
    live = env.get(f"OPENCLAW_LIVE_{prefix}_KEY")
    if live:
        return [(f"OPENCLAW_LIVE_{prefix}_KEY", live)]
    found: list[tuple[str, str]] = []
    listed = env.get(f"{prefix}_API_KEYS", "")
    found.extend((f"{prefix}_API_KEYS", k) for k in _SPLIT.split(listed) if k)
    for name in (*provider.env_vars, f"{prefix}_API_KEY"):
        if env.get(name):
            found.append((name, env[name]))
    numbered = sorted(n for n in env if n.startswith(f"{prefix}_API_KEY_") and env[n])
    found.extend((name, env[name]) for name in numbered)
    return found


def plan_credentials(
    provider: ResolvedProvider,
    *,
    snapshot: StoreSnapshot,
    config: OpenClawConfig,
    env: Mapping[str, str],
    pinned_profile: str | None = None,
    now_ms: int | None = None,
    agent_id: str = DEFAULT_AGENT_ID,
) -> CredentialPlan:
    now = int(time.time() * 1000) if now_ms is None else now_ms
    plan = CredentialPlan(provider.id)
    seen: set[str] = set()

    def add(secret: str, **kwargs: str | None) -> None:
        if secret not in seen:
            seen.add(secret)
            plan.credentials.append(Credential(secret=secret, **kwargs))  # type: ignore[arg-type]

    if pinned_profile is not None:
        profile = snapshot.profiles.get(pinned_profile)
        secret, reason = profile_secret(profile, env, now) if profile else (None, "missing")
        if profile is None or secret is None or profile.provider != provider.id:
            raise CredentialError(
                f'No credentials found for profile "{pinned_profile}"'
                + (f" ({reason})." if reason and reason != "missing" else "."),
                provider=provider.id,
            )
        add(secret, profile_id=profile.id, source="profile", kind=profile.type)
        return plan

    ids, excluded = profile_order(provider.id, snapshot, config, agent_id)
    plan.skipped.extend((pid, "excluded_by_auth_order") for pid in sorted(excluded))
    for pid in ids:
        profile = snapshot.profiles.get(pid)
        if profile is None or profile.provider != provider.id:
            plan.skipped.append((pid, "missing_credential"))
            continue
        secret, reason = profile_secret(profile, env, now)
        if secret is None:
            plan.skipped.append((pid, reason))
            continue
        add(secret, profile_id=pid, source="profile", kind=profile.type)
    for name, secret in env_keys(provider, env):
        add(secret, profile_id=None, source="env", env_var=name)
        if name.startswith("OPENCLAW_LIVE_"):
            return plan
    if provider.api_key:
        add(provider.api_key, profile_id=None, source="config", env_var=provider.api_key_env)
    if not plan.credentials and provider.local:
        add(LOCAL_PLACEHOLDER, profile_id=None, source="local")
    return plan


def missing_credential_error(provider: ResolvedProvider, store_path: str) -> CredentialError:
    env_hint = provider.env_vars[0] if provider.env_vars else f"{provider.id.upper()}_API_KEY"
    return CredentialError(
        f'No API key found for provider "{provider.id}". Auth store: {store_path}. '
        f"Set {env_hint}, run `openclaw models auth paste-api-key --provider {provider.id}`, "
        f"or run `openclaw onboard`.",
        provider=provider.id,
    )
