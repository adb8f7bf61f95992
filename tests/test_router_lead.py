"""What the router works out once so that a request pays little: each target's lead, each
candidate's call template and its cut timeouts, and the capability check's common case."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import FAKE_KEY
from openclaw.catalog.resolve import ModelFacts
from openclaw.refs import ModelRef
from openclaw.routing import capability
from openclaw.routing.chain import build_target
from openclaw.routing.retry import Clock
from openclaw.routing.router import Router
from openclaw.routing.types import RequestContext, Target
from openclaw.testing import FakeUpstream
from openclaw.transports.base import Timeouts
from openclaw.transports.registry import TransportRegistry
from openclaw.wire.types import ChatRequest, ImagePart, Message, TextPart, ToolCall, ToolDef
from test_router_support import chat, ledger_rows, make_test_router, open_test_runtime, router_config, sent

MINI = "openrouter/openai/gpt-4o-mini"
BENCH = str(Path(__file__).resolve().parent.parent / "bench")
SONNET = "openrouter/anthropic/claude-sonnet-4-5"

# ------------------------------------------------------------------------------ capability

WINDOW = ModelFacts("m", context_window=1000, input_modalities=("text",), supports_tools=False)
OPEN = ModelFacts("open", input_modalities=("text", "image"))  # no window, tools unknown


def _text(*texts: str, max_tokens: int | None = None) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=t) for t in texts], max_tokens=max_tokens)


# (request, facts, None when it fits else a piece of the reason). One message costs 16 characters
# on top of its text; 4 characters make a token, so "x" * 3984 (+16 = 4000) is exactly 1000 tokens.
CASES: list[tuple[str, ChatRequest, ModelFacts | None, str | None]] = [
    ("exactly the window", _text("x" * 3984), WINDOW, None),
    ("a token more", _text("x" * 3988), WINDOW, "needs ~1001 tokens"),
    ("max_tokens counts", _text("x" * 3000, max_tokens=250), WINDOW, "max_tokens 250"),
    ("every message counts", _text("x" * 1984, "x" * 1984), WINDOW, None),
    ("every message counts, over", _text("x" * 1984, "x" * 1988), WINDOW, "needs ~1001 tokens"),
    ("no facts: assume yes", _text("x" * 100_000), None, None),
    ("no window", _text("x" * 100_000), OPEN, None),
    (
        "an image part",
        ChatRequest(messages=[Message(role="user", content=[ImagePart(url="u")])]),
        WINDOW,
        "does not accept images",
    ),
    (
        "an image part, images accepted",
        ChatRequest(messages=[Message(role="user", content=[ImagePart(url="u")])]),
        OPEN,
        None,
    ),
    (
        "text parts count",
        ChatRequest(messages=[Message(role="user", content=[TextPart(text="x" * 3988)])]),
        WINDOW,
        "needs ~1001 tokens",
    ),
    (
        "tool call arguments count",
        ChatRequest(
            messages=[
                Message(role="assistant", tool_calls=[ToolCall(id="c", name="f", arguments="x" * 3987)])
            ]
        ),
        WINDOW,
        "needs ~1001 tokens",
    ),
    ("an empty message", ChatRequest(messages=[Message(role="assistant")]), WINDOW, None),
    (
        "tools on a model without tool support",
        ChatRequest(messages=[Message(role="user", content="hi")], tools=[ToolDef(name="t")]),
        WINDOW,
        "does not support tool calls",
    ),
    (
        "tool definitions count",
        ChatRequest(messages=[Message(role="user", content="hi")], tools=[ToolDef(name="t" * 3800)]),
        ModelFacts("tools", context_window=1000),
        "context window is 1000",
    ),
]


@pytest.mark.parametrize(("request_", "facts", "why"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_capability_check(request_: ChatRequest, facts: ModelFacts | None, why: str | None) -> None:
    found = capability.check(request_, facts)
    if why is None:
        assert found is None
    else:
        assert found is not None and why in found
    if facts is not None:  # the common case's shortcut never disagrees with the full count
        assert found == capability._check_counted(request_, facts)


# ------------------------------------------------------------------------------ the call


def _ctx(deadline: float, thinking: str | None = None) -> RequestContext:
    return RequestContext("", "cli", deadline, thinking=thinking)


async def test_a_call_is_cut_to_what_is_left_of_the_budget(home: Path, upstream: FakeUpstream) -> None:
    rt = open_test_runtime(home, router_config(upstream.base_url, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    cand = router.lead(build_target(rt, None))
    assert cand is not None and cand.timeouts == Timeouts()  # 10 s to connect, 120 s per read
    request = chat()
    cut = [
        cand.upstream_call(router, request, _ctx(100.0 + left), "main", 100.0).timeouts
        for left in (60, 5, -1)
    ]
    assert [(t.connect, t.read, t.total) for t in cut] == [(10, 60, 60), (5, 5, 5), (0.05, 0.05, 0.05)]
    await rt.aclose()

    config = router_config(upstream.base_url, MINI)
    config["routing"]["attemptTimeoutSeconds"] = 4
    rt = open_test_runtime(home, config, OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    cand = router.lead(build_target(rt, None))
    assert cand is not None and cand.timeouts == Timeouts(10.0, 4.0)  # an attempt's reads: 4 s
    t = cand.upstream_call(router, request, _ctx(160.0), "main", 100.0).timeouts
    assert (t.connect, t.read, t.total) == (10, 4, 60)
    await rt.aclose()


async def test_the_call_template_makes_the_same_call_as_the_fields(
    home: Path, upstream: FakeUpstream
) -> None:
    config = router_config(upstream.base_url, MINI)
    config["agents"]["defaults"]["thinkingDefault"] = "low"
    config["agents"]["defaults"]["models"] = {MINI: {"params": {"temperature": 0.5}}}
    config["agents"]["entries"] = {"coder": {"thinkingDefault": "high", "params": {"temperature": 0.9}}}
    rt = open_test_runtime(home, config, OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    cand = router.lead(build_target(rt, None))
    assert cand is not None
    request = chat(stream=True)
    call = cand.upstream_call(router, request, _ctx(200.0), "main", 100.0)
    assert call.request is request and call.stream is True
    assert (call.provider, call.ref, call.model, call.credential) == (
        cand.provider,
        cand.ref,
        "openai/gpt-4o-mini",
        cand.credential,
    )
    assert call.params == router.params(cand.ref, "main") == {"temperature": 0.5}
    assert (call.facts, call.thinking, call.prepared) == (cand.facts, "low", cand.prepared)
    assert call.prepared is not None  # the openai transport prepares its URL and headers once
    # a request's own thinking level, and another agent's settings, are not the template's
    asked = cand.upstream_call(router, request, _ctx(200.0, thinking="minimal"), "main", 100.0)
    assert (asked.thinking, asked.params, asked.prepared) == ("minimal", {"temperature": 0.5}, cand.prepared)
    coder = cand.upstream_call(router, request, _ctx(200.0), "coder", 100.0)
    assert (coder.thinking, coder.prepared) == ("high", None)
    assert coder.params == router.params(cand.ref, "coder") == {"temperature": 0.9}
    await rt.aclose()


# ------------------------------------------------------------------------------ the lead


async def test_a_targets_lead_is_worked_out_once(
    home: Path, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = open_test_runtime(home, router_config(upstream.base_url, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    target = build_target(rt, None)
    lead = router.lead(target)
    assert lead is not None and lead is router.model_entry(target.candidates[0]).candidates[0]
    twin = build_target(rt, None)  # the same chain, another target: its own entry, the same lead
    assert twin != target and router.lead(twin) is lead
    unknown = Target((ModelRef("nosuch", "m"),), label="nosuch/m")  # no such provider: no lead
    assert router.lead(unknown) is None

    def no_more(ref: ModelRef) -> object:
        raise AssertionError(f"model_entry({ref.key}) asked again")

    monkeypatch.setattr(router, "model_entry", no_more)
    assert router.lead(target) is lead and router.lead(unknown) is None  # remembered, None too
    monkeypatch.undo()
    for _ in range(1100):  # bounded: targets made per request cannot grow it without end
        router.lead(build_target(rt, None))
    assert len(router._leads) <= 1024
    await rt.aclose()


async def test_the_happy_paths_row_is_stamped_with_its_start(home: Path, upstream: FakeUpstream) -> None:
    """``complete`` reads the wall clock only for the ledger row, after the answer: the row
    still says when the request started (the wall clock then, less the time it took)."""
    rt = open_test_runtime(home, router_config(upstream.base_url, SONNET), OPENROUTER_API_KEY=FAKE_KEY)
    ticks = [500.0]

    def monotonic() -> float:  # every reading half a second after the last
        ticks[0] += 0.5
        return ticks[0]

    async def no_sleep(seconds: float) -> None:
        raise AssertionError("the happy path does not sleep")

    wall = 1_800_000_000.0  # the wall clock, in step with the monotonic one
    clock = Clock(now=lambda: wall + ticks[0], monotonic=monotonic, sleep=no_sleep, random=lambda: 0.5)
    router = Router(rt, TransportRegistry(rt.http), clock=clock) if rt.http else None
    assert router is not None
    ctx = router.context("cli")
    began = ticks[0] + 0.5  # complete's first reading
    _, served = await router.complete(chat(), build_target(rt, None), ctx)
    await rt.aclose()
    rows = ledger_rows(home)
    assert len(rows) == 1 and rows[0]["status"] == "ok"
    assert served.attempts[0].latency_ms == rows[0]["latency_ms"] == 500.0
    assert rows[0]["ts"] == pytest.approx(wall + began, abs=0.001)


async def test_the_benchmarks_api_shape_rows_send_what_the_router_sends(
    home: Path, upstream: FakeUpstream
) -> None:
    """``bench/lib/reference_rows.py`` stands for the router's happy path without its routing:
    its rows must send the very request the router sends."""
    sys.path.insert(0, BENCH)
    from lib.reference_rows import layered, shape_worker

    rt = open_test_runtime(home, router_config(upstream.base_url, MINI), OPENROUTER_API_KEY=FAKE_KEY)
    router = make_test_router(rt)
    for check in (False, True):
        assert await shape_worker(rt, router, MINI, check=check)() == 1
    result, _ = await router.complete(chat(max_tokens=64), build_target(rt, MINI), router.context("gateway"))
    assert result.text == "OK"
    counted: list[int] = []

    async def worker() -> object:
        counted.append(1)
        return 7

    assert await layered(worker)() == 7 and counted == [1]
    await rt.aclose()
    bodies = [req.json for req in upstream.chat_requests]
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]
    assert sent(upstream) == [("openai/gpt-4o-mini", FAKE_KEY)] * 3
