"""``openclaw infer model run``: one model call, no tools, no session.

The answer streams to stdout as it arrives; diagnostics go to stderr. ``--json`` prints OpenClaw's
envelope instead (``ok, capability, transport, provider, model, attempts, [inputs,] outputs,
usage``; on failure ``{"ok": false, "error": {"type", "message"}}``).

Unlike the real OpenClaw, a stream that is cut before it finishes is an error (exit 1), never a
partial "success"; an empty answer is an error too; an empty prompt exits 2.

``--local`` (default) calls the provider from this process through the router, with the one
model as a strict target (key rotation, capped retries and cooldowns apply; no model fallback);
``--gateway`` sends the prompt to the running gateway's ``/v1/chat/completions`` instead, through
:func:`run_model_once` (the gateway does its own failover).
"""

from __future__ import annotations

import base64
import mimetypes
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError, OpenClawError, ProviderError
from .context import CliContext, emit_json, examples, resolve_arg, warn
from .model_io import THINKING_LEVELS, TextPrinter, gateway_effort, gateway_target

if TYPE_CHECKING:
    from ..catalog.resolve import ResolvedProvider
    from ..refs import ModelRef
    from ..runtime import Runtime
    from ..transports.base import Credential, HttpClient
    from ..wire.types import ChatRequest, ChatResult, Usage

__all__ = ["infer", "run_model_once"]

DEFAULT_MAX_TOKENS = 8192


@dataclass
class RunOutcome:
    result: ChatResult
    provider: str
    model: str  # the upstream model id ("anthropic/claude-sonnet-4-5", "openrouter/auto")
    credential: str  # the credential label, never the secret
    latency_ms: float


# ------------------------------------------------------------------------------- the call


async def run_model_once(
    runtime: Runtime,
    http: HttpClient,
    ref: ModelRef,
    request: ChatRequest,
    *,
    thinking: str | None = None,
    time_limit: float = 600.0,
    on_text: Callable[[str], None] | None = None,
    provider: ResolvedProvider | None = None,
    credential: Credential | None = None,
) -> RunOutcome:
    """One attempt: the first credential of the provider, one transport call, no retry.

    (The router will replace this with its retry/rotation/fallback chain; keep it the one place
    that calls a transport.) Raises ProviderError on any upstream failure, including a cut
    stream."""
    from ..transports.base import Timeouts, UpstreamCall
    from ..transports.registry import TransportRegistry, upstream_model
    from ..wire.aggregate import Aggregator
    from ..wire.types import TextDelta

    resolved = provider or runtime.provider(ref.provider)
    if resolved is None:
        raise InputError(f'Unknown provider "{ref.provider}".', param="model")
    cred = credential or runtime.credentials(ref.provider).credentials[0]
    transport = TransportRegistry(http).transport_for(resolved.api)
    read = resolved.timeout_seconds or time_limit
    call = UpstreamCall(
        provider=resolved,
        ref=ref,
        model=upstream_model(resolved, ref),
        credential=cred,
        request=request,
        stream=True,
        timeouts=Timeouts(connect=min(10.0, time_limit), read=min(read, time_limit), total=time_limit),
        params=runtime.model_params(ref) if provider is None else {},
        facts=_facts(runtime, ref) if provider is None else None,
        thinking=thinking,
    )
    started = time.perf_counter()
    agg = Aggregator()
    async for event in transport.stream(call):
        agg.add(event)
        if on_text is not None and isinstance(event, TextDelta) and event.text:
            on_text(event.text)
    latency = (time.perf_counter() - started) * 1000.0
    return RunOutcome(agg.result(), resolved.id, call.model, cred.label, latency)


def _facts(runtime: Runtime, ref: ModelRef) -> Any:
    from ..catalog.models import ModelCatalog

    if runtime.catalog is None:
        runtime.catalog = ModelCatalog.load(runtime.paths, runtime.typed)
    return runtime.catalog.facts(ref)


def _max_tokens(runtime: Runtime, ref: ModelRef) -> int:
    """As observed: the model's known output cap, else the provider's, else 8192."""
    facts = _facts(runtime, ref)
    if facts is not None and facts.max_output:
        return int(facts.max_output)
    provider = runtime.provider(ref.provider)
    return provider.max_tokens if provider is not None and provider.max_tokens else DEFAULT_MAX_TOKENS


# ------------------------------------------------------------------------------ the input


def _image_part(path: Path) -> Any:
    from ..wire.types import ImagePart

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}", param="file") from None
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not media.startswith("image/"):
        raise InputError(f"{path} is not an image (only images are supported by --file).", param="file")
    return ImagePart(url=f"data:{media};base64,{base64.b64encode(data).decode()}", media_type=media)


