"""``openclaw config set`` and ``openclaw config unset``."""

from __future__ import annotations

import copy
import sys
from typing import Any

import click

from ..errors import ConfigWriteError, InputError
from .config_common import SETTINGS, cli_context, path_not_found
from .context import CliContext, emit_json, warn

__all__ = ["set_cmd", "unset_cmd"]


def _new_value(
    value: str | None,
    strict_json: bool,
    *,
    ref_source: str | None,
    ref_id: str | None,
    ref_provider: str | None,
) -> Any:
    from ..config.edit import parse_value, secret_ref

    building = ref_source is not None or ref_id is not None or ref_provider is not None
    if building:
        if value is not None:
            raise InputError("Give either VALUE or --ref-source/--ref-id, not both.", param="value")
        if ref_source is None or ref_id is None:
            raise InputError("A SecretRef needs both --ref-source and --ref-id.", param="ref")
        return secret_ref(ref_source, ref_id, ref_provider or "default")
    if value is None:
        raise InputError("Missing VALUE (or --ref-source/--ref-id for a SecretRef).", param="value")
    return parse_value(value, strict=strict_json)


def _refuse_drops(lost: list[str], path: str) -> ConfigWriteError:
    shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
    return ConfigWriteError(
        f"Refusing to replace {path}: it would drop {shown}. Use --merge to add entries, "
        "or --replace to replace the object as given."
    )


def _plaintext_note(keys: list[str | int], value: Any, cli: CliContext) -> None:
    from ..config.masking import is_secret_name

    names = [k for k in keys if isinstance(k, str)]
    if not (isinstance(value, str) and names and is_secret_name(names[-1], None)):
        return
    if value.startswith("${") or keys[0] == "env":  # env.vars holds literal values by design
        return
    warn(
        f"Note: the secret is stored in plain text in {cli.paths.display(cli.paths.config_path)}. "
        "To keep it out of the file use an env SecretRef: --ref-source env --ref-id NAME."
    )


def _report(cli: CliContext, result: Any, path: str, hint: str, verb: str) -> None:
    for message in result.warnings:
        warn(f"Warning: {message}")
    if not result.changed:
        sys.stdout.write("No change\n")
    else:
        sys.stdout.write(f"{verb} {path}. {hint}\n")


@click.command(
    "set",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config set models.providers.openrouter.baseUrl http://localhost:4000/v1
  openclaw config set gateway.port 18790
  openclaw config set agents.defaults.model '{primary: "openrouter/auto", fallbacks: []}'
  openclaw config set models.providers.openrouter.apiKey \\
      --ref-source env --ref-id OPENROUTER_API_KEY
  openclaw config set models.providers '{"local": {"baseUrl": "http://127.0.0.1:8000/v1"}}' --merge
  openclaw config set gateway.auth.mode password --dry-run
""",
)
@click.argument("path")
@click.argument("value", required=False)
@click.option(
    "--strict-json", "--json", "strict_json", is_flag=True, help="VALUE must be JSON (else an error)."
)
@click.option("--merge", is_flag=True, help="Deep-merge an object VALUE into the existing object.")
@click.option("--replace", is_flag=True, help="Allow replacing a protected map (drops entries).")
@click.option("--dry-run", is_flag=True, help="Validate and print the result; write nothing.")
@click.option(
    "--ref-source",
    type=click.Choice(["env", "file", "exec", "store"]),
    help="Build a SecretRef instead of VALUE.",
)
@click.option("--ref-provider", metavar="NAME", help='SecretRef provider (default "default").')
@click.option("--ref-id", metavar="ID", help="SecretRef id, e.g. the env var name.")
@click.pass_context
def set_cmd(
    ctx: click.Context,
    path: str,
    value: str | None,
    *,
    strict_json: bool,
    merge: bool,
    replace: bool,
    dry_run: bool,
    ref_source: str | None,
    ref_provider: str | None,
    ref_id: str | None,
) -> None:
    """Set PATH to VALUE and save the config.

    VALUE is read as JSON5 when it parses (true, 12, "text", {a: 1}, [1, 2]), else as a plain
    string. An object replaces the existing one; objects holding named entries
    (models.providers, models.providers.<id>, its models, agents.defaults.models,
    agents.entries, plugins.entries, auth.profiles) refuse a replacement that would drop
    entries unless --replace, and --merge adds to them instead. The whole config is validated
    before anything is written; an invalid result exits 1 and leaves the file as it was.
    """
    from ..config.dotpath import parse_path
    from ..config.edit import assign, dropped_entries, restart_hint
    from ..config.write import update_config

    if merge and replace:
        raise InputError("--merge and --replace cannot be used together.")
    keys = parse_path(path.strip())
    new = _new_value(value, strict_json, ref_source=ref_source, ref_id=ref_id, ref_provider=ref_provider)
    cli = cli_context(ctx)

    def mutate(doc: dict[str, Any]) -> None:
        top = str(keys[0])  # protected maps are checked within the edited section only
        before = {top: copy.deepcopy(doc[top])} if top in doc else {}
        assign(doc, keys, new, merge=merge)
        lost = [] if replace else dropped_entries(before, doc, keys)
        if lost:
            raise _refuse_drops(lost, path.strip())

    result = update_config(cli.paths, mutate, env=cli.env, dry_run=dry_run, allow_clobber=True)
    if dry_run and result.changed:
        from ..config.dotpath import get_path
        from ..config.masking import mask_config_value

        sys.stdout.write(f"Dry run: {path.strip()} would be set to (nothing written):\n")
        emit_json(mask_config_value(get_path(result.data, keys), keys))
        return
    _report(cli, result, path.strip(), restart_hint(keys), "Updated")
    if result.changed:
        _plaintext_note(keys, new, cli)


@click.command(
    "unset",
    context_settings=SETTINGS,
    epilog="""\b
Examples:
  openclaw config unset models.providers.openrouter.baseUrl
  openclaw config unset 'agents.defaults.models["openai/gpt-5.4"]'
  openclaw config unset agents.defaults.model.fallbacks[0]
""",
)
@click.argument("path")
@click.option("--dry-run", is_flag=True, help="Validate the result; write nothing.")
@click.pass_context
def unset_cmd(ctx: click.Context, path: str, dry_run: bool) -> None:
    """Remove PATH from the config file. A path that is not there exits 1."""
    from ..config.dotpath import parse_path, unset_path
    from ..config.edit import restart_hint
    from ..config.write import update_config

    keys = parse_path(path.strip())
    cli = cli_context(ctx)

    def mutate(doc: dict[str, Any]) -> None:
        if not unset_path(doc, keys):
            raise path_not_found(path.strip())

    result = update_config(cli.paths, mutate, env=cli.env, dry_run=dry_run, allow_clobber=True)
    if dry_run:
        sys.stdout.write(f"Dry run: {path.strip()} would be removed (nothing written).\n")
        return
    _report(cli, result, path.strip(), restart_hint(keys), "Removed")
