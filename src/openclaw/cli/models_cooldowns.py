"""``openclaw models auth clear-cooldowns``: put cooled-down or disabled keys back in rotation.

Cooldowns are written by the router when a key or a key+model fails (see ``docs/failover.md``);
they expire on their own, and a success clears them. This command clears them at once, e.g.
after topping up credits (a billing failure disables a key for hours) or replacing a revoked key::

    openclaw models auth clear-cooldowns openrouter:default      # a profile (and its per-model cooldowns)
    openclaw models auth clear-cooldowns env:OPENROUTER_API_KEY  # a key from the environment
    openclaw models auth clear-cooldowns openrouter/openai/gpt-4o-mini   # one model, every key
    openclaw models auth clear-cooldowns --provider openrouter
    openclaw models auth clear-cooldowns --all

:func:`cooldown_lines` is the "Unavailable auth profiles" section of ``models status``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

from ..auth.overview import credential_provider
from ..auth.store import StoreSnapshot
from ..errors import InputError, OpenClawError
from ..state.base import Cooldown
from .context import emit_json
from .models_common import cli_context, out

if TYPE_CHECKING:
    from ..catalog.resolve import ResolvedProvider
    from ..runtime import Runtime
    from ..state.base import StateBackend

__all__ = [
    "clear_cooldowns",
    "clear_profile_cooldowns",
    "cooldown_lines",
    "forget_cooldowns",
    "format_left",
    "provider_lookup",
    "provider_of_key",
]


def format_left(seconds: float) -> str:
    """``25s``, ``9m``, ``4h 58m``."""
    if seconds < 90:
        return f"{max(0, round(seconds))}s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def provider_lookup(runtime: Runtime) -> Callable[[str], str | None]:
    """``credential key -> provider id`` for keys that are not stored profiles, over every known
    provider (built-in or configured; resolved on first use only)."""
    providers: list[ResolvedProvider] | None = None

    def lookup(cred: str) -> str | None:
        nonlocal providers
        if providers is None:
            providers = []
            for pid in sorted(runtime.known_providers()):
                with contextlib.suppress(OpenClawError):  # a broken provider config matches nothing
                    if (provider := runtime.provider(pid)) is not None:
                        providers.append(provider)
        return credential_provider(cred, providers)

    return lookup


def provider_of_key(key: str, snapshot: StoreSnapshot, lookup: Callable[[str], str | None]) -> str | None:
    """The provider a cooldown key belongs to (for ``--provider``)."""
    cred, _, ref = key.partition("|")
    if ref:
        return ref.partition("/")[0]
    profile = snapshot.profiles.get(cred)
    if profile is not None:
        return profile.provider
    if cred.startswith(("env:", "config:", "local:")):
        return lookup(cred)
    return cred.partition(":")[0]  # a profile no longer stored: its id starts with the provider


def _records(state: StateBackend, now: float) -> list[Cooldown]:
    """Every record the backend keeps (expired ones still carry an error count)."""
    all_records = getattr(state, "all_records", None)
    if callable(all_records):
        records: list[Cooldown] = all_records(now)
        return records
    return list(state.all_cooldowns(now))


def _matches(key: str, target: str) -> bool:
    cred, _, ref = key.partition("|")
    return target in (key, cred, ref, cred.partition("#")[0])


def select_keys(
    records: Iterable[Cooldown], runtime: Runtime, targets: Iterable[str], provider: str | None
) -> list[str]:
    keys = [c.key for c in records]
    chosen = [k for k in keys if any(_matches(k, t) for t in targets)]
    if provider is not None:
        snapshot, lookup = runtime.store_snapshot(), provider_lookup(runtime)
        chosen += [k for k in keys if provider_of_key(k, snapshot, lookup) == provider]
    return list(dict.fromkeys(chosen))


def clear_profile_cooldowns(runtime: Runtime, profile_ids: Iterable[str]) -> list[str]:
    """Clear every cooldown of these stored profiles, their own and their per-model ones.

    Used when a profile's key is replaced or removed: the cooldowns belonged to the old key.
    Returns the keys cleared; nothing is written when there are none.
    """
    from ..bootstrap import attach_state

    ids = set(profile_ids)
    state = attach_state(runtime)
    keys = [c.key for c in _records(state, time.time()) if c.key.partition("|")[0] in ids]
    if keys:
        ctx_run(state.clear(keys))
    return keys


def forget_cooldowns(runtime: Runtime, profile_ids: list[str], done: str) -> None:
    """Clear the cooldowns of replaced or removed profiles and say so when there were any.

    ``done`` is what already happened ("API key saved"); it heads the error if clearing fails.
    """
    ids = list(dict.fromkeys(profile_ids))
    try:
        keys = clear_profile_cooldowns(runtime, ids)
    except OpenClawError as exc:
        raise OpenClawError(
            f"{done}, but the old key's cooldowns could not be cleared: {exc.message} "
            f"Run `openclaw models auth clear-cooldowns {' '.join(ids)}` once that is fixed."
        ) from exc
    if keys:
        plural = "s" if len(keys) != 1 else ""
        out(f"Cleared {len(keys)} cooldown{plural} of the old key: {', '.join(keys)}")


def cooldown_lines(state: StateBackend | None, now: float | None = None) -> list[str]:
    """The "Unavailable auth profiles" section (empty when nothing is cooling down)."""
    if state is None:
        return []
    now = time.time() if now is None else now
    active = state.all_cooldowns(now)
    if not active:
        return []
    lines = ["", "Unavailable auth profiles"]
    for c in active:
        cred, _, ref = c.key.partition("|")
        what = "disabled" if c.disabled else "cooldown"
        scope = f" on {ref}" if ref else ""
        stamp = time.strftime("%H:%M:%S", time.localtime(c.until))
        lines.append(
            f"- {cred} {what} ({c.reason}){scope}: {format_left(c.remaining(now))} left, until {stamp}"
        )
    lines.append("Clear with: openclaw models auth clear-cooldowns <profile-or-key> (or --all)")
    return lines


@click.command(
    "clear-cooldowns",
    epilog="""\b
