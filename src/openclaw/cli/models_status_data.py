"""The data behind ``openclaw models status``: one dict in the key order OpenClaw 2026.9 prints.

Read-only and offline: the config, the auth store and the environment are read, nothing is
written and no provider is contacted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..auth.overview import (
    ProviderAuth,
    active_cooldowns,
    health_summary,
    provider_auth,
    unusable_profiles,
)
from ..auth.resolve import env_keys, plan_credentials
from ..catalog.providers import BUILTIN_PROVIDERS
from ..config.schema import ModelSelection
from ..errors import OpenClawError
from ..paths import DEFAULT_AGENT_ID
from ..refs import parse_ref
from ..runtime import DEFAULT_PRIMARY, Runtime

__all__ = ["Selection", "StatusReport", "build_status", "current_selection"]


@dataclass(slots=True)
class Selection:
    raw: str | None  # the primary as configured (an alias or a ref), None when unset
    resolved: str  # provider/model
    fallbacks: list[str]
    image: str | None
    image_fallbacks: list[str]
    utility: str | None
    default_source: str = "defaults"  # defaults | agent
    fallbacks_source: str = "defaults"

    @property
    def in_use(self) -> list[str]:
        return [
            r for r in (self.raw or self.resolved, *self.fallbacks, self.image, *self.image_fallbacks) if r
        ]


@dataclass(slots=True)
class StatusReport:
    data: dict[str, Any]
    selection: Selection
    provider_auth: list[ProviderAuth] = field(default_factory=list)
    missing_hints: dict[str, str] = field(default_factory=dict)
    check_code: int = 0


def _split(value: str | ModelSelection | None) -> tuple[str | None, list[str]]:
    if value is None:
        return None, []
    if isinstance(value, str):
        return (value.strip() or None), []
    return value.primary or None, list(value.fallbacks or [])


def _provider_of(raw: str, runtime: Runtime) -> str | None:
    try:
        return runtime.resolve(raw).provider
    except OpenClawError:
        try:
            return parse_ref(raw).provider
        except OpenClawError:
            return None


def current_selection(runtime: Runtime, agent_id: str = DEFAULT_AGENT_ID) -> Selection:
    """The agent's primary and fallbacks (its own model when set, else the defaults)."""
    agents = runtime.typed.agents
    defaults = agents.defaults if agents else None
    entry = agents.entries.get(agent_id) if agents else None
    raw, fallbacks = runtime.default_selection(agent_id)
    raw = raw.strip() if raw and raw.strip() else None
    try:
        resolved = runtime.resolve(raw).key if raw else DEFAULT_PRIMARY
    except OpenClawError:
        resolved = raw or DEFAULT_PRIMARY
    image, image_fallbacks = _split(defaults.image_model if defaults else None)
    own = entry is not None and entry.model is not None
    return Selection(
        raw=raw,
        resolved=resolved,
        fallbacks=fallbacks,
        image=image,
        image_fallbacks=image_fallbacks,
        utility=defaults.utility_model if defaults else None,
        default_source="agent" if own else "defaults",
        fallbacks_source="agent" if own else "defaults",
    )


def _has_credentials(runtime: Runtime, provider_id: str, agent_id: str) -> bool:
    provider = runtime.provider(provider_id)
    if provider is None:
        return False
    try:
        plan = plan_credentials(
            provider,
            snapshot=runtime.store_snapshot(),
            config=runtime.typed,
            env=runtime.env,
            agent_id=agent_id,
        )
    except OpenClawError:
        return False
    return bool(plan)


def _missing_hint(provider_id: str, runtime: Runtime) -> str:
    provider = runtime.provider(provider_id)
    if provider is None:
        return (
            f"unknown provider: define models.providers.{provider_id} (baseUrl, api, apiKey) or fix the ref."
        )
    env_var = provider.env_vars[0] if provider.env_vars else f"{provider_id.upper()}_API_KEY"
    return (
        f"no credential. Set {env_var}, or run `openclaw models auth paste-api-key --provider {provider_id}`."
    )


