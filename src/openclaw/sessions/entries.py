"""What one turn writes: the records a caller hands to the store, and their JSON shapes.

Transcript lines (``type`` first; see docs/sessions.md for every field):

* ``session``: the header, first line of a new file (``id``, ``key``, ``agentId``, ``version``);
* ``message`` with ``message.role == "user"``: the user's text, written when the turn starts;
* ``message`` with ``message.role == "assistant"``: the answer, with ``provider``, ``model``,
  ``profile`` (the credential label, never the secret), ``usage`` (tokens and ``cost {total,
  origin}``) and ``attempts``, written when the answer is complete;
* ``turn_failed``: the turn ended without a complete answer; the redacted error, the attempts,
  and any ``partialText`` the user saw before a cut.

Both the user line and its outcome carry the same ``turnId``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import Attempt
from ..wire.types import Usage

__all__ = [
    "AnswerRecord",
    "FailureRecord",
    "answer_entry",
    "attempt_json",
    "attempts_json",
    "failure_entry",
    "now_iso",
    "now_ms",
    "short_id",
    "usage_json",
    "user_entry",
]

Redact = Callable[[str], str]


@dataclass(slots=True)
class AnswerRecord:
    """A complete answer, as the store records it."""

    text: str
    provider: str
    model: str  # the served model id ("openai/gpt-4o-mini")
    profile: str | None  # credential label ("env:OPENROUTER_API_KEY", "openrouter:default")
    transport: str  # local | gateway
    duration_ms: float
    usage: Usage | None = None
    finish_reason: str | None = None
    response_model: str | None = None  # what the upstream reported, when it differs
    attempts: Sequence[Attempt] | None = None  # None: not known (the gateway reports a count)
    attempt_count: int = 1


@dataclass(slots=True)
class FailureRecord:
    """A turn that ended without a complete answer."""

    message: str
    transport: str
    duration_ms: float
    reason: str | None = None  # rate_limit, timeout, cut, cancelled, empty_response, ...
    status: int | None = None
    attempts: Sequence[Attempt] | None = None
    attempt_count: int = 0
    partial_text: str = ""


def now_ms() -> int:
    return int(time.time() * 1000)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def short_id() -> str:
    return os.urandom(6).hex()


def usage_json(usage: Usage | None, *, origin_key: str = "origin") -> dict[str, Any] | None:
    """Tokens, and ``cost {total, <origin_key>}`` when the cost is known (the transcript says
    ``origin``; the CLI's JSON document says ``totalOrigin``, as OpenClaw)."""
    if usage is None:
        return None
    out: dict[str, Any] = {
        "input": usage.input,
        "output": usage.output,
        "cacheRead": usage.cache_read,
        "cacheWrite": usage.cache_write,
        "reasoning": usage.reasoning,
        "total": usage.total or usage.input + usage.output,
    }
    if usage.cost is not None:
        out["cost"] = {"total": usage.cost, origin_key: usage.cost_source}
    return out


def attempt_json(attempt: Attempt, redact: Redact) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provider": attempt.provider,
        "model": attempt.model,
        "profile": attempt.profile_id,
        "ok": attempt.reason is None,
    }
    if attempt.reason is not None:
        out.update(reason=attempt.reason, status=attempt.status, error=redact(attempt.message))
    if attempt.skipped:
        out["skipped"] = True
    out["latencyMs"] = round(attempt.latency_ms, 1)
    return out


def attempts_json(attempts: Sequence[Attempt] | None, redact: Redact) -> list[dict[str, Any]] | None:
    """Every attempt as JSON; None stays None (only a count is known)."""
    return None if attempts is None else [attempt_json(a, redact) for a in attempts]


def user_entry(turn_id: str, text: str, redact: Redact) -> dict[str, Any]:
    return {
        "type": "message",
        "id": short_id(),
        "turnId": turn_id,
        "timestamp": now_iso(),
        "message": {"role": "user", "content": redact(text)},
    }


def answer_entry(turn_id: str, rec: AnswerRecord, redact: Redact) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "message",
        "id": short_id(),
        "turnId": turn_id,
        "timestamp": now_iso(),
        "message": {"role": "assistant", "content": redact(rec.text)},
        "provider": rec.provider,
        "model": rec.model,
        "profile": rec.profile,
        "transport": rec.transport,
        "finishReason": rec.finish_reason,
        "durationMs": round(rec.duration_ms),
        "usage": usage_json(rec.usage),
        "attemptCount": rec.attempt_count,
        "attempts": attempts_json(rec.attempts, redact),
    }
    if rec.response_model and rec.response_model != rec.model:
        entry["responseModel"] = rec.response_model
    return entry


def failure_entry(turn_id: str, rec: FailureRecord, redact: Redact) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "turn_failed",
        "id": short_id(),
        "turnId": turn_id,
        "timestamp": now_iso(),
        "transport": rec.transport,
        "durationMs": round(rec.duration_ms),
        "error": {"message": redact(rec.message), "reason": rec.reason, "status": rec.status},
        "attemptCount": rec.attempt_count,
        "attempts": attempts_json(rec.attempts, redact),
    }
    if rec.partial_text:
        entry["partialText"] = redact(rec.partial_text)
    return entry
