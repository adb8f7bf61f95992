"""Session keys and ids: what names a session, and what may become a file name.

* The agent's main session is ``agent:<agentId>:main`` (OpenClaw's ``mainKey`` default), reused by
  every ``openclaw agent`` run that names no session.
* ``--session-id ID`` names a session by its id. An id the index already holds selects that
  session (whatever its key); a new id creates ``agent:<agentId>:explicit:<ID>``.
* A session id becomes ``<sessionId>.jsonl``, so it is checked strictly: letters, digits, ``.``,
  ``_`` and ``-``, starting with a letter or digit, at most 128 characters (a UUID fits; ``..``,
  ``/`` and friends never do).
"""

from __future__ import annotations

import re
import uuid

from ..errors import InputError

__all__ = ["check_agent_id", "check_session_id", "explicit_key", "main_key", "new_session_id"]

_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_AGENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def main_key(agent_id: str) -> str:
    return f"agent:{agent_id}:main"


def explicit_key(agent_id: str, session_id: str) -> str:
    return f"agent:{agent_id}:explicit:{session_id}"


def new_session_id() -> str:
    return str(uuid.uuid4())


def check_session_id(raw: str) -> str:
    """``raw`` when it is a safe session id, else :class:`~openclaw.errors.InputError` (exit 2)."""
    value = raw.strip()
    if not _SESSION_ID.fullmatch(value) or value.endswith(".jsonl"):
        raise InputError(
            f'Invalid session id "{raw}": use letters, digits, ".", "_" or "-" (at most 128, '
            "starting with a letter or digit), e.g. a UUID.",
            param="session-id",
        )
    return value


def check_agent_id(raw: str) -> str:
    value = raw.strip()
    if not _AGENT_ID.fullmatch(value):
        raise InputError(
            f'Invalid agent id "{raw}": use letters, digits, "_" or "-" (at most 64).', param="agent"
        )
    return value
