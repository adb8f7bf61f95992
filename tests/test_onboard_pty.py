"""Interactive onboarding in a real pseudo-terminal: prompts appear, the key is not echoed."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import FAKE_KEY, clean_env


def _read_until(fd: int, needle: bytes, seen: bytearray, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"did not see {needle!r} in {bytes(seen)!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"terminal closed before {needle!r}: {bytes(seen)!r}")
            seen.extend(chunk)


def test_onboard_in_a_terminal(home: Path) -> None:
    master, slave = os.openpty()
    env = clean_env(home, TERM="dumb", COLUMNS="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "openclaw", "onboard"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"Provider number", seen)
        os.write(master, b"1\r")
        _read_until(master, b"(input hidden)", seen)
        os.write(master, FAKE_KEY.encode() + b"\r")
        # getpass flushes typeahead when it restores the terminal: answer only once asked.
        _read_until(master, b"Write this configuration?", seen)
        os.write(master, b"y\r")
        _read_until(master, b"Updated config", seen)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = bytes(seen).decode(errors="replace")
    assert FAKE_KEY not in text  # masked entry: the terminal never shows the key
    store = home / ".openclaw" / "state" / "openclaw.sqlite"
    assert store.exists() and (store.stat().st_mode & 0o777) == 0o600
    config = (home / ".openclaw" / "openclaw.json").read_text()
    assert '"openrouter:default"' in config and FAKE_KEY not in config
