"""``openclaw config``: read, edit and validate the config file.

stdout carries the data (a value, the path, the schema, the one-line result of an edit); warnings
and errors go to stderr. Every edit goes through :func:`openclaw.config.write.update_config`
(lock, re-read, validate the whole result, back up, atomic replace).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config_common import SETTINGS, cli_context, path_not_found, print_value
from .config_edit import set_cmd, unset_cmd
from .config_validate import validate_cmd
from .context import CliContext, emit_json, warn

if TYPE_CHECKING:
    from ..config.loader import ConfigData

__all__ = ["config"]


@click.group(
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config file
  openclaw config get agents.defaults.model.primary
  openclaw config set models.providers.openrouter.baseUrl http://localhost:4000/v1
  openclaw config unset models.providers.openrouter.baseUrl
  openclaw config validate --json
""",
)
def config() -> None:
    """Read, edit and validate the config file (openclaw.json, JSON5).

    \b
    Paths are dotted; use brackets for keys that contain dots:
      agents.defaults.models["openai/gpt-5.4"].alias
    """


def _read_for_display(cli: CliContext) -> ConfigData:
    """The config resolved leniently (unset ${VAR} kept) and not required to be valid: a broken
    config can still be inspected. Problems are reported on stderr."""
    from ..config.loader import read_config
    from ..config.validate import validate
    from ..errors import ConfigValidationError
    from ..runtime import credential_env_vars

    loaded = read_config(
        cli.paths, cli.env, cwd=Path.cwd(), credential_vars=credential_env_vars(), strict_env=False
    )
    for message in loaded.warnings:
        warn(f"Warning: {message}")
    try:
        validate(loaded.data, path=str(loaded.path))
    except ConfigValidationError as exc:
        warn(f"Warning: {exc.message} (run `openclaw config validate`)")
    return loaded


@config.command(
    "get",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config get agents.defaults.model.primary
  openclaw config get models.providers.openrouter --json
  openclaw config get 'agents.defaults.models["openrouter/auto"]'
  openclaw config get models.providers.openrouter.apiKey --raw   # "${OPENROUTER_API_KEY}"
""",
)
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print the value as JSON (strings quoted).")
@click.option("--raw", is_flag=True, help="The value as written: ${VAR} and $include not resolved.")
@click.pass_context
def get_cmd(ctx: click.Context, path: str, as_json: bool, raw: bool) -> None:
    """Print the value at PATH, with secrets masked.

    The value is the resolved one ($include merged, ${VAR} substituted) unless --raw. An unset
    ${VAR} or a schema error does not stop the command: a warning goes to stderr and an unset
    reference is shown as written. A missing path
    exits 1 (with --json: {"error": "Config path not found: PATH"} on stdout).
    """
    from ..config.dotpath import MISSING, get_path, parse_path
    from ..config.masking import mask_config_value

    keys = parse_path(path.strip())
    loaded = _read_for_display(cli_context(ctx))
    value = get_path(loaded.source if raw else loaded.data, keys)
    if value is MISSING:
        error = path_not_found(path)
        if as_json:
            emit_json({"error": error.message})
            sys.exit(1)  # click's ctx.exit is swallowed outside standalone mode
        raise error
    print_value(mask_config_value(value, keys), as_json)


@config.command(
    "file",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config file
  openclaw --profile work config file --json
  $EDITOR "$(openclaw config file)"
""",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"path": ..., "exists": ...}.')
@click.pass_context
def file_cmd(ctx: click.Context, as_json: bool) -> None:
    """Print the path of the active config file.

    OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR and --profile/--dev are applied; the file need
    not exist yet.
    """
    path = cli_context(ctx).paths.config_path
    if as_json:
        emit_json({"path": str(path), "exists": path.exists()})
    else:
        sys.stdout.write(f"{path}\n")


@config.command(
    "schema",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config schema > openclaw.schema.json
  openclaw config schema | jq '."$defs".ProviderConfig.properties | keys'
""",
)
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of the config file."""
    from ..config.jsonschema import config_json_schema

    emit_json(config_json_schema())


config.add_command(set_cmd, "set")
config.add_command(unset_cmd, "unset")
config.add_command(validate_cmd, "validate")
