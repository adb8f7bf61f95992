"""``models auth paste-api-key``, ``paste-token`` and ``login --method api-key``.

The secret is read from stdin when it is not a terminal (``printf '%s\\n' "$KEY" | ...``), else
from a prompt with echo off. It never appears on the command line, in output or in errors.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from ..auth.config_edit import drop_profile, parse_duration_ms, set_profile_entry, validate_profile_id
from ..auth.store import AuthProfile
from ..errors import InputError, OpenClawError
from .models_auth import known_provider
from .models_common import (
    cli_context,
    defaults_section,
    ensure_model_entry,
    out,
    print_write,
    selection,
    write_config,
)
from .models_cooldowns import forget_cooldowns

__all__ = ["login", "paste_api_key", "paste_token", "read_secret"]

GATEWAY_NOTE = (
    "{what} saved, but the Gateway has not confirmed applying the provider settings. "
    "A running gateway uses it after a restart (stop it, then `openclaw gateway run` again)."
)


def read_secret(label: str) -> str:
    """One secret: the first non-empty line of stdin, or a hidden prompt on a terminal."""
    if sys.stdin.isatty():
        value: str = click.prompt(f"Paste {label} (input hidden)", hide_input=True, err=True)
    else:
        value = next((line for line in sys.stdin.read().splitlines() if line.strip()), "")
    value = value.strip()
    if not value:
        raise InputError(f"No {label} given: pipe it on stdin or paste it at the prompt.", param="key")
    if any(c.isspace() for c in value):
        raise InputError(f"The {label} contains whitespace; paste exactly one key.", param="key")
    return value


def _store(
    ctx: click.Context, profile: AuthProfile, what: str, extra: Any = None, removed: tuple[str, ...] = ()
) -> None:
    cli = cli_context(ctx)
    runtime = cli.runtime()
    runtime.auth_store.upsert(profile)

    def mutate(data: dict[str, Any]) -> None:
        set_profile_entry(data, profile.id, profile.provider, profile.type)
        if extra is not None:
            extra(data)

    result = write_config(cli, mutate)
    out(GATEWAY_NOTE.format(what=what))
    print_write(result, cli)
    out(f"Auth profile: {profile.id} ({profile.provider}/{profile.type})")
    forget_cooldowns(runtime, [profile.id, *removed], f"{what} saved")


_PROVIDER = click.option("--provider", required=True, metavar="ID", help="Provider id, e.g. openrouter.")
_PROFILE_ID = click.option("--profile-id", metavar="ID", help="Profile id (default <provider>:manual).")


@click.command(
    "paste-api-key",
    epilog="""\b
Examples:
  printf '%s\\n' "$OPENROUTER_API_KEY" | openclaw models auth paste-api-key --provider openrouter
  openclaw models auth paste-api-key --provider openrouter --profile-id openrouter:work   # prompts
""",
)
@_PROVIDER
@_PROFILE_ID
@click.pass_context
def paste_api_key(ctx: click.Context, provider: str, profile_id: str | None) -> None:
    """Store an API key as an auth profile (read from stdin, or a hidden prompt)."""
    pid = known_provider(cli_context(ctx).runtime(), provider)
    profile_id = validate_profile_id(profile_id or f"{pid}:manual", pid)
    key = read_secret("API key")
    _store(ctx, AuthProfile(id=profile_id, provider=pid, type="api_key", secret=key), "API key")


@click.command(
    "paste-token",
    epilog="""\b
Example:
  printf '%s\\n' "$TOKEN" | openclaw models auth paste-token --provider openrouter --expires-in 365d
""",
)
@_PROVIDER
@_PROFILE_ID
@click.option(
    "--expires-in", metavar="DURATION", help="Lifetime such as 365d or 12h (stored as an absolute expiry)."
)
@click.pass_context
def paste_token(ctx: click.Context, provider: str, profile_id: str | None, expires_in: str | None) -> None:
    """Store a token as an auth profile (never refreshed; optional expiry)."""
    pid = known_provider(cli_context(ctx).runtime(), provider)
    profile_id = validate_profile_id(profile_id or f"{pid}:manual", pid)
    expires = int(time.time() * 1000) + parse_duration_ms(expires_in) if expires_in else None
    token = read_secret("token")
    _store(
        ctx, AuthProfile(id=profile_id, provider=pid, type="token", secret=token, expires=expires), "Token"
    )


@click.command(
    "login",
    epilog="""\b
Examples:
  printf '%s\\n' "$OPENROUTER_API_KEY" | openclaw models auth login --provider openrouter --method api-key
  openclaw models auth login --provider openrouter --set-default      # prompts for the key
""",
)
@_PROVIDER
@click.option(
    "--method", default="api-key", show_default=True, metavar="METHOD", help="api-key (oauth: not yet)."
)
@click.option("--profile-id", metavar="ID", help="Profile id (default <provider>:default).")
@click.option("--set-default", is_flag=True, help="Also make the provider's recommended model the default.")
@click.option("--force", is_flag=True, help="Delete this provider's stored profiles first.")
@click.pass_context
def login(  # noqa: PLR0917 (a click callback: one parameter per option)
    ctx: click.Context, provider: str, method: str, profile_id: str | None, set_default: bool, force: bool
) -> None:
    """Sign in to PROVIDER with an API key, stored as <provider>:default (replacing the old key)."""
    runtime = cli_context(ctx).runtime()
    pid = known_provider(runtime, provider)
    if method not in ("api-key", "api_key", "apikey"):
        raise InputError(
            f'--method {method} is not supported; use --method api-key (an API key from "{pid}").',
            param="method",
        )
    profile_id = validate_profile_id(profile_id or f"{pid}:default", pid)
    key = read_secret("API key")
    removed = runtime.auth_store.remove_provider(pid) if force else []
    row = runtime.provider(pid)
    default_model = f"{pid}/{row.row.default_model}" if row and row.row and row.row.default_model else None
    if set_default and default_model is None:
        raise OpenClawError(
            f'Provider "{pid}" has no recommended model; use `openclaw models set {pid}/<model>`.'
        )

    def extra(data: dict[str, Any]) -> None:
        for old in removed:
            if old != profile_id:
                drop_profile(data, old)
        if set_default and default_model is not None:
            defaults = defaults_section(data)
            selection(defaults)["primary"] = default_model
            ensure_model_entry(defaults, default_model)

    profile = AuthProfile(id=profile_id, provider=pid, type="api_key", secret=key)
    _store(ctx, profile, "API key", extra, removed=tuple(removed))
    if set_default:
        out(f"Default model: {default_model}")
