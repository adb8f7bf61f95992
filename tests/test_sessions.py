"""The session store: JSONL transcripts (locked, fsynced, torn-line safe), the index (locked,
atomic), the conversation rebuilt from a transcript, and concurrent writers in several processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from openclaw.errors import InputError
from openclaw.sessions import (
    AnswerRecord,
    FailureRecord,
    SessionStore,
    SessionStoreError,
    Transcript,
    conversation,
)
from openclaw.sessions.keys import check_session_id
from openclaw.wire.types import Usage


def store(tmp_path: Path, agent: str = "main") -> SessionStore:
    return SessionStore(tmp_path / "state" / "agents" / agent / "sessions", agent, lambda text: text)


def answer(text: str, **kw: Any) -> AnswerRecord:
    return AnswerRecord(
        text=text, provider="openrouter", model="m", profile="p", transport="local", duration_ms=1.0, **kw
    )


def user(turn: str, text: str) -> dict[str, Any]:
    return {"type": "message", "turnId": turn, "message": {"role": "user", "content": text}}


def reply(turn: str, text: str) -> dict[str, Any]:
    return {"type": "message", "turnId": turn, "message": {"role": "assistant", "content": text}}


# ---------------------------------------------------------------------------- transcript


def test_header_first_then_one_line_per_entry(tmp_path: Path) -> None:
    t = Transcript(tmp_path / "s.jsonl", header={"type": "session", "id": "s"})
    t.append(user("t1", "hi"))
    t.append(reply("t1", "hello\nthere"))  # a newline inside text stays inside its line
    lines = (tmp_path / "s.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    assert [json.loads(line)["type"] for line in lines[:3]] == ["session", "message", "message"]
    assert (tmp_path / "s.jsonl").stat().st_mode & 0o777 == 0o600


def test_a_torn_last_line_never_swallows_the_next_entry(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    t = Transcript(path)
    t.append(user("t1", "one"))
    with path.open("ab") as f:  # a crash in the middle of a write
        f.write(b'{"type":"message","turnId":"t2","mess')
    t.append(reply("t1", "answer"))
    data = t.read()
    assert data.unreadable == 1
    assert [e["message"]["content"] for e in data.entries] == ["one", "answer"]


def test_reading_a_missing_transcript_is_empty(tmp_path: Path) -> None:
    data = Transcript(tmp_path / "none.jsonl").read()
    assert (data.entries, data.unreadable) == ([], 0)


_APPENDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openclaw.sessions import Transcript
    t = Transcript(Path(sys.argv[1]), header={"type": "session"})
    who = sys.argv[2]
    for n in range(int(sys.argv[3])):
        t.append({"type": "message", "who": who, "n": n, "pad": "x" * (n * 37 % 5000)})
    """
)


@pytest.mark.slow
def test_concurrent_appends_from_processes_stay_whole(tmp_path: Path) -> None:
    path, count, writers = tmp_path / "s.jsonl", 150, ["a", "b", "c"]
    procs = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), who, str(count)]) for who in writers
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    entries = [json.loads(line) for line in raw.splitlines()]  # every line parses
    assert entries[0] == {"type": "session"} and sum(e["type"] == "session" for e in entries) == 1
    for who in writers:
        assert [e["n"] for e in entries if e.get("who") == who] == list(range(count))


# -------------------------------------------------------------------------------- history


def test_conversation_replays_completed_turns_in_order() -> None:
    entries = [
        {"type": "session"},
        user("t1", "one"),
        user("t2", "two"),  # a second process started its turn meanwhile
        reply("t2", "TWO"),
        reply("t1", "ONE"),
        user("t3", "three"),  # failed: an orphan
        {"type": "turn_failed", "turnId": "t3"},
        user("t4", "four"),  # its process died: an orphan too
        {"type": "something-newer", "turnId": "t1"},
    ]
    assert [(m.role, m.content) for m in conversation(entries)] == [
        ("user", "one"),
        ("assistant", "ONE"),
        ("user", "two"),
        ("assistant", "TWO"),
    ]


# ------------------------------------------------------------------------------ the store


