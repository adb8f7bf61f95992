"""The ``--probe*`` options of ``models status`` and their validation.

Kept apart from :mod:`openclaw.cli.models_probe` (asyncio, transports, the ledger) so that
``models status`` without ``--probe`` starts without importing any of that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["ProbeSettings", "probe_options", "probe_settings"]


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    providers: frozenset[str] | None = None
    profiles: frozenset[str] | None = None
    timeout_ms: float = 8000.0
    concurrency: int = 2
    max_tokens: int = 8


def _split_values(values: Sequence[str]) -> frozenset[str] | None:
    items = {part.strip() for value in values for part in value.split(",") if part.strip()}
    return frozenset(items) or None


def probe_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--probe*`` flags of ``models status``."""
    options = [
        click.option("--probe", is_flag=True, help="Send a tiny real request per provider/credential."),
        click.option("--probe-provider", multiple=True, metavar="ID", help="Only probe this provider."),
        click.option(
            "--probe-profile",
            multiple=True,
            metavar="ID",
            help="Only these profiles (repeat or comma-separate).",
        ),
        click.option("--probe-timeout", type=float, default=8000, show_default=True, help="Per probe, ms."),
        click.option("--probe-concurrency", type=int, default=2, show_default=True, help="Probes at once."),
        click.option(
            "--probe-max-tokens", type=int, default=8, show_default=True, help="max_tokens per probe."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def probe_settings(opts: dict[str, Any], *, plain: bool) -> ProbeSettings | None:
    """Validate the ``--probe*`` values (OpenClaw's messages); None without ``--probe``."""
    if not opts.get("probe"):
        return None
    if plain:
        raise click.UsageError("--probe cannot be used with --plain output.")
    timeout = opts.get("probe_timeout", 8000)
    if timeout is None or timeout <= 0:
        raise click.UsageError("--probe-timeout must be a positive number (ms).")
    if opts.get("probe_concurrency", 2) <= 0:
        raise click.UsageError("--probe-concurrency must be > 0.")
    if opts.get("probe_max_tokens", 8) <= 0:
        raise click.UsageError("--probe-max-tokens must be > 0.")
    return ProbeSettings(
        providers=_split_values(opts.get("probe_provider") or ()),
        profiles=_split_values(opts.get("probe_profile") or ()),
        timeout_ms=float(timeout),
        concurrency=int(opts.get("probe_concurrency", 2)),
        max_tokens=int(opts.get("probe_max_tokens", 8)),
    )
