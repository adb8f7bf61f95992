"""The router's own cost, without any I/O: ``Router.complete`` and ``Router.open`` + ``batches()``
against a stub transport that yields a ready answer, next to the same answer read from the stub
directly, each counted in instructions under callgrind.

``bench/failover_instructions.py`` measures the real thing (aiohttp, the fake upstream, the
JSON), where the count moves by about ±0.5 % from run to run. Here nothing but the router and
the stub runs per answer, and the driver steps each coroutine by hand (no event loop), so the
count repeats to within a few hundred instructions: fine enough to see what one change to the
router's happy path is worth before the full count.

    python bench/router_stub_instructions.py [--chunks 1] [--small 1000] [--large 3000] \
        [--modes plain,stream]

The stub's answer is one read with a ``ResponseInfo`` and ``--chunks`` text deltas, then a last
read with the usage (no provider cost, so the router prices it from the catalog) and the finish.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import AsyncGenerator, Callable, Coroutine
from pathlib import Path
from typing import Any

from failover_overhead import make_runtime
from lib.args import names_arg
from openclaw.transports.base import Batch, Transport, UpstreamCall, flatten
from openclaw.wire.types import Finish, ResponseInfo, StreamEvent, TextDelta, Usage, UsageEvent

MODEL = "openrouter/openai/gpt-4o-mini"
FALLBACK = "openrouter/openai/gpt-4o"
_COLLECTED = re.compile(r"Collected : (\d+)")


class StubTransport:
    """An ``openai-completions`` transport that answers at once, from memory."""

    api = "openai-completions"

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    def prepare(self, *args: object) -> None:
        return None

    def build(self, call: UpstreamCall) -> tuple[str, dict[str, str], bytes]:
        return "stub:", {}, b""

    def stream(self, call: UpstreamCall) -> AsyncGenerator[StreamEvent, None]:
        return flatten(self.batches(call))

    async def batches(self, call: UpstreamCall) -> AsyncGenerator[Batch, None]:

        yield [
            ResponseInfo(id="stub", model="openai/gpt-4o-mini"),
            *(TextDelta("OK") for _ in range(self.chunks)),
        ]
        yield [UsageEvent(Usage(input=5, output=1)), Finish("stop")]


class StubSource:
    def __init__(self, transport: StubTransport) -> None:
        self.transport = transport

    def transport_for(self, api: str) -> Transport:
        return self.transport


def drive(coro: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine that never waits on I/O to its end, without an event loop."""
    try:
        while True:
            coro.send(None)
    except StopIteration:
        return


def worker(path: str, stream: bool, chunks: int) -> Callable[[], Coroutine[Any, Any, None]]:
    from openclaw.routing.chain import build_target
    from openclaw.routing.router import Router
    from openclaw.transports.base import Timeouts
    from openclaw.wire.aggregate import Aggregator
    from openclaw.wire.types import ChatRequest, Message

    runtime = make_runtime(
        Path(tempfile.mkdtemp(prefix="router-stub-")), "http://127.0.0.1:9/api/v1", ledger=False
    )
    transport = StubTransport(chunks)

    def request() -> ChatRequest:
        return ChatRequest(
            messages=[Message(role="user", content="Reply with OK")], max_tokens=64, stream=stream
        )

    if path == "transport":
        ref = runtime.resolve(MODEL)
        provider = runtime.provider(ref.provider)
        credential = runtime.credentials(ref.provider).credentials[0]
        params = runtime.model_params(ref)

        async def direct() -> None:
            call = UpstreamCall(
                provider,
                ref,
                "openai/gpt-4o-mini",
                credential,
                request(),
                stream,
                Timeouts(total=600.0),
                params,
            )
            if stream:
                async for _ in transport.batches(call):
                    pass
                return
            agg = Aggregator()
            async for batch in transport.batches(call):
                for event in batch:
                    agg.add(event)
            agg.result()

        return direct

    router = Router(runtime, StubSource(transport))
    target = build_target(runtime, MODEL, fallbacks=[FALLBACK])

    async def routed() -> None:
        ctx = router.context("gateway")
        if not stream:
            await router.complete(request(), target, ctx)
            return
        run = await router.open(request(), target, ctx)
        async for _ in run.batches():
            pass

    return routed


def child(path: str, mode: str, chunks: int, answers: int) -> None:
    one = worker(path, mode == "stream", chunks)
    for _ in range(200 + answers):  # 200 to warm up, the same in every run
        drive(one())


def count(path: str, mode: str, answers: int, args: argparse.Namespace) -> int:
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
        "--child", path, mode, str(answers), "--chunks", str(args.chunks),
    ]  # fmt: skip
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=1800,
    )
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"child {path}/{mode}/{answers} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, default=1, help="text deltas in the stub's answer")
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--large", type=int, default=3000)
    modes = ("plain", "stream")
    p.add_argument("--modes", type=names_arg(modes), default=modes, help="plain,stream (default both)")
    p.add_argument("--child", nargs=3, metavar=("PATH", "MODE", "ANSWERS"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        path, mode, answers = args.child
        child(path, mode, args.chunks, int(answers))
        return
    if not 0 < args.small < args.large:
        p.error("--small must be positive and below --large")
    for mode in args.modes:
        per: dict[str, float] = {}
        for path in ("transport", "router"):
            small, large = count(path, mode, args.small, args), count(path, mode, args.large, args)
            per[path] = (large - small) / (args.large - args.small)
        extra = per["router"] - per["transport"]
        print(
            f"{mode:6} stub alone {per['transport']:9,.0f}  through the router {per['router']:9,.0f}  "
            f"router's own {extra:9,.0f} instructions per answer ({args.chunks} chunks)",
            flush=True,
        )


if __name__ == "__main__":
    main()
