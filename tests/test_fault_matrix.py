"""The fault matrix: every upstream failure, streaming and not, against the packaged fake upstream.

Each row says what the user sees (the answer, or the error) and exactly which requests reached
the upstream: (model, API key) per request, in order. Chain: primary claude-sonnet-4-5, fallback
gpt-4o-mini, both on OpenRouter; one key (K1) or two (K1, K2 in OPENROUTER_API_KEYS).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.errors import FailoverError
from openclaw.routing.chain import build_target
from openclaw.routing.cooldown import credential_key
from openclaw.state.base import Cooldown
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.base import Credential
from openclaw.wire.types import ErrorEvent, Finish, TextDelta
from test_router_support import FakeClock, chat, make_test_router, open_test_runtime, router_config, sent

SONNET, MINI = "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"
K1, K2 = FAKE_KEY, FAKE_KEY_2


@dataclass
class Row:
    name: str
    setup: Callable[[FakeUpstream], None]
    sent: list[tuple[str, str]]
    sees: str  # "OK" (the answer), "O|error" (partial then an error event), or an error substring
    reasons: list[str | None]  # the attempt list the answer carries (None: the attempt that served)
    keys: int = 1
    modes: tuple[bool, ...] = (False, True)  # non-streaming, streaming
    routing: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Any, FakeClock], None] | None = None


def primary(reply: Reply) -> Callable[[FakeUpstream], None]:
    return lambda up: up.on_model(SONNET, reply)


def once(*replies: Reply) -> Callable[[FakeUpstream], None]:
    return lambda up: up.queue(*replies)


def key1(reply: Reply) -> Callable[[FakeUpstream], None]:
    return lambda up: up.on_key(K1, reply)


def no_sleep(state: Any, clock: FakeClock) -> None:
    assert clock.slept == []


def env_key(secret: str = K1, var: str = "OPENROUTER_API_KEY") -> str:
    return credential_key("openrouter", Credential(secret=secret, profile_id=None, source="env", env_var=var))


def cooled_for(seconds: float, *, scope: str = f"{env_key()}|openrouter/{SONNET}") -> Callable[..., None]:
    def check(state: Any, clock: FakeClock) -> None:
        assert clock.slept == []
        found = state.cooldowns([scope], clock.t)
        assert scope in found, state.all_cooldowns(clock.t)
        assert found[scope].until == pytest.approx(clock.t + seconds, abs=1.0)

    return check


def disabled(prefix: str, reason: str, seconds: float) -> Callable[..., None]:
    def check(state: Any, clock: FakeClock) -> None:
        found = [c for c in state.all_cooldowns(clock.t) if c.key.startswith(prefix) and "|" not in c.key]
        assert [(c.reason, c.disabled) for c in found] == [(reason, True)]
        assert found[0].until == pytest.approx(clock.t + seconds, abs=1.0)

    return check


def nothing_cooled(state: Any, clock: FakeClock) -> None:
    assert state.all_cooldowns(clock.t) == []


ROWS = [
    Row("429 no Retry-After: next model at once", primary(Reply.status(429)),
        [(SONNET, K1), (MINI, K1)], "OK", ["rate_limit", None], check=cooled_for(30)),
    Row("429 Retry-After 90: next model at once, cooldown extended",
        primary(Reply.status(429, headers={"Retry-After": "90"})),
        [(SONNET, K1), (MINI, K1)], "OK", ["rate_limit", None], check=cooled_for(90)),
    Row("429 on every key: rotate keys, then next model", primary(Reply.status(429)),
        [(SONNET, K1), (SONNET, K2), (MINI, K1)], "OK", ["rate_limit", "rate_limit", None], keys=2),
    Row("500: capped same-model retries, then next model", primary(Reply.status(500)),
        [(SONNET, K1)] * 3 + [(MINI, K1)], "OK", ["server_error"] * 3 + [None]),
    Row("502 once: one retry on the same model", once(Reply.status(502)),
        [(SONNET, K1), (SONNET, K1)], "OK", ["server_error", None], check=nothing_cooled),
    Row("503 overloaded: next model", primary(Reply.status(503)),
        [(SONNET, K1), (MINI, K1)], "OK", ["overloaded", None], check=cooled_for(30)),
    Row("401 on the first of two keys: second key", key1(Reply.status(401)),
        [(SONNET, K1), (SONNET, K2)], "OK", ["auth", None], keys=2,
        check=disabled("env:OPENROUTER_API_KEYS#", "auth", 600)),
    Row("402 on the first of two keys: key disabled for hours, second key", key1(Reply.status(402)),
        [(SONNET, K1), (SONNET, K2)], "OK", ["billing", None], keys=2,
        check=disabled("env:OPENROUTER_API_KEYS#", "billing", 5 * 3600)),
    Row("403 moderation: next model, no cooldown",
        primary(Reply.status(403, "Your input was flagged by moderation")),
        [(SONNET, K1), (MINI, K1)], "OK", ["content_filter", None], check=nothing_cooled),
    Row("400 bad request: no retry, no failover", primary(Reply.status(400, "messages: invalid role")),
        [(SONNET, K1)], f"rejected by openrouter/{SONNET}: 400 messages: invalid role (format)",
        ["format"], check=nothing_cooled),
    Row("404 model not found: next model, no cooldown", primary(Reply.status(404, "No endpoints found.")),
        [(SONNET, K1), (MINI, K1)], "OK", ["model_not_found", None], check=nothing_cooled),
    Row("context too long for the model: next model, no cooldown",
        primary(Reply.status(400, "This model's maximum context length is 8192 tokens")),
        [(SONNET, K1), (MINI, K1)], "OK", ["context_overflow", None], check=nothing_cooled),
    Row("hang before headers: attempt timeout, next model", once(Reply.hang()),
        [(SONNET, K1), (MINI, K1)], "OK", ["timeout", None], routing={"attemptTimeoutSeconds": 0.3}),
    Row("reset before headers: same-model retry", once(Reply.reset()),
        [(SONNET, K1), (SONNET, K1)], "OK", ["timeout", None]),
    Row("cut before the first byte: invisible retry", once(Reply.cut(after_chunks=1)),
        [(SONNET, K1), (SONNET, K1)], "OK", ["timeout", None]),
    Row("cut after the first byte: explicit error, never a clean finish", once(Reply.cut(after_chunks=2)),
        [(SONNET, K1)], "O|error", ["timeout"], modes=(True,)),
    Row("in-stream error chunk before content: retry", once(Reply.stream_error(after_chunks=1)),
        [(SONNET, K1), (SONNET, K1)], "OK", ["server_error", None], modes=(True,)),
    Row("in-stream error chunk after content: explicit error", once(Reply.stream_error(after_chunks=2)),
        [(SONNET, K1)], "O|error", ["server_error"], modes=(True,)),
    Row("error in a 200 body: retry", once(Reply.stream_error(after_chunks=1)),
        [(SONNET, K1), (SONNET, K1)], "OK", ["server_error", None], modes=(False,)),
    Row("malformed JSON: retry", once(Reply.malformed()),
        [(SONNET, K1), (SONNET, K1)], "OK", ["server_error", None]),
    Row("everything fails: one error listing every attempt", lambda up: up.set_default(Reply.status(429)),
        [(SONNET, K1), (MINI, K1)] * 3,
        "All models failed (6): openrouter/anthropic/claude-sonnet-4-5 [env:OPENROUTER_API_KEY]: "
        "429 Rate limit exceeded: free-models-per-min. (rate_limit)",
        ["rate_limit"] * 6),
]  # fmt: skip


async def run_request(
    home: Path,
    up: FakeUpstream,
    *,
    keys: int,
    stream: bool,
    clock: FakeClock,
    routing: dict[str, Any] | None = None,
) -> tuple[str, list[str | None], Any]:
    config = router_config(up.base_url, f"openrouter/{SONNET}", f"openrouter/{MINI}")
    config["routing"].update(routing or {})
    env = {"OPENROUTER_API_KEY": K1} if keys == 1 else {"OPENROUTER_API_KEYS": f"{K1},{K2}"}
    rt = open_test_runtime(home, config, **env)
    router = make_test_router(rt, clock)
    target = build_target(rt, None)
    try:
        if stream:
            run = await router.open(chat(stream=True), target, router.context("cli"))
            events = [e async for e in run.events()]
            text = "".join(e.text for e in events if isinstance(e, TextDelta))
            if isinstance(events[-1], ErrorEvent):
                text += "|error"
            else:
                assert isinstance(events[-1], Finish)
            attempts = run.served.attempts
        else:
            result, served = await router.complete(chat(), target, router.context("cli"))
            text, attempts = result.text, served.attempts
    except FailoverError as exc:
        text, attempts = exc.message, exc.attempts
    finally:
        await rt.aclose()
    return text, [a.reason for a in attempts], rt.state


CASES = [
    pytest.param(row, stream, id=f"{row.name}-{'stream' if stream else 'json'}")
    for row in ROWS
    for stream in row.modes
]


@pytest.mark.parametrize(("row", "stream"), CASES)
async def test_fault_matrix(row: Row, stream: bool, home: Path, upstream: FakeUpstream) -> None:
    row.setup(upstream)
    clock = FakeClock()
    seen, reasons, state = await run_request(
        home, upstream, keys=row.keys, stream=stream, clock=clock, routing=row.routing
    )
    if row.sees in ("OK", "O|error"):
        assert seen == row.sees
    else:
        assert row.sees in seen
    assert sent(upstream) == row.sent
    assert reasons == row.reasons
    if row.check is not None:
        row.check(state, clock)


# -------------------------------------------------------------------------- cooldown rows


async def seed(home: Path, up: FakeUpstream, seconds: float, clock: FakeClock) -> None:
    """Both candidates cooling down (rate limits recorded by an earlier request)."""
    from test_router_support import open_test_runtime as open_rt

    rt = open_rt(home, router_config(up.base_url, f"openrouter/{SONNET}"), OPENROUTER_API_KEY=K1)
    assert rt.state is not None
    for model, extra in ((SONNET, 0.0), (MINI, 1.0)):
        key = f"{env_key()}|openrouter/{model}"
        until = clock.t + seconds + extra
        await rt.state.record_failure(
            Cooldown(key=key, reason="rate_limit", until=until, last_failure_at=clock.t)
        )
    await rt.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_all_cooling_waits_for_the_soonest_within_budget(
    stream: bool, home: Path, upstream: FakeUpstream
) -> None:
    clock = FakeClock()
    await seed(home, upstream, 5.0, clock)
    seen, reasons, _ = await run_request(home, upstream, keys=1, stream=stream, clock=clock)
    assert seen == "OK"
    assert clock.slept == [pytest.approx(5.0)]
    assert sent(upstream) == [(SONNET, K1)]
    assert reasons == ["rate_limit", "rate_limit", None]  # both skipped, listed, then served


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_all_cooling_beyond_the_budget_fails_fast_with_retry_time(
    stream: bool, home: Path, upstream: FakeUpstream
) -> None:
    clock = FakeClock()
    await seed(home, upstream, 3600.0, clock)
    start = time.monotonic()
    with pytest.raises(FailoverError) as info:
        config = router_config(upstream.base_url, f"openrouter/{SONNET}", f"openrouter/{MINI}")
        rt = open_test_runtime(home, config, OPENROUTER_API_KEY=K1)
        router = make_test_router(rt, clock)
        try:
            await router.complete(chat(stream=stream), build_target(rt, None), router.context("cli"))
        finally:
            await rt.aclose()
    assert time.monotonic() - start < 2.0
    assert clock.slept == []
    assert upstream.chat_requests == []
    err = info.value
    assert err.retry_at == pytest.approx(clock.t + 3600.0)
    assert "Retry in 60 min" in err.message
    assert [a.skipped for a in err.attempts] == [True, True]
    assert err.last is not None and (err.last.status, err.last.reason) == (429, "rate_limit")


async def test_cooldown_survives_a_restart(home: Path, upstream: FakeUpstream) -> None:
    upstream.queue(Reply.status(429))
    clock = FakeClock()
    first, _, _ = await run_request(home, upstream, keys=1, stream=False, clock=clock)
    assert first == "OK"
    assert sent(upstream) == [(SONNET, K1), (MINI, K1)]
    upstream.reset()
    # a new runtime (new LocalState) on the same state dir: the cooled key+model is skipped
    second, reasons, _ = await run_request(home, upstream, keys=1, stream=True, clock=clock)
    assert second == "OK"
    assert sent(upstream) == [(MINI, K1)]
    assert reasons == ["rate_limit", None]


@pytest.mark.slow
def test_cooldown_survives_between_two_cli_processes(home: Path, upstream_thread: FakeUpstream) -> None:
    from conftest import clean_env, run_cli_subprocess
    from test_router_support import write_config

    write_config(home, {"models": {"providers": {"openrouter": {"baseUrl": upstream_thread.base_url}}}})
    upstream_thread.on_key(K1, Reply.status(401, "User not found."))
    env = clean_env(home, OPENROUTER_API_KEYS=f"{K1},{K2}")
    args = ["infer", "model", "run", "--model", f"openrouter/{SONNET}", "--prompt", "Reply with OK"]
    first = run_cli_subprocess(args, env)
    assert (first.code, first.stdout) == (0, "OK\n"), first.stderr
    assert (
        "Served by openrouter/anthropic/claude-sonnet-4-5 [env:OPENROUTER_API_KEYS] after 2 attempts"
        in first.stderr
    )
    assert sent(upstream_thread) == [(SONNET, K1), (SONNET, K2)]
    second = run_cli_subprocess(args, env)  # a new process: K1 is still disabled (auth), not re-tried
    assert (second.code, second.stdout) == (0, "OK\n"), second.stderr
    assert sent(upstream_thread) == [(SONNET, K1), (SONNET, K2), (SONNET, K2)]
    status = run_cli_subprocess(["models", "status"], env)
    assert "Unavailable auth profiles" in status.stdout
    assert "disabled (auth)" in status.stdout
