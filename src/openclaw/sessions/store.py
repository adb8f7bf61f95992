"""The legacy JSON-file session store of one agent (OpenClaw spec §1.8)::

    <state>/agents/<agentId>/sessions/            0700
        sessions.json                             0600  the index: session key -> entry
        sessions.json.lock                        0600  writers' lock
        <sessionId>.jsonl                         0600  the transcript (one JSON object per line)
        <sessionId>.jsonl.lock                    0600  appenders' lock

A turn is written in two steps: :meth:`SessionStore.begin_turn` appends the user line before the
model is called; :meth:`SessionStore.finish_turn` (an answer) or :meth:`SessionStore.fail_turn`
(no complete answer) appends the outcome and then updates the index entry. A process that dies in
between leaves a user line with no outcome and an index entry that still describes the previous
turn: both files stay valid, and the next turn goes on from the last complete one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..paths import StatePaths, create_private_dir, ensure_private_dir
from ..wire.types import Message
from .entries import (
    AnswerRecord,
    FailureRecord,
    answer_entry,
    failure_entry,
    now_iso,
    now_ms,
    user_entry,
)
from .history import conversation
from .index import Entries, SessionIndex, SessionStoreError
from .keys import check_session_id, explicit_key, main_key, new_session_id
from .transcript import Transcript

__all__ = ["SessionHandle", "SessionStore"]

INDEX_NAME = "sessions.json"
_MAX_ERROR_IN_INDEX = 300


@dataclass(frozen=True, slots=True)
class SessionHandle:
    agent_id: str
    key: str  # agent:<agentId>:main, agent:<agentId>:explicit:<id>, ...
    session_id: str
    transcript: Transcript
    created: bool  # this call created the session

    @property
    def path(self) -> Path:
        return self.transcript.path


class SessionStore:
    """Sessions of one agent under ``sessions_dir``. ``redact`` is applied to every text written."""

    def __init__(self, sessions_dir: Path, agent_id: str, redact: Callable[[str], str]) -> None:
        self.dir = sessions_dir
        self.agent_id = agent_id
        self.redact = redact
        self.index = SessionIndex(sessions_dir / INDEX_NAME)

    @classmethod
    def for_agent(cls, paths: StatePaths, agent_id: str, redact: Callable[[str], str]) -> SessionStore:
        return cls(paths.sessions_dir(agent_id), agent_id, redact)

    # -- sessions ----------------------------------------------------------------------------

    def _ensure_dirs(self) -> None:
        for parent in (self.dir.parents[2], self.dir.parents[1], self.dir.parents[0]):
            create_private_dir(parent)  # <state>, <state>/agents, <state>/agents/<agentId>
        ensure_private_dir(self.dir)

    def open(self, session_id: str | None = None) -> SessionHandle:
        """The agent's main session (``session_id`` None), or the session with that id: an
        existing one wherever the index holds it, else a new ``agent:<id>:explicit:<id>``."""
        wanted = check_session_id(session_id) if session_id is not None else None
        self._ensure_dirs()

        def pick(entries: Entries) -> tuple[tuple[str, str, bool], bool]:
            if wanted is None:
                key = main_key(self.agent_id)
                found = entries.get(key)
                if isinstance(found, dict) and isinstance(found.get("sessionId"), str):
                    return (key, found["sessionId"], False), False
                sid = new_session_id()
            else:
                for key, entry in entries.items():
                    if isinstance(entry, dict) and entry.get("sessionId") == wanted:
                        return (key, wanted, False), False
                key, sid = explicit_key(self.agent_id, wanted), wanted
            stamp = now_ms()
            entries[key] = {
                "sessionId": sid,
                "sessionFile": f"{sid}.jsonl",
                "createdAt": stamp,
                "updatedAt": stamp,
                "turns": 0,
            }
            return (key, sid, True), True

        key, sid, created = self.index.update(pick)
        try:
            sid = check_session_id(sid)
        except InputError as exc:
            raise SessionStoreError(f"{self.index.path}: session {key!r} has an unusable id: {exc}") from None
        header = {
            "type": "session",
            "version": 1,
            "id": sid,
            "key": key,
            "agentId": self.agent_id,
            "timestamp": now_iso(),
        }
        transcript = Transcript(self.dir / f"{sid}.jsonl", header=header)
        return SessionHandle(self.agent_id, key, sid, transcript, created)

    def history(self, handle: SessionHandle) -> list[Message]:
        """The completed turns of the session, as messages to send upstream."""
        return conversation(handle.transcript.read().entries)

    # -- turns -------------------------------------------------------------------------------

    def begin_turn(self, handle: SessionHandle, turn_id: str, text: str) -> None:
        handle.transcript.append(user_entry(turn_id, text, self.redact))

    def finish_turn(self, handle: SessionHandle, turn_id: str, rec: AnswerRecord) -> None:
        handle.transcript.append(answer_entry(turn_id, rec, self.redact))
        usage = rec.usage

        def change(entry: dict[str, Any]) -> None:
            entry.update(
                modelProvider=rec.provider,
                model=rec.model,
                authProfile=rec.profile,
                transport=rec.transport,
                turns=_int(entry.get("turns")) + 1,
                lastTurn="ok",
            )
            entry.pop("lastError", None)
            if usage is not None:
                entry.update(
                    inputTokens=usage.input,
                    outputTokens=usage.output,
                    cacheRead=usage.cache_read,
                    cacheWrite=usage.cache_write,
                    totalTokens=usage.total or usage.input + usage.output,
                )
                if usage.cost is not None:
                    entry["costUsd"] = round(_float(entry.get("costUsd")) + usage.cost, 10)

        self._touch(handle, change)

    def fail_turn(self, handle: SessionHandle, turn_id: str, rec: FailureRecord) -> None:
        handle.transcript.append(failure_entry(turn_id, rec, self.redact))
        message = self.redact(rec.message)[:_MAX_ERROR_IN_INDEX]

        def change(entry: dict[str, Any]) -> None:
            entry.update(
                failedTurns=_int(entry.get("failedTurns")) + 1,
                lastTurn="failed",
                lastError={"reason": rec.reason, "message": message},
            )

        self._touch(handle, change)

    def _touch(self, handle: SessionHandle, change: Callable[[dict[str, Any]], None]) -> None:
        def apply(entries: Entries) -> tuple[None, bool]:
            entry = entries.get(handle.key)
            if not isinstance(entry, dict) or entry.get("sessionId") != handle.session_id:
                if isinstance(entry, dict):
                    return None, False  # the key was re-pointed meanwhile: leave it alone
                entry = entries[handle.key] = {
                    "sessionId": handle.session_id,
                    "sessionFile": handle.path.name,
                    "createdAt": now_ms(),
                }
            change(entry)
            entry["updatedAt"] = now_ms()
            return None, True

        self.index.update(apply)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
