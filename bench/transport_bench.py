"""Transport-layer throughput and streaming overhead against the fake upstream.

Runs the fake upstream (``python -m openclaw.testing.fake_upstream --no-record``) in its own
process pinned to one core, and this client pinned to the other, then measures, in one run:

1. non-streaming completions/s: a direct aiohttp baseline (POST a prebuilt body, read the bytes)
   vs. the ``openai-completions`` transport (build the request from a ChatRequest, decode the
   answer into events) over ``AiohttpClient`` and over ``LeanHttpClient``;
2. streaming: the same comparison on answers of ``--chunks`` SSE chunks; the difference per
   chunk is what the transport adds to each relayed chunk (SSE decoding, JSON, events);
3. the decode path alone, in process (no sockets): microseconds per chunk.

    python bench/transport_bench.py [--seconds 3] [--repeat 3] [--concurrency 32] [--chunks 200]
        [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson

from openclaw.catalog.providers import builtin_provider
from openclaw.catalog.resolve import ResolvedProvider
from openclaw.refs import parse_ref
from openclaw.transports.base import Credential, HttpClient, UpstreamCall
from openclaw.transports.http_aiohttp import AiohttpClient
from openclaw.transports.http_lean import LeanHttpClient
from openclaw.transports.openai_completions import OpenAICompletionsTransport
from openclaw.transports.registry import upstream_model
from openclaw.wire.openai_upstream import ChunkDecoder
from openclaw.wire.sse import SSEDecoder
from openclaw.wire.types import ChatRequest, Message

KEY = "sk-or-test-bench0000000000000000"
STREAM_MODEL = "bench/stream"
CLIENT_CPU, SERVER_CPU = 0, 1


def start_fake(chunks: int) -> tuple[subprocess.Popen[str], str, Path]:
    pieces = [f"tok{i} " for i in range(chunks)]
    script = {"default": "ok", "by_model": {STREAM_MODEL: {"kind": "text", "chunks": pieces}}}
    folder = Path(tempfile.mkdtemp(prefix="transport-bench-"))
    path = folder / "script.json"
    path.write_text(json.dumps(script))
    cmd = [
        sys.executable,
        "-m",
        "openclaw.testing.fake_upstream",
        "--port",
        "0",
        "--no-record",
        "--script",
        str(path),
    ]
    proc = subprocess.Popen(["taskset", "-c", str(SERVER_CPU), *cmd], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"fake upstream did not start: {line!r}")
    return proc, line.split("listening on ", 1)[1].strip(), folder


def make_call(base_url: str, ref: str, stream: bool) -> UpstreamCall:
    row = builtin_provider("openrouter")
    provider = ResolvedProvider(id="openrouter", api="openai-completions", base_url=base_url, row=row)
    model_ref = parse_ref(ref)
    request = ChatRequest(messages=[Message(role="user", content="Reply with OK")], max_tokens=64)
    return UpstreamCall(
        provider=provider,
        ref=model_ref,
        model=upstream_model(provider, model_ref),
        credential=Credential(secret=KEY, profile_id=None, source="env"),
        request=request,
        stream=stream,
    )


async def sustained(worker: Callable[[], Awaitable[object]], seconds: float, concurrency: int) -> float:
    """Requests per second over ``seconds`` with ``concurrency`` workers (after a short warm-up)."""
    for _ in range(concurrency):
        await worker()
    count = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await worker()
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


def direct_worker(session: object, url: str, body: bytes) -> Callable[[], Awaitable[object]]:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    async def one() -> bytes:
        async with session.post(url, data=body, headers=headers) as resp:
            return await resp.read()

    return one


def transport_worker(http: HttpClient, call: UpstreamCall) -> Callable[[], Awaitable[object]]:
    transport = OpenAICompletionsTransport(http)

    async def one() -> int:
        n = 0
        async for batch in transport.batches(call):  # as the router and the gateway read it
            n += len(batch)
        return n

    return one


async def network_runs(base_url: str, args: argparse.Namespace) -> dict[str, float]:
    """Each variant ``--repeat`` times, interleaved (so machine noise hits all alike); medians."""
    import aiohttp

    samples: dict[str, list[float]] = {}
    url = f"{base_url}/chat/completions"
    cases = (
        ("plain", "openrouter/openai/gpt-4o-mini", False),
        ("stream", f"openrouter/{STREAM_MODEL}", True),
    )
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for _ in range(args.repeat):
            for label, ref, stream in cases:
                call = make_call(base_url, ref, stream)
                _, _, body = OpenAICompletionsTransport(LeanHttpClient()).build(call)
                conc = args.concurrency if label == "plain" else args.stream_concurrency
                rate = await sustained(direct_worker(session, url, body), args.seconds, conc)
                samples.setdefault(f"{label}_direct", []).append(rate)
                for name, http in (
                    ("aiohttp", AiohttpClient()),
                    ("lean", LeanHttpClient(max_idle_per_origin=conc)),
                ):
                    rate = await sustained(transport_worker(http, call), args.seconds, conc)
                    samples.setdefault(f"{label}_{name}", []).append(rate)
                    await http.close()
    return {key: statistics.median(values) for key, values in samples.items()}


def decode_micro(chunks: int, rounds: int = 200) -> float:
    """Microseconds per chunk to decode a recorded OpenRouter stream (SSE + JSON + events)."""
    model = "openai/gpt-4o-mini"
    role = {
        "id": "gen-1",
        "model": model,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
    }
    events = [b"data: " + orjson.dumps(role) + b"\n\n"]
    for i in range(chunks):
        chunk = {
            "id": "gen-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "provider": "X",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": f"tok{i} "},
                    "finish_reason": None,
                    "native_finish_reason": None,
                }
            ],
        }
        events.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
    events.append(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    events.append(b"data: [DONE]\n\n")
    started = time.perf_counter()
    for _ in range(rounds):
        sse, decoder = SSEDecoder(), ChunkDecoder()
        for piece in events:
            for event in sse.feed(piece):
                if event.raw != b"[DONE]":
                    decoder.feed(orjson.loads(event.raw))
        decoder.end(done=True)
    return (time.perf_counter() - started) / (rounds * len(events)) * 1e6


def report(results: dict[str, float], micro: float, args: argparse.Namespace, command: str) -> str:
    k = args.chunks
    per_chunk = {
        # the client core is saturated: 1/throughput is the CPU time of one answer
        name: (1 / results[f"stream_{name}"] - 1 / results["stream_direct"]) / k * 1e6
        for name in ("aiohttp", "lean")
    }
    rows = [
        "| measure | direct aiohttp baseline | transport + AiohttpClient | transport + LeanHttpClient |",
        "| --- | ---: | ---: | ---: |",
        f"| non-streaming completions/s (concurrency {args.concurrency}) | {results['plain_direct']:,.0f} | "
        f"{results['plain_aiohttp']:,.0f} | {results['plain_lean']:,.0f} |",
        f"| streamed answers/s, {k} chunks each (concurrency {args.stream_concurrency}) | "
        f"{results['stream_direct']:,.1f} | {results['stream_aiohttp']:,.1f} | "
        f"{results['stream_lean']:,.1f} |",
        f"| added per relayed chunk (client CPU, vs. reading the raw bytes) | 0 | "
        f"{per_chunk['aiohttp']:.1f} µs | {per_chunk['lean']:.1f} µs |",
    ]
    today = datetime.date.today().isoformat()
    return "\n".join(
        [
            f"### Transport layer ({today})",
            "",
            f"Command: `{command}`  ",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, uvloop; "
            f"client pinned to CPU {CLIENT_CPU}, fake upstream (`--no-record`, zero latency) "
            f"pinned to CPU {SERVER_CPU}; "
            f"median of {args.repeat} interleaved runs of {args.seconds:g} s per cell.",
            "",
            *rows,
            "",
            f"Decode path alone (SSE + orjson + events, in process, no sockets): {micro:.2f} µs per chunk.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stream-concurrency", type=int, default=8)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per variant, interleaved; medians reported"
    )
    parser.add_argument("--append", type=Path, help="append the result section to this markdown file")
    args = parser.parse_args()
    command = "python " + " ".join(sys.argv)
    os.sched_setaffinity(0, {CLIENT_CPU})
    import uvloop

    proc, base_url, folder = start_fake(args.chunks)
    try:
        results = uvloop.run(network_runs(base_url, args))
    finally:
        proc.terminate()
        proc.wait(10)
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
    section = report(results, decode_micro(args.chunks), args, command)
    print(section)
    if args.append is not None:
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)


if __name__ == "__main__":
    main()
