"""``openclaw models set`` / ``set-image``: choose the default (or image) model.

An unknown provider is refused with a "did you mean" and the config is left as it was. A known
provider whose model is not in a local catalog is saved with a note (there is no way to check it
offline). The chosen ref is also added to ``agents.defaults.models`` (the configured models), as
OpenClaw does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..refs import ModelRef, parse_ref, suggest
from ..runtime import Runtime
from .context import resolve_arg, warn
from .models_common import (
    cli_context,
    defaults_section,
    ensure_model_entry,
    model_catalog,
    out,
    print_write,
    selection,
    write_config,
)

if TYPE_CHECKING:
    from ..catalog.models import ModelCatalog

__all__ = ["catalog_note", "set_image_model", "set_model"]


def _known_ids(runtime: Runtime, ref: ModelRef, catalog: ModelCatalog) -> set[str]:
    provider = runtime.provider(ref.provider)
    ids = set(provider.models) if provider is not None else set()
    if ref.provider == "openrouter":
        ids |= {parse_ref(f"openrouter/{f.id}").model for f in catalog.openrouter_facts()}
    return ids


def catalog_note(runtime: Runtime, ref: ModelRef, catalog: ModelCatalog) -> str | None:
    """The note printed when ``ref`` cannot be checked against a local catalog (None: it is known)."""
    if catalog.facts(ref) is not None:
        return None
    known = _known_ids(runtime, ref, catalog)
    if not known:
        return (
            f'Note: Provider "{ref.provider}" has no local model catalog, so "{ref.key}" could not be '
            "checked offline. The selection was saved."
        )
    hint = suggest(ref.model, known)
    more = f' Did you mean "{ref.provider}/{hint}"?' if hint else ""
    return (
        f'Note: "{ref.key}" is not in the local catalog of provider "{ref.provider}" '
        f"({len(known)} models).{more} The selection was saved."
    )


def _set(ctx: click.Context, raw: str, key: str, label: str) -> None:
    cli = cli_context(ctx)
    runtime = cli.runtime()
    ref = resolve_arg(runtime, raw)  # unknown provider: exit 2, nothing written
    note = catalog_note(runtime, ref, model_catalog(runtime))
    if note:
        warn(note)

    def mutate(data: dict[str, Any]) -> None:
        defaults = defaults_section(data)
        selection(defaults, key)["primary"] = ref.key
        ensure_model_entry(defaults, ref.key)

    print_write(write_config(cli, mutate), cli)
    out(f"{label}: {ref.key}")


@click.command(
    "set",
    epilog="""\b
Examples:
  openclaw models set openrouter/anthropic/claude-sonnet-4-5
  openclaw models set sonnet            # an alias from `openclaw models aliases list`
""",
)
@click.argument("model")
@click.pass_context
def set_model(ctx: click.Context, model: str) -> None:
    """Set the default model (agents.defaults.model.primary) to MODEL (provider/model or an alias)."""
    _set(ctx, model, "model", "Default model")


@click.command(
    "set-image",
    epilog="""\b
Example:
  openclaw models set-image openrouter/google/gemini-2.5-flash
""",
)
@click.argument("model")
@click.pass_context
def set_image_model(ctx: click.Context, model: str) -> None:
    """Set the image model (agents.defaults.imageModel.primary), used when the primary lacks image input."""
    _set(ctx, model, "imageModel", "Image model")
