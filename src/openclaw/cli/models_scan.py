"""``openclaw models scan``: rank OpenRouter's free (``:free``) models for fallback use.

1. The catalogue: OpenRouter's ``/models`` from the configured base URL, refreshed when the disk
   cache is stale; offline, the stale cache or the bundled snapshot answers (and we say so).
2. Candidates: ``:free`` text models, filtered by ``--provider`` (id prefix), ``--min-params``
   (billions, from the id/name) and ``--max-age-days``; ranked by metadata, the best
   ``--max-candidates`` kept.
3. Probes (unless ``--no-probe``; they need an OpenRouter key): per candidate one tiny tool-call
   request (it passes only when the model really calls the tool; an answer in plain text is
   ``no_tool_call``), and for image models one tiny image request, through the real transport.
4. Rank (OpenClaw §11.7): image support, then tool support and tool latency, then context size,
   then parameter count. Without probes, metadata stands in for the probe results.

``--set-default`` / ``--set-image`` write the first usable selection to
``agents.defaults.model.primary`` / ``agents.defaults.imageModel.primary``; they require live
probes, and confirmation (``--yes`` when not on a terminal).
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from ..catalog.openrouter_catalog import CatalogEntry
from ..errors import OpenClawError
from ..refs import ModelRef
from ..runtime import Runtime
from ..transports.base import Credential
from ..wire.types import ChatRequest, ImagePart, Message, TextPart, ToolChoice, ToolDef
from .context import emit_json, warn
from .models_common import cli_context, defaults_section, ensure_model_entry, out, selection, write_config
from .models_probe import ProbeOutcome, Progress, probe_call, record_probe

__all__ = ["Candidate", "filter_candidates", "rank", "scan"]

# A 1x1 PNG, for the image probe (no network fetch on the provider side).
_PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAA"
    "AABJRU5ErkJggg=="
)


@dataclass(slots=True)
class Candidate:
    entry: CatalogEntry
    tool: ProbeOutcome | None = None
    image: ProbeOutcome | None = None

    @property
    def key(self) -> str:
        return f"openrouter/{self.entry.id}"

    @property
    def image_ok(self) -> bool:
        if self.image is not None:
            return self.image.status == "ok"
        return self.entry.supports_images and self.tool is None

    @property
    def tool_ok(self) -> bool:
        if self.tool is not None:
            return self.tool.status == "ok"
        return bool(self.entry.supports_tools)

    @property
    def usable(self) -> bool:
        """Answered at least one probe (or was not probed)."""
        probes = [p for p in (self.tool, self.image) if p is not None]
        return not probes or any(p.status == "ok" for p in probes)

    def to_json(self, rank: int) -> dict[str, Any]:
        entry = self.entry
        data: dict[str, Any] = {
            "rank": rank,
            "key": self.key,
            "id": entry.id,
            "name": entry.name,
            "contextLength": entry.context_length,
            "maxOutput": entry.max_completion_tokens,
            "paramsB": entry.params_billions,
            "input": list(entry.input_modalities),
            "supportsTools": entry.supports_tools,
            "image": self.image_ok,
            "tools": self.tool_ok,
        }
        for name, probe in (("toolProbe", self.tool), ("imageProbe", self.image)):
            if probe is not None:
                data[name] = {
                    "status": probe.status,
                    "latencyMs": round(probe.latency_ms),
                    "error": probe.error,
                }
        return data


def filter_candidates(
    entries: list[CatalogEntry],
    *,
    provider: str | None = None,
    min_params: float | None = None,
    max_age_days: float | None = None,
    now: float | None = None,
) -> list[CatalogEntry]:
    """Free text-output models that pass the filters (unknown size fails ``min_params``)."""
    stamp = time.time() if now is None else now
    out_rows = []
    for entry in entries:
        if not entry.free or "text" not in entry.output_modalities:
            continue
        if provider and not entry.id.startswith(provider.rstrip("/") + "/"):
            continue
        size = entry.params_billions
        if min_params is not None and (size is None or size < min_params):
            continue
        if max_age_days is not None and (
            entry.created is None or stamp - entry.created > max_age_days * 86400
        ):
            continue
        out_rows.append(entry)
    return out_rows


def _rank_key(c: Candidate) -> tuple[Any, ...]:
    latency = c.tool.latency_ms if c.tool is not None and c.tool.status == "ok" else float("inf")
    return (
        not c.usable,
        not c.image_ok,
        not c.tool_ok,
        latency,
        -(c.entry.context_length or 0),
        -(c.entry.params_billions or 0.0),
        c.entry.id,
    )


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Image support, then tools (and tool latency when probed), context size, parameter count."""
    return sorted(candidates, key=_rank_key)


