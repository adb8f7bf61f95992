"""Has a SQLite file changed since the last look? (for :meth:`LocalState.refresh`)

``PRAGMA data_version`` on a connection returns a different value once any *other* connection
(another process, or another connection of this one) has committed to the database since that
connection's previous call. So one read-only connection is kept open and asked once per look: no
read of the data, no transaction. The file's identity (device, inode) is checked too, so a state
database that was deleted and made again is noticed (the kept connection would still see the
old file). A missing or still empty file is "no change"; the first look after it has content is a change.

Blocking: call it from a worker thread, one call at a time (the caller serializes).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["DbWatch"]


class DbWatch:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._ident: tuple[int, int] | None = None
        self._version: int | None = None  # None: nothing seen yet, the next look is a change

    def changed(self) -> bool:
        """True when the file changed since the previous call (and on the first call that finds it)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.close()
            return False
        if st.st_size == 0:  # created, not yet written (the writer creates it 0600 first): as missing
            self.close()  # a connection opened now could miss the switch to WAL and later commits
            return False
        ident = (st.st_dev, st.st_ino)
        if self._conn is not None and ident != self._ident:
            self.close()  # replaced: watch the new file
        try:
            if self._conn is None:
                self._conn = _open_read_only(self.path)
                self._ident = ident
            row = self._conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            self.close()  # start afresh next time
            raise
        version = int(row[0])
        seen, self._version = self._version, version
        return version != seen

    def forget(self) -> None:
        """Count the next look as a change (its reader failed: the change is still unread)."""
        self._version = None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._ident = self._version = None
        if conn is not None:
            conn.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=10.0, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout=10000")
    except sqlite3.Error:
        conn.close()
        raise
    return conn