Examples:
  openclaw models auth clear-cooldowns openrouter:default
  openclaw models auth clear-cooldowns env:OPENROUTER_API_KEY
  openclaw models auth clear-cooldowns openrouter/openai/gpt-4o-mini
  openclaw models auth clear-cooldowns --provider openrouter
  openclaw models auth clear-cooldowns --all
""",
)
@click.argument("targets", nargs=-1, metavar="[PROFILE_OR_KEY]...")
@click.option("--provider", metavar="ID", help="Every cooldown of this provider's keys and models.")
@click.option("--all", "clear_all", is_flag=True, help="Every cooldown and disable, and their error counts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def clear_cooldowns(
    ctx: click.Context, targets: tuple[str, ...], provider: str | None, clear_all: bool, as_json: bool
) -> None:
    """Clear cooldowns and disables so the keys are tried again at once."""
    if not targets and provider is None and not clear_all:
        raise InputError("Name a profile, key or model ref, or use --provider ID or --all.")
    from ..bootstrap import attach_state

    cli = cli_context(ctx)
    runtime: Runtime = cli.runtime()
    state = attach_state(runtime)
    now = time.time()
    records = _records(state, now)
    if clear_all:
        keys = [c.key for c in records]
        count = ctx_run(state.clear(None))
    else:
        pid = provider.strip().lower() if provider else None
        keys = select_keys(records, runtime, targets, pid)
        if not keys:  # nothing to clear for that name: a failure (exit 1), like logout of no profile
            raise OpenClawError(_nothing(targets, provider, records))
        count = ctx_run(state.clear(keys))
    result: dict[str, Any] = {"cleared": count, "keys": keys}
    if as_json:
        emit_json(result)
    elif count:
        out(f"Cleared {count} cooldown{'s' if count != 1 else ''}: {', '.join(keys)}")
    else:
        out("No cooldowns to clear.")


def _nothing(targets: tuple[str, ...], provider: str | None, records: list[Cooldown]) -> str:
    named = ", ".join([*targets, *([f"--provider {provider}"] if provider else [])])
    known = sorted({c.key.partition("|")[0] for c in records})
    hint = f" Cooling down or remembered: {', '.join(known)}." if known else " Nothing is cooling down."
    return f"No cooldown matches {named}.{hint}"


def ctx_run(coro: Any) -> int:
    from .main import run_async

    result: int = run_async(coro)
    return result
