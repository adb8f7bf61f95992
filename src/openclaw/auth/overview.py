"""What the user is shown about credentials: masked labels, per-provider overviews, token health.

Nothing here returns a secret: keys appear only through :func:`openclaw.redact.mask_key`, env and
config references as ``ref(env:VAR)`` / ``marker(VAR)``. Used by ``models status`` and
``models auth list``; the shapes follow what OpenClaw 2026.9 prints (``models status --json``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..catalog.providers import rotation_prefix
from ..catalog.resolve import ResolvedProvider
from ..config.schema import OpenClawConfig, SecretRef
from ..paths import DEFAULT_AGENT_ID
from ..redact import mask_key
from .resolve import env_keys, profile_order
from .store import AuthProfile, StoreSnapshot

if TYPE_CHECKING:
    from ..state.base import Cooldown, StateBackend

__all__ = [
    "DEFAULT_WARN_AFTER_MS",
    "ProviderAuth",
    "active_cooldowns",
    "credential_provider",
    "credential_source",
    "format_remaining",
    "health_summary",
    "profile_health",
    "profile_secret_label",
    "provider_auth",
    "unusable_profiles",
]

DEFAULT_WARN_AFTER_MS = 24 * 60 * 60 * 1000
_NON_PROFILE = ("env:", "config:", "local:")  # cooldown keys of credentials that are not profiles


def format_remaining(remaining_ms: float | None) -> str:
    """``45m``, ``5h``, ``12d`` (OpenClaw's short form)."""
    if remaining_ms is None:
        return "unknown"
    if remaining_ms <= 0:
        return "0m"
    minutes = max(1, round(remaining_ms / 60_000))
    if minutes < 60:
        return f"{minutes}m"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours}h"
    return f"{round(hours / 24)}d"


def profile_secret_label(profile: AuthProfile) -> str:
    """``sk-or-v1...89abcdef``, ``token:sk-...``, ``ref(env:OPENROUTER_API_KEY)`` or ``OAuth``."""
    if profile.type == "oauth":
        return f"OAuth ({profile.email})" if profile.email else "OAuth"
    prefix = "token:" if profile.type == "token" else ""
    if profile.secret:
        return prefix + mask_key(profile.secret)
    ref = profile.secret_ref
    if ref is not None:
        return f"{prefix}ref({ref.get('source')}:{ref.get('id')})"
    return prefix + "missing"


# -- cooldowns (run-time state) ---------------------------------------------------------------


def active_cooldowns(state: StateBackend | None, now: float) -> list[Cooldown]:
    """Cooldowns to show in ``models status`` / ``models auth list``.

    The state backend is the source of truth (in-process, persisted to the state database, or
    Redis). A CLI runtime built without one has no cooldown information, so nothing is shown.
    """
    if state is None:
        return []
    return list(state.all_cooldowns(now))


def credential_provider(cred: str, providers: Iterable[ResolvedProvider]) -> str | None:
    """The provider of a credential key that is not a stored profile: ``config:P#<fp>`` and
    ``local:P`` name it; ``env:VAR#<fp>`` is matched against each provider's variables."""
    kind, _, rest = cred.partition(":")
    name = rest.partition("#")[0]
    if kind in ("config", "local"):
        return name
    if kind != "env":
        return None
    for provider in providers:
        prefix = rotation_prefix(provider.id, provider.row)
        if (
            name in provider.env_vars
            or name == provider.api_key_env
            or name.startswith(f"{prefix}_API_KEY")
            or name == f"OPENCLAW_LIVE_{prefix}_KEY"
        ):
            return provider.id
    return None


def credential_source(cred: str) -> str:
    """Where a non-profile credential comes from, as ``providers[].env.source`` shows it:
    ``env: OPENROUTER_API_KEY``, ``config: models.providers.openrouter.apiKey``, ``local``."""
    kind, _, rest = cred.partition(":")
    name = rest.partition("#")[0]
    if kind == "env":
        return f"env: {name}"
    if kind == "config":
        return f"config: models.providers.{name}.apiKey"
    return kind


