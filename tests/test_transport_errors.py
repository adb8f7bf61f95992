"""Upstream error bodies (OpenRouter, OpenAI, Anthropic, junk) and retry hints."""

from __future__ import annotations

from email.utils import formatdate

import orjson
import pytest

from openclaw.redact import Redactor
from openclaw.transports.errors import error_from_object, http_error, parse_error_body, retry_after_seconds
from openclaw.wire.normalize import normalize_finish, usage_from_anthropic, usage_from_openai

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "error": {
                    "code": 429,
                    "message": "Rate limit exceeded",
                    "metadata": {"error_type": "rate_limit_exceeded"},
                }
            },
            ("Rate limit exceeded", "429", "rate_limit_exceeded", 429),
        ),
        (
            {
                "error": {
                    "message": "Invalid API key",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            ("Invalid API key", "invalid_api_key", "invalid_request_error", None),
        ),
        (
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ("Overloaded", "overloaded_error", "overloaded_error", None),
        ),
        (
            {
                "error": {
                    "message": "Provider returned error",
                    "code": 400,
                    "metadata": {"raw": "bad thought_signature"},
                },
                "user_id": "user_1",
            },
            ("Provider returned error: bad thought_signature", "400", None, 400),
        ),
        ({"error": "plain text error"}, ("plain text error", None, None, None)),
        ({"detail": "Not found"}, ("Not found", None, None, None)),
        ([1, 2], ("", None, None, None)),
    ],
)
def test_parse_error_body(payload: object, expected: tuple[object, ...]) -> None:
    assert parse_error_body(payload) == expected


def test_http_error_from_openrouter_body() -> None:
    body = orjson.dumps({"error": {"code": 402, "message": "Insufficient credits"}})
    err = http_error(402, {"content-type": "application/json"}, body, provider="openrouter", model="m")
    assert (err.kind, err.status, err.code, err.message, err.provider) == (
        "http",
        402,
        "402",
        "Insufficient credits",
        "openrouter",
    )
    assert err.retry_after is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><h1>502 Bad Gateway</h1></html>", "Bad Gateway"),
        (b"", "Bad Gateway"),
        (b"upstream connect error", "upstream connect error"),
    ],
)
def test_http_error_without_json(body: bytes, message: str) -> None:
    assert http_error(502, {}, body).message == message


def test_http_error_is_redacted() -> None:
    key = "sk-or-v1-abcdefabcdefabcdefabcdef0123"
    err = http_error(
        401, {}, orjson.dumps({"error": {"message": f"bad key {key}"}}), redactor=Redactor([key])
    )
    assert key not in err.message


@pytest.mark.parametrize(
    ("headers", "payload", "expected"),
    [
        ({"retry-after-ms": "1500"}, None, 1.5),
        ({"retry-after": "2"}, None, 2.0),
        ({"retry-after": "0.5"}, None, 0.5),
        ({"retry-after": formatdate(NOW + 30, usegmt=True)}, None, 30.0),
        ({"retry-after": formatdate(NOW - 30, usegmt=True)}, None, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, None, 0.25),
        ({"x-ratelimit-reset": str(int((NOW + 12) * 1000))}, None, 12.0),
        ({"x-ratelimit-reset": str(int(NOW + 7))}, None, 7.0),
        ({}, {"error": {"metadata": {"headers": {"X-RateLimit-Reset": str(int((NOW + 5) * 1000))}}}}, 5.0),
        ({"retry-after": "soon"}, None, None),
        ({"retry-after": "-3"}, None, None),
        ({}, None, None),
    ],
)
def test_retry_after(headers: dict[str, str], payload: object, expected: float | None) -> None:
    value = retry_after_seconds(headers, payload, now=NOW)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected, abs=1.0)


def test_error_from_in_band_object() -> None:
    err = error_from_object(
        {"code": "502", "message": "down", "metadata": {"error_type": "provider_unavailable"}},
        kind="in_stream",
    )
    assert (err.kind, err.status, err.code, err.error_type) == (
        "in_stream",
        502,
        "502",
        "provider_unavailable",
    )
    assert error_from_object(None, kind="in_stream").message == "the upstream reported an error"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("content_filter", "content_filter"),
        ("STOP", "stop"),
        ("weird", "stop"),
        (None, "stop"),
    ],
)
def test_finish_reasons(raw: str | None, expected: str) -> None:
    assert normalize_finish(raw) == expected


def test_usage_normalization() -> None:
    usage = usage_from_openai(
        {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 10},
            "completion_tokens_details": {"reasoning_tokens": 5},
            "cost": 0,
        }
    )
    assert (usage.input, usage.output, usage.cache_read, usage.cache_write, usage.reasoning, usage.total) == (
        100,
        20,
        60,
        10,
        5,
        120,
    )
    assert (usage.cost, usage.cost_source) == (0.0, "provider")
    aliases = usage_from_openai({"input_tokens": 3, "output_tokens": 4, "total_tokens": 0, "cost": True})
    assert (aliases.total, aliases.cost) == (7, None)
    anth = usage_from_anthropic({"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": 10})
    assert (anth.input, anth.cache_read, anth.total) == (13, 10, 17)
