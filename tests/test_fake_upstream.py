"""The fake upstream: HTTP/1.1 framing, scripted replies, shapes, recording, control API."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from openclaw.testing import FakeUpstream, Reply, reply_from_spec

CHAT = "/api/v1/chat/completions"


# ------------------------------------------------------------------------------ a raw client


class Raw:
    """A byte-level HTTP/1.1 client so the tests see exactly what the fake sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, up: FakeUpstream) -> Raw:
        reader, writer = await asyncio.open_connection(up.host, up.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self._chunked()
        return status, headers, body

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        for _ in range(10_000):
            size = int((await asyncio.wait_for(self.reader.readline(), 5)).strip(), 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        raise AssertionError("too many chunks")

    async def rest(self) -> bytes:
        return await asyncio.wait_for(self.reader.read(), 5)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def post(path: str, body: object, *, extra: str = "") -> bytes:
    data = orjson.dumps(body)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
    return head.encode() + f"Content-Length: {len(data)}\r\n\r\n".encode() + data


def sse_data(body: bytes) -> list[str]:
    return [line[6:] for line in body.decode().split("\n") if line.startswith("data: ")]


async def call(
    up: FakeUpstream, body: object, path: str = CHAT, extra: str = ""
) -> tuple[int, dict[str, str], bytes]:
    raw = await Raw.open(up)
    try:
        await raw.send(post(path, body, extra=extra))
        return await raw.response()
    finally:
        await raw.close()


# ------------------------------------------------------------------------- OpenRouter shape


async def test_non_streaming_text_is_a_chat_completion_with_cost(upstream: FakeUpstream) -> None:
    status, headers, body = await call(upstream, {"model": "openai/gpt-4o-mini", "messages": []})
    assert status == 200
    assert headers["content-type"] == "application/json"
    data = orjson.loads(body)
    assert data["object"] == "chat.completion"
    assert data["model"] == "openai/gpt-4o-mini"
    assert data["choices"][0]["message"]["content"] == "OK"
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["cost"] > 0
    assert data["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


async def test_streaming_text_looks_like_openrouter(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.text("Hello", chunks=["Hel", "lo"]))
    status, headers, body = await call(upstream, {"model": "m/x", "stream": True})
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert headers["transfer-encoding"] == "chunked"
    assert body.startswith(b": OPENROUTER PROCESSING\n\n")
    events = sse_data(body)
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:3]] == ["Hel", "lo"]
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["choices"] == [] and chunks[4]["usage"]["cost"] > 0


async def test_tool_call_arguments_stream_one_character_at_a_time(upstream: FakeUpstream) -> None:
    args = '{"city": "Zürich", "days": 3}'
    upstream.queue(Reply.tool_call("weather", args))
    _, _, body = await call(upstream, {"model": "m/x", "stream": True})
    chunks = [orjson.loads(e) for e in sse_data(body)[:-1]]
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0]["id"] == "call_fake_1" and calls[0]["function"]["name"] == "weather"
    pieces = [c["function"]["arguments"] for c in calls[1:]]
    assert all(len(p) == 1 for p in pieces)
    assert "".join(pieces) == args
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


async def test_reasoning_then_answer(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.reasoning("hmm", "OK", chunks=["h", "mm"]))
    _, _, body = await call(upstream, {"model": "m/x", "stream": True})
    deltas = [orjson.loads(e)["choices"][0]["delta"] for e in sse_data(body)[:-2]]
    assert "".join(d.get("reasoning") or "" for d in deltas) == "hmm"
    assert any(d.get("content") == "OK" for d in deltas)


async def test_status_reply_carries_headers_and_openrouter_error_body(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(429, "Rate limit exceeded", headers={"Retry-After": "2"}))
    status, headers, body = await call(upstream, {"model": "m/x"})
    assert status == 429
    assert headers["retry-after"] == "2"
    assert orjson.loads(body) == {"error": {"code": 429, "message": "Rate limit exceeded", "metadata": {}}}


