"""``openclaw models fallbacks`` and ``image-fallbacks``: list, add, remove, clear.

Entries are stored as canonical ``provider/model`` keys (an alias is resolved when added), the
list never holds duplicates or the primary itself, and ``fallbacks`` sits right after ``primary``
in the canonical object form. Added refs also go to ``agents.defaults.models`` (as ``{}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from ..errors import InputError, OpenClawError
from ..runtime import Runtime
from .context import emit_json, examples, resolve_arg, warn
from .models_common import (
    cli_context,
    defaults_section,
    ensure_model_entry,
    out,
    print_write,
    selection,
    write_config,
)

__all__ = ["fallbacks", "image_fallbacks"]


@dataclass(frozen=True, slots=True)
class _Kind:
    key: str  # agents.defaults.<key>
    label: str  # "Fallbacks"
    item: str  # "Fallback"
    primary_label: str  # "default model"


_TEXT = _Kind("model", "Fallbacks", "Fallback", "default model")
_IMAGE = _Kind("imageModel", "Image fallbacks", "Image fallback", "image model")


def _current(runtime: Runtime, kind: _Kind) -> tuple[str | None, list[str]]:
    defaults = runtime.typed.agents.defaults if runtime.typed.agents else None
    value = getattr(defaults, "model" if kind is _TEXT else "image_model", None) if defaults else None
    if value is None:
        return None, []
    if isinstance(value, str):
        return value or None, []
    return value.primary, list(value.fallbacks or [])


def _key_of(runtime: Runtime, raw: str) -> str:
    try:
        return runtime.resolve(raw).key
    except OpenClawError:
        return raw.strip()


def _list(ctx: click.Context, kind: _Kind, as_json: bool, plain: bool) -> None:
    _, items = _current(cli_context(ctx).runtime(), kind)
    if as_json:
        emit_json({"fallbacks": items})
    elif plain:
        for item in items:
            out(item)
    else:
        out(f"{kind.label} ({len(items)}):")
        for item in items or ["none"]:
            out(f"- {item}")


def _add(ctx: click.Context, kind: _Kind, raw: str) -> None:
    cli = cli_context(ctx)
    runtime = cli.runtime()
    ref = resolve_arg(runtime, raw)
    primary, items = _current(runtime, kind)
    if ref.key in {_key_of(runtime, x) for x in items}:
        warn(f"{ref.key} is already in the {kind.label.lower()} list.")
    if primary and _key_of(runtime, primary) == ref.key:
        raise InputError(
            f"{ref.key} is the {kind.primary_label} itself; a fallback must be a different model.",
            param="model",
        )

    def mutate(data: dict[str, Any]) -> None:
        defaults = defaults_section(data)
        sel = selection(defaults, kind.key)
        items = [str(x) for x in sel.get("fallbacks") or []]
        if ref.key not in {_key_of(runtime, x) for x in items}:
            items.append(ref.key)
        sel["fallbacks"] = items
        ensure_model_entry(defaults, ref.key)

    result = write_config(cli, mutate)
    print_write(result, cli)
    out(f"{kind.label}: {', '.join(_stored(result.data, kind))}")


def _stored(data: dict[str, Any], kind: _Kind) -> list[str]:
    defaults = data.get("agents", {}).get("defaults", {})
    value = defaults.get(kind.key) if isinstance(defaults, dict) else None
    return [str(x) for x in value.get("fallbacks") or []] if isinstance(value, dict) else []


def _remove(ctx: click.Context, kind: _Kind, raw: str) -> None:
    cli = cli_context(ctx)
    runtime = cli.runtime()
    target = _key_of(runtime, raw)
    _, items = _current(runtime, kind)
    if target not in {_key_of(runtime, x) for x in items}:
        raise OpenClawError(f"{kind.item} not found: {target}")

    def mutate(data: dict[str, Any]) -> None:
        sel = selection(defaults_section(data), kind.key)
        sel["fallbacks"] = [x for x in sel.get("fallbacks") or [] if _key_of(runtime, str(x)) != target]

    result = write_config(cli, mutate)
    print_write(result, cli)
    out(f"{kind.label}: {', '.join(_stored(result.data, kind)) or '-'}")


def _clear(ctx: click.Context, kind: _Kind) -> None:
    cli = cli_context(ctx)

    def mutate(data: dict[str, Any]) -> None:
        selection(defaults_section(data), kind.key)["fallbacks"] = []

    print_write(write_config(cli, mutate), cli)
    out(f"{kind.item} list cleared.")


def _group(kind: _Kind, name: str, example: str) -> click.Group:
    cmd = f"openclaw models {name}"

    @click.group(name, epilog=examples(f"{cmd} add {example}", f"{cmd} list --json"))
    def group() -> None:
        pass

    group.help = f"List, add, remove or clear the {kind.primary_label}'s fallbacks (tried in order)."

    @group.command("list", epilog=examples(f"{cmd} list", f"{cmd} list --plain"))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: {fallbacks: [...]}.")
    @click.option("--plain", is_flag=True, help="One ref per line.")
    @click.pass_context
    def list_cmd(ctx: click.Context, as_json: bool, plain: bool) -> None:
        """List the fallbacks in the order they are tried."""
        _list(ctx, kind, as_json, plain)

    @group.command("add", epilog=examples(f"{cmd} add {example}"))
    @click.argument("model")
    @click.pass_context
    def add_cmd(ctx: click.Context, model: str) -> None:
        """Append MODEL (provider/model or an alias) to the fallbacks."""
        _add(ctx, kind, model)

    @group.command("remove", epilog=examples(f"{cmd} remove {example}"))
    @click.argument("model")
    @click.pass_context
    def remove_cmd(ctx: click.Context, model: str) -> None:
        """Remove MODEL from the fallbacks."""
        _remove(ctx, kind, model)

    @group.command("clear", epilog=examples(f"{cmd} clear"))
    @click.pass_context
    def clear_cmd(ctx: click.Context) -> None:
        """Remove every fallback."""
        _clear(ctx, kind)

    return group


fallbacks = _group(_TEXT, "fallbacks", "openrouter/openai/gpt-4o-mini")
image_fallbacks = _group(_IMAGE, "image-fallbacks", "openrouter/google/gemini-2.5-flash")
