"""The incremental SSE decoder, fed the same stream split at every possible byte position."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclaw.wire.sse import SSEDecoder, SSEEvent

STREAM = (
    ": OPENROUTER PROCESSING\r\n\r\n"
    'data: {"a": "Zürich ✓ 🐍"}\r\n\r\n'
    "event: message_start\n"
    "id: 7\n"
    "retry: 1500\n"
    "data: line one\n"
    "data: line two\n\n"
    "data:no-space\r\r"
    "data\n\n"
    ": another comment\n"
    "unknown: field\n"
    "data: [DONE]\n\n"
    "data: final without blank line"
).encode()

EXPECTED = [
    ('{"a": "Zürich ✓ 🐍"}', None, None, None),
    ("line one\nline two", "message_start", "7", 1500),
    ("no-space", None, None, None),
    ("", None, None, None),
    ("[DONE]", None, None, None),
    ("final without blank line", None, None, None),
]


def decode(pieces: list[bytes]) -> tuple[list[SSEEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.close())
    return events, decoder


def summary(events: list[SSEEvent]) -> list[tuple[str, str | None, str | None, int | None]]:
    return [(e.data, e.event, e.id, e.retry) for e in events]


def test_whole_stream() -> None:
    events, decoder = decode([STREAM])
    assert summary(events) == EXPECTED
    assert decoder.comments == 2
    assert decoder.last_id == "7"


def test_split_at_every_position() -> None:
    for cut in range(len(STREAM) + 1):
        events, _ = decode([STREAM[:cut], STREAM[cut:]])
        assert summary(events) == EXPECTED, f"split at byte {cut}"


def test_split_at_every_pair_of_positions() -> None:
    size = len(STREAM)
    for a, b in itertools.combinations(range(0, size + 1, 3), 2):
        events, _ = decode([STREAM[:a], STREAM[a:b], STREAM[b:]])
        assert summary(events) == EXPECTED, f"split at {a}, {b}"


def test_one_byte_at_a_time() -> None:
    events, _ = decode([STREAM[i : i + 1] for i in range(len(STREAM))])
    assert summary(events) == EXPECTED


def test_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []  # "\r\n" is one terminator: no blank line yet
    events = decoder.feed(b"\r\n")
    assert [e.data for e in events] == ["a"]


def test_lone_cr_line_ends() -> None:
    events, _ = decode([b"data: a\rdata: b\r\r"])
    assert [e.data for e in events] == ["a\nb"]


def test_utf8_character_split_inside() -> None:
    text = "data: é🐍\n\n".encode()
    for cut in range(len(text)):
        events, _ = decode([text[:cut], text[cut:]])
        assert [e.data for e in events] == ["é🐍"]


def test_raw_stays_bytes_for_the_json_parser() -> None:
    events, _ = decode([b'data: {"x":1}\n\n'])
    assert events[0].raw == b'{"x":1}'


def test_comment_only_stream_has_no_events() -> None:
    events, decoder = decode([b": keep-alive\n\n: keep-alive\n\n"])
    assert events == [] and decoder.comments == 2


def test_empty_feed_and_close_are_harmless() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.close() == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=8))
def test_any_split_points(points: list[int]) -> None:
    cuts = sorted(set(points))
    pieces = [STREAM[a:b] for a, b in itertools.pairwise([0, *cuts, len(STREAM)])]
    events, _ = decode(pieces)
    assert summary(events) == EXPECTED


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r"])
def test_each_line_terminator(terminator: bytes) -> None:
    body = terminator.join([b"event: e", b"data: 1", b"", b"data: 2", b"", b""])
    events, _ = decode([body])
    assert [(e.event, e.data) for e in events] == [("e", "1"), (None, "2")]