async def test_status_reply_with_custom_body(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(502, body="<html>bad gateway</html>"))
    status, _, body = await call(upstream, {"model": "m/x"})
    assert (status, body) == (502, b"<html>bad gateway</html>")


async def test_cut_stream_ends_without_finish_or_done(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.cut(after_chunks=2))
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x", "stream": True}))
    data = await raw.rest()  # the server closes the connection
    await raw.close()
    assert b"data: [DONE]" not in data and b'finish_reason":"stop' not in data
    assert data.count(b"data: ") == 2 and b'"content":"O"' in data
    assert not data.endswith(b"0\r\n\r\n")


async def test_cut_non_streaming_truncates_the_body(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.cut())
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x"}))
    data = await raw.rest()
    await raw.close()
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    assert 0 < len(body) < length


async def test_stream_error_chunk_inside_a_200(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.stream_error(after_chunks=2, code=429, message="Rate limit exceeded"))
    status, _, body = await call(upstream, {"model": "m/x", "stream": True})
    assert status == 200
    events = sse_data(body)
    last = orjson.loads(events[-1])
    assert last["error"]["code"] == 429 and last["choices"][0]["finish_reason"] == "error"
    assert "[DONE]" not in events


async def test_stream_error_non_streaming_is_finish_reason_error(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.stream_error(code=502))
    status, _, body = await call(upstream, {"model": "m/x"})
    choice = orjson.loads(body)["choices"][0]
    assert status == 200 and choice["finish_reason"] == "error" and choice["error"]["code"] == 502


async def test_malformed(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.malformed(), Reply.malformed())
    _, _, body = await call(upstream, {"model": "m/x"})
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    _, _, body = await call(upstream, {"model": "m/x", "stream": True})
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(sse_data(body)[1])


async def test_reset_closes_before_headers(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.reset())
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x"}))
    assert await raw.rest() == b""
    await raw.close()


async def test_delay_then_reply(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.delay(0.01, Reply.text("late")))
    _, _, body = await call(upstream, {"model": "m/x"})
    assert orjson.loads(body)["choices"][0]["message"]["content"] == "late"


# ----------------------------------------------------------------------- selection, records


async def test_queue_is_fifo_then_key_then_model_then_default(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.text("first"), Reply.text("second"))
    upstream.on_model("a/b", Reply.text("model"))
    upstream.on_key("sk-or-test-k2", Reply.status(401))
    upstream.set_default(Reply.text("default"))

    async def answer(model: str, key: str = "sk-or-test-k1") -> object:
        status, _, body = await call(upstream, {"model": model}, extra=f"Authorization: Bearer {key}\r\n")
        return orjson.loads(body)["choices"][0]["message"]["content"] if status == 200 else status

    assert [await answer("a/b"), await answer("a/b")] == ["first", "second"]
    assert await answer("a/b") == "model"
    assert await answer("a/b", key="sk-or-test-k2") == 401
    assert await answer("c/d") == "default"


async def test_requests_are_recorded_with_lower_case_headers(upstream: FakeUpstream) -> None:
    await call(
        upstream, {"model": "m/x", "messages": [{"role": "user", "content": "hé"}]}, extra="X-Title: T\r\n"
    )
    rec = upstream.requests[0]
    assert rec.method == "POST" and rec.path == CHAT
    assert rec.headers["x-title"] == "T" and rec.headers["content-type"] == "application/json"
    assert rec.json["messages"][0]["content"] == "hé"
    assert orjson.loads(rec.body) == rec.json
    assert [n for n, _ in rec.header_list][:2] == ["host", "content-type"]


async def test_no_record_mode_keeps_nothing() -> None:
    async with FakeUpstream(record=False) as up:
        await call(up, {"model": "m/x"})
        assert up.requests == []


# --------------------------------------------------------------------------- HTTP framing


