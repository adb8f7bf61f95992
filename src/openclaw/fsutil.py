"""Safe file writes: private modes, atomic replace, inter-process locks.

Rules this module enforces for every secret-bearing file (config, auth store, transcripts):

* directories are created 0700, files 0600 (created with that mode, never chmod-ed afterwards);
* a write goes to a temporary file in the same directory, is fsync-ed, then ``os.replace``-d over
  the target, so a reader sees the old file or the new one, never half of one;
* writers serialise on an ``fcntl`` lock held on ``<file>.lock`` (we use ``fcntl`` directly
  rather than the ``filelock`` package: importing that costs ~50 ms of CLI start-up here).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import SecretFileError
from .paths import create_private_dir

__all__ = ["LockTimeout", "check_private_file", "locked", "read_private", "write_atomic"]


class LockTimeout(SecretFileError):
    pass


@contextlib.contextmanager
def locked(target: Path, *, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock for ``target`` (on ``<target>.lock``) for the ``with`` body."""
    create_private_dir(target.parent)
    lock_path = target.with_name(target.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"Timed out after {timeout:g} s waiting for the lock on {target} "
                        "(another openclaw process is writing it).",
                        path=str(target),
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def write_atomic(target: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``target`` with ``data`` atomically; the new file has ``mode`` (default 0600).

    The caller holds :func:`locked` when several processes may write the same file.
    """
    create_private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    os.close(fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_private_file(path: Path) -> str | None:
    """Return a warning when ``path`` is readable or writable by group/others, else ``None``."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise SecretFileError(f"{path} is not a regular file.", path=str(path))
    loose = st.st_mode & 0o077
    if loose:
        return (
            f"{path} has mode {st.st_mode & 0o777:04o}: it holds secrets and should be 0600. "
            f"Fix it with: chmod 600 {path}"
        )
    return None


def read_private(path: Path) -> bytes:
    """Read a secret-bearing file, with a clear error when it cannot be read."""
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise SecretFileError(
            f"Cannot read {path}: permission denied. It should be owned by you with mode 0600.",
            path=str(path),
        ) from exc
    except IsADirectoryError as exc:
        raise SecretFileError(f"{path} is a directory, not a file.", path=str(path)) from exc
