"""Prometheus metrics, kept in plain dicts and rendered in the text exposition format.

Why not ``prometheus-client``: recording here is a few dict updates per request (no locks, no
label-object lookups), which matters at tens of thousands of requests per second, and it keeps the
dependency list short. The exposition format is small and stable (``# HELP``, ``# TYPE``, one line
per series, histograms as cumulative ``_bucket{le=...}`` plus ``_sum`` and ``_count``).

Labels never carry secrets or caller-chosen text: ``model`` is a *served* ref key (or ``none``),
``provider`` a provider id, ``route`` one of a fixed set, ``status`` an HTTP status.
With ``--workers N`` each process keeps its own numbers and labels them ``worker="<index>"``.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable

from ..wire.types import Usage

__all__ = ["LATENCY_BUCKETS", "Metrics"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

Labels = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: Iterable[str], values: Iterable[str]) -> str:
    return ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))


class _Histogram:
    __slots__ = ("counts", "sums")

    def __init__(self) -> None:
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = {}

    def observe(self, key: Labels, value: float) -> None:
        counts = self.counts.get(key)
        if counts is None:
            counts = self.counts[key] = [0] * (len(LATENCY_BUCKETS) + 1)
            self.sums[key] = 0.0
        counts[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.sums[key] += value


class Metrics:
    """All gateway metrics of one process. ``render()`` gives the exposition text."""

    REQ_LABELS = ("route", "model", "provider", "status")
    LAT_LABELS = ("route", "model", "provider")
    MODEL_LABELS = ("model", "provider")
    ATTEMPT_LABELS = ("model", "provider", "outcome")
    TOKEN_LABELS = ("model", "provider", "kind")

    def __init__(self, worker: int = 0) -> None:
        self.worker = str(worker)
        self.started = time.time()
        self.requests: dict[Labels, int] = {}
        self.latency = _Histogram()
        self.ttft = _Histogram()
        self.attempts: dict[Labels, int] = {}
        self.failovers: dict[Labels, int] = {}
        self.tokens: dict[Labels, int] = {}
        self.cost: dict[Labels, float] = {}
        self.auth_failures = 0
        self.in_flight = 0

    # -- recording ---------------------------------------------------------------------------

    def request(self, route: str, model: str, provider: str, status: int, seconds: float) -> None:
        key = (route, model, provider, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1
        self.latency.observe((route, model, provider), seconds)

    def first_token(self, route: str, model: str, provider: str, seconds: float) -> None:
        self.ttft.observe((route, model, provider), seconds)

    def attempt(self, model: str, provider: str, outcome: str) -> None:
        key = (model, provider, outcome)
        self.attempts[key] = self.attempts.get(key, 0) + 1

    def failover(self, model: str, provider: str) -> None:
        key = (model, provider)
        self.failovers[key] = self.failovers.get(key, 0) + 1

    def usage(self, model: str, provider: str, usage: Usage) -> None:
        for kind, count in (
            ("input", usage.input),
            ("output", usage.output),
            ("cache_read", usage.cache_read),
            ("cache_write", usage.cache_write),
            ("reasoning", usage.reasoning),
        ):
            if count:
                key = (model, provider, kind)
                self.tokens[key] = self.tokens.get(key, 0) + count
        if usage.cost:
            mkey = (model, provider)
            self.cost[mkey] = self.cost.get(mkey, 0.0) + usage.cost

    # -- exposition --------------------------------------------------------------------------

    def _counter(
        self,
        out: list[str],
        name: str,
        help_text: str,
        names: Labels,
        data: dict[Labels, int] | dict[Labels, float],
    ) -> None:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} counter\n")
        for key, value in data.items():
            out.append(f'{name}{{{_labels(names, key)},worker="{self.worker}"}} {value}\n')

    def _histogram(self, out: list[str], name: str, help_text: str, hist: _Histogram) -> None:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} histogram\n")
        for key, counts in hist.counts.items():
            base = f'{_labels(self.LAT_LABELS, key)},worker="{self.worker}"'
            running = 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                out.append(f'{name}_bucket{{{base},le="{le}"}} {running}\n')
            out.append(f"{name}_sum{{{base}}} {hist.sums[key]:.6f}\n{name}_count{{{base}}} {running}\n")

    def render(self) -> bytes:
        out: list[str] = []
        self._counter(
            out, "openclaw_gateway_requests_total", "HTTP requests answered.", self.REQ_LABELS, self.requests
        )
        self._histogram(
            out, "openclaw_gateway_request_duration_seconds", "Time to the last byte.", self.latency
        )
        self._histogram(
            out, "openclaw_gateway_time_to_first_token_seconds", "Time to the first streamed byte.", self.ttft
        )
        attempts_help = "Upstream attempts by outcome."
        self._counter(
            out, "openclaw_gateway_upstream_attempts_total", attempts_help, self.ATTEMPT_LABELS, self.attempts
        )
        failover_help = "Requests served after a failover."
        self._counter(
            out, "openclaw_gateway_failovers_total", failover_help, self.MODEL_LABELS, self.failovers
        )
        self._counter(out, "openclaw_gateway_tokens_total", "Tokens by kind.", self.TOKEN_LABELS, self.tokens)
        self._counter(out, "openclaw_gateway_cost_usd_total", "Cost in USD.", self.MODEL_LABELS, self.cost)
        w = f'{{worker="{self.worker}"}}'
        out.append(
            "# HELP openclaw_gateway_auth_failures_total Rejected credentials.\n"
            "# TYPE openclaw_gateway_auth_failures_total counter\n"
            f"openclaw_gateway_auth_failures_total{w} {self.auth_failures}\n"
            "# HELP openclaw_gateway_in_flight Requests being served.\n"
            "# TYPE openclaw_gateway_in_flight gauge\n"
            f"openclaw_gateway_in_flight{w} {self.in_flight}\n"
            "# HELP openclaw_gateway_start_time_seconds Process start, epoch seconds.\n"
            "# TYPE openclaw_gateway_start_time_seconds gauge\n"
            f"openclaw_gateway_start_time_seconds{w} {self.started:.3f}\n"
        )
        return "".join(out).encode()