async def test_chunked_request_body(upstream: FakeUpstream) -> None:
    payload = orjson.dumps({"model": "m/chunked", "messages": []})
    body = b"".join(
        b"%x\r\n%b\r\n" % (len(payload[i : i + 7]), payload[i : i + 7]) for i in range(0, len(payload), 7)
    )
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    raw = await Raw.open(upstream)
    for piece in (head.encode(), body[:5], body[5:], b"0\r\n\r\n"):
        await raw.send(piece)
        await asyncio.sleep(0)
    status, _, resp = await raw.response()
    await raw.close()
    assert status == 200 and orjson.loads(resp)["model"] == "m/chunked"
    assert upstream.requests[0].body == payload


async def test_keep_alive_and_pipelining_on_one_connection(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.text("a"), Reply.text("b"), Reply.text("c"))
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x"}))
    first = await raw.response()
    await raw.send(post(CHAT, {"model": "m/x"}) + post(CHAT, {"model": "m/x", "stream": True}))
    second = await raw.response()
    third = await raw.response()
    await raw.close()
    assert orjson.loads(first[2])["choices"][0]["message"]["content"] == "a"
    assert orjson.loads(second[2])["choices"][0]["message"]["content"] == "b"
    assert b'"content":"c"' in third[2]
    assert upstream.connections_opened == 1


async def test_connection_close_is_honoured(upstream: FakeUpstream) -> None:
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x"}, extra="Connection: close\r\n"))
    status, headers, _ = await raw.response()
    assert status == 200 and headers["connection"] == "close"
    assert await raw.rest() == b""
    await raw.close()


async def test_malformed_request_line_gets_400(upstream: FakeUpstream) -> None:
    raw = await Raw.open(upstream)
    await raw.send(b"NONSENSE\r\n\r\n")
    status, _, _ = await raw.response()
    await raw.close()
    assert status == 400


async def test_client_disconnect_during_hang_is_counted(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.hang())
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x"}))
    assert await upstream.wait_for(lambda u: len(u.requests) == 1)
    await raw.close()
    assert await upstream.wait_for(lambda u: u.aborted_responses == 1)
    assert upstream.connections_closed_by_client == 1 and upstream.open_connections == 0


async def test_client_disconnect_mid_stream_is_counted(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.text("abcdefghij", chunks=list("abcdefghij"), interval=0.05))
    raw = await Raw.open(upstream)
    await raw.send(post(CHAT, {"model": "m/x", "stream": True}))
    await raw.reader.readuntil(b'"content":"a"')
    await raw.close()
    assert await upstream.wait_for(lambda u: u.aborted_responses == 1)


async def test_finished_keep_alive_connection_is_not_an_abort(upstream: FakeUpstream) -> None:
    await call(upstream, {"model": "m/x", "stream": True})
    assert await upstream.wait_for(lambda u: u.connections_closed_by_client == 1)
    assert upstream.aborted_responses == 0


# ------------------------------------------------------------------------- Anthropic shape


async def test_anthropic_messages_non_streaming(upstream: FakeUpstream) -> None:
    status, _, body = await call(upstream, {"model": "claude-x", "max_tokens": 5}, path="/v1/messages")
    data = orjson.loads(body)
    assert status == 200 and data["type"] == "message"
    assert data["content"] == [{"type": "text", "text": "OK"}] and data["stop_reason"] == "end_turn"
    assert data["usage"]["input_tokens"] == 12


async def test_anthropic_messages_stream_events(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.tool_call("f", '{"a": 1}', split=3))
    _, _, body = await call(upstream, {"model": "claude-x", "stream": True}, path="/api/v1/messages")
    names = [line[7:] for line in body.decode().split("\n") if line.startswith("event: ")]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-2:] == ["message_delta", "message_stop"]
    datas = [orjson.loads(d) for d in sse_data(body)]
    partial = "".join(d["delta"]["partial_json"] for d in datas if d["type"] == "content_block_delta")
    assert partial == '{"a": 1}'
    assert datas[-2]["delta"]["stop_reason"] == "tool_use"


