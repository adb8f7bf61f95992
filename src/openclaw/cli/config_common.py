"""Helpers shared by the ``openclaw config`` subcommands."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import ConfigError
from .context import CliContext, emit_json

__all__ = ["SETTINGS", "cli_context", "path_not_found", "print_value"]

SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def cli_context(ctx: click.Context) -> CliContext:
    """The global flags' context (a fresh one when a subcommand is invoked on its own)."""
    obj = ctx.find_object(CliContext)
    return obj if obj is not None else CliContext()


def path_not_found(path: str) -> ConfigError:
    return ConfigError(f"Config path not found: {path}")


def print_value(value: Any, as_json: bool) -> None:
    """Strings print as they are (unless ``as_json``); everything else as pretty JSON."""
    if isinstance(value, str) and not as_json:
        sys.stdout.write(value + "\n")
    else:
        emit_json(value)
