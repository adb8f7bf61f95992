"""Transports give an answer's events one list per network read (``batches``), and one by one
(``stream``, the same lists flattened); the router and the gateway pass the lists on."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest

from conftest import FAKE_KEY
from fixtures_upstream import make_call, provider
from openclaw.errors import ProviderError
from openclaw.routing.chain import build_target
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.base import Batch, HttpClient, flatten
from openclaw.transports.openai_completions import OpenAICompletionsTransport
from openclaw.wire.types import ErrorEvent, Finish, ResponseInfo, StreamEvent, TextDelta, UsageEvent
from test_router_support import chat, ledger_rows, make_test_router, open_test_runtime, router_config

SONNET = "openrouter/anthropic/claude-sonnet-4-5"
MINI = "openrouter/openai/gpt-4o-mini"


async def _batches(batches: AsyncIterator[Batch]) -> list[Batch]:
    return [batch async for batch in batches]


async def test_a_paced_stream_comes_in_several_reads_the_same_events_as_stream(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    reply = Reply.text("abc", chunks=["a", "b", "c"], interval=0.05)
    upstream.queue(reply, reply)
    transport = OpenAICompletionsTransport(http)
    call = make_call(provider(upstream.base_url), SONNET)
    batches = await _batches(transport.batches(call))
    events = [event async for event in transport.stream(call)]
    assert all(batches) and len(batches) >= 3  # events 50 ms apart cannot share a read
    assert [event for batch in batches for event in batch] == events
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["a", "b", "c"]
    usage, finish = batches[-1]  # the end, known only at the end: the usage and the finish
    assert isinstance(usage, UsageEvent) and finish == Finish("stop", "stop")


async def test_a_whole_answer_is_one_batch(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("Fine"))
    call = make_call(provider(upstream.base_url), SONNET, stream=False)
    batches = await _batches(OpenAICompletionsTransport(http).batches(call))
    assert len(batches) == 1
    kinds = [type(event) for event in batches[0]]
    assert kinds[0] is ResponseInfo and kinds[-1] is Finish and TextDelta in kinds and UsageEvent in kinds


async def test_events_read_with_an_error_chunk_are_delivered_then_it_raises(
    upstream: FakeUpstream, http: HttpClient
) -> None:
    upstream.queue(Reply.stream_error(after_chunks=2, chunks=["O", "K"]))
    call = make_call(provider(upstream.base_url), SONNET)
    seen: list[StreamEvent] = []
    with pytest.raises(ProviderError) as info:
        async for batch in OpenAICompletionsTransport(http).batches(call):
            seen += batch
    assert info.value.kind == "in_stream" and info.value.status == 502
    assert [event.text for event in seen if isinstance(event, TextDelta)] == ["O"]  # the read's events first


async def test_closing_the_flattened_stream_closes_the_batches_at_once() -> None:
    closed: list[bool] = []

    async def batches() -> AsyncGenerator[Batch, None]:
        try:
            yield [TextDelta("a"), TextDelta("b")]
            yield [TextDelta("c")]
        finally:
            closed.append(True)

    events = flatten(batches())
    assert await anext(events) == TextDelta("a")
    await events.aclose()
    assert closed == [True]  # not left for the garbage collector


async def test_a_run_passes_the_reads_on_with_the_commit_point_first(
    home: Path, upstream: FakeUpstream
) -> None:
    upstream.queue(Reply.text("abc", chunks=["a", "b", "c"], interval=0.05))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("cli"))
    batches = await _batches(run.batches())
    await rt.aclose()
    first = batches[0]
    assert isinstance(first[0], ResponseInfo) and TextDelta("a") in first  # buffered to the commit point
    assert len(batches) >= 3 and batches[-1][-1] == Finish("stop", "stop")
    usage = [event.usage for batch in batches for event in batch if isinstance(event, UsageEvent)]
    assert len(usage) == 1 and usage[0].cost_source == "provider"
    assert run.served.ref.key == SONNET and run.served.attempt_count == 1


async def test_a_run_cut_after_the_commit_ends_with_an_error_batch(
    home: Path, upstream: FakeUpstream
) -> None:
    upstream.queue(Reply.cut(after_chunks=2, chunks=["O", "K"]))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("cli"))
    batches = await _batches(run.batches())
    await rt.aclose()
    last = batches[-1]
    assert len(last) == 1 and isinstance(last[0], ErrorEvent) and last[0].error.kind == "cut"
    assert not any(isinstance(event, Finish) for batch in batches for event in batch)
    with pytest.raises(RuntimeError):
        await anext(run.batches())  # read once


async def test_a_run_prices_the_usage_of_its_last_read_in_place(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(
        Reply.text("abc", chunks=["a", "b"], usage={"prompt_tokens": 1000, "completion_tokens": 100})
    )
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("cli"))
    batches = await _batches(run.batches())
    await rt.aclose()
    usage, finish = batches[-1][-2:]
    assert isinstance(usage, UsageEvent) and isinstance(finish, Finish)
    assert usage.usage.cost_source == "catalog" and usage.usage.cost is not None and usage.usage.cost > 0
    rows = ledger_rows(home)
    assert [(r["status"], r["cost_source"]) for r in rows] == [("ok", "catalog")]
    assert rows[0]["cost"] == pytest.approx(usage.usage.cost)