async def test_anthropic_error_shape(upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(529, "Overloaded"))
    status, _, body = await call(upstream, {"model": "claude-x"}, path="/v1/messages")
    assert status == 529
    assert orjson.loads(body) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


# ------------------------------------------------------------------ catalog, account, control


async def test_models_key_and_credits(upstream: FakeUpstream) -> None:
    raw = await Raw.open(upstream)
    await raw.send(b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    _, _, body = await raw.response()
    models = {m["id"]: m for m in orjson.loads(body)["data"]}
    sonnet = models["anthropic/claude-sonnet-4-5"]
    assert sonnet["top_provider"]["max_completion_tokens"] == 64000
    assert isinstance(sonnet["pricing"]["prompt"], str) and "tools" in sonnet["supported_parameters"]
    assert "image" in sonnet["architecture"]["input_modalities"]
    await raw.send(b"GET /api/v1/key HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await raw.response())[0] == 401
    await raw.send(b"GET /api/v1/key HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-or-test-1\r\n\r\n")
    status, _, body = await raw.response()
    assert status == 200 and "limit_remaining" in orjson.loads(body)["data"]
    await raw.send(b"GET /api/v1/credits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-or-test-1\r\n\r\n")
    assert orjson.loads((await raw.response())[2])["data"]["total_credits"] == 10.0
    await raw.close()


async def test_control_api(upstream: FakeUpstream) -> None:
    status, _, _ = await call(
        upstream, {"queue": ["429", {"kind": "text", "content": "Hi"}]}, path="/__fake/script"
    )
    assert status == 200
    assert (await call(upstream, {"model": "m/x"}))[0] == 429
    assert (
        orjson.loads((await call(upstream, {"model": "m/x"}))[2])["choices"][0]["message"]["content"] == "Hi"
    )
    raw = await Raw.open(upstream)
    await raw.send(b"GET /__fake/requests HTTP/1.1\r\nHost: x\r\n\r\n")
    records = orjson.loads((await raw.response())[2])
    assert [r["json"]["model"] for r in records] == ["m/x", "m/x"]
    await raw.send(b"GET /__fake/stats HTTP/1.1\r\nHost: x\r\n\r\n")
    assert orjson.loads((await raw.response())[2])["requests"] == 2
    await raw.send(b"POST /__fake/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert (await raw.response())[0] == 200
    await raw.close()
    assert upstream.requests == []


def test_reply_specs() -> None:
    assert reply_from_spec("429").opts["code"] == 429
    assert reply_from_spec("break").kind == "cut"
    assert reply_from_spec({"kind": "delay", "seconds": 1, "then": "500"}).opts["then"].opts["code"] == 500
    with pytest.raises(ValueError):
        reply_from_spec("nope")


# ---------------------------------------------------------------------- thread and process


def test_thread_mode_serves_sync_clients(upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.text("threaded"))
    conn = http.client.HTTPConnection(upstream_thread.host, upstream_thread.port, timeout=5)
    conn.request(
        "POST", CHAT, body=json.dumps({"model": "m/x"}), headers={"Content-Type": "application/json"}
    )
    resp = conn.getresponse()
    assert json.loads(resp.read())["choices"][0]["message"]["content"] == "threaded"
    conn.close()
    assert upstream_thread.requests[0].json == {"model": "m/x"}


def test_process_mode_with_script(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"queue": ["401"], "default": {"kind": "text", "content": "P"}}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "openclaw.testing.fake_upstream", "--port", "0", "--script", str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for expected in (401, 200):
            conn.request("POST", CHAT, body=b'{"model":"m"}', headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == expected
        assert json.loads(body)["choices"][0]["message"]["content"] == "P"
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
    assert proc.stderr is not None and "Warning" not in proc.stderr.read()
