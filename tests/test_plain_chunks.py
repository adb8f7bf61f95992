"""The short path for text-only stream chunks (``plain_events``) gives exactly the events of the
general path (``orjson`` + ``ChunkDecoder.feed``), and declines every chunk that carries more
than text, so those keep their full handling (finish, usage, errors, reasoning, tools)."""

from __future__ import annotations

import orjson
import pytest

from openclaw.errors import ProviderError
from openclaw.wire.openai_upstream import ChunkDecoder, plain_events
from openclaw.wire.types import Finish, StreamEvent, UsageEvent

_HEAD = {
    "id": "gen-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "openai/gpt-4o-mini",
    "provider": "OpenAI",
}


def _chunk(*choices: object, **top: object) -> str:
    """A chunk with the usual top-level fields, ``choices`` and any other top-level keys."""
    return orjson.dumps({**_HEAD, "choices": list(choices), **top}).decode()


PLAIN = {
    "content": _chunk({"index": 0, "delta": {"content": "Hello "}, "finish_reason": None}),
    "role and content": _chunk({"index": 0, "delta": {"role": "assistant", "content": "Hi"}}),
    "all the nulls": _chunk(
        {
            "index": 0,
            "delta": {"content": "x"},
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        },
        usage=None,
        error=None,
    ),
    "empty content": _chunk({"index": 0, "delta": {"content": ""}}),
    "null content": _chunk({"index": 0, "delta": {"role": "assistant", "content": None}}),
    "no delta": _chunk({"index": 0}),
    "no choices": _chunk(),
    "no choices key": orjson.dumps(_HEAD).decode(),
    "unicode": '{"choices":[{"delta":{"content":"caf\\u00e9 \\ud83d\\ude00 \\"q\\""}}]}',
    "extra top-level fields": _chunk({"delta": {"content": "y"}}, system_fingerprint="fp"),
}

GENERAL = {
    "finish": _chunk({"index": 0, "delta": {}, "finish_reason": "stop"}),
    "native finish": _chunk({"delta": {"content": "z"}, "native_finish_reason": "end_turn"}),
    "usage": _chunk(usage={"prompt_tokens": 3, "completion_tokens": 2}),
    "error": _chunk(error={"code": 502, "message": "upstream down"}),
    "reasoning": _chunk({"delta": {"content": "", "reasoning": "thinking"}}),
    "reasoning details": _chunk({"delta": {"reasoning_details": [{"type": "reasoning.text", "text": "t"}]}}),
    "tool call": _chunk(
        {
            "delta": {
                "tool_calls": [
                    {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
                ]
            }
        }
    ),
    "content parts": _chunk({"delta": {"content": [{"type": "text", "text": "a"}]}}),
    "refusal": _chunk({"delta": {"refusal": "no"}}),
    "logprobs": _chunk({"delta": {"content": "l"}, "logprobs": {"content": []}}),
    "not an object": '["choices"]',
    "not json": "{not json",
    "choices not a list": '{"choices":{"delta":{"content":"q"}}}',
}


def _general(raw: bytes) -> list[StreamEvent]:
    decoder = ChunkDecoder()
    decoder.info_sent = True  # the short path is only taken after the first chunk
    return decoder.feed(orjson.loads(raw))


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_text_only_chunk_gives_the_same_events_on_both_paths(name: str) -> None:
    raw = PLAIN[name].encode()
    short = plain_events(raw)
    assert short is not None, f"{name} should take the short path"
    assert short == _general(raw)


@pytest.mark.parametrize("name", sorted(GENERAL))
def test_any_other_chunk_is_left_to_the_general_path(name: str) -> None:
    assert plain_events(GENERAL[name].encode()) is None


def test_the_general_path_still_sees_what_the_short_path_declines() -> None:
    """A finish, usage and an in-stream error keep their meaning through the transport's decoder."""
    decoder = ChunkDecoder()
    decoder.info_sent = True
    assert decoder.feed(orjson.loads(GENERAL["usage"])) == []  # held for the end
    decoder.feed(orjson.loads(GENERAL["finish"]))
    usage, finish = decoder.end(done=True)
    assert isinstance(usage, UsageEvent) and isinstance(finish, Finish) and finish.reason == "stop"
    with pytest.raises(ProviderError):
        decoder.feed(orjson.loads(GENERAL["error"]))