# ----------------------------------------------------------------------------------- probing


def _tool_request() -> ChatRequest:
    tool = ToolDef(name="ping", description="Answer ping.", parameters={"type": "object", "properties": {}})
    return ChatRequest(
        messages=[Message(role="user", content="Call the ping tool.")],
        tools=[tool],
        tool_choice=ToolChoice(mode="required"),
        max_tokens=16,
    )


def _image_request() -> ChatRequest:
    parts: list[TextPart | ImagePart] = [TextPart(text="Reply with OK."), ImagePart(url=_PIXEL)]
    return ChatRequest(messages=[Message(role="user", content=list(parts))], max_tokens=8)


async def _probe_all(
    runtime: Runtime, candidates: list[Candidate], credential: Credential, timeout_s: float, concurrency: int
) -> None:
    from ..transports.http_lean import LeanHttpClient
    from ..usage import open_ledger

    provider = runtime.provider("openrouter")
    assert provider is not None  # a built-in provider
    http = LeanHttpClient()
    gate = asyncio.Semaphore(concurrency)
    progress = Progress(len(candidates))
    try:
        ledger = open_ledger(runtime.typed, runtime.paths)
    except OpenClawError:
        ledger = None

    async def one(c: Candidate) -> None:
        ref = ModelRef("openrouter", c.entry.id)
        async with gate:
            c.tool = await probe_call(http, provider, ref, credential, _tool_request(), timeout_s=timeout_s)
            if c.tool.status == "ok" and c.tool.tool_calls == 0:
                c.tool.status = "no_tool_call"  # answered, but did not call the tool
            record_probe(ledger, runtime, ref, credential.label, c.tool)
            if c.entry.supports_images:
                c.image = await probe_call(
                    http, provider, ref, credential, _image_request(), timeout_s=timeout_s
                )
                record_probe(ledger, runtime, ref, credential.label, c.image)
        progress.step(c.entry.id)

    try:
        await asyncio.gather(*(one(c) for c in candidates))
    finally:
        progress.finish()
        await http.close()
        if ledger is not None:
            await ledger.close()


# ------------------------------------------------------------------------------------ output


def _mark(ok: bool, probe: ProbeOutcome | None) -> str:
    if probe is None:
        return "yes" if ok else "-"
    return "ok" if probe.status == "ok" else probe.status


def _table(ranked: list[Candidate]) -> list[str]:
    width = min(max([len("Model"), *(len(c.key) for c in ranked)]), 70)
    head = f"{'#':>2}  {'Model':<{width}} {'Ctx':>6} {'Params':>7} {'Image':<10} {'Tools':<10} {'Latency':>8}"
    lines = [head]
    for i, c in enumerate(ranked, 1):
        e = c.entry
        ctx = f"{(e.context_length or 0) // 1000}k" if e.context_length else "-"
        params = f"{e.params_billions:g}B" if e.params_billions else "-"
        image = _mark(e.supports_images, c.image) if e.supports_images else "-"
        tools = _mark(c.tool_ok, c.tool)
        latency = f"{c.tool.latency_ms:.0f}ms" if c.tool is not None and c.tool.status == "ok" else "-"
        name = c.key if len(c.key) <= width else c.key[: width - 3] + "..."
        lines.append(f"{i:>2}  {name:<{width}} {ctx:>6} {params:>7} {image:<10} {tools:<10} {latency:>8}")
    return lines


def _confirm(question: str, yes: bool, no_input: bool) -> None:
    if yes:
        return
    if no_input or not sys.stdin.isatty():
        raise click.UsageError("Writing the config needs confirmation: add --yes (not on a terminal).")
    if not click.confirm(question, default=False, err=True):
        raise click.Abort()


def _apply(cli: Any, slot: str, chosen: Candidate, label: str) -> None:
    def mutate(data: dict[str, Any]) -> None:
        defaults = defaults_section(data)
        selection(defaults, slot)["primary"] = chosen.key
        ensure_model_entry(defaults, chosen.key)

    result = write_config(cli, mutate)
    warn(f"{label}: {chosen.key}" + ("" if result.changed else " (unchanged)"))


def _credential(runtime: Runtime) -> Credential | None:
    try:
        return runtime.credentials("openrouter").credentials[0]
    except OpenClawError as exc:
        warn(f"No OpenRouter key, so no live probes: {exc.message}")
        warn("Showing metadata only (image/tool support as the catalogue states it).")
        return None


