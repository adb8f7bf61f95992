"""``openclaw models aliases``: short names for model refs, stored at
``agents.defaults.models.<provider/model>.alias``.

``add`` resolves its target first, so aliasing an alias points the new name at the same model
(no chains); adding a name that already exists moves it to the new model.
"""

from __future__ import annotations

import re
from typing import Any

import click

from ..errors import InputError, OpenClawError
from .context import emit_json, examples, resolve_arg, warn
from .models_common import cli_context, defaults_section, ensure_model_entry, out, print_write, write_config

__all__ = ["aliases"]

_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$")


def _normalize(raw: str) -> str:
    alias = raw.strip()
    if not _ALIAS.match(alias):
        raise InputError(
            f'Invalid alias "{raw}": use letters, digits, ".", "_", "-", ":" or "+" (no spaces, no "/").',
            param="alias",
        )
    return alias


def _models_map(data: dict[str, Any]) -> dict[str, Any]:
    models = defaults_section(data).get("models")
    return models if isinstance(models, dict) else {}


@click.group(
    "aliases",
    epilog="""\b
Examples:
  openclaw models aliases list
  openclaw models aliases add sonnet openrouter/anthropic/claude-sonnet-4-5
  openclaw models set sonnet
  openclaw models aliases remove sonnet
""",
)
def aliases() -> None:
    """List, add or remove model aliases (usable wherever a model ref is)."""


@aliases.command(
    "list",
    epilog=examples("openclaw models aliases list", "openclaw models aliases list --json | jq .aliases"),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {aliases: {alias: ref}}.")
@click.option("--plain", is_flag=True, help='One "alias ref" pair per line.')
@click.pass_context
def list_aliases(ctx: click.Context, as_json: bool, plain: bool) -> None:
    """List the configured aliases."""
    table = cli_context(ctx).runtime().aliases()
    if as_json:
        emit_json({"aliases": table})
    elif plain:
        for alias, key in table.items():
            out(f"{alias} {key}")
    else:
        out(f"Aliases ({len(table)}):")
        if not table:
            out("- none")
        for alias, key in table.items():
            out(f"- {alias} -> {key}")


@aliases.command(
    "add",
    epilog=examples(
        "openclaw models aliases add sonnet openrouter/anthropic/claude-sonnet-4-5",
        "openclaw models aliases add mini openrouter/openai/gpt-4o-mini",
    ),
)
@click.argument("alias")
@click.argument("model")
@click.pass_context
def add_alias(ctx: click.Context, alias: str, model: str) -> None:
    """Make ALIAS a name for MODEL (provider/model or another alias)."""
    name = _normalize(alias)
    cli = cli_context(ctx)
    runtime = cli.runtime()
    ref = resolve_arg(runtime, model)
    previous = {a.lower(): k for a, k in runtime.aliases().items()}.get(name.lower())
    if previous is not None and previous != ref.key:
        warn(f"Note: alias {name} pointed to {previous}; it now points to {ref.key}.")
    replaced = next(
        (a for a, k in runtime.aliases().items() if k == ref.key and a.lower() != name.lower()), None
    )
    if replaced is not None:
        warn(f'Note: a model has one alias; "{replaced}" ({ref.key}) is replaced by "{name}".')

    def mutate(data: dict[str, Any]) -> None:
        for entry in _models_map(data).values():
            if isinstance(entry, dict) and str(entry.get("alias", "")).strip().lower() == name.lower():
                del entry["alias"]
        ensure_model_entry(defaults_section(data), ref.key)["alias"] = name

    print_write(write_config(cli, mutate), cli)
    out(f"Alias {name} -> {ref.key}")


@aliases.command("remove", epilog=examples("openclaw models aliases remove sonnet"))
@click.argument("alias")
@click.pass_context
def remove_alias(ctx: click.Context, alias: str) -> None:
    """Remove ALIAS (the model stays configured)."""
    name = alias.strip()
    cli = cli_context(ctx)
    if name.lower() not in {a.lower() for a in cli.runtime().aliases()}:
        raise OpenClawError(
            f"Alias not found: {name}. Run `openclaw models aliases list` to see configured aliases."
        )

    def mutate(data: dict[str, Any]) -> None:
        for entry in _models_map(data).values():
            if isinstance(entry, dict) and str(entry.get("alias", "")).strip().lower() == name.lower():
                del entry["alias"]

    result = write_config(cli, mutate)
    print_write(result, cli)
    left = [e for e in _models_map(result.data).values() if isinstance(e, dict) and e.get("alias")]
    out(f"Removed alias {name}." + ("" if left else " No aliases configured."))
