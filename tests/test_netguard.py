"""The guard that keeps tests off the network must itself work."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import clean_env
from netguard import NetworkBlocked


def test_guard_refuses_a_public_address(_netguard_log: Path) -> None:
    sock = socket.socket()
    try:
        with pytest.raises(NetworkBlocked):
            sock.connect(("93.184.216.34", 443))
    finally:
        sock.close()
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("openrouter.ai", 443)
    _netguard_log.write_text("")  # the attempts above were on purpose


def test_guard_allows_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()


def test_guard_applies_in_subprocesses(tmp_path: Path, _netguard_log: Path) -> None:
    code = (
        "import socket\ntry:\n    socket.getaddrinfo('openrouter.ai', 443)\n"
        "except ConnectionRefusedError:\n    print('blocked')\n"
    )
    env = clean_env(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "blocked"
    assert "openrouter.ai" in _netguard_log.read_text()
    _netguard_log.write_text("")