def _catalog(runtime: Runtime) -> Any:
    from ..catalog.models import ModelCatalog
    from ..transports.http_lean import LeanHttpClient
    from .main import run_async

    catalog = ModelCatalog.load(runtime.paths, runtime.typed)
    runtime.catalog = catalog

    async def refresh() -> None:
        http = LeanHttpClient()
        try:
            await catalog.refresh(http)
        finally:
            await http.close()

    run_async(refresh())
    status = catalog.status()
    if status.stale or status.error:
        why = f" ({status.error})" if status.error else ""
        warn(f"Could not refresh the model catalogue{why}; using the {status.describe()}.")
    return catalog


@click.command(
    "scan",
    epilog="""\b
Examples:
  openclaw models scan --no-probe                 # metadata only, no key needed
  openclaw models scan --max-candidates 4 --json
  openclaw models scan --provider meta-llama --min-params 8
  openclaw models scan --set-default --yes        # probe, then use the best one as default
""",
)
@click.option("--no-probe", is_flag=True, help="Metadata only: no live requests.")
@click.option("--min-params", type=float, metavar="B", help="Minimum parameter count, in billions.")
@click.option("--max-age-days", type=float, metavar="DAYS", help="Only models published in the last DAYS.")
@click.option("--provider", metavar="PREFIX", help="Only model ids starting with PREFIX/ (e.g. meta-llama).")
@click.option(
    "--max-candidates",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    metavar="N",
    help="How many of the best candidates to probe and list.",
)
@click.option(
    "--timeout",
    "timeout_ms",
    type=click.FloatRange(min=1),
    default=12000,
    show_default=True,
    metavar="MS",
    help="Per probe request, in milliseconds.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    metavar="N",
    help="Probe requests at once.",
)
@click.option("--yes", is_flag=True, help="Do not ask before writing the config.")
@click.option("--no-input", is_flag=True, help="Never prompt.")
@click.option("--set-default", is_flag=True, help="Set the best model as agents.defaults.model.primary.")
@click.option(
    "--set-image", is_flag=True, help="Set the best image model as agents.defaults.imageModel.primary."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def scan(ctx: click.Context, /, **opts: Any) -> None:
    """Find free OpenRouter models usable as fallbacks, ranked for that job."""
    writing = opts["set_default"] or opts["set_image"]
    if writing and opts["no_probe"]:
        raise click.UsageError("--set-default/--set-image require live probes; drop --no-probe.")
    cli = cli_context(ctx)
    runtime = cli.runtime()
    catalog = _catalog(runtime)
    entries = filter_candidates(
        catalog.entries(),
        provider=opts["provider"],
        min_params=opts["min_params"],
        max_age_days=opts["max_age_days"],
    )
    chosen = rank([Candidate(e) for e in entries])[: opts["max_candidates"]]
    credential = None if opts["no_probe"] else _credential(runtime)
    if writing and credential is None:
        raise click.ClickException(
            "--set-default/--set-image need live probes, and probes need an OpenRouter key."
        )
    if credential is not None and chosen:
        from .main import run_async

        run_async(_probe_all(runtime, chosen, credential, opts["timeout_ms"] / 1000, opts["concurrency"]))
    ranked = rank(chosen)
    _report(ranked, catalog, probed=credential is not None, as_json=opts["as_json"])
    if opts["set_default"]:
        best = next((c for c in ranked if c.tool is not None and c.tool.status == "ok"), None)
        _write_choice(cli, best, "model", "Default model", opts)
    if opts["set_image"]:
        best = next((c for c in ranked if c.image is not None and c.image.status == "ok"), None)
        _write_choice(cli, best, "imageModel", "Image model", opts)


def _write_choice(cli: Any, best: Candidate | None, slot: str, label: str, opts: dict[str, Any]) -> None:
    if best is None:
        raise click.ClickException(f"No candidate passed its probe; {label.lower()} left unchanged.")
    _confirm(f"Set {best.key} as the {label.lower()}?", opts["yes"], opts["no_input"])
    _apply(cli, slot, best, label)


def _report(ranked: list[Candidate], catalog: Any, *, probed: bool, as_json: bool) -> None:
    status = catalog.status()
    if as_json:
        emit_json(
            {
                "catalog": {
                    "source": status.source,
                    "stale": status.stale,
                    "fetchedAt": status.fetched_at,
                    "url": status.url,
                },
                "probed": probed,
                "count": len(ranked),
                "candidates": [c.to_json(i) for i, c in enumerate(ranked, 1)],
            }
        )
        return
    if not ranked:
        out("No free models match.")
        return
    for line in _table(ranked):
        out(line)
