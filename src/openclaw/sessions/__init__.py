"""Agent sessions in OpenClaw's legacy JSON-file layout (spec §1.8, §17, §20).

* :class:`~openclaw.sessions.store.SessionStore`: one agent's sessions (index + transcripts);
* :class:`~openclaw.sessions.index.SessionIndex`: ``sessions.json`` (locked, atomic);
* :class:`~openclaw.sessions.transcript.Transcript`: ``<sessionId>.jsonl`` (locked, fsynced appends);
* :func:`~openclaw.sessions.history.conversation`: the messages replayed to the model.

The layout, every field and what a crash leaves behind are described in docs/sessions.md.
"""

from __future__ import annotations

from .entries import AnswerRecord, FailureRecord
from .history import conversation
from .index import SessionIndex, SessionStoreError
from .keys import check_agent_id, check_session_id, explicit_key, main_key
from .store import SessionHandle, SessionStore
from .transcript import Transcript, TranscriptData

__all__ = [
    "AnswerRecord",
    "FailureRecord",
    "SessionHandle",
    "SessionIndex",
    "SessionStore",
    "SessionStoreError",
    "Transcript",
    "TranscriptData",
    "check_agent_id",
    "check_session_id",
    "conversation",
    "explicit_key",
    "main_key",
]
