"""The streamed-response writer: events that arrive together leave in one write, in order, at
once; what is left at the end leaves with the end of the body; a slow client holds the relay
back; a failed write reaches the relay."""

from __future__ import annotations

import asyncio

import pytest

from openclaw.gateway.coalesce import CoalescingWriter


class Sink:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.writes: list[bytes] = []
        self.eof: bytes | None = None  # the bytes that went out with the end of the body
        self.delay = delay
        self.fail = fail

    async def write(self, data: bytes) -> None:
        if self.fail:
            raise ConnectionResetError("Cannot write to closing transport")
        if self.delay:
            await asyncio.sleep(self.delay)
        self.writes.append(data)

    async def write_eof(self, data: bytes = b"") -> None:
        assert self.eof is None, "the body was ended twice"
        if self.fail:
            raise ConnectionResetError("Cannot write to closing transport")
        self.eof = data


async def test_events_of_one_turn_leave_in_one_write() -> None:
    sink = Sink()
    out = CoalescingWriter(sink)
    for piece in (b"a", b"b", b"c"):
        out.add(piece)
    await asyncio.sleep(0)  # the relay waits for the upstream: the writer runs
    assert sink.writes == [b"abc"]
    out.add(b"d")
    await out.close()
    assert sink.writes == [b"abc"]
    assert sink.eof == b"d"  # the last bytes and the end of the body: one write


async def test_a_whole_answer_in_one_turn_is_one_write() -> None:
    sink = Sink()
    out = CoalescingWriter(sink)
    for piece in (b"head", b"a", b"b", b"[DONE]"):
        out.add(piece)
    await out.close()
    assert sink.writes == []
    assert sink.eof == b"headab[DONE]"


async def test_close_after_everything_was_written_still_ends_the_body() -> None:
    sink = Sink()
    out = CoalescingWriter(sink)
    out.add(b"a")
    await asyncio.sleep(0)
    assert sink.writes == [b"a"]
    await out.close()
    assert sink.eof == b""


async def test_a_slow_client_holds_the_relay_back() -> None:
    sink = Sink(delay=0.01)
    out = CoalescingWriter(sink, limit=10)
    for _ in range(8):
        if out.add(b"x" * 4):  # more than 10 bytes are behind: the relay waits
            await out.drain()
        assert out._size <= 12
    await out.close()
    assert sink.eof is not None
    assert b"".join(sink.writes) + sink.eof == b"x" * 32 and len(sink.writes) > 1


async def test_a_failed_write_reaches_the_relay() -> None:
    out = CoalescingWriter(Sink(fail=True))
    out.add(b"a")
    await asyncio.sleep(0)
    with pytest.raises(ConnectionResetError):
        out.add(b"b")
    out.cancel()
    with pytest.raises(ConnectionResetError):
        await _close_after_add()


async def _close_after_add() -> None:
    out = CoalescingWriter(Sink(fail=True))
    out.add(b"a")
    await out.close()


async def test_close_without_writes_and_cancel_are_quiet() -> None:
    sink = Sink()
    out = CoalescingWriter(sink)
    await out.close()
    assert sink.eof == b""  # an empty stream still ends its body
    out.cancel()
    pending = CoalescingWriter(Sink(delay=1.0))
    pending.add(b"a")
    await asyncio.sleep(0)
    pending.cancel()


async def test_a_write_that_waits_for_the_client_is_finished_in_order() -> None:
    sink = Sink(delay=0.01)
    out = CoalescingWriter(sink)
    out.add(b"a")
    await asyncio.sleep(0)  # the write of "a" starts and has to wait
    out.add(b"b")
    out.add(b"c")
    await asyncio.sleep(0.05)
    assert sink.writes == [b"a", b"bc"]  # what queued meanwhile followed it, in one write
    out.add(b"d")
    await out.close()
    assert sink.eof == b"d"


async def test_close_waits_for_the_write_in_flight() -> None:
    sink = Sink(delay=0.01)
    out = CoalescingWriter(sink)
    out.add(b"a")
    await asyncio.sleep(0)
    out.add(b"b")
    await out.close()
    assert sink.writes == [b"a"]
    assert sink.eof == b"b"


class LateFailSink(Sink):
    async def write(self, data: bytes) -> None:
        await asyncio.sleep(0.01)
        raise ConnectionResetError("Cannot write to closing transport")


async def test_a_write_that_fails_after_waiting_reaches_the_relay() -> None:
    out = CoalescingWriter(LateFailSink())
    out.add(b"a")
    await asyncio.sleep(0)
    with pytest.raises(ConnectionResetError):
        await out.close()
