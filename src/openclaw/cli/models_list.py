"""``openclaw models list``: the configured models (or, with ``--all``, every known one) as a table.

Rows come from the config (primary, fallbacks, image models, ``agents.defaults.models`` keys,
``models.providers.*.models``); their facts (input, context) from the model catalog (config,
cached OpenRouter ``/models``, bundled snapshot). :func:`build_rows` takes catalog rows as an
iterable of ``(provider id, ModelFacts)``, so any other catalog merges in the same way.
Read-only and offline; the ``Auth`` column says whether a credential is configured, it does not
call the provider.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import click

from ..catalog.resolve import ModelFacts
from ..errors import InputError, OpenClawError
from ..refs import ModelRef, canonical_provider, parse_ref
from ..runtime import Runtime
from .context import emit_json
from .models_common import agent_option, check_agent, cli_context, model_catalog, out
from .models_status_data import current_selection

__all__ = ["ListRow", "build_rows", "config_facts", "list_models", "render_table"]

MODEL_PAD, INPUT_PAD, CTX_PAD, LOCAL_PAD, AUTH_PAD = 42, 10, 11, 5, 5
INPUT_MAX = 16  # the Input column grows up to this for rows such as text+image+file


@dataclass(slots=True)
class ListRow:
    key: str
    name: str
    input: str = ""
    context_window: int | None = None
    context_tokens: int | None = None
    local: bool | None = None
    available: bool | None = None
    tags: list[str] = field(default_factory=list)
    missing: bool = True

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"key": self.key, "name": self.name, "input": self.input}
        row["contextWindow"] = self.context_window
        if self.context_tokens is not None and self.context_tokens != self.context_window:
            row["contextTokens"] = self.context_tokens
        row.update(local=self.local, available=self.available, tags=self.tags, missing=self.missing)
        return row


def _tagged_refs(runtime: Runtime, agent_id: str) -> dict[str, list[str]]:
    """Configured ref keys with their tags (default, fallback#N, image, img-fallback#N, configured)."""
    sel = current_selection(runtime, agent_id)
    tagged: dict[str, list[str]] = {}

    def tag(raw: str | None, label: str) -> None:
        if not raw:
            return
        try:
            key = runtime.resolve(raw).key
        except OpenClawError:
            key = raw
        tagged.setdefault(key, [])
        if label not in tagged[key]:
            tagged[key].append(label)

    tag(sel.raw or sel.resolved, "default")
    for i, ref in enumerate(sel.fallbacks, 1):
        tag(ref, f"fallback#{i}")
    tag(sel.image, "image")
    for i, ref in enumerate(sel.image_fallbacks, 1):
        tag(ref, f"img-fallback#{i}")
    defaults = runtime.typed.agents.defaults if runtime.typed.agents else None
    for key in defaults.models if defaults else {}:
        tag(key, "configured")
    aliases: dict[str, list[str]] = {}
    for alias, key in runtime.aliases().items():
        aliases.setdefault(key, []).append(alias)
    for key, names in aliases.items():
        tagged.setdefault(key, []).append("alias:" + ",".join(names))
    return tagged


def config_facts(runtime: Runtime) -> list[tuple[str, ModelFacts]]:
    """Models defined under ``models.providers.<id>.models`` (the local catalog)."""
    rows: list[tuple[str, ModelFacts]] = []
    for pid in runtime.typed.models.providers if runtime.typed.models else {}:
        provider = runtime.provider(pid)
        rows.extend((pid, facts) for facts in (provider.models.values() if provider else ()))
    return rows


def _apply_facts(row: ListRow, facts: ModelFacts, runtime: Runtime) -> None:
    row.name = facts.name or row.name
    row.input = "+".join(facts.input_modalities)
    row.context_window = facts.context_window
    row.missing = False
    # ModelFacts carries the effective window; the config tells native window and cap apart
    pid, _, model = row.key.partition("/")
    pconf = runtime.typed.models.providers.get(pid) if runtime.typed.models else None
    defn = next((m for m in pconf.models or [] if m.id == model), None) if pconf else None
    if defn is not None:
        row.context_window = defn.context_window or facts.context_window
        row.context_tokens = defn.context_tokens


def _blank_row(runtime: Runtime, key: str, auth_cache: dict[str, bool | None]) -> ListRow:
    try:
        ref: ModelRef | None = parse_ref(key)
    except OpenClawError:
        ref = None
    provider = runtime.provider(ref.provider) if ref else None
    row = ListRow(key=key, name=ref.model if ref else key)
    if provider is not None and ref is not None:
        row.local = provider.local
        if ref.provider not in auth_cache:
            try:
                auth_cache[ref.provider] = bool(runtime.credentials(ref.provider))
            except OpenClawError:
                auth_cache[ref.provider] = False
        row.available = auth_cache[ref.provider]
    return row


def _catalog_key(provider_id: str, facts: ModelFacts) -> str:
    try:
        return parse_ref(f"{provider_id}/{facts.id}").key
    except OpenClawError:
        return f"{provider_id}/{facts.id}"


def build_rows(
    runtime: Runtime,
    *,
    lookup: Callable[[str], ModelFacts | None] | None = None,
    catalog: Iterable[tuple[str, ModelFacts]] = (),
    include_catalog: bool = False,
    provider_filter: str | None = None,
    local_only: bool = False,
    agent_id: str = "main",
) -> list[ListRow]:
    """Configured models first (in config order), then catalog-only rows when asked for.

    ``lookup`` gives the facts of a configured ref (a :class:`ModelCatalog`'s ``facts``);
    ``catalog`` holds ``(provider id, facts)`` rows to list with ``--all``.
    """
    auth_cache: dict[str, bool | None] = {}
    tagged = _tagged_refs(runtime, agent_id)
    replace = runtime.typed.models is not None and runtime.typed.models.mode == "replace"
    rows: dict[str, ListRow] = {}
    shown: set[tuple[str, str]] = set()  # (provider, catalog id) already listed under a configured key
    for key, tags in ({} if replace else tagged).items():
        row = rows[key] = _blank_row(runtime, key, auth_cache)
        row.tags = list(tags)
        facts = _safe(lookup, key)
        if facts is not None:
            _apply_facts(row, facts, runtime)
            shown.add((key.partition("/")[0], facts.id))
    for pid, facts in [*config_facts(runtime), *catalog]:
        key = _catalog_key(pid, facts)
        if key not in rows and (
            (pid, facts.id) in shown or not (facts.source == "config" or include_catalog)
        ):
            continue
        row = rows.setdefault(key, _blank_row(runtime, key, auth_cache))
        row.tags = row.tags or list(tagged.get(key, []))
        if row.missing:
            _apply_facts(row, facts, runtime)
    for row in rows.values():
        if row.missing and "missing" not in row.tags:
            row.tags.append("missing")
    selected = [
        r for r in rows.values() if provider_filter is None or r.key.startswith(provider_filter + "/")
    ]
    return [r for r in selected if not local_only or r.local]


def _safe(lookup: Callable[[str], ModelFacts | None] | None, key: str) -> ModelFacts | None:
    if lookup is None:
        return None
    try:
        return lookup(key)
    except OpenClawError:
        return None


def _ctx_label(row: ListRow) -> str:
    def k(value: int) -> str:
        return str(value) if value < 1000 else f"{round(value / 1000)}k"  # 200000 -> 200k, as OpenClaw

    if row.context_window is None:
        return "-"
    if row.context_tokens and row.context_tokens != row.context_window:
        return f"{k(row.context_tokens)}/{k(row.context_window)}"
    return k(row.context_window)


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def render_table(rows: list[ListRow]) -> list[str]:
    input_pad = max([INPUT_PAD, *(min(len(r.input or "-"), INPUT_MAX) for r in rows)])
    header = " ".join(
        ["Model".ljust(MODEL_PAD), "Input".ljust(input_pad), "Ctx".ljust(CTX_PAD), "Local", "Auth ", "Tags"]
    )
    lines = [header]
    for row in rows:
        cells = [
            _truncate(row.key, MODEL_PAD).ljust(MODEL_PAD),
            _truncate(row.input or "-", INPUT_MAX).ljust(input_pad),
            _ctx_label(row).ljust(CTX_PAD),
            _yes_no(row.local).ljust(LOCAL_PAD),
            _yes_no(row.available).ljust(AUTH_PAD),
            ",".join(row.tags),
        ]
        lines.append(" ".join(cells).rstrip())
    return lines


def _provider_filter(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if re.search(r"\s", text):
        raise InputError(
            f'Invalid provider filter "{text}". Use a provider id such as "moonshot", not a display label.',
            param="provider",
        )
    return canonical_provider(text)


@click.command(
    "list",
    epilog="""\b
Examples:
  openclaw models list
  openclaw models list --all --provider openrouter
  openclaw models list --json | jq -r '.models[].key'
""",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Include every catalog model, not only configured ones."
)
@click.option("--provider", "provider", metavar="ID", help="Only this provider (an id such as openrouter).")
@click.option("--local", "local_only", is_flag=True, help="Only models served by a local provider.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {count, models}.")
@click.option("--plain", is_flag=True, help="Print one model key per line.")
@agent_option
@click.pass_context
def list_models(  # noqa: PLR0917 (a click callback: one parameter per option)
    ctx: click.Context,
    show_all: bool,
    provider: str | None,
    local_only: bool,
    as_json: bool,
    plain: bool,
    agent_id: str | None,
) -> None:
    """List the configured models, with their input, context, auth and tags."""
    if as_json and plain:
        raise click.UsageError("Use either --json or --plain, not both.")
    provider_filter = _provider_filter(provider)
    runtime = cli_context(ctx).runtime()
    agent = check_agent(runtime, agent_id)
    catalog = model_catalog(runtime)
    extra = []
    if show_all and provider_filter in (None, "openrouter"):
        extra = [("openrouter", facts) for facts in catalog.openrouter_facts()]
    rows = build_rows(
        runtime,
        lookup=catalog.facts,
        catalog=extra,
        include_catalog=show_all,
        provider_filter=provider_filter,
        local_only=local_only,
        agent_id=agent,
    )
    if as_json:
        emit_json({"count": len(rows), "models": [r.to_json() for r in rows]})
    elif not rows:
        out("No models found.")
    elif plain:
        for row in rows:
            out(row.key)
    else:
        sys.stdout.write("\n".join(render_table(rows)) + "\n")
