"""The benchmark plan: what to run, how long, on which CPUs, at which priority."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALL_TARGETS",
    "DEFAULT_SCENARIOS",
    "MAX_ATTEMPTS",
    "MAX_FOREIGN_CPU",
    "SOAK_FLAT_MB_PER_100K",
    "SOAK_LIMIT_MB",
    "Plan",
]

ALL_TARGETS = ("direct", "openclaw", "portkey", "litellm")
DEFAULT_SCENARIOS = ("chat", "chat-stream", "messages", "messages-stream")
MAX_FOREIGN_CPU = 0.10  # re-measure when other processes took this much of the server's core
MAX_ATTEMPTS = 3
SOAK_LIMIT_MB = 80.0
SOAK_FLAT_MB_PER_100K = 2.0


@dataclass
class Plan:
    duration_s: float = 10.0
    runs: int = 3
    warmup_s: float = 5.0
    connections: int = 64
    rate: float = 500.0
    rate_connections: int = 64
    soak: bool = True
    profile: bool = False
    soak_requests: int = 100_000
    soak_target: str = "openclaw"
    targets: list[str] = field(default_factory=lambda: list(ALL_TARGETS))
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    scenarios: list[str] = field(default_factory=lambda: list(DEFAULT_SCENARIOS))
    load_cpus: str = "0"
    proxy_cpus: str = "1"
    nice: int = -20 if os.geteuid() == 0 else 0
