"""``openclaw agent --message`` in process, against the fake upstream: turns, sessions, failover,
strictness, cut streams, input errors, JSON output, file modes, and no key anywhere."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, Cli, CliResult, KeyedCli
from openclaw.testing import FakeUpstream, Reply

SONNET = "openrouter/anthropic/claude-sonnet-4-5"
MINI = "openrouter/openai/gpt-4o-mini"
FAST_RETRY = {"retry": {"maxRetries": 0, "baseDelayMs": 1, "maxDelayMs": 5}}


def write_config(home: Path, up: FakeUpstream, **extra: Any) -> None:
    config: dict[str, Any] = {
        "models": {"providers": {"openrouter": {"baseUrl": up.base_url}}},
        "agents": {"defaults": {"model": {"primary": SONNET, "fallbacks": [MINI]}}},
        "routing": FAST_RETRY,
    }
    config.update(extra)
    state = home / ".openclaw"
    state.mkdir(exist_ok=True)
    path = state / "openclaw.json"
    path.write_text(json.dumps(config))
    os.chmod(path, 0o600)


def sessions_dir(home: Path, agent: str = "main") -> Path:
    return home / ".openclaw" / "agents" / agent / "sessions"


def index(home: Path, agent: str = "main") -> dict[str, Any]:
    data = json.loads((sessions_dir(home, agent) / "sessions.json").read_text())
    assert isinstance(data, dict), data
    return data


def transcript(home: Path, session_id: str, agent: str = "main") -> list[dict[str, Any]]:
    text = (sessions_dir(home, agent) / f"{session_id}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def messages(up: FakeUpstream, n: int) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in up.chat_requests[n].json["messages"]]


@pytest.fixture
def agent(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> KeyedCli:
    write_config(home, upstream_thread)

    def invoke(*args: str, key: str | None = FAKE_KEY) -> CliResult:
        extra = {"OPENROUTER_API_KEY": key} if key else {}
        return cli("agent", *args, extra_env=extra)

    return invoke


def test_a_turn_streams_the_answer_and_starts_the_main_session(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.queue(Reply.text("Hello world", chunks=["Hello", " ", "world"]))
    result = agent("--local", "--message", "hi")
    assert (result.code, result.stdout, result.stderr) == (0, "Hello world\n", "")
    sent = upstream_thread.chat_requests[0]
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert sent.json["model"] == "anthropic/claude-sonnet-4-5" and sent.json["stream"] is True
    assert messages(upstream_thread, 0) == [("user", "hi")]
    entry = index(home)["agent:main:main"]
    sid = entry["sessionId"]
    assert entry["sessionFile"] == f"{sid}.jsonl"
    assert (entry["modelProvider"], entry["model"], entry["authProfile"]) == (
        "openrouter",
        "anthropic/claude-sonnet-4-5",
        "env:OPENROUTER_API_KEY",
    )
    assert (entry["turns"], entry["lastTurn"], entry["inputTokens"], entry["outputTokens"]) == (
        1,
        "ok",
        12,
        1,
    )
    assert entry["totalTokens"] == 13 and entry["costUsd"] == pytest.approx(0.000051)
    header, user, answer = transcript(home, sid)
    assert header["type"] == "session" and header["id"] == sid and header["key"] == "agent:main:main"
    assert user["message"] == {"role": "user", "content": "hi"}
    assert answer["message"] == {"role": "assistant", "content": "Hello world"}
    assert answer["turnId"] == user["turnId"]
    assert (answer["provider"], answer["model"], answer["profile"]) == (
        "openrouter",
        "anthropic/claude-sonnet-4-5",
        "env:OPENROUTER_API_KEY",
    )
    assert answer["usage"] == {
        "input": 12,
        "output": 1,
        "cacheRead": 0,
        "cacheWrite": 0,
        "reasoning": 0,
        "total": 13,
        "cost": {"total": pytest.approx(0.000051), "origin": "provider"},
    }
    assert answer["attemptCount"] == 1 and answer["attempts"][0]["ok"] is True


def test_the_main_session_is_reused_without_a_session_id(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.queue(Reply.text("first answer"), Reply.text("second answer"))
    first = json.loads(agent("--local", "--message", "one", "--json").stdout)
    second = json.loads(agent("--local", "--message", "two", "--json").stdout)
    sid = first["meta"]["agentMeta"]["sessionId"]
    assert second["meta"]["agentMeta"]["sessionId"] == sid
    assert messages(upstream_thread, 1) == [("user", "one"), ("assistant", "first answer"), ("user", "two")]
    assert list(index(home)) == ["agent:main:main"] and index(home)["agent:main:main"]["turns"] == 2
    # the main session's id selects it explicitly, too
    agent("--local", "--session-id", sid, "--message", "three")
    assert [m[1] for m in messages(upstream_thread, 2)] == [
        "one",
        "first answer",
        "two",
        "second answer",
        "three",
    ]


def test_a_session_id_continues_its_own_conversation(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.queue(Reply.text("A1"), Reply.text("B1"), Reply.text("A2"))
    assert agent("--local", "--session-id", "alpha", "--message", "a1").code == 0
    assert agent("--local", "--session-id", "beta", "--message", "b1").code == 0
    assert agent("--local", "--session-id", "alpha", "--message", "a2").code == 0
    assert messages(upstream_thread, 1) == [("user", "b1")]
    assert messages(upstream_thread, 2) == [("user", "a1"), ("assistant", "A1"), ("user", "a2")]
    keys = index(home)
    assert set(keys) == {"agent:main:explicit:alpha", "agent:main:explicit:beta"}
    assert keys["agent:main:explicit:alpha"]["sessionId"] == "alpha"
    lines = transcript(home, "alpha")
    assert [(e["type"], e.get("message", {}).get("content")) for e in lines] == [
        ("session", None),
        ("message", "a1"),
        ("message", "A1"),
        ("message", "a2"),
        ("message", "A2"),
    ]


def test_rate_limited_primary_fails_over_to_the_configured_fallback(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.on_model("anthropic/claude-sonnet-4-5", Reply.status(429))
    result = agent("--local", "--message", "hi")
    assert (result.code, result.stdout) == (0, "OK\n")
    assert [r.json["model"] for r in upstream_thread.chat_requests] == [
        "anthropic/claude-sonnet-4-5",
        "openai/gpt-4o-mini",
    ]
    note = result.stderr.strip()
    assert "\n" not in note  # one line
    assert note.startswith(f"note: {MINI} answered (credential env:OPENROUTER_API_KEY) after 2 attempts")
    assert f"{SONNET} [env:OPENROUTER_API_KEY]: 429 Rate limit exceeded" in note and "(rate_limit)" in note
    sid = index(home)["agent:main:main"]["sessionId"]
    answer = transcript(home, sid)[-1]
    assert (answer["model"], answer["attemptCount"]) == ("openai/gpt-4o-mini", 2)
    assert [(a["model"], a["ok"], a.get("reason"), a.get("status")) for a in answer["attempts"]] == [
        ("anthropic/claude-sonnet-4-5", False, "rate_limit", 429),
        ("openai/gpt-4o-mini", True, None, None),
    ]
    assert index(home)["agent:main:main"]["model"] == "openai/gpt-4o-mini"


def test_an_explicit_model_is_strict(agent: KeyedCli, home: Path, upstream_thread: FakeUpstream) -> None:
    upstream_thread.on_model("anthropic/claude-sonnet-4-5", Reply.status(429))
    result = agent("--local", "--model", SONNET, "--message", "hi", "--json")
    assert result.code == 1
    assert {r.json["model"] for r in upstream_thread.chat_requests} == {"anthropic/claude-sonnet-4-5"}
    out = json.loads(result.stdout)
    assert out["ok"] is False and out["payloads"] == []
    assert (
        out["error"]["message"].startswith("All models failed (1): ")
        and out["error"]["reason"] == "rate_limit"
    )
    attempts = out["meta"]["agentMeta"]["attempts"]
    assert [(a["model"], a["status"], a["reason"]) for a in attempts] == [
        ("anthropic/claude-sonnet-4-5", 429, "rate_limit")
    ]
    assert (
        "  attempt 1: openrouter/anthropic/claude-sonnet-4-5 [env:OPENROUTER_API_KEY]: 429" in result.stderr
    )
    sid = out["meta"]["agentMeta"]["sessionId"]
    failed = transcript(home, sid)[-1]
    assert failed["type"] == "turn_failed" and failed["error"]["reason"] == "rate_limit"
    assert failed["attempts"][0]["status"] == 429
    entry = index(home)["agent:main:main"]
    assert (entry["turns"], entry["failedTurns"], entry["lastTurn"]) == (0, 1, "failed")


def test_a_stream_cut_after_the_first_byte_is_a_failed_turn(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.queue(Reply.text("OK", chunks=["O", "K"]))
    assert agent("--local", "--message", "first").code == 0
    upstream_thread.queue(Reply.cut(after_chunks=2))
    result = agent("--local", "--message", "second")
    assert result.code == 1
    assert result.stdout == "O\n"  # what streamed before the cut; the exit code says it is not an answer
    assert "was cut off after 1 character" in result.stderr and "not a complete answer" in result.stderr
    assert len(upstream_thread.chat_requests) == 2  # committed: no silent retry after the first byte
    sid = index(home)["agent:main:main"]["sessionId"]
    failed = transcript(home, sid)[-1]
    assert failed["type"] == "turn_failed" and failed["partialText"] == "O"
    assert failed["error"]["reason"] == "cut" and failed["attempts"][0]["ok"] is False
    # the next turn replays the completed turn only
    upstream_thread.queue(Reply.text("fine"))
    assert agent("--local", "--message", "third").code == 0
    assert messages(upstream_thread, 2) == [("user", "first"), ("assistant", "OK"), ("user", "third")]


def test_a_cut_stream_in_json_is_never_a_payload(agent: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.cut(after_chunks=2))
    result = agent("--local", "--message", "hi", "--json")
    out = json.loads(result.stdout)
    assert result.code == 1 and out["ok"] is False and out["payloads"] == []
    assert out["error"]["partialText"] == "O" and out["error"]["reason"] == "cut"


def test_an_empty_answer_is_a_failed_turn(agent: KeyedCli, home: Path, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.text(""))
    result = agent("--local", "--message", "hi")
    assert result.code == 1 and "returned no text" in result.stderr
    sid = index(home)["agent:main:main"]["sessionId"]
    assert transcript(home, sid)[-1]["error"]["reason"] == "empty_response"


def test_json_document_has_openclaws_shape(agent: KeyedCli, upstream_thread: FakeUpstream) -> None:
    result = agent("--local", "--message", "hi", "--json")
    assert result.code == 0 and result.stderr == ""
    out = json.loads(result.stdout)
    assert out["ok"] is True and out["payloads"] == [{"text": "OK", "mediaUrl": None}]
    meta = out["meta"]
    assert isinstance(meta["durationMs"], int) and meta["aborted"] is False
    agent_meta = meta["agentMeta"]
    assert agent_meta["sessionKey"] == "agent:main:main"
    assert Path(agent_meta["sessionFile"]).name == f"{agent_meta['sessionId']}.jsonl"
    assert (agent_meta["provider"], agent_meta["model"]) == ("openrouter", "anthropic/claude-sonnet-4-5")
    assert agent_meta["usage"]["cost"] == {"total": pytest.approx(0.000051), "totalOrigin": "provider"}
    assert (agent_meta["usage"]["input"], agent_meta["usage"]["output"], agent_meta["usage"]["total"]) == (
        12,
        1,
        13,
    )
    assert agent_meta["transport"] == "local" and agent_meta["rerouted"] is False


def test_thinking_level_reaches_the_request(agent: KeyedCli, upstream_thread: FakeUpstream) -> None:
    assert agent("--local", "--thinking", "high", "--message", "think").code == 0
    assert upstream_thread.chat_requests[0].json["reasoning"] == {"effort": "high"}


def test_another_agent_has_its_own_sessions(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(
        home,
        upstream_thread,
        agents={"defaults": {"model": SONNET}, "entries": {"ops": {"model": MINI}}},
    )
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    assert cli("agent", "--local", "--agent", "ops", "--message", "status?", extra_env=env).code == 0
    assert upstream_thread.chat_requests[0].json["model"] == "openai/gpt-4o-mini"
    assert list(index(home, "ops")) == ["agent:ops:main"]
    assert not sessions_dir(home).exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--message", "   "], "The message is empty"),
        (["--message", "hi", "--session-id", "../escape"], "Invalid session id"),
        (["--message", "hi", "--session-id", ""], "Invalid session id"),
        (["--message", "hi", "--agent", "mian"], 'Unknown agent "mian". Did you mean "main"?'),
        (["--message", "hi", "--model", "nosuchprovider/x"], "--model:"),
    ],
)
def test_bad_input_exits_2_before_anything_is_written_or_sent(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream, args: list[str], expected: str
) -> None:
    result = agent("--local", *args)
    assert result.code == 2 and expected in result.stderr, result.stderr
    assert upstream_thread.chat_requests == []
    assert not (home / ".openclaw" / "agents").exists()


def test_unknown_agent_lists_each_agent_once(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> None:
    write_config(home, upstream_thread, agents={"entries": {"main": {}, "ops": {}}})  # as onboard writes
    result = cli("agent", "--local", "--agent", "zzzz", "--message", "hi")
    assert result.code == 2
    assert result.stderr == 'Error: Unknown agent "zzzz". Configured agents: main, ops.\n'


def test_bad_input_with_json_prints_an_error_document(agent: KeyedCli) -> None:
    result = agent("--local", "--message", "", "--json")
    assert result.code == 2
    assert json.loads(result.stdout) == {
        "ok": False,
        "error": {"type": "input_error", "message": "The message is empty. Pass --message with some text."},
    }


def test_without_a_gateway_the_turn_runs_locally_with_a_note(
    agent: KeyedCli, upstream_thread: FakeUpstream
) -> None:
    result = agent("--message", "hi")
    assert result.code == 0 and result.stdout == "OK\n"
    assert (
        result.stderr
        == "note: no gateway is running; running the turn locally (pass --local to skip this check).\n"
    )


def test_a_stale_gateway_runtime_file_falls_back_to_local(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway_dir = home / ".openclaw" / "gateway"
    gateway_dir.mkdir(parents=True)
    (gateway_dir / "gateway.json").write_text(json.dumps({"pid": 1, "host": "127.0.0.1", "port": port}))
    write_config(home, upstream_thread, gateway={"auth": {"mode": "token", "token": "gw-token-0123456789"}})
    result = agent("--message", "hi")
    assert result.code == 0 and result.stdout == "OK\n"
    assert f"does not answer on http://127.0.0.1:{port}/healthz; running the turn locally" in result.stderr


def test_timeout_ends_the_turn_and_records_it(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    upstream_thread.queue(Reply.hang())
    result = agent("--local", "--timeout", "0.5", "--model", SONNET, "--message", "hi")
    assert result.code == 1 and result.stdout == ""
    sid = index(home)["agent:main:main"]["sessionId"]
    failed = transcript(home, sid)[-1]
    assert failed["type"] == "turn_failed" and failed["error"]["reason"] == "timeout"


def test_files_are_private(agent: KeyedCli, home: Path, upstream_thread: FakeUpstream) -> None:
    assert agent("--local", "--message", "hi").code == 0
    state = home / ".openclaw"
    for directory in (state / "agents", state / "agents" / "main", sessions_dir(home)):
        assert directory.stat().st_mode & 0o777 == 0o700, directory
    files = list(sessions_dir(home).iterdir())
    assert {p.suffix for p in files} == {".json", ".jsonl", ".lock"}
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_no_key_is_written_or_printed(agent: KeyedCli, home: Path, upstream_thread: FakeUpstream) -> None:
    upstream_thread.on_model("anthropic/claude-sonnet-4-5", Reply.status(429, f"Slow down, key {FAKE_KEY}"))
    results = [agent("--local", "--message", f"my key is {FAKE_KEY}, keep it")]
    results.append(agent("--local", "--message", "again", "--json"))
    upstream_thread.queue(Reply.cut(after_chunks=2))
    results.append(agent("--local", "--model", MINI, "--message", "cut"))
    results.append(agent("--local", "--model", SONNET, "--message", "strict", "--json"))
    assert [r.code for r in results] == [0, 0, 1, 1]
    assert "Slow down, key sk-or…[redacted]" in results[0].stderr  # the provider's error, redacted
    for result in results:
        assert FAKE_KEY not in result.stdout and FAKE_KEY not in result.stderr
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in written)
    for path in written:
        assert FAKE_KEY.encode() not in path.read_bytes(), path
    sid = index(home)["agent:main:main"]["sessionId"]
    lines = transcript(home, sid)
    first_user = lines[1]["message"]["content"]
    assert first_user.startswith("my key is sk-or") and "[redacted]" in first_user
    assert lines[2]["attempts"][0]["error"] == "Slow down, key sk-or…[redacted]"


def test_a_runtime_that_cannot_open_is_a_recorded_failure(
    agent: KeyedCli, home: Path, upstream_thread: FakeUpstream
) -> None:
    write_config(home, upstream_thread, state={"kind": "redis"})
    result = agent("--local", "--message", "hi")
    assert result.code == 1 and 'state.kind is "redis" but state.url is not set' in result.stderr
    assert upstream_thread.chat_requests == []
    failed = transcript(home, index(home)["agent:main:main"]["sessionId"])[-1]
    assert failed["type"] == "turn_failed" and failed["error"]["reason"] == "error"
