"""The session index, ``sessions.json``: session key -> entry, one JSON object, 0600.

Every change is a locked read-modify-write (:meth:`SessionIndex.update`): the ``fcntl`` lock on
``sessions.json.lock`` serialises writers across processes, and the new content replaces the old
atomically (temporary file, ``fsync``, ``rename``), so a reader or a crash sees the old index or
the new one, never half of one. A file that is not valid JSON is reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from ..errors import OpenClawError
from ..fsutil import locked, read_private, write_atomic

__all__ = ["SessionIndex", "SessionStoreError"]

T = TypeVar("T")
Entries = dict[str, Any]  # key -> entry (an object; anything else is kept as it is)


class SessionStoreError(OpenClawError):
    """The session index or a transcript cannot be used as it is (exit 1)."""


class SessionIndex:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Entries:
        """The index as it is on disk ({} when there is none yet)."""
        try:
            raw = read_private(self.path)
        except FileNotFoundError:
            return {}
        try:
            data = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise SessionStoreError(
                f"The session index {self.path} is not valid JSON ({exc}). It was left as it is: "
                "repair it, or move it aside to start new sessions."
            ) from None
        if not isinstance(data, dict):
            raise SessionStoreError(f"The session index {self.path} is not a JSON object.")
        return data

    def update(self, change: Callable[[Entries], tuple[T, bool]]) -> T:
        """Run ``change`` on the current index under the lock; write it back when ``change``
        says it changed something. Returns what ``change`` returned first."""
        with locked(self.path):
            entries = self.load()
            result, changed = change(entries)
            if changed:
                data = orjson.dumps(entries, option=orjson.OPT_INDENT_2) + b"\n"
                write_atomic(self.path, data)
        return result
