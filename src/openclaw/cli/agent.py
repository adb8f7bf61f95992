"""``openclaw agent --message TEXT``: one agent turn, with the session transcript kept.

* **Which model**: the agent's configured chain (``agents.defaults.model`` primary with its
  fallbacks, or the agent's own model); ``--model REF`` is a strict one-off override: that model
  only (credential rotation still applies), as OpenClaw.
* **Which session**: without ``--session-id`` the agent's main session ``agent:<agentId>:main``,
  created on first use and reused after; ``--session-id ID`` selects that session, or creates
  ``agent:<agentId>:explicit:<ID>``. The conversation sent upstream is rebuilt from the transcript
  (see :mod:`openclaw.sessions`).
* **Where it runs**: ``--local`` calls the providers from this process (the router). Without it,
  a running gateway (its runtime file + ``/healthz``) serves the turn; when none answers, the turn
  runs locally after a note on stderr. The CLI keeps the transcript either way.
* **Output**: the answer streams to stdout; stderr gets one note when a fallback or retry
  happened (which model and credential answered, after how many attempts), and the error with
  every attempt when the turn fails. ``--json`` prints OpenClaw's document instead.
* **Exit codes**: 0 answered; 1 failed (every model failed, cut stream, empty answer, timeout,
  unusable config or session files); 2 bad input (empty message, unknown agent, bad session id,
  unknown ``--model``); 130 interrupted. A failed turn is recorded in the transcript either way.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError, OpenClawError, RefError
from .agent_output import commit_note, failure_json, failure_lines, success_json
from .agent_turn import Progress, TurnFailed, TurnResult, elapsed_ms
from .context import CliContext, emit_json, warn
from .model_io import THINKING_LEVELS, TextPrinter

if TYPE_CHECKING:
    from ..routing.types import Target
    from ..runtime import Runtime
    from ..sessions.store import SessionHandle, SessionStore
    from ..wire.types import ChatRequest

__all__ = ["agent"]

DEFAULT_TIMEOUT = 600.0
_GRACE = 2.0  # the router's own deadline fires first and reports its attempts; this is a backstop


@dataclass(frozen=True, slots=True)
class AgentOptions:
    message: str
    model_ref: str | None
    agent_id: str | None
    session_id: str | None
    thinking: str | None
    timeout: float | None
    as_json: bool
    local: bool


@dataclass(slots=True)
class Plan:
    """Everything a turn needs, checked before anything is written or sent."""

    opts: AgentOptions
    runtime: Runtime
    agent_id: str
    target: Target
    timeout: float | None  # None: no limit of the command's own (the router's cap still applies)
    store: SessionStore
    handle: SessionHandle
    request: ChatRequest
    turn_id: str


# ------------------------------------------------------------------------------ preparing


def _agent_id(runtime: Runtime, raw: str | None) -> str:
    from ..paths import DEFAULT_AGENT_ID
    from ..refs import suggest
    from ..sessions.keys import check_agent_id

    agents = runtime.typed.agents
    entries = agents.entries if agents else {}
    marked = [aid for aid, entry in entries.items() if entry.default]
    agent_id = check_agent_id(raw) if raw is not None else (marked[0] if marked else DEFAULT_AGENT_ID)
    known = list(dict.fromkeys([DEFAULT_AGENT_ID, *entries]))
    if agent_id not in known:
        hint = suggest(agent_id, known)
        extra = f' Did you mean "{hint}"?' if hint else f" Configured agents: {', '.join(known)}."
        raise InputError(f'Unknown agent "{agent_id}".{extra}', param="agent")
    return agent_id


def _target(runtime: Runtime, model_ref: str | None, agent_id: str) -> Target:
    from ..routing.chain import build_target

    if model_ref is not None and not model_ref.strip():
        raise InputError("--model is empty: pass a model ref such as openrouter/openai/gpt-4o-mini.")
    if model_ref is None:
        return build_target(runtime, None, agent_id=agent_id)
    try:
        return build_target(runtime, model_ref, agent_id=agent_id, strict=True)
    except RefError as exc:
        raise InputError(f"--model: {exc.message}", param="model") from None


def _timeout(runtime: Runtime, asked: float | None) -> float | None:
    if asked is None:
        defaults = runtime.typed.agents.defaults if runtime.typed.agents else None
        asked = (defaults.timeout_seconds if defaults else None) or DEFAULT_TIMEOUT
    return asked if asked > 0 else None


def _prepare(ctx: CliContext, opts: AgentOptions) -> Plan:
    from ..sessions.keys import check_session_id
    from ..sessions.store import SessionStore
    from ..wire.types import ChatRequest, Message

    if not opts.message.strip():
        raise InputError("The message is empty. Pass --message with some text.", param="message")
    session_id = check_session_id(opts.session_id) if opts.session_id is not None else None
    runtime = ctx.runtime()
    agent_id = _agent_id(runtime, opts.agent_id)
    target = _target(runtime, opts.model_ref, agent_id)
    store = SessionStore.for_agent(runtime.paths, agent_id, runtime.redactor)
    handle = store.open(session_id)
    history = store.history(handle)
    request = ChatRequest(messages=[*history, Message(role="user", content=opts.message)], stream=True)
    turn_id = f"turn-{time.time_ns():x}-{handle.session_id[:8]}"
    return Plan(
        opts, runtime, agent_id, target, _timeout(runtime, opts.timeout), store, handle, request, turn_id
    )


# ------------------------------------------------------------------------------- running


async def _local(plan: Plan, progress: Progress) -> TurnResult:
    from ..bootstrap import open_runtime
    from ..routing.types import RequestContext
    from .agent_turn import local_turn

    full = open_runtime(plan.runtime.paths, plan.runtime.config, http="lean", source="cli")
    seconds = plan.timeout if plan.timeout is not None else float("inf")
    ctx = RequestContext(
        request_id=plan.turn_id,
        source="cli",
        deadline=time.monotonic() + seconds,
        agent=plan.agent_id,
        session=plan.handle.key,
        thinking=plan.opts.thinking,
    )
    try:
        return await local_turn(full, plan.target, plan.request, ctx, progress)
    finally:
        await full.aclose()


async def _turn(plan: Plan, progress: Progress) -> TurnResult:
    from ..transports.http_lean import LeanHttpClient
    from .agent_gateway import GatewayTurn, GatewayUnreachable, find_gateway, gateway_turn

    if plan.opts.local:
        return await _local(plan, progress)
    http = LeanHttpClient()
    try:
        endpoint, why = await find_gateway(plan.runtime, http)
        if endpoint is not None:
            turn = GatewayTurn(
                agent_id=plan.agent_id,
                model_ref=plan.opts.model_ref,
                session_key=plan.handle.key,
                thinking=plan.opts.thinking,
                timeout=plan.timeout,
            )
            try:
                return await gateway_turn(
                    plan.runtime, http, endpoint, turn=turn, request=plan.request, progress=progress
                )
            except GatewayUnreachable as exc:
                why = f"the gateway at {endpoint.base_url} did not accept the connection ({exc})"
    finally:
        await http.close()
    warn(f"note: {why}; running the turn locally (pass --local to skip this check).")
    return await _local(plan, progress)


def _timed_out(plan: Plan, progress: Progress) -> TurnFailed:
    return TurnFailed(
        f"The turn did not finish within {plan.timeout:g} s (--timeout).",
        transport=progress.transport,
        reason="timeout",
        attempts=progress.attempts,
        attempt_count=progress.attempt_count,
        partial=progress.partial,
    )


async def _run(plan: Plan, progress: Progress) -> TurnResult:
    """The turn within its time limit; every failure is a :class:`TurnFailed`."""
    try:
        if plan.timeout is None:
            return await _turn(plan, progress)
        async with asyncio.timeout(plan.timeout + _GRACE):
            return await _turn(plan, progress)
    except TimeoutError:
        raise _timed_out(plan, progress) from None
    except TurnFailed:
        raise
    except OpenClawError as exc:  # config or state that only the full runtime reads
        raise TurnFailed(
            exc.message,
            transport=progress.transport,
            reason="error",
            partial=progress.partial,
        ) from None


# ------------------------------------------------------------------------------ recording


def _record_answer(plan: Plan, res: TurnResult, duration: float) -> None:
    from ..sessions.entries import AnswerRecord

    rec = AnswerRecord(
        text=res.text,
        provider=res.provider,
        model=res.model,
        profile=res.profile,
        transport=res.transport,
        duration_ms=duration,
        usage=res.usage,
        finish_reason=res.finish_reason,
        response_model=res.response_model,
        attempts=res.attempts,
        attempt_count=res.attempt_count,
    )
    plan.store.finish_turn(plan.handle, plan.turn_id, rec)


def _record_failure(plan: Plan, err: TurnFailed, duration: float) -> None:
    from ..sessions.entries import FailureRecord

    rec = FailureRecord(
        message=err.message,
        transport=err.transport,
        duration_ms=duration,
        reason=err.reason,
        status=err.status,
        attempts=err.attempts,
        attempt_count=err.attempt_count,
        partial_text=err.partial,
    )
    plan.store.fail_turn(plan.handle, plan.turn_id, rec)


def _failed(plan: Plan | None, err: TurnFailed, duration: float, as_json: bool) -> None:
    redact = plan.runtime.redactor if plan is not None else str
    handle = plan.handle if plan is not None else None
    if as_json:
        emit_json(failure_json(err, handle, duration, redact))
    for line in failure_lines(err, handle, redact):
        warn(line)
    sys.exit(err.exit_code)


def _execute(plan: Plan) -> None:
    opts = plan.opts
    printer = None if opts.as_json else TextPrinter()
    progress = Progress(on_text=printer, on_commit=commit_note)
    started = time.perf_counter()
    plan.store.begin_turn(plan.handle, plan.turn_id, opts.message)
    try:
        res = asyncio.run(_run(plan, progress))
    except TurnFailed as err:
        if printer is not None:
            printer.finish()
        _record_failure(plan, err, elapsed_ms(started))
        _failed(plan, err, elapsed_ms(started), opts.as_json)
        return
    except (KeyboardInterrupt, asyncio.CancelledError):
        cancelled = TurnFailed(
            "The turn was interrupted.",
            transport=progress.transport,
            reason="cancelled",
            partial=progress.partial,
        )
        _record_failure(plan, cancelled, elapsed_ms(started))
        raise
    if printer is not None:
        printer.finish()
    duration = elapsed_ms(started)
    _record_answer(plan, res, duration)
    if opts.as_json:
        emit_json(success_json(res, plan.handle, duration, plan.runtime.redactor))


# -------------------------------------------------------------------------------- command


@click.command(
    "agent",
    epilog="""\b
