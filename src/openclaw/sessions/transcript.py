"""One session's transcript: ``<sessionId>.jsonl``, one JSON object per line, append-only.

Writes (:meth:`Transcript.append`) are crash-safe and safe across processes:

* the file is created 0600 (its directory 0700 by :class:`~openclaw.sessions.store.SessionStore`);
* every append holds an ``fcntl`` lock on ``<sessionId>.jsonl.lock``, writes the whole line with
  ``O_APPEND`` and ``fsync``-s it before the lock is released, so lines from two processes never
  interleave and a line that was reported written survives a crash;
* if a crash left a torn last line (no final newline), the next append first ends that fragment
  with a newline, so the fragment stays one unreadable line and never swallows a good entry.

Reads (:meth:`Transcript.read`) take no lock: every complete line is a complete entry; lines that
are not JSON objects (a torn fragment) are skipped and counted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..fsutil import locked, read_private

__all__ = ["Transcript", "TranscriptData"]


@dataclass(slots=True)
class TranscriptData:
    entries: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0  # lines skipped because they were not a JSON object (torn by a crash)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Transcript:
    """The JSONL file at ``path``; ``header`` is written as the first line of a new file."""

    def __init__(self, path: Path, header: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.header = header

    def append(self, entry: Mapping[str, Any]) -> None:
        """Append ``entry`` as one line, durably (see the module docstring)."""
        line = orjson.dumps(entry) + b"\n"
        with locked(self.path):
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size == 0:
                    head = orjson.dumps(self.header) + b"\n" if self.header is not None else b""
                    data = head + line
                elif os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + line  # close a fragment torn by a crash
                else:
                    data = line
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if size == 0:
                _sync_dir(self.path.parent)  # the new file's name survives a crash too

    def read(self) -> TranscriptData:
        try:
            raw = read_private(self.path)
        except FileNotFoundError:
            return TranscriptData()
        data = TranscriptData()
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                data.unreadable += 1
                continue
            if isinstance(value, dict):
                data.entries.append(value)
            else:
                data.unreadable += 1
        return data
