"""Failing runs leave no API key behind: not in stdout, stderr, exceptions, stream error events,
the state database (cooldowns), the usage ledger, or any other file under the home.

The fake upstream is mean on purpose: its error messages echo the key that was sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2, clean_env, run_cli_subprocess
from openclaw.errors import FailoverError
from openclaw.routing.chain import build_target
from openclaw.testing import FakeUpstream, Reply
from openclaw.wire.types import ErrorEvent
from test_router_support import chat, make_test_router, open_test_runtime, router_config, write_config

SONNET, MINI = "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"
NEEDLES = [FAKE_KEY, FAKE_KEY_2, FAKE_KEY[:20], FAKE_KEY_2[:20], FAKE_KEY[-16:], FAKE_KEY_2[-16:]]


def assert_clean(text: str, where: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"key material {needle[:12]}... found in {where}"


def assert_files_clean(home: Path) -> int:
    """Every file under ``home`` (SQLite files and their WAL included), byte for byte."""
    count = 0
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in NEEDLES:
                assert needle.encode() not in data, f"key material found in {path}"
            count += 1
    return count


def echo_key_script(up: FakeUpstream) -> None:
    up.on_key(FAKE_KEY, Reply.status(401, f"Invalid key {FAKE_KEY} (Bearer {FAKE_KEY})"))
    up.on_key(FAKE_KEY_2, Reply.status(429, f"Rate limit exceeded for key {FAKE_KEY_2}"))


async def test_router_failures_leak_no_key(home: Path, upstream: FakeUpstream) -> None:
    echo_key_script(upstream)
    env = {"OPENROUTER_API_KEYS": f"{FAKE_KEY},{FAKE_KEY_2}"}
    rt = open_test_runtime(
        home, router_config(upstream.base_url, f"openrouter/{SONNET}", f"openrouter/{MINI}"), **env
    )
    router = make_test_router(rt)
    seen: list[str] = []
    with pytest.raises(FailoverError) as info:
        await router.complete(chat(), build_target(rt, None), router.context("cli"))
    err = info.value
    seen += [str(err), repr(err), err.message, *(a.summary() for a in err.attempts), repr(err.attempts)]
    assert err.last is not None
    seen += [err.last.message, repr(err.last)]
    # a committed stream that then fails with an error chunk echoing the key
    upstream.reset()
    upstream.queue(Reply.stream_error(after_chunks=2, code=500, message=f"upstream saw {FAKE_KEY_2}"))
    assert rt.state is not None
    await rt.state.clear()
    run = await router.open(chat(stream=True), build_target(rt, None), router.context("gateway"))
    events = [e async for e in run.events()]
    assert isinstance(events[-1], ErrorEvent)
    seen += [events[-1].error.message, str(events[-1].error), repr(run.served.attempts)]
    await rt.aclose()
    for index, text in enumerate(seen):
        assert_clean(text, f"router output #{index}")
    assert "[redacted]" in err.message  # the echoed key was there, and was replaced
    assert assert_files_clean(home) >= 3  # config, state DB, ledger (at least)


@pytest.mark.slow
def test_cli_failures_leak_no_key(home: Path, upstream_thread: FakeUpstream) -> None:
    echo_key_script(upstream_thread)
    write_config(
        home,
        {
            "models": {"providers": {"openrouter": {"baseUrl": upstream_thread.base_url}}},
            "agents": {
                "defaults": {
                    "model": {"primary": f"openrouter/{SONNET}", "fallbacks": [f"openrouter/{MINI}"]}
                }
            },
            "routing": {"retry": {"baseDelayMs": 1, "maxDelayMs": 2}},
        },
    )
    env = clean_env(home, OPENROUTER_API_KEYS=f"{FAKE_KEY},{FAKE_KEY_2}")
    outputs = []
    for args in (
        ["infer", "model", "run", "--prompt", "Reply with OK"],
        ["infer", "model", "run", "--prompt", "Reply with OK", "--json"],  # now cooling down: skipped
        ["models", "status"],
        ["models", "status", "--json"],
        ["models", "auth", "list", "--json"],
        ["models", "auth", "clear-cooldowns", "--all", "--json"],
        ["infer", "model", "run", "--model", f"openrouter/{MINI}", "--prompt", "again"],
    ):
        result = run_cli_subprocess(args, env)
        outputs.append((args, result))
    failing = [r for a, r in outputs if a[0] == "infer"]
    assert all(r.code == 1 for r in failing), [r.stderr for r in failing]
    assert "(auth)" in failing[0].stderr and "(rate_limit)" in failing[0].stderr
    assert json.loads(failing[1].stdout)["ok"] is False
    for args, result in outputs:
        assert_clean(result.stdout, f"stdout of {' '.join(args)}")
        assert_clean(result.stderr, f"stderr of {' '.join(args)}")
    assert len(upstream_thread.chat_requests) >= 3
    assert assert_files_clean(home) >= 3
