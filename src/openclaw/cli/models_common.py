"""Helpers shared by the ``openclaw models`` subcommands: config edits and their report lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError
from ..paths import DEFAULT_AGENT_ID
from ..runtime import Runtime
from .context import CliContext, warn

if TYPE_CHECKING:
    from ..catalog.models import ModelCatalog
    from ..config.write import WriteResult

__all__ = [
    "agent_option",
    "defaults_section",
    "ensure_model_entry",
    "model_catalog",
    "out",
    "print_write",
    "selection",
    "write_config",
]


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def cli_context(ctx: click.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    if obj is None:  # invoked without the root group (library use, tests of one command)
        obj = CliContext()
        ctx.obj = obj
    return obj


def agent_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--agent", "agent_id", metavar="ID", default=None, help="Agent id (default: main).")(
        func
    )


def check_agent(runtime: Runtime, agent_id: str | None) -> str:
    """The agent id to use; an id the config does not know is an input error."""
    if agent_id is None or agent_id == DEFAULT_AGENT_ID:
        return DEFAULT_AGENT_ID
    agents = runtime.typed.agents
    known = sorted(agents.entries) if agents else []
    if agent_id not in known:
        listed = ", ".join(known) if known else "none configured"
        raise InputError(f'Unknown agent "{agent_id}" (agents: {listed}).', param="agent")
    return agent_id


def print_write(result: WriteResult, cli: CliContext) -> None:
    """``Updated config: …`` / ``  Backup: …`` as OpenClaw prints them (nothing when unchanged)."""
    if not result.changed:
        warn(f"Config unchanged: {cli.paths.display(result.path)}")
        return
    for message in result.warnings:
        warn(f"Warning: {message}")
    out(f"Updated config: {cli.paths.display(result.path)}")
    if result.backup is not None:
        out(f"  Backup: {cli.paths.display(result.backup)}")


def write_config(cli: CliContext, mutate: Callable[[dict[str, Any]], None]) -> WriteResult:
    from ..config.write import update_config

    env = cli.snapshot().env
    return update_config(cli.paths, mutate, env=env)


def model_catalog(runtime: Runtime) -> ModelCatalog:
    """The runtime's model catalog, else the offline one (config, disk cache, bundled snapshot)."""
    if runtime.catalog is not None:
        return runtime.catalog
    from ..catalog.models import ModelCatalog

    return ModelCatalog.load(runtime.paths, runtime.typed)


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def defaults_section(data: dict[str, Any]) -> dict[str, Any]:
    """``agents.defaults`` of a config source dict, created when missing."""
    return _child(_child(data, "agents"), "defaults")


def selection(defaults: dict[str, Any], key: str = "model") -> dict[str, Any]:
    """``defaults[key]`` in canonical object form ``{primary, fallbacks, ...}`` (primary first)."""
    current = defaults.get(key)
    if isinstance(current, str):
        current = {"primary": current} if current.strip() else {}
    elif not isinstance(current, dict):
        current = {}
    ordered = {k: current[k] for k in ("primary", "fallbacks") if k in current}
    ordered.update({k: v for k, v in current.items() if k not in ordered})
    defaults[key] = ordered
    return ordered


def ensure_model_entry(defaults: dict[str, Any], key: str) -> dict[str, Any]:
    """``agents.defaults.models[key]`` (added as ``{}`` when missing: the configured-models list)."""
    models = _child(defaults, "models")
    entry = models.get(key)
    if not isinstance(entry, dict):
        entry = {}
        models[key] = entry
    return entry
