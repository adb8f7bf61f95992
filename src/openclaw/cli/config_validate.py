"""``openclaw config validate``: load the config exactly as the gateway would, and report."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import (
    ConfigError,
    ConfigParseError,
    ConfigSubstitutionError,
    ConfigValidationError,
    SecretFileError,
)
from .config_common import SETTINGS, cli_context
from .context import CliContext, emit_json, warn

__all__ = ["validate_cmd"]


def _describe(exc: ConfigError) -> dict[str, Any]:
    """One error as JSON: message, key path, file, line and column when known."""
    entry: dict[str, Any] = {"message": exc.message}
    if isinstance(exc, (ConfigValidationError, ConfigSubstitutionError)):
        entry["keyPath"] = exc.key_path or None
    if exc.path is not None:
        entry["file"] = exc.path
    if isinstance(exc, ConfigParseError) and exc.line is not None:
        entry["line"] = exc.line
        entry["column"] = exc.column
    return entry


def _permission_warning(cli: CliContext) -> str | None:
    from ..fsutil import check_private_file

    try:
        return check_private_file(cli.paths.config_path)
    except (SecretFileError, OSError):
        return None  # not a regular file, or unreadable: the load error already says so


def _run(cli: CliContext) -> dict[str, Any]:
    path = cli.paths.config_path
    report: dict[str, Any] = {"ok": True, "path": str(path), "exists": path.exists()}
    errors: list[dict[str, Any]] = []
    warnings: list[str] = []
    try:
        snapshot = cli.snapshot(strict_env=True, show_warnings=False)
    except ConfigError as exc:
        errors.append(_describe(exc))
        loose = _permission_warning(cli)
        if loose:
            warnings.append(loose)
    else:
        warnings.extend(snapshot.warnings)
        report["includes"] = [str(p) for p in snapshot.includes]
    report.update(ok=not errors, errors=errors, warnings=warnings)
    return report


@click.command(
    "validate",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config validate
  openclaw config validate --json | jq '.errors[0]'
  OPENCLAW_CONFIG_PATH=./staging.json5 openclaw config validate
""",
)
@click.option("--json", "as_json", is_flag=True, help="Print {ok, path, errors[], warnings[]}.")
@click.pass_context
def validate_cmd(ctx: click.Context, as_json: bool) -> None:
    """Check the config the way the gateway loads it.

    Checks JSON5 syntax (errors give line:column), $include, ${VAR} (an unset variable is an
    error), unknown keys and wrong types (errors give the key path), and file permissions (a
    warning). Exits 1 when the config is invalid.
    """
    cli = cli_context(ctx)
    report = _run(cli)
    if as_json:
        emit_json(report)
    else:
        for message in report["warnings"]:
            warn(f"Warning: {message}")
        shown = cli.paths.display(cli.paths.config_path)
        if report["ok"]:
            state = "valid" if report["exists"] else "not found; defaults apply"
            sys.stdout.write(f"Config {state}: {shown}\n")
        else:
            warn(f"Config invalid: {shown}")
            for error in report["errors"]:
                warn(f"  {error['message']}")
    if not report["ok"]:
        sys.exit(1)  # click's ctx.exit is swallowed outside standalone mode
