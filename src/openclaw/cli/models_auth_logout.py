"""``openclaw models auth logout <profileId>``: forget a stored credential.

Removes the profile from the auth store, from ``auth.profiles`` and from every ``auth.order``
list (a list that becomes empty is deleted), and clears its cooldowns. Refuses an unknown id, and an id that a
``models.providers.<id>.apiKey`` names. Asks on a terminal unless ``--yes``. The key is not
revoked at the provider.
"""

from __future__ import annotations

from typing import Any

import click

from ..auth.config_edit import drop_profile, provider_key_references
from ..errors import OpenClawError
from ..refs import suggest
from .models_common import cli_context, out, print_write, write_config
from .models_cooldowns import forget_cooldowns
from .onboard_interactive import stdin_is_tty

__all__ = ["logout"]


@click.command(
    "logout",
    epilog="""\b
Example:
  openclaw models auth logout openrouter:manual --yes
""",
)
@click.argument("profile_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def logout(ctx: click.Context, profile_id: str, yes: bool) -> None:
    """Remove PROFILE_ID from the auth store and the config (the provider is not told)."""
    cli = cli_context(ctx)
    runtime = cli.runtime()
    stored = runtime.store_snapshot().profiles
    configured = runtime.typed.auth.profiles if runtime.typed.auth else {}
    if profile_id not in stored and profile_id not in configured:
        known = sorted({*stored, *configured})
        hint = suggest(profile_id, known)
        more = f' Did you mean "{hint}"?' if hint else ""
        raise OpenClawError(
            f'Unknown auth profile "{profile_id}".{more} Known: {", ".join(known) or "none"}.'
        )
    refs = provider_key_references(cli.snapshot().source, profile_id)
    if refs:
        raise OpenClawError(
            f'Auth profile "{profile_id}" is used by {", ".join(refs)}; change that first, then log out.'
        )
    if (
        not yes
        and stdin_is_tty()
        and not click.confirm(f"Remove auth profile {profile_id}?", default=False, err=True)
    ):
        raise OpenClawError("Logout cancelled; nothing was changed.")
    runtime.auth_store.remove(profile_id)

    def mutate(data: dict[str, Any]) -> None:
        drop_profile(data, profile_id)

    result = write_config(cli, mutate)
    if result.changed:
        print_write(result, cli)
    out(f"Removed auth profile {profile_id}. The key is not revoked at the provider.")
    forget_cooldowns(runtime, [profile_id], f"Auth profile {profile_id} removed")