def test_main_session_is_created_once_and_reused(tmp_path: Path) -> None:
    s = store(tmp_path)
    first = s.open()
    again = s.open()
    assert first.created and not again.created
    assert first.key == again.key == "agent:main:main" and first.session_id == again.session_id
    assert first.path == s.dir / f"{first.session_id}.jsonl"
    for directory in (s.dir, s.dir.parent, s.dir.parent.parent, s.dir.parents[2]):
        assert directory.stat().st_mode & 0o777 == 0o700


def test_a_turn_writes_user_then_outcome_and_updates_the_index(tmp_path: Path) -> None:
    s = store(tmp_path)
    h = s.open("demo")
    assert h.key == "agent:main:explicit:demo"
    s.begin_turn(h, "t1", "hi")
    usage = Usage(input=10, output=2, total=12, cost=0.5, cost_source="catalog")
    s.finish_turn(h, "t1", answer("hello", usage=usage))
    s.begin_turn(h, "t2", "again")
    s.fail_turn(h, "t2", FailureRecord(message="boom", transport="local", duration_ms=2.0, reason="timeout"))
    entry = s.index.load()["agent:main:explicit:demo"]
    assert (entry["turns"], entry["failedTurns"], entry["lastTurn"]) == (1, 1, "failed")
    assert (entry["inputTokens"], entry["outputTokens"], entry["totalTokens"], entry["costUsd"]) == (
        10,
        2,
        12,
        0.5,
    )
    assert entry["lastError"] == {"reason": "timeout", "message": "boom"}
    kinds = [(e["type"], e.get("message", {}).get("role")) for e in h.transcript.read().entries]
    assert kinds == [("session", None), ("message", "user"), ("message", "assistant"), ("message", "user"),
                     ("turn_failed", None)]  # fmt: skip
    assert [m.content for m in s.history(h)] == ["hi", "hello"]
    assert h.transcript.read().entries[2]["usage"]["cost"] == {"total": 0.5, "origin": "catalog"}


def test_redaction_applies_to_everything_written(tmp_path: Path) -> None:
    s = SessionStore(tmp_path / "sessions", "main", lambda text: text.replace("SECRET", "[x]"))
    h = s.open()
    s.begin_turn(h, "t1", "my SECRET")
    s.fail_turn(
        h, "t1", FailureRecord(message="bad SECRET", transport="local", duration_ms=1, partial_text="SECRET!")
    )
    raw = (h.path.read_text(), s.index.path.read_text())
    assert "SECRET" not in "".join(raw) and "[x]" in raw[0] and "[x]" in raw[1]


def test_an_unreadable_index_is_reported_and_left_alone(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    s.index.path.write_text('{"agent:main:main": {"sessionId": ')
    with pytest.raises(SessionStoreError, match="not valid JSON"):
        s.open()
    assert s.index.path.read_text() == '{"agent:main:main": {"sessionId": '


def test_an_unsafe_session_id_in_the_index_is_refused(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.dir.mkdir(parents=True)
    s.index.path.write_text(json.dumps({"agent:main:main": {"sessionId": "../../escape"}}))
    with pytest.raises(SessionStoreError, match="unusable id"):
        s.open()


@pytest.mark.parametrize("raw", ["", "../x", "a/b", ".hidden", "x" * 129, "id.jsonl", "sp ace"])
def test_session_ids_that_cannot_be_file_names_are_refused(raw: str) -> None:
    with pytest.raises(InputError):
        check_session_id(raw)


_OPENER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from openclaw.sessions import SessionStore
    print(SessionStore(Path(sys.argv[1]), "main", str).open().session_id)
    """
)


@pytest.mark.slow
def test_processes_racing_to_create_the_main_session_agree(tmp_path: Path) -> None:
    sessions = tmp_path / "agents" / "main" / "sessions"
    procs = [
        subprocess.Popen([sys.executable, "-c", _OPENER, str(sessions)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(ids) == 1 and "" not in ids
    index = json.loads((sessions / "sessions.json").read_text())
    assert list(index) == ["agent:main:main"] and index["agent:main:main"]["sessionId"] in ids
