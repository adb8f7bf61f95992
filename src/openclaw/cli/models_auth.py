"""``openclaw models auth``: the auth profiles in the state database, and the order they are tried.

Subcommands are imported lazily from :data:`AUTH_SUBCOMMANDS` (add a line to register one).
Nothing here prints a whole key: profiles are shown as ``sk-or-v1...89abcdef``.
"""

from __future__ import annotations

import time
from typing import Any

import click

from ..auth.overview import (
    active_cooldowns,
    profile_health,
    profile_secret_label,
    unusable_profiles,
    unusable_suffix,
)
from ..auth.resolve import profile_order
from ..errors import InputError
from ..refs import canonical_provider, suggest
from ..runtime import Runtime
from .context import emit_json, examples
from .models_cmd import LazySubgroup
from .models_common import agent_option, check_agent, cli_context, out

__all__ = ["AUTH_SUBCOMMANDS", "auth", "known_provider"]

AUTH_SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "list": ("models_auth", "list_profiles", "List auth profiles (keys masked)."),
    "paste-api-key": (
        "models_auth_paste",
        "paste_api_key",
        "Store an API key read from stdin or a hidden prompt.",
    ),
    "paste-token": ("models_auth_paste", "paste_token", "Store a token (optionally with an expiry)."),
    "login": (
        "models_auth_paste",
        "login",
        "Sign in to a provider (API key) and store it as <provider>:default.",
    ),
    "logout": ("models_auth_logout", "logout", "Remove an auth profile from the store and the config."),
    "order": ("models_auth", "order", "Show, set or clear the order profiles are tried in."),
    "clear-cooldowns": (
        "models_cooldowns",
        "clear_cooldowns",
        "Put cooled-down or disabled keys back in rotation.",
    ),
}


def known_provider(runtime: Runtime, raw: str) -> str:
    """The canonical id of a built-in or configured provider; otherwise a "did you mean" input
    error (exit 2)."""
    pid = canonical_provider(raw)
    known = runtime.known_providers()
    if pid not in known:
        hint = suggest(pid, known)
        more = f' Did you mean "{hint}"?' if hint else ""
        raise InputError(f'Unknown provider "{raw}".{more}', param="provider")
    return pid


@click.group(
    "auth",
    cls=LazySubgroup,
    lazy=AUTH_SUBCOMMANDS,
    epilog="""\b
Examples:
  printf '%s\\n' "$OPENROUTER_API_KEY" | openclaw models auth paste-api-key --provider openrouter
  openclaw models auth list --json
  openclaw models auth order set --provider openrouter openrouter:work openrouter:default
  openclaw models auth logout openrouter:manual --yes
""",
)
def auth() -> None:
    """Manage auth profiles: API keys and tokens per provider, and their order."""


def _profile_rows(runtime: Runtime, provider: str | None) -> list[dict[str, Any]]:
    snapshot = runtime.store_snapshot()
    now_ms = int(time.time() * 1000)
    unusable = {
        e["profileId"]: e
        for e in unusable_profiles(snapshot, active_cooldowns(runtime.state, now_ms / 1000), now_ms)
    }
    configured = runtime.typed.auth.profiles if runtime.typed.auth else {}
    rows = []
    for profile in sorted(snapshot.profiles.values(), key=lambda p: (p.provider, p.id)):
        if provider is not None and profile.provider != provider:
            continue
        health = profile_health(profile, now_ms)
        row = {
            "profileId": profile.id,
            "provider": profile.provider,
            "type": profile.type,
            "label": profile_secret_label(profile),
            "status": health["status"],
            "inConfig": profile.id in configured,
        }
        if "expiresAt" in health:
            row["expiresAt"] = health["expiresAt"]
        if profile.id in unusable:
            row["unusable"] = unusable[profile.id]
        rows.append(row)
    return rows


