"""Carry out an onboarding plan: directories, the auth store, the config, the report lines.

Order: the config change is validated (dry run) first, then the directories are created, the
credential is stored, and the config is written (baseline first on a fresh home, so the ``.bak``
holds the pre-onboarding baseline, as OpenClaw does). No network request is made.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..auth.store import AuthStore
from ..config.write import WriteResult, update_config
from ..paths import StatePaths, create_private_dir, ensure_private_dir
from ..redact import mask_key
from .context import emit_json
from .onboard_config import OnboardConfig, apply_baseline, apply_onboarding
from .onboard_plan import AuthPlan, OnboardOptions

__all__ = ["OnboardResult", "apply_plan", "summary_json", "summary_lines"]


@dataclass(slots=True)
class OnboardResult:
    workspace: Path
    sessions: Path
    write: WriteResult
    primary: str | None


def summary_lines(plan: AuthPlan, cfg: OnboardConfig, paths: StatePaths) -> list[str]:
    """What will happen, for the interactive confirmation (keys masked)."""
    lines = [f"Config: {paths.display(paths.config_path)}", f"Workspace: {paths.display(cfg.workspace)}"]
    profile = plan.profile
    if profile is not None and not plan.reused:
        shown = (
            mask_key(profile.secret) if profile.secret else f"ref(env:{(profile.secret_ref or {}).get('id')})"
        )
        lines.append(f"Auth profile: {profile.id} ({profile.provider}/{profile.type}) = {shown}")
    elif profile is not None:
        lines.append(f"Auth profile: {profile.id} (kept as stored)")
    if cfg.row is not None and cfg.row.default_model:
        lines.append(f"Default model (only if none is set): {cfg.row.id}/{cfg.row.default_model}")
    return lines


def _emit(line: str, *, to_stderr: bool) -> None:
    (sys.stderr if to_stderr else sys.stdout).write(line + "\n")


def apply_plan(
    paths: StatePaths, env: dict[str, str], plan: AuthPlan, cfg: OnboardConfig, *, quiet_stdout: bool
) -> OnboardResult:
    """Write everything; human lines go to stdout (stderr when ``quiet_stdout``: ``--json``)."""
    if paths.config_path.exists():  # validate the change before anything is written
        update_config(paths, lambda data: apply_onboarding(data, cfg), env=env, dry_run=True)
    ensure_private_dir(paths.state_dir)
    workspace = Path(cfg.workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    _emit(f"Workspace OK: {paths.display(workspace)}", to_stderr=quiet_stdout)
    sessions = paths.sessions_dir(cfg.agent_id)
    for parent in (sessions.parents[1], sessions.parents[0]):  # agents/, agents/<id>/: 0700 as the
        create_private_dir(parent)  # session store makes them (mkdir -p would leave them 0755)
    ensure_private_dir(sessions)
    _emit(f"Sessions OK: {paths.display(sessions)}", to_stderr=quiet_stdout)
    if plan.profile is not None and not plan.reused:
        AuthStore(paths.state_db).upsert(plan.profile)
    if not paths.config_path.exists():
        update_config(paths, lambda data: apply_baseline(data, cfg), env=env)
    result = update_config(paths, lambda data: apply_onboarding(data, cfg), env=env)
    if result.changed:
        _emit(f"Updated config: {paths.display(result.path)}", to_stderr=quiet_stdout)
        if result.backup is not None:
            _emit(f"  Backup: {paths.display(result.backup)}", to_stderr=quiet_stdout)
    model = result.data.get("agents", {}).get("defaults", {}).get("model")
    primary = model.get("primary") if isinstance(model, dict) else model
    return OnboardResult(workspace, sessions, result, primary if isinstance(primary, str) else None)


def summary_json(
    opts: OnboardOptions, plan: AuthPlan, result: OnboardResult, gateway: dict[str, Any]
) -> None:
    """The ``--json`` summary, in the shape OpenClaw prints."""
    auth = gateway.get("auth") if isinstance(gateway.get("auth"), dict) else {}
    tailscale = gateway.get("tailscale") if isinstance(gateway.get("tailscale"), dict) else {}
    emit_json(
        {
            "ok": True,
            "mode": opts.mode,
            "workspace": str(result.workspace),
            "authChoice": plan.choice,
            "gateway": {
                "port": gateway.get("port"),
                "bind": gateway.get("bind"),
                "authMode": (auth or {}).get("mode"),
                "tailscaleMode": (tailscale or {}).get("mode"),
            },
            "installDaemon": False,
            "skipSkills": opts.skip_skills,
            "skipHealth": opts.skip_health,
        }
    )
