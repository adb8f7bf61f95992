"""The failure classifier, table-driven: status first, then codes and messages, then the kind."""

from __future__ import annotations

import pytest

from openclaw.errors import ProviderError
from openclaw.routing.classify import POLICIES, REASONS, classify, policy_for

# (kind, status, code, error_type, message) -> reason
CASES: list[tuple[str, int | None, str | None, str | None, str, str]] = [
    # --- auth
    ("http", 401, None, None, "No auth credentials found", "auth"),
    ("http", 401, None, "authentication", "User not found.", "auth"),
    ("http", 403, None, "permission_denied", "Key is disabled", "auth"),
    # --- billing (402, credit texts even on 401/403, OpenRouter key limits)
    ("http", 402, None, None, "Insufficient credits", "billing"),
    ("http", 402, None, None, "This request requires more credits, or fewer max_tokens.", "billing"),
    ("http", 401, None, None, "Your credit balance is too low", "billing"),
    ("http", 403, None, None, "Key limit exceeded (total limit)", "billing"),
    ("http", 429, None, None, "Key limit exceeded", "billing"),
    # --- rate limits (429 and the texts of spec §9.4/§15.3)
    ("http", 429, None, None, "Rate limit exceeded: free-models-per-min.", "rate_limit"),
    ("http", 429, None, None, "", "rate_limit"),
    ("http", 402, None, None, "Weekly usage limit exhausted", "rate_limit"),
    ("http", 402, None, None, "daily limit reached, resets tomorrow", "rate_limit"),
    ("http", 403, None, None, "ThrottlingException: slow down", "rate_limit"),
    ("http", 400, None, None, "quota exceeded for this project", "rate_limit"),
    ("in_stream", None, None, None, "Too many concurrent requests", "rate_limit"),
    ("in_stream", None, "429", None, "Upstream busy", "rate_limit"),
    ("in_stream", None, None, "rate_limit_exceeded", "slow down", "rate_limit"),
    ("in_stream", None, None, None, "Resource exhausted", "rate_limit"),
    # --- overloaded
    ("http", 503, None, None, "Service Unavailable", "overloaded"),
    ("http", 529, None, None, "Provider overloaded", "overloaded"),
    ("http", 500, None, None, "Model is overloaded, try later", "overloaded"),
    ("in_stream", None, None, "overloaded_error", "Overloaded", "overloaded"),
    # --- timeouts
    ("http", 408, None, None, "Request Timeout", "timeout"),
    ("http", 504, None, None, "Gateway Timeout", "timeout"),
    ("http", 524, None, None, "A timeout occurred", "timeout"),
    ("timeout", None, None, None, "no response within 5 s", "timeout"),
    ("connect", None, None, None, "connection refused", "timeout"),
    ("reset", None, None, None, "connection closed before headers", "timeout"),
    ("cut", None, None, None, "stream ended without a finish", "timeout"),
    # --- server errors
    ("http", 500, None, None, "Internal Server Error", "server_error"),
    ("http", 502, None, None, "Bad Gateway", "server_error"),
    ("http", 520, None, None, "unknown error, 520", "server_error"),
    ("http", 409, None, None, "Conflict", "server_error"),
    ("malformed", None, None, None, "invalid JSON in response", "server_error"),
    ("in_stream", None, "502", None, "Provider returned error", "server_error"),
    ("in_stream", None, None, None, "Something odd", "server_error"),
    ("http", 400, None, None, "Provider returned error", "server_error"),
    # --- format: the request itself is wrong
    ("http", 400, None, None, "Bad Request", "format"),
    ("http", 400, None, "invalid_request", "messages: field required", "format"),
    ("http", 422, None, None, "Unprocessable Entity", "format"),
    ("http", 418, None, None, "I'm a teapot", "format"),
    # --- model not found
    ("http", 404, None, None, "Not Found", "model_not_found"),
    ("http", 404, None, None, "No endpoints found that support tool use.", "model_not_found"),
    ("http", 400, None, None, "openai/gpt-9 is not a valid model ID", "model_not_found"),
    ("http", 400, "model_not_found", None, "Model unavailable", "model_not_found"),
    # --- context overflow
    ("http", 400, None, "context_length_exceeded", "Too long", "context_overflow"),
    ("http", 400, None, None, "This model's maximum context length is 8192 tokens", "context_overflow"),
    ("http", 413, None, None, "Payload Too Large", "context_overflow"),
    (
        "in_stream",
        None,
        None,
        None,
        "input token count exceeds the maximum number of input tokens",
        "context_overflow",
    ),
    # --- content filter
    ("http", 403, None, None, "Your input was flagged by moderation", "content_filter"),
    ("http", 400, None, "content_policy_violation", "Refused", "content_filter"),
    ("in_stream", None, None, None, "blocked by content filter", "content_filter"),
    # --- cancelled wins over everything
    ("cancelled", 500, None, None, "client went away", "cancelled"),
    # --- no evidence at all
    ("http", None, None, None, "", "unknown"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[-1]}")
def test_classify(case: tuple[str, int | None, str | None, str | None, str, str]) -> None:
    kind, status, code, error_type, message, expected = case
    err = ProviderError(message, kind=kind, status=status, code=code, error_type=error_type)
    assert classify(err) == expected


def test_every_reason_has_a_policy_and_is_covered_by_a_case() -> None:
    assert set(POLICIES) == set(REASONS)
    assert {case[-1] for case in CASES} == set(REASONS)


def test_status_decides_before_message() -> None:
    # a 500 whose body mentions "rate limit" in passing is still a server error,
    # and a 429 whose text says "server error" is still a rate limit
    assert (
        classify(ProviderError("rate limiter crashed: internal", kind="http", status=500)) == "server_error"
    )
    assert classify(ProviderError("internal server error", kind="http", status=429)) == "rate_limit"


@pytest.mark.parametrize(
    ("reason", "action", "lane", "model_scoped"),
    [
        ("auth", "next_key", "auth", False),
        ("billing", "next_key", "billing", False),
        ("rate_limit", "next_key", "transient", True),
        ("overloaded", "next_key", "transient", True),
        ("timeout", "retry", "transient", True),
        ("server_error", "retry", "transient", True),
        ("format", "stop", None, False),
        ("model_not_found", "next_model", None, False),
        ("context_overflow", "next_model", None, False),
        ("content_filter", "next_model", None, False),
        ("cancelled", "stop", None, False),
        ("unknown", "next_model", None, False),
    ],
)
def test_policies(reason: str, action: str, lane: str | None, model_scoped: bool) -> None:
    policy = policy_for(reason)
    assert (policy.action, policy.lane, policy.model_scoped) == (action, lane, model_scoped)


def test_overload_rotates_once_rate_limit_rotates_all() -> None:
    assert policy_for("overloaded").rotations == 1
    assert policy_for("rate_limit").rotations is None
