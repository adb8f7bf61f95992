"""Pytest plugin: the fake OpenRouter/Anthropic upstream as fixtures, plus transport test helpers.

``upstream`` (async tests): a running :class:`openclaw.testing.FakeUpstream` on 127.0.0.1:0.
``upstream_thread`` (sync tests, CLI subprocesses): the same, served from a background thread.
Helpers (import them: ``from fixtures_upstream import make_call``): providers, upstream calls,
an in-memory HTTP seam that splits a body at chosen byte positions, event collection.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from openclaw.catalog.providers import builtin_provider
from openclaw.catalog.resolve import ModelFacts, ResolvedProvider
from openclaw.refs import ModelRef, parse_ref
from openclaw.testing import FakeUpstream
from openclaw.transports.base import Credential, HttpClient, Timeouts, Transport, UpstreamCall
from openclaw.transports.http_aiohttp import AiohttpClient
from openclaw.transports.http_lean import LeanHttpClient
from openclaw.transports.registry import upstream_model
from openclaw.wire.aggregate import Aggregator
from openclaw.wire.types import ChatRequest, ChatResult, Message, StreamEvent


@pytest.fixture(params=["lean", "aiohttp"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[HttpClient]:
    """Each HTTP client in turn (the lean one of the CLI, aiohttp of the gateway)."""
    client: HttpClient = LeanHttpClient() if request.param == "lean" else AiohttpClient()
    yield client
    await client.close()


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as up:
        yield up


@pytest.fixture
def upstream_thread() -> Iterator[FakeUpstream]:
    with FakeUpstream.running() as up:
        yield up


# ---------------------------------------------------------------------- transport helpers

FAKE_KEY = "sk-or-test-0123456789abcdef0123456789abcdef"


def provider(
    base_url: str = "https://openrouter.ai/api/v1", pid: str = "openrouter", **kw: Any
) -> ResolvedProvider:
    row = builtin_provider(pid)
    api = kw.pop("api", row.api if row else "openai-completions")
    return ResolvedProvider(id=pid, api=api, base_url=base_url, row=row, **kw)


def user(text: str) -> Message:
    return Message(role="user", content=text)


def make_call(
    prov: ResolvedProvider,
    ref: str | ModelRef,
    request: ChatRequest | None = None,
    *,
    stream: bool = True,
    secret: str = FAKE_KEY,
    **kw: Any,
) -> UpstreamCall:
    model_ref = parse_ref(ref) if isinstance(ref, str) else ref
    return UpstreamCall(
        provider=prov,
        ref=model_ref,
        model=upstream_model(prov, model_ref),
        credential=Credential(secret=secret, profile_id=None, source="env", env_var="OPENROUTER_API_KEY"),
        request=request or ChatRequest(messages=[user("Reply with OK")], max_tokens=8192),
        stream=stream,
        **kw,
    )


SONNET_FACTS = ModelFacts(id="anthropic/claude-sonnet-4-5", max_output=64000, reasoning=True)


async def collect(transport: Transport, call: UpstreamCall) -> list[StreamEvent]:
    return [event async for event in transport.stream(call)]


async def result_of(transport: Transport, call: UpstreamCall) -> ChatResult:
    agg = Aggregator()
    async for event in transport.stream(call):
        agg.add(event)
    return agg.result()


# ------------------------------------------------------------------- in-memory HTTP seam


@dataclass
class MemoryResponse:
    status: int
    headers: Mapping[str, str]
    pieces: list[bytes]
    complete: bool = False  # never known here: the transport drains the body as over a network

    async def read(self) -> bytes:
        return b"".join(self.pieces)

    async def chunks(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


@dataclass
class MemoryHttp:
    """Answers every request with ``body`` split into ``pieces`` (to test decoding splits)."""

    body: bytes
    split: list[int] = field(default_factory=list)
    status: int = 200
    content_type: str = "text/event-stream"
    sent: list[tuple[str, str, dict[str, str], bytes | None]] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None, timeouts: Timeouts
    ) -> AsyncIterator[MemoryResponse]:
        self.sent.append((method, url, dict(headers), body))
        cuts = [0, *sorted(self.split), len(self.body)]
        pieces = [self.body[a:b] for a, b in itertools.pairwise(cuts)]
        yield MemoryResponse(self.status, {"content-type": self.content_type}, pieces)

    async def close(self) -> None:
        return None
