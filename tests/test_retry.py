"""Retry timing: server hints, capped jittered backoff, the request budget."""

from __future__ import annotations

import email.utils

import pytest

from openclaw.config.schema import RetryConfig, RoutingSection
from openclaw.errors import ProviderError
from openclaw.routing.retry import Budget, RetryPolicy, parse_retry_headers, server_wait

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # ms wins
        ({"retry-after": email.utils.formatdate(NOW + 7, usegmt=True)}, 7.0),
        ({"retry-after": email.utils.formatdate(NOW - 7, usegmt=True)}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-3"}, None),
        ({"x-ratelimit-reset": str(int((NOW + 30) * 1000)), "x-ratelimit-remaining": "0"}, 30.0),
        ({"x-ratelimit-reset": str(int(NOW + 12)), "x-ratelimit-remaining": "0"}, 12.0),
        ({"x-ratelimit-reset": str(int(NOW + 12)), "x-ratelimit-remaining": "5"}, None),
        ({}, None),
    ],
)
def test_parse_retry_headers(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_headers(headers, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=0.01)


def test_server_wait_prefers_transport_parse_then_headers_any_case() -> None:
    err = ProviderError("x", kind="http", status=429, retry_after=3.0, headers={"retry-after": "9"})
    assert server_wait(err, NOW) == 3.0
    err = ProviderError("x", kind="http", status=429, headers={"Retry-After": "9"})
    assert server_wait(err, NOW) == 9.0
    assert server_wait(ProviderError("x", kind="http", status=429), NOW) is None


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base=1.0, cap=30.0, jitter=0.2)
    assert [policy.backoff(n, 0.5) for n in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert policy.backoff(0, 0.0) == pytest.approx(0.8)
    assert policy.backoff(0, 1.0) == pytest.approx(1.2)
    assert policy.backoff(10, 1.0) == 30.0  # jitter never lifts a delay above the cap
    assert policy.backoff(1000, 0.5) == 30.0


def test_server_waits_longer_than_the_cap_are_not_slept() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.may_sleep(60.0)
    assert not policy.may_sleep(61.0)
    assert RetryPolicy(max_retry_after=None).may_sleep(10_000)


def test_policy_from_config_and_env_override() -> None:
    routing = RoutingSection(
        request_timeout_seconds=20,
        attempt_timeout_seconds=3,
        retry=RetryConfig(
            max_retries=4, base_delay_ms=10, max_delay_ms=50, jitter=0.0, max_retry_after_seconds=5
        ),
    )
    policy = RetryPolicy.from_config(routing, {})
    assert (policy.max_retries, policy.base, policy.cap, policy.jitter) == (4, 0.01, 0.05, 0.0)
    assert (policy.max_retry_after, policy.request_timeout, policy.attempt_timeout) == (5, 20, 3)
    assert (
        RetryPolicy.from_config(routing, {"OPENCLAW_SDK_RETRY_MAX_WAIT_SECONDS": "off"}).max_retry_after
        is None
    )
    assert (
        RetryPolicy.from_config(routing, {"OPENCLAW_SDK_RETRY_MAX_WAIT_SECONDS": "0"}).max_retry_after is None
    )
    assert RetryPolicy.from_config(routing, {"OPENCLAW_SDK_RETRY_MAX_WAIT_SECONDS": "9"}).max_retry_after == 9
    assert RetryPolicy.from_config(None, {}) == RetryPolicy()


def test_budget_refuses_waits_that_do_not_fit() -> None:
    now = [100.0]
    budget = Budget(deadline=110.0, monotonic=lambda: now[0])
    assert budget.remaining() == 10.0
    assert budget.fits(5.0)
    assert not budget.fits(10.0)
    now[0] = 110.0
    assert budget.expired()