def unusable_profiles(
    snapshot: StoreSnapshot,
    cooldowns: Iterable[Cooldown],
    now_ms: int,
    provider_of: Callable[[str], str | None] | None = None,
) -> list[dict[str, Any]]:
    """Credentials in cooldown or disabled, soonest first (``auth.unusableProfiles``).

    Stored profiles have OpenClaw's fields ``{profileId, provider, kind, reason, until,
    remainingMs}`` (+ ``model`` for a per-model cooldown). Keys from the environment or the
    config have the same fields, their cooldown key as ``profileId``
    (``env:OPENROUTER_API_KEY#3fa94c``, which ``clear-cooldowns`` accepts), ``provider`` from
    ``provider_of`` (None when unknown) and a ``source``. Records of profiles no longer stored
    are left out.
    """
    out: list[dict[str, Any]] = []
    for cooldown in cooldowns:
        cred = cooldown.key.partition("|")[0]
        until_ms = int(cooldown.until * 1000)
        if until_ms <= now_ms:
            continue
        profile = snapshot.profiles.get(cred)
        if profile is None and not cred.startswith(_NON_PROFILE):
            continue
        entry: dict[str, Any] = {
            "profileId": cred,
            "provider": profile.provider if profile else (provider_of(cred) if provider_of else None),
            "kind": "disabled" if cooldown.disabled else "cooldown",
            "reason": cooldown.reason,
            "until": until_ms,
            "remainingMs": until_ms - now_ms,
        }
        if cooldown.model:
            entry["model"] = cooldown.model
        if profile is None:
            entry["source"] = credential_source(cred)
        out.append(entry)
    return sorted(out, key=lambda entry: int(entry["remainingMs"]))


def unusable_suffix(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return ""
    kind = "disabled" if entry["kind"] == "disabled" else "cooldown"
    reason = f":{entry['reason']}" if entry.get("reason") and kind == "disabled" else ""
    return f" [{kind}{reason} {format_remaining(entry['remainingMs'])}]"


# -- per-provider overview ---------------------------------------------------------------------


@dataclass(slots=True)
class ProviderAuth:
    provider: str
    kind: str  # profiles | env | models.json | local | missing
    detail: str
    profiles: list[AuthProfile] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    env: tuple[str, str] | None = None  # (masked value, "env: VAR")
    config_key: tuple[str, str] | None = None  # (masked value or marker, source)

    @property
    def has_any(self) -> bool:
        return bool(self.profiles) or self.env is not None or self.config_key is not None

    def count(self, kind: str) -> int:
        return sum(1 for p in self.profiles if p.type == kind)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "provider": self.provider,
            "effective": {"kind": self.kind, "detail": self.detail},
            "profiles": {
                "count": len(self.profiles),
                "oauth": self.count("oauth"),
                "token": self.count("token"),
                "apiKey": self.count("api_key"),
                "labels": list(self.labels),
            },
        }
        if self.env is not None:
            out["env"] = {"value": self.env[0], "source": self.env[1]}
        if self.config_key is not None:
            out["modelsJson"] = {"value": self.config_key[0], "source": self.config_key[1]}
        return out


def _config_key(provider: ResolvedProvider, config: OpenClawConfig) -> tuple[tuple[str, str] | None, bool]:
    """The display form of ``models.providers.<id>.apiKey`` and whether it is usable."""
    pconf = config.models.providers.get(provider.id) if config.models is not None else None
    raw = pconf.api_key if pconf is not None else None
    if raw is None:
        return None, False
    source = f"config: models.providers.{provider.id}.apiKey"
    if isinstance(raw, SecretRef):
        return (f"marker({raw.id})", source), provider.api_key is not None
    if provider.api_key_env:
        return (f"marker({provider.api_key_env})", source), provider.api_key is not None
    return (mask_key(raw), source), bool(raw)