def _request(prompt: str, files: tuple[Path, ...], max_tokens: int | None) -> ChatRequest:
    from ..wire.types import ChatRequest, Message, Part, TextPart

    if files:
        parts: list[Part] = [TextPart(text=prompt), *(_image_part(f) for f in files)]
        message = Message(role="user", content=parts)
    else:
        message = Message(role="user", content=prompt)
    return ChatRequest(messages=[message], stream=True, max_tokens=max_tokens)


# ----------------------------------------------------------------------------- the output


def _usage_json(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "input": usage.input,
        "output": usage.output,
        "cacheRead": usage.cache_read,
        "cacheWrite": usage.cache_write,
        "reasoning": usage.reasoning,
        "total": usage.total,
        "cost": usage.cost,
        "costSource": usage.cost_source,
    }


def _envelope(outcome: RunOutcome, transport: str, files: tuple[Path, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ok": True,
        "capability": "model.run",
        "transport": transport,
        "provider": outcome.provider,
        "model": outcome.model,
        "attempts": [],
    }
    if files:
        out["inputs"] = [{"kind": "image", "path": str(f)} for f in files]
    out["outputs"] = [{"text": outcome.result.text, "mediaUrl": None}]
    out["usage"] = _usage_json(outcome.result.usage)
    return out


def _failure(message: str, error: OpenClawError, as_json: bool) -> None:
    kind = "input_error" if isinstance(error, InputError) else "cli_error"
    if isinstance(error, ProviderError):
        kind = "provider_error"
    if as_json:
        body: dict[str, Any] = {"type": kind, "message": message}
        if isinstance(error, ProviderError):
            body.update(kind=error.kind, status=error.status)
        emit_json({"ok": False, "error": body})
    warn(f"Error: {message}")
    sys.exit(error.exit_code)


# ------------------------------------------------------------------------------- commands


_EXAMPLES = (
    'openclaw infer model run --prompt "Reply with OK"',
    'openclaw infer model run --model openrouter/openai/gpt-4o-mini --prompt "Hi" --json',
)


@click.group("infer", epilog=examples(*_EXAMPLES))
def infer() -> None:
    """Run one model call (no tools, no session)."""


@infer.group("model", epilog=examples(*_EXAMPLES))
def model_group() -> None:
    """Text generation with one model."""


@model_group.command(
    "run",
    epilog="""\b
Examples:
  openclaw infer model run --prompt "Reply with OK"
  openclaw infer model run --model openrouter/anthropic/claude-sonnet-4-5 --prompt "Hi" --json
  openclaw infer model run --model openrouter/openai/gpt-4o-mini --thinking low --prompt "2+2?"
  openclaw infer model run --gateway --prompt "Hello through the gateway"
""",
)
@click.option(
    "--model", "model_ref", metavar="REF", help="provider/model or alias (default: the configured primary)."
)
@click.option("--prompt", required=True, help="The prompt text (must not be empty).")
@click.option(
    "--thinking", type=click.Choice(THINKING_LEVELS), help="Reasoning effort for models that think."
)
@click.option(
    "--file", "files", multiple=True, type=click.Path(path_type=Path), help="Attach an image (repeatable)."
)
@click.option(
    "--local/--gateway",
    "local",
    default=True,
    help="Call the provider directly (default) or via the gateway.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=600.0,
    show_default=True,
    help="Seconds for the call.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON envelope instead of the text.")
@click.pass_obj
def run(ctx: CliContext, /, **options: Any) -> None:
    """Send one prompt to one model and print the answer."""
    opts = RunOptions(**options)
    if not opts.prompt.strip():
        empty = InputError("The prompt is empty. Pass --prompt with some text.", param="prompt")
        _failure(empty.message, empty, opts.as_json)
    try:
        runtime = ctx.runtime()
        redact = runtime.redactor
    except OpenClawError as exc:
        _failure(exc.message, exc, opts.as_json)
        return
    printer = None if opts.as_json else TextPrinter()
    try:
        outcome = _run(runtime, opts, printer)
    except OpenClawError as exc:
        if printer is not None:
            printer.finish()
        _failure(redact(_describe(exc, opts.model_ref)), exc, opts.as_json)
        return
    if printer is not None:
        printer.finish()
    if opts.as_json:
        emit_json(_envelope(outcome, "local" if opts.local else "gateway", opts.files))


@dataclass(frozen=True)
class RunOptions:
    model_ref: str | None
    prompt: str
    thinking: str | None
    files: tuple[Path, ...]
    local: bool
    timeout: float
    as_json: bool


def _describe(exc: OpenClawError, model_ref: str | None) -> str:
    if not isinstance(exc, ProviderError):
        return exc.message
    where = f'provider "{exc.provider}" model "{exc.model}"' if exc.provider else f'model "{model_ref}"'
    if exc.kind == "cut":
        return f"The answer from {where} was cut off before it finished: {exc.message}"
    return f"No text output returned for {where}: {exc.describe()}"


def _run(runtime: Runtime, opts: RunOptions, printer: TextPrinter | None) -> RunOutcome:
    import asyncio

    from ..runtime import DEFAULT_PRIMARY

    if opts.local:
        primary = runtime.default_selection()[0]
        ref = (
            resolve_arg(runtime, opts.model_ref)
            if opts.model_ref
            else runtime.resolve(primary or DEFAULT_PRIMARY)  # a bad configured primary: exit 1
        )
        request = _request(opts.prompt, opts.files, _max_tokens(runtime, ref))
        outcome = asyncio.run(_local(runtime, ref, request, opts, printer))
    else:
        request = _request(opts.prompt, opts.files, None)
        outcome = asyncio.run(_via_gateway(runtime, request, opts, printer))
    if not outcome.result.text.strip():
        raise OpenClawError(
            f'No text output returned for provider "{outcome.provider}" model "{outcome.model}": '
            f"the answer was empty (finish reason: {outcome.result.finish_reason or 'none'})."
        )
    return outcome


async def _local(
    runtime: Runtime, ref: ModelRef, request: ChatRequest, opts: RunOptions, printer: TextPrinter | None
) -> RunOutcome:
    """Through the router with a strict target (this one model, as OpenClaw's infer: no model
    fallback): key rotation, capped same-model retries, cooldowns and the ledger apply."""
    from ..bootstrap import make_router, open_runtime
    from ..routing.types import Target
    from ..transports.registry import upstream_model
    from ..wire.aggregate import Aggregator
    from ..wire.types import ErrorEvent, TextDelta

    full = open_runtime(runtime.paths, runtime.config, http="lean", source="cli")
    router = make_router(full)
    ctx = router.context("cli", timeout=opts.timeout, thinking=opts.thinking)
    started = time.perf_counter()
    agg = Aggregator()
    try:
        run = await router.open(request, Target((ref,), label=str(ref), strict=True), ctx)
        async for event in run.events():
            if isinstance(event, ErrorEvent):
                raise event.error  # after the first byte: an explicit error, never a clean finish
            agg.add(event)
            if printer is not None and isinstance(event, TextDelta) and event.text:
                printer(event.text)
    finally:
        await full.aclose()
    served = run.served
    if len(served.attempts) > 1:
        tried = "; ".join(a.summary() for a in served.attempts[:-1])
        warn(f"Served by {served.ref} [{served.profile}] after {served.attempt_count} attempts ({tried}).")
    provider = full.provider(served.ref.provider)
    model = upstream_model(provider, served.ref) if provider is not None else served.ref.model
    latency = (time.perf_counter() - started) * 1000.0
    return RunOutcome(agg.result(), served.ref.provider, model, served.profile, latency)


def _gateway_error(exc: ProviderError, base_url: str) -> OpenClawError:
    """What went wrong between this CLI and the gateway, said as such (no model was asked)."""
    if exc.kind == "connect":
        return OpenClawError(
            f"The gateway at {base_url} is not reachable ({exc.message}). "
            "Start it with `openclaw gateway run`, or drop --gateway to call the provider directly."
        )
    if exc.status in (401, 403):
        return OpenClawError(
            f"The gateway at {base_url} refused this CLI's credentials ({exc.describe()}). Set "
            "gateway.auth.token or OPENCLAW_GATEWAY_TOKEN to the gateway's token, or drop --gateway."
        )
    return exc


async def _via_gateway(
    runtime: Runtime, request: ChatRequest, opts: RunOptions, printer: TextPrinter | None
) -> RunOutcome:
    """The gateway is an OpenAI-compatible upstream: same transport, a provider pointing at it."""
    from ..catalog.resolve import ResolvedProvider
    from ..refs import ModelRef
    from ..transports.base import Credential
    from ..transports.http_lean import LeanHttpClient
    from ..wire.types import ReasoningConfig

    base_url, secret = gateway_target(runtime)
    if opts.thinking is not None:
        request.reasoning = ReasoningConfig(effort=gateway_effort(opts.thinking))
    name = opts.model_ref or "openclaw"
    gateway = ResolvedProvider(id="gateway", api="openai-completions", base_url=base_url)
    credential = Credential(secret=secret or "none", profile_id=None, source="config")
    http = LeanHttpClient()
    try:
        outcome = await run_model_once(
            runtime,
            http,
            ModelRef("gateway", name),
            request,
            time_limit=opts.timeout,
            on_text=printer,
            provider=gateway,
            credential=credential,
        )
    except ProviderError as exc:
        raise _gateway_error(exc, base_url) from None
    finally:
        await http.close()
    served = outcome.result.model or name
    provider_id, _, model = served.partition("/")
    if model and runtime.provider(provider_id) is not None:
        outcome.provider, outcome.model = provider_id, model
    else:
        outcome.provider, outcome.model = "gateway", served
    return outcome