def _overviews(
    runtime: Runtime, refs: list[str], now_ms: int
) -> tuple[list[ProviderAuth], list[dict[str, Any]]]:
    snapshot = runtime.store_snapshot()
    from .models_cooldowns import provider_lookup

    active = active_cooldowns(runtime.state, now_ms / 1000)
    cooldowns = unusable_profiles(snapshot, active, now_ms, provider_lookup(runtime))
    by_profile = {e["profileId"]: e for e in cooldowns}
    configured = set(runtime.typed.models.providers) if runtime.typed.models else set()
    candidates = {p.provider for p in snapshot.profiles.values()} | configured
    candidates |= {p for p in (_provider_of(r, runtime) for r in refs) if p}
    for pid in BUILTIN_PROVIDERS:
        provider = runtime.provider(pid)
        if provider is not None and env_keys(provider, runtime.env):
            candidates.add(pid)
    shown = []
    store_display = runtime.paths.display(runtime.auth_store.path)
    for pid in sorted(candidates):
        provider = runtime.provider(pid)
        if provider is None:
            continue
        overview = provider_auth(
            provider,
            snapshot=snapshot,
            config=runtime.typed,
            env=runtime.env,
            store_display=store_display,
            unusable=by_profile,
        )
        if overview.has_any:
            shown.append(overview)
    return shown, cooldowns


def _check_code(in_use: set[str], missing: list[str], oauth: dict[str, Any]) -> int:
    """``--check``: 1 missing or expired auth for a provider in use, 2 expiring, else 0."""
    statuses = {p["status"] for p in oauth["profiles"] if p["provider"] in in_use and p["type"] != "api_key"}
    if missing or statuses & {"expired", "missing"}:
        return 1
    return 2 if "expiring" in statuses else 0


def _auth_section(runtime: Runtime, sel: Selection, agent_id: str, report: StatusReport) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    defaults = runtime.typed.agents.defaults if runtime.typed.agents else None
    refs = [*sel.in_use, *(defaults.models if defaults else {})]
    shown, cooldowns = _overviews(runtime, refs, now_ms)
    in_use = {p for p in (_provider_of(r, runtime) for r in sel.in_use) if p}
    missing = sorted(p for p in in_use if not _has_credentials(runtime, p, agent_id))
    oauth = health_summary(runtime.store_snapshot(), runtime.typed, now_ms=now_ms, agent_id=agent_id)
    issues = [
        {"ref": r, "reason": "invalid_ref" if p is None else "unknown_provider"}
        for r in sel.in_use
        if (p := _provider_of(r, runtime)) is None or runtime.provider(p) is None
    ]
    shell = runtime.typed.env.shell_env if runtime.typed.env else None
    report.provider_auth = shown
    report.missing_hints = {p: _missing_hint(p, runtime) for p in missing}
    report.check_code = _check_code(in_use, missing, oauth)
    return {
        "storePath": str(runtime.auth_store.path),
        "shellEnvFallback": {
            "enabled": runtime.env.get("OPENCLAW_LOAD_SHELL_ENV") == "1" or bool(shell and shell.enabled),
            "appliedKeys": [],
        },
        "providersWithOAuth": [
            f"{o.provider} ({o.count('oauth') + o.count('token')})"
            for o in shown
            if o.count("oauth") + o.count("token")
        ],
        "missingProvidersInUse": missing,
        "modelRouteIssues": issues,
        "runtimeAuthRoutes": [],
        "providers": [o.to_json() for o in shown],
        "unusableProfiles": cooldowns,
        "oauth": oauth,
    }


def _utility(value: str | None) -> dict[str, Any]:
    if value is None:
        return {"ref": None, "source": "none"}
    if not value.strip():
        return {"ref": None, "source": "disabled"}
    return {"ref": value, "source": "config"}


def build_status(
    runtime: Runtime, *, agent_id: str = DEFAULT_AGENT_ID, explicit_agent: bool = False
) -> StatusReport:
    """Everything ``models status`` shows, as the ``--json`` dict plus what the text needs."""
    sel = current_selection(runtime, agent_id)
    agents = runtime.typed.agents
    defaults = agents.defaults if agents else None
    entry = agents.entries.get(agent_id) if agents else None
    data: dict[str, Any] = {"configPath": str(runtime.paths.config_path)}
    if explicit_agent:
        data["agentId"] = agent_id
    data["agentDir"] = str(runtime.paths.agent_dir(agent_id, entry.agent_dir if entry else None))
    data["defaultModel"] = sel.raw or sel.resolved
    data["resolvedDefault"] = sel.resolved
    data["fallbacks"] = sel.fallbacks
    data["imageModel"] = sel.image
    data["imageFallbacks"] = sel.image_fallbacks
    if explicit_agent:
        data["modelConfig"] = {"defaultSource": sel.default_source, "fallbacksSource": sel.fallbacks_source}
    data["utilityModel"] = _utility(sel.utility)
    data["aliases"] = runtime.aliases()
    data["allowed"] = list(defaults.model_policy.allow) if defaults and defaults.model_policy else []
    report = StatusReport(data=data, selection=sel)
    data["auth"] = _auth_section(runtime, sel, agent_id, report)
    return report
