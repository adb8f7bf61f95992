"""What ``openclaw agent`` shows: the stderr notes, and the ``--json`` document.

``--json`` follows OpenClaw's shape (``payloads[{text, mediaUrl}]``, ``meta{durationMs,
agentMeta{sessionId, sessionFile, provider, model, usage{..., cost{total, totalOrigin}}}}``) plus
``ok``, the attempts, and the session key. A failure is ``{"ok": false, "error": {...},
"payloads": [], "meta": {...}}``: the partial text of a cut answer is in ``error.partialText``,
never in ``payloads``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..sessions.entries import attempts_json, usage_json
from .context import warn

if TYPE_CHECKING:
    from ..sessions.store import SessionHandle
    from .agent_turn import Commit, TurnFailed, TurnResult

__all__ = ["commit_note", "failure_json", "failure_lines", "success_json"]

Redact = Callable[[str], str]


def commit_note(commit: Commit) -> None:
    """One line on stderr when the answer did not come from the first try of the first model."""
    if not commit.rerouted:
        return
    via = " through the gateway" if commit.transport == "gateway" else ""
    who = f"credential {commit.profile}" if commit.profile else "credential unknown"
    plural = "s" if commit.attempt_count != 1 else ""
    line = f"note: {commit.ref} answered{via} ({who}) after {commit.attempt_count} attempt{plural}"
    failed = [a.summary() for a in commit.attempts or () if a.reason is not None]
    warn(f"{line}: {'; '.join(failed)}" if failed else f"{line}.")


def _session_meta(handle: SessionHandle) -> dict[str, Any]:
    return {
        "sessionId": handle.session_id,
        "sessionKey": handle.key,
        "sessionFile": str(handle.path),
        "agentId": handle.agent_id,
    }


def success_json(
    res: TurnResult, handle: SessionHandle, duration_ms: float, redact: Redact
) -> dict[str, Any]:
    meta = {
        **_session_meta(handle),
        "provider": res.provider,
        "model": res.model,
        "credential": res.profile,
        "transport": res.transport,
        "usage": usage_json(res.usage, origin_key="totalOrigin"),
        "requested": res.requested,
        "rerouted": res.attempt_count > 1 or any(a.skipped for a in res.attempts or ()),
        "attemptCount": res.attempt_count,
        "attempts": attempts_json(res.attempts, redact),
    }
    return {
        "ok": True,
        "payloads": [{"text": res.text, "mediaUrl": None}],
        "meta": {"durationMs": round(duration_ms), "agentMeta": meta, "aborted": False},
    }


def failure_json(
    err: TurnFailed, handle: SessionHandle | None, duration_ms: float, redact: Redact
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "type": "cli_error",
        "message": redact(err.message),
        "reason": err.reason,
        "status": err.status,
    }
    if err.partial:
        error["partialText"] = redact(err.partial)
    meta: dict[str, Any] = _session_meta(handle) if handle is not None else {}
    meta.update(
        transport=err.transport,
        attemptCount=err.attempt_count,
        attempts=attempts_json(err.attempts, redact),
    )
    return {
        "ok": False,
        "error": error,
        "payloads": [],
        "meta": {"durationMs": round(duration_ms), "agentMeta": meta, "aborted": err.reason == "cancelled"},
    }


def failure_lines(err: TurnFailed, handle: SessionHandle | None, redact: Redact) -> list[str]:
    """The error, every attempt on its own line, and where the failed turn was recorded."""
    lines = [f"Error: {redact(err.message)}"]
    for number, attempt in enumerate(err.attempts or (), start=1):
        lines.append(f"  attempt {number}: {redact(attempt.summary())}")
    if err.attempts is None and err.attempt_count:
        lines.append(f"  ({err.attempt_count} attempts, made by the gateway)")
    if handle is not None:
        lines.append(f"The failed turn is recorded in {handle.path} (it is not replayed to the model).")
    return lines
