"""``openclaw agent`` as real processes: two turns at once on one session, a turn killed in the
middle, and turns served by a running ``openclaw gateway run``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FAKE_KEY, clean_env, run_cli, run_cli_subprocess
from openclaw.testing import FakeUpstream, Reply
from test_agent import MINI, SONNET, index, sessions_dir, transcript, write_config

pytestmark = pytest.mark.slow
TOKEN = "gw-token-for-agent-tests-0123456789"


def agent_env(home: Path, *, key: bool = True) -> dict[str, str]:
    return clean_env(home, **({"OPENROUTER_API_KEY": FAKE_KEY} if key else {}))


def test_two_turns_at_once_on_one_session_both_land_whole(home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(home, upstream_thread)
    upstream_thread.set_default(Reply.text("abcdef", chunks=list("abcdef"), interval=0.05))
    args = [sys.executable, "-m", "openclaw", "agent", "--local", "--session-id", "shared", "--message"]
    procs = [
        subprocess.Popen([*args, text], env=agent_env(home), stdout=subprocess.PIPE, text=True)
        for text in ("from one", "from two")
    ]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == ["abcdef\n", "abcdef\n"]
    entries = transcript(home, "shared")
    assert sum(e["type"] == "session" for e in entries) == 1
    turns: dict[str, list[str]] = {}
    for e in entries[1:]:
        turns.setdefault(e["turnId"], []).append(e["message"]["role"])
    assert sorted(turns.values()) == [["user", "assistant"], ["user", "assistant"]]
    assert index(home)["agent:main:explicit:shared"]["turns"] == 2


def test_a_turn_killed_mid_answer_leaves_valid_files(home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(home, upstream_thread)
    env = agent_env(home)
    upstream_thread.queue(Reply.text("first answer"))
    assert run_cli(["agent", "--local", "--message", "first"], env).code == 0
    upstream_thread.queue(Reply.hang())
    proc = subprocess.Popen(
        [sys.executable, "-m", "openclaw", "agent", "--local", "--message", "doomed"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert upstream_thread.wait_for_sync(lambda up: len(up.chat_requests) == 2, within=30)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    entry = index(home)["agent:main:main"]  # still the previous turn's view
    assert (entry["turns"], entry.get("lastTurn")) == (1, "ok")
    sid = entry["sessionId"]
    last = transcript(home, sid)[-1]
    assert last["message"] == {"role": "user", "content": "doomed"}  # the orphan stays on file
    upstream_thread.queue(Reply.text("fine"))
    assert run_cli(["agent", "--local", "--message", "after"], env).code == 0
    sent = [(m["role"], m["content"]) for m in upstream_thread.chat_requests[2].json["messages"]]
    assert sent == [("user", "first"), ("assistant", "first answer"), ("user", "after")]


# ------------------------------------------------------------------------------ gateway


@pytest.fixture
def gateway(home: Path, upstream_thread: FakeUpstream) -> Iterator[subprocess.Popen[str]]:
    write_config(
        home,
        upstream_thread,
        gateway={"auth": {"mode": "token", "token": TOKEN}},
        usage={"store": {"kind": "off"}},
    )
    env = agent_env(home)  # only the gateway holds the provider key
    proc = subprocess.Popen(
        [sys.executable, "-m", "openclaw", "gateway", "run", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for _ in range(50):  # bounded: until it says where it listens
        line = proc.stderr.readline()
        assert line, "the gateway exited before listening"
        if "listening on http://" in line:
            break
    runtime_file = home / ".openclaw" / "gateway" / "gateway.json"
    for _ in range(500):  # bounded: the runtime file (how `agent` finds it) follows the log line
        if runtime_file.exists():
            break
        time.sleep(0.01)
    assert runtime_file.exists()
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_without_local_a_running_gateway_serves_the_turn(
    home: Path, upstream_thread: FakeUpstream, gateway: subprocess.Popen[str]
) -> None:
    env = agent_env(home, key=False)  # this CLI has no provider key: only the gateway can answer
    upstream_thread.queue(Reply.text("via gateway"), Reply.text("second"))
    first = run_cli(["agent", "--message", "hello"], env)
    assert (first.code, first.stdout, first.stderr) == (0, "via gateway\n", "")
    second = run_cli(["agent", "--message", "more", "--thinking", "low", "--json"], env)
    assert second.code == 0, second.stderr
    out = json.loads(second.stdout)
    meta = out["meta"]["agentMeta"]
    assert (meta["transport"], meta["provider"], meta["model"]) == (
        "gateway",
        "openrouter",
        "anthropic/claude-sonnet-4-5",
    )
    assert (
        meta["credential"] == "env:OPENROUTER_API_KEY" and meta["usage"]["cost"]["totalOrigin"] == "gateway"
    )
    first_req, second_req = upstream_thread.chat_requests
    assert first_req.headers["authorization"] == f"Bearer {FAKE_KEY}"  # the gateway's key, not a token
    assert "reasoning" not in first_req.json and second_req.json["reasoning"] == {"effort": "low"}
    assert [(m["role"], m["content"]) for m in second_req.json["messages"]] == [
        ("user", "hello"),
        ("assistant", "via gateway"),
        ("user", "more"),
    ]
    answer = transcript(home, meta["sessionId"])[-1]
    assert (answer["transport"], answer["model"], answer["attemptCount"]) == (
        "gateway",
        "anthropic/claude-sonnet-4-5",
        1,
    )


def test_gateway_failover_and_strict_model(
    home: Path, upstream_thread: FakeUpstream, gateway: subprocess.Popen[str]
) -> None:
    env = agent_env(home, key=False)
    upstream_thread.on_model("anthropic/claude-sonnet-4-5", Reply.status(429))
    result = run_cli(["agent", "--message", "hi"], env)
    assert result.code == 0 and result.stdout == "OK\n"
    assert result.stderr.startswith(
        f"note: {MINI} answered through the gateway (credential env:OPENROUTER_API_KEY)"
    )
    upstream_thread.reset()
    upstream_thread.on_model("openai/gpt-4o-mini", Reply.status(429))
    strict = run_cli(["agent", "--model", MINI, "--message", "only mini", "--json"], env)
    assert strict.code == 1
    assert {r.json["model"] for r in upstream_thread.chat_requests} == {"openai/gpt-4o-mini"}
    out = json.loads(strict.stdout)
    assert out["error"]["message"].startswith("All models failed") and out["error"]["status"] == 429
    assert [a["model"] for a in out["meta"]["agentMeta"]["attempts"]] == ["openai/gpt-4o-mini"]
    failed = transcript(home, out["meta"]["agentMeta"]["sessionId"])[-1]
    assert failed["type"] == "turn_failed" and failed["transport"] == "gateway"
    everything = strict.stdout + strict.stderr + result.stderr
    everything += "".join(p.read_text() for p in sessions_dir(home).glob("*.json*"))
    assert FAKE_KEY not in everything and TOKEN not in everything


def test_agent_as_a_process_end_to_end(home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(home, upstream_thread, agents={"defaults": {"model": SONNET}})
    result = run_cli_subprocess(["agent", "--local", "--message", "hi", "--json"], agent_env(home))
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["payloads"] == [{"text": "OK", "mediaUrl": None}]
    assert os.stat(out["meta"]["agentMeta"]["sessionFile"]).st_mode & 0o777 == 0o600


def test_ctrl_c_records_a_cancelled_turn(home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(home, upstream_thread)
    upstream_thread.queue(Reply.hang())
    proc = subprocess.Popen(
        [sys.executable, "-m", "openclaw", "agent", "--local", "--message", "wait"],
        env=agent_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert upstream_thread.wait_for_sync(lambda up: len(up.chat_requests) == 1, within=30)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Aborted." in err
    failed = transcript(home, index(home)["agent:main:main"]["sessionId"])[-1]
    assert failed["type"] == "turn_failed" and failed["error"]["reason"] == "cancelled"
    assert index(home)["agent:main:main"]["lastTurn"] == "failed"
