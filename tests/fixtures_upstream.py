"""Pytest plugin: the fake OpenRouter/Anthropic upstream as fixtures.

``upstream`` (async tests): a running :class:`openclaw.testing.FakeUpstream` on 127.0.0.1:0.
``upstream_thread`` (sync tests, CLI subprocesses): the same, served from a background thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from openclaw.testing import FakeUpstream


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as up:
        yield up


@pytest.fixture
def upstream_thread() -> Iterator[FakeUpstream]:
    with FakeUpstream.running() as up:
        yield up
