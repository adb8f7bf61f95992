"""The router against the fake upstream: stages, commit point, budget, capability, ledger."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.errors import CredentialError, FailoverError, InputError
from openclaw.routing.chain import build_target
from openclaw.routing.cooldown import CooldownSchedule, credential_key
from openclaw.state.base import Cooldown
from openclaw.state.local import LocalState
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.base import Credential
from openclaw.wire.types import (
    ErrorEvent,
    Finish,
    ImagePart,
    Message,
    RawPart,
    ResponseInfo,
    TextDelta,
    TextPart,
    ToolDef,
)
from test_router_support import (
    FakeClock,
    chat,
    ledger_rows,
    make_test_router,
    open_test_runtime,
    router_config,
    sent,
)

SONNET = "openrouter/anthropic/claude-sonnet-4-5"
MINI = "openrouter/openai/gpt-4o-mini"
TWO_KEYS = {"OPENROUTER_API_KEYS": f"{FAKE_KEY},{FAKE_KEY_2}"}


async def test_happy_path_serves_primary_and_records_one_ok_row(home: Path, upstream: FakeUpstream) -> None:
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    result, served = await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert result.text == "OK"
    assert (served.ref.key, served.profile, served.attempt_count) == (SONNET, "env:OPENROUTER_API_KEY", 1)
    assert sent(upstream) == [("anthropic/claude-sonnet-4-5", FAKE_KEY)]
    rows = ledger_rows(home)
    assert [(r["status"], r["model_requested"], r["cost_source"]) for r in rows] == [
        ("ok", SONNET, "provider")
    ]
    assert rows[0]["input_tokens"] == 12
    assert not (home / ".openclaw" / "state" / "openclaw.sqlite").exists()  # no state I/O


async def test_stream_buffers_response_info_until_content(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.cut(after_chunks=1))  # role chunk only, then the connection drops
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("gateway"))
    events = [e async for e in run.events()]
    await rt.aclose()
    infos = [e for e in events if isinstance(e, ResponseInfo)]
    assert len(infos) == 1  # the failed attempt's info never leaked (a cut is retried on the same model)
    assert isinstance(events[-1], Finish)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "OK"
    assert [a.reason for a in run.served.attempts] == ["timeout", None]


async def test_a_run_is_read_once_whichever_way(home: Path, upstream: FakeUpstream) -> None:
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("gateway"))
    batches = [b async for b in run.batches()]
    assert isinstance(batches[-1][-1], Finish)
    for again in (run.events(), run.batches()):
        with pytest.raises(RuntimeError, match=r"read only once \(Run.batches\(\) or Run.events\(\)"):
            await again.__anext__()
    await rt.aclose()


async def test_failure_after_first_byte_ends_with_error_event_never_a_finish(
    home: Path, upstream: FakeUpstream
) -> None:
    upstream.queue(Reply.cut(after_chunks=2))  # role + "O", then the connection drops
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("gateway"))
    events = [e async for e in run.events()]
    await rt.aclose()
    assert [type(e).__name__ for e in events if not isinstance(e, ResponseInfo)] == [
        "TextDelta",
        "ErrorEvent",
    ]
    assert not any(isinstance(e, Finish) for e in events)
    error = events[-1]
    assert isinstance(error, ErrorEvent) and error.error.reason == "timeout"
    assert sent(upstream) == [("anthropic/claude-sonnet-4-5", FAKE_KEY)]  # committed: no failover
    assert [(r["status"], r["reason"]) for r in ledger_rows(home)] == [("error", "timeout")]
    assert run.served.attempts[-1].reason == "timeout"


async def test_complete_fails_over_even_after_content(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.cut(after_chunks=2))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    result, served = await router.complete(chat(stream=True), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert result.text == "OK"
    assert [m for m, _ in sent(upstream)][-1] in ("anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini")
    assert served.attempts[0].reason == "timeout"


async def test_server_error_is_retried_on_the_same_model_then_served(
    home: Path, upstream: FakeUpstream
) -> None:
    upstream.queue(Reply.status(500), Reply.status(502))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    clock = FakeClock()
    router = make_test_router(rt, clock)
    result, served = await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert result.text == "OK" and served.ref.key == SONNET
    assert [m for m, _ in sent(upstream)] == ["anthropic/claude-sonnet-4-5"] * 3
    assert clock.slept == [0.001, 0.002]  # backoff base 1 ms, doubling (jitter off in the test config)


async def test_an_unnamed_request_is_named_once_in_all_its_rows(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(500))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt, FakeClock())
    first, second = router.context("cli"), router.context("cli")
    assert first.request_id == ""  # named when something records it
    await router.complete(chat(), build_target(rt, None), first)
    await router.complete(chat(), build_target(rt, None), second)
    named = router.context("cli", request_id="mine")
    await router.complete(chat(), build_target(rt, None), named)
    await rt.aclose()
    rows = ledger_rows(home)
    assert [(r["status"], r["request_id"]) for r in rows] == [
        ("error", first.request_id),
        ("ok", first.request_id),
        ("ok", second.request_id),
        ("ok", "mine"),
    ]
    assert first.request_id.startswith("req-") and second.request_id.startswith("req-")
    assert first.request_id != second.request_id


async def test_server_error_retries_are_capped_then_next_model(home: Path, upstream: FakeUpstream) -> None:
    upstream.on_model("anthropic/claude-sonnet-4-5", Reply.status(500))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt, FakeClock())
    _, served = await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert [m for m, _ in sent(upstream)] == ["anthropic/claude-sonnet-4-5"] * 3 + ["openai/gpt-4o-mini"]
    assert served.ref.key == MINI and served.attempt_count == 4


async def test_retry_after_beyond_the_cap_is_not_slept(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(503, headers={"Retry-After": "120"}))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET), OPENROUTER_API_KEY=FAKE_KEY)
    clock = FakeClock()
    router = make_test_router(rt, clock)
    with pytest.raises(FailoverError) as info:
        await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert clock.slept == []
    assert len(sent(upstream)) == 1
    assert info.value.retry_at == pytest.approx(clock.t + 120)
    assert "Retry in 2 min" in info.value.message


async def test_rate_limit_on_lone_candidate_waits_briefly_then_retries(
    home: Path, upstream: FakeUpstream
) -> None:
    upstream.queue(Reply.status(429, headers={"Retry-After": "2"}))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET), OPENROUTER_API_KEY=FAKE_KEY)
    clock = FakeClock()
    router = make_test_router(rt, clock)
    result, served = await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert result.text == "OK"
    assert clock.slept == [2.0]  # the server's wait, exactly
    assert [a.reason for a in served.attempts] == ["rate_limit", None]


async def test_budget_bounds_retries_and_waits(home: Path, upstream: FakeUpstream) -> None:
    upstream.set_default(Reply.status(429, headers={"Retry-After": "5"}))
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    clock = FakeClock()
    router = make_test_router(rt, clock)
    with pytest.raises(FailoverError) as info:
        await router.complete(chat(), build_target(rt, None), router.context("cli", timeout=3.0))
    await rt.aclose()
    assert clock.slept == []  # a 5 s wait does not fit in a 3 s budget
    assert len(sent(upstream)) == 2
    assert info.value.message.startswith("All models failed (2):")


async def test_deadline_cuts_a_hanging_upstream(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.hang())
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    with pytest.raises(FailoverError) as info:
        await router.complete(chat(), build_target(rt, None), router.context("cli", timeout=0.3))
    await rt.aclose()
    assert info.value.attempts[0].reason == "timeout"
    assert "time budget ran out" in info.value.message


async def test_capability_skips_are_listed(home: Path, upstream: FakeUpstream) -> None:
    config = router_config(upstream.base_url, "openrouter/small/ctx", "openrouter/text/only", MINI)
    config["models"]["providers"]["openrouter"]["models"] = [
        {"id": "small/ctx", "contextWindow": 1000, "input": ["text", "image"]},
        {"id": "text/only", "contextWindow": 200000, "input": ["text"]},
    ]
    rt = open_test_runtime(home, config, OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    image = Message(
        role="user", content=[TextPart(text="x" * 8000), ImagePart(url="data:image/png;base64,AAAA")]
    )
    request = chat()
    request.messages = [image]
    _, served = await router.complete(request, build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert sent(upstream) == [("openai/gpt-4o-mini", FAKE_KEY)]
    skipped = [a for a in served.attempts if a.skipped]
    assert [(a.model, a.reason) for a in skipped] == [
        ("small/ctx", "capability"),
        ("text/only", "capability"),
    ]
    assert "context window is 1000" in skipped[0].message
    assert "does not accept images" in skipped[1].message


async def test_tools_skip_models_without_tool_support(home: Path, upstream: FakeUpstream) -> None:
    config = router_config(upstream.base_url, "openrouter/no/tools", MINI)
    config["models"]["providers"]["openrouter"]["models"] = [{"id": "no/tools", "supportsTools": False}]
    rt = open_test_runtime(home, config, OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    request = chat(tools=[ToolDef(name="lookup", parameters={"type": "object"})])
    _, served = await router.complete(request, build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert served.ref.key == MINI
    assert served.attempts[0].message == "the model does not support tool calls"


AUDIO = RawPart(data={"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}})
CLAUDE = "anthropic/claude-sonnet-4-6"


def _audio_chat(stream: bool = False) -> object:
    request = chat(stream=stream)
    request.messages = [Message(role="user", content=[TextPart(text="what is this?"), AUDIO])]
    return request


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
async def test_a_transport_that_refuses_a_feature_is_skipped(
    home: Path, upstream: FakeUpstream, stream: bool
) -> None:
    config = router_config(upstream.base_url, CLAUDE, MINI)
    config["models"]["providers"]["anthropic"] = {"baseUrl": upstream.anthropic_base_url}
    rt = open_test_runtime(home, config, OPENROUTER_API_KEY=FAKE_KEY, ANTHROPIC_API_KEY="sk-ant-test-1")
    router = make_test_router(rt)
    target, ctx = build_target(rt, None), router.context("cli")
    if stream:
        run = await router.open(_audio_chat(True), target, ctx)  # type: ignore[arg-type]
        assert [e async for e in run.events() if isinstance(e, Finish)]
        served = run.served
    else:
        _, served = await router.complete(_audio_chat(), target, ctx)  # type: ignore[arg-type]
    await rt.aclose()
    assert served.ref.key == MINI and sent(upstream) == [("openai/gpt-4o-mini", FAKE_KEY)]
    skipped = served.attempts[0]
    assert (skipped.skipped, skipped.reason, skipped.provider) == (True, "capability", "anthropic")
    assert '"input_audio" content parts' in skipped.message and "anthropic-messages" in skipped.message
    rows = ledger_rows(home)
    assert [(r["status"], r["reason"]) for r in rows] == [("skipped", "capability"), ("ok", None)]


async def test_when_every_transport_refuses_the_feature_is_named(home: Path, upstream: FakeUpstream) -> None:
    config = router_config(upstream.base_url, CLAUDE)
    config["models"]["providers"]["anthropic"] = {"baseUrl": upstream.anthropic_base_url}
    rt = open_test_runtime(home, config, ANTHROPIC_API_KEY="sk-ant-test-1")
    router = make_test_router(rt)
    with pytest.raises(InputError) as info:
        await router.complete(_audio_chat(), build_target(rt, None), router.context("cli"))  # type: ignore[arg-type]
    await rt.aclose()
    assert 'the anthropic-messages API cannot take "input_audio" content parts' in info.value.message
    assert upstream.chat_requests == []


async def test_no_credentials_is_the_credential_error(home: Path, upstream: FakeUpstream) -> None:
    # (a loopback base URL would count as a local server that needs no key)
    rt = open_test_runtime(home, router_config("https://openrouter.invalid/api/v1", SONNET))
    router = make_test_router(rt)
    with pytest.raises(CredentialError) as info:
        await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert 'No API key found for provider "openrouter"' in info.value.message
    assert upstream.chat_requests == []


async def test_success_clears_an_expired_record(home: Path, upstream: FakeUpstream) -> None:
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET), OPENROUTER_API_KEY=FAKE_KEY)
    state = rt.state
    assert isinstance(state, LocalState)
    cred = Credential(secret=FAKE_KEY, profile_id=None, source="env", env_var="OPENROUTER_API_KEY")
    key = f"{credential_key('openrouter', cred)}|{SONNET}"
    now = time.time()
    await state.record_failure(
        Cooldown(key=key, reason="rate_limit", until=now - 1, error_count=2, last_failure_at=now - 40)
    )
    assert set(state.recent([key], now)) == {key}
    router = make_test_router(rt)
    await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert state.recent([key], time.time()) == {}
    assert LocalState(state.db_path).recent([key], time.time()) == {}


async def test_the_happy_path_and_the_walk_write_the_same_row(home: Path, upstream: FakeUpstream) -> None:
    """``complete`` reads a clean first candidate without a walk; with something on record about
    it, the walk sends it. Both answers leave the same ledger row (bar id, time and latency)."""
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    state = rt.state
    assert isinstance(state, LocalState)
    router = make_test_router(rt)
    target = build_target(rt, None)
    assert router.start(chat(), target, router.context("cli"))[1] is True  # clean: no walk
    _, fast = await router.complete(chat(), target, router.context("cli", agent="a", session="s"))
    cred = Credential(secret=FAKE_KEY, profile_id=None, source="env", env_var="OPENROUTER_API_KEY")
    key = credential_key("openrouter", cred)
    now = time.time()
    await state.record_failure(
        Cooldown(key=key, reason="rate_limit", until=now - 1, error_count=1, last_failure_at=now - 5)
    )
    assert router.start(chat(), target, router.context("cli"))[1] is False  # on record: the walk
    _, walked = await router.complete(chat(), target, router.context("cli", agent="a", session="s"))
    await rt.aclose()
    assert state.recent([key], time.time()) == {}  # the walk's success reset the record
    assert fast.attempts[0].reason is None and walked.attempts[0].reason is None
    assert (fast.ref, fast.profile, fast.model) == (walked.ref, walked.profile, walked.model)
    varying = {"id", "ts", "latency_ms", "ttft_ms", "request_id"}
    rows = [{k: v for k, v in row.items() if k not in varying} for row in ledger_rows(home)]
    assert len(rows) == 2 and rows[0] == rows[1]
    assert (rows[0]["status"], rows[0]["attempt"], rows[0]["agent"], rows[0]["stream"]) == ("ok", 1, "a", 0)


async def test_overload_rotates_one_key_then_moves_on(home: Path, upstream: FakeUpstream) -> None:
    upstream.on_model("anthropic/claude-sonnet-4-5", Reply.status(529))
    three = {"OPENROUTER_API_KEYS": f"{FAKE_KEY},{FAKE_KEY_2},sk-or-test-third000000000000000000000000"}
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), **three)
    router = make_test_router(rt, FakeClock())
    _, served = await router.complete(chat(), build_target(rt, None), router.context("cli"))
    await rt.aclose()
    assert sent(upstream) == [
        ("anthropic/claude-sonnet-4-5", FAKE_KEY),
        ("anthropic/claude-sonnet-4-5", FAKE_KEY_2),
        ("openai/gpt-4o-mini", FAKE_KEY),
    ]
    assert served.ref.key == MINI


async def test_cancelled_caller_closes_the_upstream(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.hang())
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    task = asyncio.create_task(router.complete(chat(), build_target(rt, None), router.context("gateway")))
    assert await upstream.wait_for(lambda up: len(up.chat_requests) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await upstream.wait_for(lambda up: up.open_connections == 0)
    await rt.aclose()
    assert len(upstream.chat_requests) == 1  # no failover after the caller left
    assert [r["status"] for r in ledger_rows(home)] == ["cancelled"]


def test_schedule_comes_from_config(home: Path) -> None:
    rt = open_test_runtime(
        home, router_config("http://127.0.0.1:9/api/v1", SONNET, cooldowns={"scheduleSeconds": [1, 2]})
    )
    router = make_test_router(rt)
    assert router.schedule == CooldownSchedule(steps=(1.0, 2.0))
