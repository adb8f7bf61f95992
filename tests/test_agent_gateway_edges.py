"""``openclaw agent`` against gateways that misbehave after ``/healthz`` said yes: one that is gone
(connection refused: the turn runs locally), one that drops the request (reported, not repeated
locally), and one that refuses the CLI's token."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FAKE_KEY, clean_env, run_cli
from openclaw.testing import FakeUpstream
from test_agent import index, transcript, write_config

HEALTH = b'{"status":"ok","service":"openclaw-gateway"}'
TOKEN = "gw-token-edges-0123456789"


def _response(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"connection: close\r\n\r\n" + body


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class OneShotGateway:
    """Answers ``/healthz``; then, per ``after``: ``gone`` stops listening, ``drop`` closes the next
    connection without a word, ``401`` answers the next request with 401."""

    def __init__(self, after: str) -> None:
        self.after = after
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            self.seen.append(_read_request(conn))
            if self.after == "gone":
                self.sock.close()  # before the answer: the next connection is refused, never queued
            conn.sendall(_response("200 OK", HEALTH))
        if self.after == "gone":
            return
        conn, _ = self.sock.accept()
        with conn:
            self.seen.append(_read_request(conn))
            if self.after == "401":
                body = b'{"error":{"message":"Unauthorized","type":"unauthorized"}}'
                conn.sendall(_response("401 Unauthorized", body))
        self.sock.close()


@pytest.fixture
def gateway_home(home: Path, upstream_thread: FakeUpstream) -> Iterator[dict[str, str]]:
    write_config(home, upstream_thread, gateway={"auth": {"mode": "token", "token": TOKEN}})
    yield clean_env(home, OPENROUTER_API_KEY=FAKE_KEY)


def _runtime_file(home: Path, port: int) -> None:
    gateway_dir = home / ".openclaw" / "gateway"
    gateway_dir.mkdir(parents=True, exist_ok=True)
    (gateway_dir / "gateway.json").write_text(json.dumps({"pid": 1, "host": "127.0.0.1", "port": port}))


def test_a_gateway_gone_after_the_probe_means_a_local_turn(
    home: Path, upstream_thread: FakeUpstream, gateway_home: dict[str, str]
) -> None:
    gw = OneShotGateway("gone")
    _runtime_file(home, gw.port)
    result = run_cli(["agent", "--message", "hi"], gateway_home)
    assert (result.code, result.stdout) == (0, "OK\n")
    assert f"the gateway at http://127.0.0.1:{gw.port}/v1 did not accept the connection" in result.stderr
    assert "running the turn locally" in result.stderr
    assert gw.seen[0].startswith(b"GET /healthz ")
    assert len(upstream_thread.chat_requests) == 1  # the local turn


def test_a_gateway_that_drops_the_request_is_not_repeated_locally(
    home: Path, upstream_thread: FakeUpstream, gateway_home: dict[str, str]
) -> None:
    gw = OneShotGateway("drop")
    _runtime_file(home, gw.port)
    result = run_cli(["agent", "--message", "hi"], gateway_home)
    assert result.code == 1 and "running the turn locally" not in result.stderr
    assert f"The gateway at http://127.0.0.1:{gw.port}/v1 failed before answering (reset:" in result.stderr
    assert gw.seen[1].startswith(b"POST /v1/chat/completions ")
    head = gw.seen[1].decode().lower()
    assert f"authorization: bearer {TOKEN}".lower() in head
    assert "x-openclaw-session-key: agent:main:main" in head and "x-openclaw-timeout: 600" in head
    assert upstream_thread.chat_requests == []
    failed = transcript(home, index(home)["agent:main:main"]["sessionId"])[-1]
    assert failed["type"] == "turn_failed" and failed["transport"] == "gateway"


def test_a_gateway_refusing_the_token_says_so(
    home: Path, upstream_thread: FakeUpstream, gateway_home: dict[str, str]
) -> None:
    gw = OneShotGateway("401")
    _runtime_file(home, gw.port)
    result = run_cli(["agent", "--message", "hi"], gateway_home)
    assert result.code == 1
    assert f"The gateway at http://127.0.0.1:{gw.port}/v1 refused this CLI's credentials" in result.stderr
    assert upstream_thread.chat_requests == [] and TOKEN not in result.stderr
