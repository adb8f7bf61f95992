"""The conversation sent upstream, rebuilt from a transcript.

A turn takes part when both its user line and its assistant line are in the file: the pair is
replayed as ``user``, ``assistant``, in the order the user lines were written (two processes may
interleave the lines of their turns; the ``turnId`` pairs them up). A user line without an answer
(a failed turn, or a turn whose process died) is kept in the file but not replayed: the
reasons are in docs/sessions.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..wire.types import Message

__all__ = ["conversation"]


def _text(entry: Mapping[str, Any], role: str) -> str | None:
    message = entry.get("message")
    if entry.get("type") != "message" or not isinstance(message, dict) or message.get("role") != role:
        return None
    content = message.get("content")
    return content if isinstance(content, str) else None


def conversation(entries: Iterable[Mapping[str, Any]]) -> list[Message]:
    """Completed turns as messages, oldest first."""
    asked: dict[str, str] = {}  # turnId -> user text, in file order (dicts keep insertion order)
    answered: dict[str, str] = {}
    for entry in entries:
        turn = entry.get("turnId")
        if not isinstance(turn, str):
            continue
        question = _text(entry, "user")
        if question is not None:
            asked.setdefault(turn, question)
            continue
        answer = _text(entry, "assistant")
        if answer is not None:
            answered[turn] = answer
    messages: list[Message] = []
    for turn, question in asked.items():
        answer = answered.get(turn)
        if answer is not None:
            messages.append(Message(role="user", content=question))
            messages.append(Message(role="assistant", content=answer))
    return messages
