"""Live probes: one tiny real request per provider/credential (``models status --probe``), and
the request runner ``models scan`` uses for its tool and image probes.

Each probe goes through the real transport (the same code path as ``infer``) over the lean
HTTP client, so what it reports is what a request would meet. Failures are classified by
:func:`openclaw.routing.classify.classify` and folded into OpenClaw's probe buckets:

==============  ===========================================================
``ok``          the model answered
``auth``        401/403, or no usable credential (pre-call reason code)
``rate_limit``  429 and throttling texts
``billing``     402, credit and key-limit texts
``timeout``     no answer within ``--probe-timeout``, reset, cut stream
``format``      the request was refused as malformed (400/422)
``no_model``    no model to probe for the provider, or the model is unknown
``unknown``     anything else (5xx, overloaded, content filter, ...)
==============  ===========================================================

A credential that plan resolution skipped (``excluded_by_auth_order``, ``expired``, ...) is
listed with its reason code and ``skipped`` status: nothing is sent for it. Probes cost tokens;
each one is recorded in the usage ledger like any other attempt.

Imported only when probes run: ``models status`` without ``--probe`` needs just the options
(:mod:`openclaw.cli.models_probe_options`), not asyncio or the transports.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..catalog.resolve import ResolvedProvider
from ..errors import OpenClawError, ProviderError
from ..refs import ModelRef
from ..runtime import DEFAULT_PRIMARY, Runtime
from ..transports.base import Credential, HttpClient, Timeouts, UpstreamCall
from ..usage.base import Ledger, UsageRecord
from ..wire.types import ChatRequest, Message, ResponseInfo, TextDelta, ToolCallDelta, Usage, UsageEvent
from .models_probe_options import ProbeSettings

__all__ = [
    "ProbeOutcome",
    "ProbeRow",
    "Progress",
    "probe_call",
    "probe_lines",
    "run_status_probes",
]

_BUCKETS = {
    "auth": "auth",
    "billing": "billing",
    "rate_limit": "rate_limit",
    "timeout": "timeout",
    "format": "format",
    "model_not_found": "no_model",
}


@dataclass(slots=True)
class ProbeOutcome:
    """What one probe request met."""

    status: str  # a bucket (see the module docstring)
    latency_ms: float = 0.0
    reason: str | None = None  # classifier reason when it failed
    http_status: int | None = None
    error: str | None = None
    text: str = ""
    tool_calls: int = 0
    model_served: str | None = None
    usage: Usage | None = None


@dataclass(slots=True)
class ProbeRow:
    provider: str
    label: str  # credential label (profile id or env:VAR), never the secret
    source: str
    model: str | None
    outcome: ProbeOutcome
    reason_code: str | None = None  # pre-call reason (missing_credential, excluded_by_auth_order)
    credential: Credential | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "provider": self.provider,
            "profileId": self.label,
            "source": self.source,
            "model": self.model,
            "status": self.outcome.status,
            "latencyMs": round(self.outcome.latency_ms),
        }
        extra = {
            "reasonCode": self.reason_code,
            "reason": self.outcome.reason,
            "httpStatus": self.outcome.http_status,
            "error": self.outcome.error,
        }
        data.update({k: v for k, v in extra.items() if v is not None})
        return data


# --------------------------------------------------------------------------------- one request


def _bucket(err: ProviderError) -> tuple[str, str]:
    try:
        from ..routing.classify import classify

        reason = classify(err)
    except ImportError:  # pragma: no cover - the routing package ships with this one
        reason = err.reason or "unknown"
    return _BUCKETS.get(reason, "unknown"), reason


async def probe_call(
    http: HttpClient,
    provider: ResolvedProvider,
    ref: ModelRef,
    credential: Credential,
    request: ChatRequest,
    *,
    timeout_s: float,
) -> ProbeOutcome:
    """Send ``request`` once (no retries, no failover) and say how it went."""
    import asyncio

    from ..transports.registry import TransportRegistry, upstream_model

    started = time.perf_counter()
    call = UpstreamCall(
        provider=provider,
        ref=ref,
        model=upstream_model(provider, ref),
        credential=credential,
        request=request,
        stream=False,
        timeouts=Timeouts(connect=min(timeout_s, 10.0), read=timeout_s, total=timeout_s),
    )
    outcome = ProbeOutcome("ok")
    try:
        transport = TransportRegistry(http).transport_for(provider.api)
        async with asyncio.timeout(timeout_s):
            async for event in transport.stream(call):
                _fold(outcome, event)
    except ProviderError as exc:
        outcome.status, outcome.reason = _bucket(exc)
        outcome.http_status, outcome.error = (
            exc.status,
            exc.message.splitlines()[0][:200] if exc.message else "",
        )
    except TimeoutError:
        outcome.status, outcome.reason, outcome.error = (
            "timeout",
            "timeout",
            f"no answer within {timeout_s:g} s",
        )
    except OpenClawError as exc:
        outcome.status, outcome.reason, outcome.error = "unknown", "unknown", exc.message
    outcome.latency_ms = (time.perf_counter() - started) * 1000
    return outcome


def _fold(outcome: ProbeOutcome, event: object) -> None:
    if isinstance(event, TextDelta):
        outcome.text += event.text
    elif isinstance(event, ToolCallDelta) and event.name:
        outcome.tool_calls += 1
    elif isinstance(event, ResponseInfo) and event.model:
        outcome.model_served = event.model
    elif isinstance(event, UsageEvent):
        outcome.usage = event.usage


def record_probe(
    ledger: Ledger | None, runtime: Runtime, ref: ModelRef, label: str | None, out: ProbeOutcome
) -> None:
    """Probes are real attempts: they go into the ledger (source ``cli``), priced as usual."""
    if ledger is None:
        return
    from ..usage.pricing import attempt_cost

    usage = out.usage
    facts = runtime.catalog.facts(ref) if runtime.catalog is not None else None
    cost, cost_source = attempt_cost(usage, facts, ok=out.status == "ok")
    provider = ref.provider
    ledger.record(
        UsageRecord(
            ts=time.time() - out.latency_ms / 1000,
            source="cli",
            provider=provider,
            model_requested=ref.key,
            status="ok" if out.status == "ok" else "error",
            request_id=f"probe-{uuid.uuid4().hex[:12]}",
            model_served=out.model_served,
            profile_id=label,
            reason=None if out.status == "ok" else (out.reason or out.status),
            http_status=out.http_status,
            error=out.error,
            latency_ms=out.latency_ms,
            input_tokens=usage.input if usage else 0,
            output_tokens=usage.output if usage else 0,
            cache_read_tokens=usage.cache_read if usage else 0,
            cache_write_tokens=usage.cache_write if usage else 0,
            reasoning_tokens=usage.reasoning if usage else 0,
            cost=cost,
            cost_source=cost_source,
        )
    )


# --------------------------------------------------------------------------- status --probe


def _models_by_provider(runtime: Runtime, agent: str) -> dict[str, ModelRef]:
    primary, fallbacks = runtime.default_selection(agent)
    refs: dict[str, ModelRef] = {}
    for raw in [primary or DEFAULT_PRIMARY, *fallbacks, *runtime.configured_refs()]:
        try:
            ref = runtime.resolve(raw)
        except OpenClawError:
            continue
        refs.setdefault(ref.provider, ref)
    return refs


def _rows_for(runtime: Runtime, pid: str, ref: ModelRef | None, settings: ProbeSettings) -> list[ProbeRow]:
    model = ref.key if ref else None
    try:
        plan = runtime.credentials(pid)
    except OpenClawError:
        return [ProbeRow(pid, "-", "none", model, ProbeOutcome("auth"), reason_code="missing_credential")]
    rows = [
        ProbeRow(pid, c.label, c.source, model, ProbeOutcome("ok"), credential=c) for c in plan.credentials
    ]
    rows += [
        ProbeRow(pid, profile, "profile", model, ProbeOutcome("skipped"), reason_code=code)
        for profile, code in plan.skipped
    ]
    if settings.profiles is not None:
        rows = [r for r in rows if r.label in settings.profiles]
    if ref is None:
        for row in rows:
            row.outcome, row.reason_code, row.credential = ProbeOutcome("no_model"), "no_model", None
    return rows


def probe_targets(runtime: Runtime, settings: ProbeSettings, agent: str) -> list[ProbeRow]:
    refs = _models_by_provider(runtime, agent)
    providers = sorted(settings.providers) if settings.providers else list(refs)
    rows: list[ProbeRow] = []
    for pid in providers:
        rows += _rows_for(runtime, pid, refs.get(pid), settings)
    return rows


class Progress:
    """``Probing 2/5 …`` on stderr, only on a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.enabled = sys.stderr.isatty() and total > 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            sys.stderr.write(f"\rProbing {self.done}/{self.total} {label[:50]:<50}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


async def _run_rows(
    runtime: Runtime, rows: list[ProbeRow], settings: ProbeSettings, ledger: Ledger | None
) -> None:
    import asyncio

    from ..transports.http_lean import LeanHttpClient

    http = LeanHttpClient()
    gate = asyncio.Semaphore(settings.concurrency)
    progress = Progress(sum(1 for r in rows if r.credential is not None))
    request = ChatRequest(
        messages=[Message(role="user", content="Reply with OK")], max_tokens=settings.max_tokens
    )

    async def one(row: ProbeRow) -> None:
        provider = runtime.provider(row.provider)
        if row.credential is None or provider is None or row.model is None:
            return
        async with gate:
            ref = runtime.resolve(row.model)
            row.outcome = await probe_call(
                http, provider, ref, row.credential, request, timeout_s=settings.timeout_ms / 1000
            )
            record_probe(ledger, runtime, ref, row.label, row.outcome)
            progress.step(f"{row.provider} {row.label}")

    try:
        await asyncio.gather(*(one(r) for r in rows))
    finally:
        progress.finish()
        await http.close()


def run_status_probes(runtime: Runtime, settings: ProbeSettings, *, agent: str = "main") -> list[ProbeRow]:
    """Build the probe rows and run them (concurrency-limited); returns every row."""
    from ..catalog.models import ModelCatalog
    from ..usage import open_ledger
    from .main import run_async

    if runtime.catalog is None:
        runtime.catalog = ModelCatalog.load(runtime.paths, runtime.typed)
    rows = probe_targets(runtime, settings, agent)
    try:
        ledger = open_ledger(runtime.typed, runtime.paths)
    except OpenClawError as exc:
        sys.stderr.write(f"Warning: probes will not be recorded: {exc.message}\n")
        ledger = None
    try:
        run_async(_run_rows(runtime, rows, settings, ledger))
    finally:
        if ledger is not None:
            run_async(ledger.close())
    return rows


def probe_lines(rows: list[ProbeRow], settings: ProbeSettings) -> list[str]:
    """The text section ``models status --probe`` prints."""
    lines = ["", f"Probes ({len(rows)}, timeout {settings.timeout_ms:g} ms)"]
    if not rows:
        return [*lines, "- none (no provider in use matches)"]
    for row in rows:
        out = row.outcome
        head = f"- {row.provider} {row.label} -> {row.model or '-'}: {out.status}"
        if row.reason_code:
            head += f" [{row.reason_code}]"
        if row.credential is not None or out.latency_ms:
            head += f" ({out.latency_ms:.0f} ms)"
        if out.status != "ok" and out.error:
            status = f"{out.http_status} " if out.http_status else ""
            head += f" {status}{out.error}"
        lines.append(head)
    return lines
