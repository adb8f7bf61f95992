"""The config edits of ``openclaw onboard``, as observed in OpenClaw 2026.9 (``main.openclaw.json``).

Two steps, like the original: a *baseline* (the main agent entry, plugin defaults, ``meta``)
written first on a fresh home, so the ``.bak`` holds it; then the full onboarding result. Existing
values are kept: an existing primary model, gateway token, port, tools profile... are never
replaced unless a flag asks for it. Root keys keep OpenClaw's order on a fresh home: agents,
plugins, meta, gateway, tools, auth, hooks, wizard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..auth.config_edit import set_profile_entry
from ..auth.store import AuthProfile
from ..catalog.providers import ProviderRow

__all__ = ["OnboardConfig", "apply_baseline", "apply_onboarding"]


@dataclass(frozen=True, slots=True)
class OnboardConfig:
    agent_id: str
    workspace: str  # absolute
    agent_dir: str  # absolute
    workspace_explicit: bool
    mode: str
    row: ProviderRow | None
    profile: AuthProfile | None
    gateway_auth: dict[str, Any] | None  # None: keep what is there (or create a token block)
    new_token: str  # used only when the config has no gateway token yet
    gateway_port: int | None
    gateway_bind: str | None


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def apply_baseline(data: dict[str, Any], cfg: OnboardConfig) -> None:
    """The main agent entry, the plugin defaults and ``meta``."""
    entries = _child(_child(data, "agents"), "entries")
    entry = _child(entries, cfg.agent_id)
    entry.setdefault("name", cfg.agent_id)
    if cfg.workspace_explicit or "workspace" not in entry:
        entry["workspace"] = cfg.workspace
    entry.setdefault("agentDir", cfg.agent_dir)
    entry.setdefault("identity", {"name": cfg.agent_id})
    plugins = _child(_child(data, "plugins"), "entries")
    for plugin in ("anthropic", "codex"):
        plugin_cfg = _child(_child(plugins, plugin), "config")
        plugin_cfg.setdefault("sessionCatalog", {"enabled": False})
    meta = _child(data, "meta")
    migrations = _child(meta, "migrations")
    migrations.setdefault("modelPolicyAllowlist", True)
    migrations.setdefault("utilityModelSeparation", True)
    meta["lastTouchedVersion"] = __version__


def _model_key(row: ProviderRow) -> str | None:
    return f"{row.id}/{row.default_model}" if row.default_model else None


def _agents_defaults(data: dict[str, Any], cfg: OnboardConfig) -> None:
    agents = _child(data, "agents")
    defaults = agents.get("defaults")
    defaults = defaults if isinstance(defaults, dict) else {}
    if cfg.workspace_explicit or "workspace" not in defaults:
        defaults["workspace"] = cfg.workspace
    key = _model_key(cfg.row) if cfg.row is not None else None
    if key is not None:
        models = _child(defaults, "models")
        used = {e.get("alias") for e in models.values() if isinstance(e, dict)}
        alias = cfg.row.label if cfg.row is not None and " " not in cfg.row.label else None
        models.setdefault(key, {"alias": alias} if alias and alias not in used else {})
        model = defaults.get("model")
        has_primary = (isinstance(model, str) and model.strip()) or (
            isinstance(model, dict) and model.get("primary")
        )
        if not has_primary:
            rest = {k: v for k, v in model.items() if k != "primary"} if isinstance(model, dict) else {}
            defaults["model"] = {"primary": key, **rest}
    # "defaults" first inside "agents", as OpenClaw writes it
    data["agents"] = {"defaults": defaults, **{k: v for k, v in agents.items() if k != "defaults"}}


def _gateway(data: dict[str, Any], cfg: OnboardConfig) -> None:
    gateway = _child(data, "gateway")
    gateway["mode"] = cfg.mode
    if cfg.gateway_auth is not None:
        gateway["auth"] = cfg.gateway_auth
    else:
        auth = _child(gateway, "auth")
        auth.setdefault("mode", "token")
        if auth["mode"] == "token" and not auth.get("token"):
            auth["token"] = cfg.new_token
    if cfg.gateway_port is not None or "port" not in gateway:
        gateway["port"] = cfg.gateway_port or 18789
    if cfg.gateway_bind is not None or "bind" not in gateway:
        gateway["bind"] = cfg.gateway_bind or "loopback"
    gateway.setdefault("tailscale", {"mode": "off"})


def apply_onboarding(data: dict[str, Any], cfg: OnboardConfig) -> None:
    """The whole onboarding result (the baseline included)."""
    apply_baseline(data, cfg)
    _agents_defaults(data, cfg)
    if cfg.row is not None:
        _child(_child(_child(data, "plugins"), "entries"), cfg.row.id)["enabled"] = True
    _gateway(data, cfg)
    _child(data, "tools").setdefault("profile", "full")
    if cfg.profile is not None:
        set_profile_entry(data, cfg.profile.id, cfg.profile.provider, cfg.profile.type)
    hooks = _child(_child(_child(data, "hooks"), "internal"), "entries")
    _child(hooks, "session-memory").setdefault("enabled", True)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    data["wizard"] = {
        **(data["wizard"] if isinstance(data.get("wizard"), dict) else {}),
        "lastRunAt": now,
        "lastRunVersion": __version__,
        "lastRunCommand": "onboard",
        "lastRunMode": cfg.mode,
    }