Examples:
  openclaw agent --message "Summarise the plan in one line"
  openclaw agent --message "And the risks?"                  # same session: agent:main:main
  openclaw agent --session-id release-42 --message "Draft the notes" --json
  openclaw agent --model openrouter/openai/gpt-4o-mini --message "Hi"   # strict: no fallbacks
  openclaw agent --agent ops --local --timeout 60 --message "Status?"
""",
)
@click.option("-m", "--message", required=True, help="The message for the agent (must not be empty).")
@click.option(
    "--model", "model_ref", metavar="REF", help="Use only this model for this turn (no configured fallbacks)."
)
@click.option("--agent", "agent_id", metavar="ID", help="Agent id (default: the default agent, main).")
@click.option("--session-id", metavar="ID", help="Continue (or start) this session instead of the main one.")
@click.option("--thinking", type=click.Choice(THINKING_LEVELS), help="Reasoning effort for this turn.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Limit for the whole turn (default agents.defaults.timeoutSeconds or 600; 0: no limit of its own).",
)
@click.option("--json", "as_json", is_flag=True, help="Print OpenClaw's JSON document instead of the text.")
@click.option("--local", is_flag=True, help="Run in this process even when a gateway is running.")
@click.pass_obj
def agent(ctx: CliContext, /, **options: Any) -> None:
    """Run one agent turn and keep the session transcript."""
    opts = AgentOptions(**options)
    try:
        plan = _prepare(ctx, opts)
    except OpenClawError as exc:
        if opts.as_json:
            kind = "input_error" if isinstance(exc, InputError) else "cli_error"
            emit_json({"ok": False, "error": {"type": kind, "message": exc.message}})
        warn(f"Error: {exc.message}")
        sys.exit(exc.exit_code)
    _execute(plan)