def provider_auth(
    provider: ResolvedProvider,
    *,
    snapshot: StoreSnapshot,
    config: OpenClawConfig,
    env: Mapping[str, str],
    store_display: str,
    unusable: Mapping[str, Mapping[str, Any]] | None = None,
) -> ProviderAuth:
    """How ``provider`` is authenticated, as ``models status`` shows it."""
    unusable = unusable or {}
    profiles = sorted(snapshot.for_provider(provider.id), key=lambda p: p.id)
    labels = [f"{p.id}={profile_secret_label(p)}{unusable_suffix(unusable.get(p.id))}" for p in profiles]
    found = env_keys(provider, env)
    env_entry = (mask_key(found[0][1]), f"env: {found[0][0]}") if found else None
    config_entry, config_usable = _config_key(provider, config)
    if profiles:
        kind, detail = "profiles", store_display
    elif env_entry is not None:
        kind, detail = "env", env_entry[0]
    elif config_entry is not None and config_usable:
        kind, detail = "models.json", config_entry[0]
    elif provider.local:
        kind, detail = "local", "no key needed"
    else:
        kind, detail = "missing", "missing"
    return ProviderAuth(provider.id, kind, detail, profiles, labels, env_entry, config_entry)


# -- token / OAuth health ----------------------------------------------------------------------


def _expiry_status(expires: int | None, now_ms: int, warn_after_ms: int) -> tuple[str, int | None]:
    if expires is None or expires <= 0:
        return "missing", None
    remaining = expires - now_ms
    if remaining <= 0:
        return "expired", remaining
    if remaining <= warn_after_ms:
        return "expiring", remaining
    return "ok", remaining


def profile_health(
    profile: AuthProfile, now_ms: int, warn_after_ms: int = DEFAULT_WARN_AFTER_MS
) -> dict[str, Any]:
    """``{profileId, provider, type, status[, expiresAt, remainingMs], source, label}``."""
    label = f"{profile.id} ({profile.email})" if profile.email else profile.id
    head: dict[str, Any] = {"profileId": profile.id, "provider": profile.provider, "type": profile.type}
    tail = {"source": "store", "label": label}
    has_secret = bool(profile.secret) or profile.secret_ref is not None
    if profile.type == "api_key":
        return {**head, "status": "static", **tail}
    if profile.type == "token" and (profile.expires is None or profile.expires <= 0):
        return {**head, "status": "static" if has_secret else "missing", **tail}
    status, remaining = _expiry_status(profile.expires, now_ms, warn_after_ms)
    if not has_secret:
        status = "missing"
    if remaining is None:
        return {**head, "status": status, **tail}
    return {**head, "status": status, "expiresAt": profile.expires, "remainingMs": remaining, **tail}


def _provider_status(entries: list[dict[str, Any]]) -> str:
    expirable = [e for e in entries if e["type"] != "api_key"]
    if not expirable:
        return "static" if entries else "missing"
    statuses = {e["status"] for e in expirable}
    if statuses & {"expired", "missing"}:
        return "expired"
    if "expiring" in statuses:
        return "expiring"
    return "ok"


def health_summary(
    snapshot: StoreSnapshot,
    config: OpenClawConfig,
    *,
    now_ms: int | None = None,
    warn_after_ms: int = DEFAULT_WARN_AFTER_MS,
    agent_id: str = DEFAULT_AGENT_ID,
) -> dict[str, Any]:
    """``auth.oauth`` of ``models status --json``: every stored profile's health, per provider."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    ordered = sorted(snapshot.profiles.values(), key=lambda p: (p.provider, p.id))
    profiles = [profile_health(p, now, warn_after_ms) for p in ordered]
    providers: list[dict[str, Any]] = []
    for provider in sorted({p.provider for p in ordered}):
        entries = [e for e in profiles if e["provider"] == provider]
        item: dict[str, Any] = {"provider": provider, "status": _provider_status(entries)}
        expiries = [e["expiresAt"] for e in entries if e["type"] != "api_key" and "expiresAt" in e]
        if expiries:
            item["expiresAt"] = min(expiries)
            item["remainingMs"] = min(expiries) - now
        ids, excluded = profile_order(provider, snapshot, config, agent_id)
        by_id = {e["profileId"]: e for e in entries}
        item["profiles"] = entries
        item["effectiveProfiles"] = [by_id[i] for i in ids if i in by_id and i not in excluded]
        providers.append(item)
    return {"warnAfterMs": warn_after_ms, "profiles": profiles, "providers": providers}