@auth.command(
    "list",
    epilog=examples(
        "openclaw models auth list",
        "openclaw models auth list --provider openrouter --json | jq '.profiles[].profileId'",
    ),
)
@click.option("--provider", metavar="ID", help="Only this provider's profiles.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {storePath, profiles}.")
@click.option(
    "--agent",
    "agent_id",
    metavar="ID",
    help="Checked, for OpenClaw compatibility; every agent shares the one auth store here.",
)
@click.pass_context
def list_profiles(ctx: click.Context, provider: str | None, as_json: bool, agent_id: str | None) -> None:
    """List stored auth profiles; keys are masked."""
    cli = cli_context(ctx)
    runtime = cli.runtime()
    check_agent(runtime, agent_id)
    pid = known_provider(runtime, provider) if provider else None
    from ..bootstrap import attach_state

    attach_state(runtime)  # cooldowns and disables, with time left
    rows = _profile_rows(runtime, pid)
    store = runtime.auth_store.path
    if as_json:
        emit_json({"storePath": str(store), "profiles": rows})
        return
    out(f"Auth profiles ({len(rows)}) in {cli.paths.display(store)}:")
    if not rows:
        hint = f" --provider {pid}" if pid else " --provider openrouter"
        out(f"- none (add one: openclaw models auth paste-api-key{hint})")
    width = max((len(r["profileId"]) for r in rows), default=0)
    for row in rows:
        status = "" if row["status"] == "static" else f" {row['status']}"
        extra = unusable_suffix(row.get("unusable"))
        note = "" if row["inConfig"] else " (not in auth.profiles)"
        out(f"- {row['profileId'].ljust(width)}  {row['type']:<7} {row['label']}{status}{extra}{note}")


_PROVIDER = click.option("--provider", required=True, metavar="ID", help="Provider id, e.g. openrouter.")


@auth.group(
    "order",
    epilog=examples(
        "openclaw models auth order get --provider openrouter",
        "openclaw models auth order set --provider openrouter openrouter:work openrouter:default",
        "openclaw models auth order clear --provider openrouter",
    ),
)
def order() -> None:
    """Show, set or clear the order a provider's profiles are tried in (a per-agent override)."""


def _order_view(runtime: Runtime, provider: str, agent: str) -> dict[str, Any]:
    snapshot = runtime.store_snapshot()
    ids, excluded = profile_order(provider, snapshot, runtime.typed, agent)
    auth_cfg = runtime.typed.auth
    if provider in snapshot.order_for(agent):
        source = "override"
    elif auth_cfg is not None and provider in auth_cfg.order:
        source = "config"
    else:
        source = "default"
    return {
        "provider": provider,
        "agent": agent,
        "source": source,
        "order": ids,
        "excluded": sorted(excluded),
    }


@order.command(
    "get",
    short_help="Show the order a provider's profiles are tried in.",
    epilog=examples(
        "openclaw models auth order get --provider openrouter",
        "openclaw models auth order get --provider openrouter --agent work --json",
    ),
)
@_PROVIDER
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: {provider, agent, source, order, excluded}."
)
@agent_option
@click.pass_context
def order_get(ctx: click.Context, provider: str, as_json: bool, agent_id: str | None) -> None:
    """Show the order PROVIDER's profiles are tried in, and where it comes from."""
    runtime = cli_context(ctx).runtime()
    view = _order_view(runtime, known_provider(runtime, provider), check_agent(runtime, agent_id))
    if as_json:
        emit_json(view)
        return
    out(f"Auth order for {view['provider']} ({view['source']}): {', '.join(view['order']) or '-'}")
    if view["excluded"]:
        out(f"Excluded: {', '.join(view['excluded'])}")


@order.command(
    "set",
    short_help="Try these profiles first, in this order.",
    epilog=examples(
        "openclaw models auth order set --provider openrouter openrouter:work openrouter:default"
    ),
)
@_PROVIDER
@click.argument("profile_ids", nargs=-1, required=True)
@agent_option
@click.pass_context
def order_set(ctx: click.Context, provider: str, profile_ids: tuple[str, ...], agent_id: str | None) -> None:
    """Try PROFILE_IDS first, in this order (profiles left out are not used for this provider)."""
    runtime = cli_context(ctx).runtime()
    pid = known_provider(runtime, provider)
    agent = check_agent(runtime, agent_id)
    stored = {p.id for p in runtime.store_snapshot().for_provider(pid)}
    unknown = [i for i in profile_ids if i not in stored]
    if unknown:
        listed = ", ".join(sorted(stored)) or "none"
        raise InputError(
            f"Not a stored {pid} profile: {', '.join(unknown)} (stored: {listed}).", param="profile_ids"
        )
    ids = list(dict.fromkeys(profile_ids))
    runtime.auth_store.set_order(pid, ids, agent_id=agent)
    out(f"Auth order for {pid}: {', '.join(ids)}")


@order.command(
    "clear",
    short_help="Drop the order override.",
    epilog=examples("openclaw models auth order clear --provider openrouter"),
)
@_PROVIDER
@agent_option
@click.pass_context
def order_clear(ctx: click.Context, provider: str, agent_id: str | None) -> None:
    """Drop the override: auth.order from the config (or the default order) applies again."""
    runtime = cli_context(ctx).runtime()
    pid = known_provider(runtime, provider)
    runtime.auth_store.set_order(pid, None, agent_id=check_agent(runtime, agent_id))
    out(f"Auth order override cleared for {pid}.")
