"""The terminal side of ``openclaw onboard``: pick a provider, paste the key (hidden), confirm.

Prompts go to stderr (stdout stays data); keys are read with echo off and shown only masked.
"""

from __future__ import annotations

import sys

import click

from ..catalog.providers import BUILTIN_PROVIDERS, ProviderRow
from ..errors import InputError

__all__ = ["TerminalAsker", "choose_auth_choice", "confirm", "stdin_is_tty"]

FLAGSHIP = "openrouter"


def stdin_is_tty() -> bool:
    """Whether prompts can be answered (a terminal on stdin)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _rows() -> list[ProviderRow]:
    rows = [r for r in BUILTIN_PROVIDERS.values() if r.auth_choice]
    return sorted(rows, key=lambda r: (r.id != FLAGSHIP, r.local, r.label.lower()))


def choose_auth_choice() -> str:
    """Ask which provider to set up; returns its auth choice (``openrouter-api-key``...)."""
    rows = _rows()
    click.echo("Which provider do you want to use?", err=True)
    for index, row in enumerate(rows, 1):
        note = " (recommended: one key, many models)" if row.id == FLAGSHIP else ""
        click.echo(f"  {index:2d}. {row.label} [{row.id}]{note}", err=True)
    number = click.prompt(
        "Provider number", type=click.IntRange(1, len(rows)), default=1, err=True, show_default=True
    )
    return str(rows[number - 1].auth_choice)


class TerminalAsker:
    """Answers :class:`~openclaw.cli.onboard_plan.Asker` questions on the terminal."""

    def use_env(self, var: str, masked: str) -> bool:
        return bool(click.confirm(f"Use {var} from the environment ({masked})?", default=True, err=True))

    def secret(self, label: str) -> str:
        value: str = click.prompt(f"{label} (input hidden)", hide_input=True, err=True)
        value = value.strip()
        if not value:
            raise InputError(f"No {label} entered.", param="key")
        return value


def confirm(summary: list[str]) -> bool:
    for line in summary:
        click.echo(line, err=True)
    return bool(click.confirm("Write this configuration?", default=True, err=True))
