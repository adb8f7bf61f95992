"""The usage ledger contract: one row per attempt, successful or not.

``record`` never blocks the request path: rows are queued and written in batches by a background
task/thread; ``close`` flushes what is queued (called on shutdown and on SIGTERM).
"""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["Ledger", "UsageRecord"]


class UsageRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    ts: float  # epoch seconds when the attempt started
    source: str  # cli | gateway
    provider: str
    model_requested: str  # the ref key that was tried ("openrouter/anthropic/claude-sonnet-4-5")
    status: str  # ok | error | skipped | cancelled
    request_id: str = ""
    attempt: int = 1  # 1-based position in the request's attempt list
    agent: str | None = None
    session: str | None = None
    client_key: str | None = None  # gateway client key id (never the key)
    model_served: str | None = None  # the concrete model the upstream reported
    profile_id: str | None = None  # credential label (profile id or env:VAR), never the secret
    reason: str | None = None  # failure reason class
    http_status: int | None = None
    error: str | None = None  # provider message, redacted, truncated
    stream: bool = False
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float | None = None  # USD; None when unknown (never a guess)
    cost_source: str | None = None  # provider | catalog | config


class Ledger(Protocol):
    def record(self, row: UsageRecord) -> None:
        """Queue a row; returns at once."""
        ...

    async def flush(self) -> None: ...

    async def close(self) -> None: ...
