"""Gateway pieces on their own: settings, auth, limits, targets, errors, metrics, access log."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from openclaw.config.schema import GatewaySection
from openclaw.errors import Attempt, ConfigError, FailoverError, ProviderError
from openclaw.gateway.accesslog import AccessLog, RequestRecord
from openclaw.gateway.auth import Authenticator, LocalHits
from openclaw.gateway.errors import HttpError, failover_error, provider_error_json
from openclaw.gateway.limits import client_timeout
from openclaw.gateway.metrics import Metrics
from openclaw.gateway.settings import GatewaySettings, bind_host
from openclaw.gateway.targets import TargetResolver, agent_from_model
from openclaw.runtime import Runtime, load_snapshot
from openclaw.wire.types import Usage

TOKEN = "gw-test-token-0123456789"


def section(**auth: Any) -> GatewaySection:
    import msgspec

    return msgspec.convert({"auth": auth}, GatewaySection)


# ----------------------------------------------------------------------------------- settings


def test_bind_names() -> None:
    assert bind_host("loopback") == "127.0.0.1"
    assert bind_host("lan") == "0.0.0.0"
    assert bind_host("10.1.2.3") == "10.1.2.3"
    with pytest.raises(ConfigError):
        bind_host("tailnet-ish")
    with pytest.raises(ConfigError):
        bind_host("custom")


def test_token_from_config_or_env() -> None:
    assert GatewaySettings.build(section(token=TOKEN), {}).secret == TOKEN
    env = {"OPENCLAW_GATEWAY_TOKEN": "from-env-token"}
    assert GatewaySettings.build(None, env).secret == "from-env-token"
    ref = section(token={"source": "env", "id": "MY_GW"})
    assert GatewaySettings.build(ref, {"MY_GW": "ref-token-value"}).secret == "ref-token-value"
    pw = section(mode="password")
    assert GatewaySettings.build(pw, {"OPENCLAW_GATEWAY_PASSWORD": "hunter22"}).secret == "hunter22"


def test_token_mode_without_token_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="OPENCLAW_GATEWAY_TOKEN"):
        GatewaySettings.build(None, {})


def test_mode_none_only_on_loopback_unless_allowed() -> None:
    assert GatewaySettings.build(section(mode="none"), {}).auth_mode == "none"
    with pytest.raises(ConfigError, match="Refusing to serve without authentication"):
        GatewaySettings.build(section(mode="none"), {}, bind="lan")
    assert (
        GatewaySettings.build(section(mode="none"), {}, bind="lan", allow_unauthenticated=True).host
        == "0.0.0.0"
    )
    allowed = section(mode="none", allowInsecureNone=True)
    assert GatewaySettings.build(allowed, {}, bind="0.0.0.0").auth_mode == "none"


def test_flags_override_config_and_env() -> None:
    settings = GatewaySettings.build(
        section(token=TOKEN), {"OPENCLAW_GATEWAY_PORT": "19000"}, workers=3, log_format="json"
    )
    assert settings.port == 19000 and settings.workers == 3 and settings.log_format == "json"
    assert GatewaySettings.build(section(token=TOKEN), {"OPENCLAW_GATEWAY_PORT": "19000"}, port=0).port == 0


# --------------------------------------------------------------------------------------- auth


def authenticator(**overrides: Any) -> Authenticator:
    key_hash = hashlib.sha256(b"client-key-abc").hexdigest()
    settings = GatewaySettings(secret=TOKEN, client_keys={key_hash: "ci"}, **overrides)
    return Authenticator(settings, LocalHits())


async def test_auth_accepts_token_and_client_keys() -> None:
    auth = authenticator()
    assert await auth.authenticate(f"Bearer {TOKEN}", None, "1.1.1.1") is None
    assert await auth.authenticate("Bearer client-key-abc", None, "1.1.1.1") == "ci"
    assert await auth.authenticate(None, "client-key-abc", "1.1.1.1") == "ci"  # x-api-key
    for header in (None, "Bearer", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer wrong"):
        with pytest.raises(HttpError) as info:
            await auth.authenticate(header, None, "1.1.1.1")
        assert info.value.status == 401 and info.value.err_type == "authentication_error"


async def test_auth_failures_lock_out_one_client() -> None:
    auth = authenticator(max_failures=3, failure_window=60.0, lockout=30.0)
    for _ in range(3):
        with pytest.raises(HttpError) as info:
            await auth.authenticate("Bearer nope", None, "9.9.9.9")
        assert info.value.status == 401
    with pytest.raises(HttpError) as info:
        await auth.authenticate("Bearer nope", None, "9.9.9.9")
    assert info.value.status == 429 and int(info.value.headers["Retry-After"]) >= 29
    with pytest.raises(HttpError) as info:  # locked out, even with the right token
        await auth.authenticate(f"Bearer {TOKEN}", None, "9.9.9.9")
    assert info.value.status == 429
    assert await auth.authenticate(f"Bearer {TOKEN}", None, "8.8.8.8") is None  # others unaffected


async def test_open_mode_needs_nothing() -> None:
    auth = Authenticator(GatewaySettings(auth_mode="none"), None)
    assert await auth.authenticate(None, None, "1.1.1.1") is None


# ------------------------------------------------------------------------------------- limits


def test_client_timeout_headers() -> None:
    assert client_timeout({}) is None
    assert client_timeout({"x-stainless-timeout": "600"}) == 600.0
    assert client_timeout({"x-openclaw-timeout": "2.5", "x-stainless-timeout": "600"}) == 2.5
    assert client_timeout({"x-request-timeout-ms": "1500"}) == 1.5
    assert client_timeout({"x-openclaw-timeout": "nan"}) is None
    assert client_timeout({"x-openclaw-timeout": "-1"}) is None


# ------------------------------------------------------------------------------------- errors


def test_failover_maps_last_status_and_retry_after() -> None:
    last = ProviderError("Rate limit exceeded", kind="http", status=429, retry_after=2.2, reason="rate_limit")
    attempts = [
        Attempt("openrouter", "a/b", "openrouter:default", "auth", 401, "No auth credentials found"),
        Attempt("openrouter", "c/d", "openrouter:default", "rate_limit", 429, "Rate limit exceeded"),
    ]
    err = failover_error(FailoverError(attempts, last=last), str)
    assert err.status == 429 and err.err_type == "rate_limit_error" and err.headers == {"Retry-After": "3"}
    body = orjson.loads(err.body())["error"]
    assert body["message"].startswith("All models failed (2): openrouter/a/b")
    assert [a["status"] for a in body["metadata"]["attempts"]] == [401, 429]


@pytest.mark.parametrize(
    ("status", "kind", "reason", "want", "etype"),
    [
        (401, "http", "auth", 401, "authentication_error"),
        (402, "http", "billing", 402, "billing_error"),
        (503, "http", "overloaded", 503, "api_error"),
        (None, "timeout", "timeout", 504, "timeout_error"),
        (None, "connect", "timeout", 504, "timeout_error"),
        (None, "reset", None, 502, "api_error"),
    ],
)
def test_failover_status_table(
    status: int | None, kind: str, reason: str | None, want: int, etype: str
) -> None:
    last = ProviderError("x", kind=kind, status=status, reason=reason)
    err = failover_error(FailoverError([], last=last), str)
    assert (err.status, err.err_type) == (want, etype)


def test_provider_error_json_is_redacted() -> None:
    error = ProviderError(
        f"bad key {TOKEN}", kind="in_stream", provider="openrouter", model="a/b", reason="auth"
    )
    out = provider_error_json(error, lambda text: text.replace(TOKEN, "[redacted]"))
    assert TOKEN not in out["message"] and out["metadata"] == {"error_type": "auth"}


# ------------------------------------------------------------------------------------ metrics


def test_metrics_exposition() -> None:
    metrics = Metrics(worker=1)
    metrics.request("chat", "openrouter/a/b", "openrouter", 200, 0.003)
    metrics.request("chat", "openrouter/a/b", "openrouter", 200, 0.2)
    metrics.attempt("openrouter/a/b", "openrouter", "rate_limit")
    metrics.usage("openrouter/a/b", "openrouter", Usage(input=10, output=2, cost=0.5))
    text = metrics.render().decode()
    labels = 'route="chat",model="openrouter/a/b",provider="openrouter"'
    assert f'openclaw_gateway_requests_total{{{labels},status="200",worker="1"}} 2' in text
    assert f'openclaw_gateway_request_duration_seconds_bucket{{{labels},worker="1",le="0.005"}} 1' in text
    assert f'openclaw_gateway_request_duration_seconds_bucket{{{labels},worker="1",le="+Inf"}} 2' in text
    assert f'openclaw_gateway_request_duration_seconds_count{{{labels},worker="1"}} 2' in text
    tokens = 'model="openrouter/a/b",provider="openrouter",kind="input",worker="1"'
    assert f"openclaw_gateway_tokens_total{{{tokens}}} 10" in text
    assert 'outcome="rate_limit"' in text and "openclaw_gateway_cost_usd_total" in text
    assert "# TYPE openclaw_gateway_request_duration_seconds histogram" in text


# --------------------------------------------------------------------------------- access log


def test_access_log_lines_have_no_secrets_or_prompts() -> None:
    out = io.BytesIO()
    log = AccessLog(fmt="json", redact=lambda t: t.replace(TOKEN, "[redacted]"), stream=out)
    rec = RequestRecord("req_1", "POST", "/v1/chat/completions", 0.0)
    rec.status, rec.model, rec.served, rec.attempts = 200, f"x{TOKEN}", "openrouter/a/b", 2
    log.log(rec, 0.0123)
    log.flush()
    line = orjson.loads(out.getvalue())
    assert line["status"] == 200 and line["attempts"] == 2 and line["latency_ms"] == 12.3
    assert TOKEN not in out.getvalue().decode() and "prompt" not in line
    text = io.BytesIO()
    plain = AccessLog(fmt="text", stream=text)
    plain.log(rec, 0.001)
    plain.flush()
    assert b"request_id=req_1 method=POST path=/v1/chat/completions status=200" in text.getvalue()


# ------------------------------------------------------------------------------------ targets


def test_agent_names() -> None:
    assert agent_from_model("openclaw") == "default"
    assert agent_from_model("openclaw/default") == "default"
    assert agent_from_model("openclaw/coder") == "coder"
    assert agent_from_model("openclaw:coder") == "coder"
    assert agent_from_model("agent:coder") == "coder"
    assert agent_from_model("openrouter/auto") is None


def _runtime(home: Path, config: dict[str, Any], env: dict[str, str]) -> Runtime:
    state = home / ".openclaw"
    state.mkdir(parents=True, exist_ok=True)
    (state / "openclaw.json").write_bytes(orjson.dumps(config))
    paths, snapshot = load_snapshot(env)
    return Runtime.from_snapshot(paths, snapshot)


CONFIG = {
    "agents": {
        "defaults": {
            "model": {
                "primary": "openrouter/anthropic/claude-sonnet-4-5",
                "fallbacks": ["openrouter/openai/gpt-4o-mini"],
            },
            "models": {"openrouter/openai/gpt-4o-mini": {"alias": "mini"}},
        },
        "entries": {"coder": {"model": "openrouter/openai/gpt-4o-mini"}},
    }
}


def test_target_rules(home: Path, env: dict[str, str]) -> None:
    from conftest import FAKE_KEY

    resolver = TargetResolver(_runtime(home, CONFIG, {**env, "OPENROUTER_API_KEY": FAKE_KEY}))
    default = resolver.resolve("openclaw")
    assert [r.key for r in default.target.candidates] == [
        "openrouter/anthropic/claude-sonnet-4-5",
        "openrouter/openai/gpt-4o-mini",
    ]
    assert default.agent_id == "main" and not default.bare
    coder = resolver.resolve("openclaw:coder")
    assert coder.agent_id == "coder" and [r.key for r in coder.target.candidates] == [
        "openrouter/openai/gpt-4o-mini"
    ]
    assert [r.key for r in resolver.resolve("mini").target.candidates] == ["openrouter/openai/gpt-4o-mini"]
    ref = resolver.resolve("openrouter/openai/gpt-4o")
    assert ref.target.strict and [r.key for r in ref.target.candidates] == ["openrouter/openai/gpt-4o"]
    bare = resolver.resolve("anthropic/claude-sonnet-4.5")  # no Anthropic key: OpenRouter's id
    assert bare.bare and [r.key for r in bare.target.candidates] == ["openrouter/anthropic/claude-sonnet-4.5"]
    meta = resolver.resolve("meta-llama/llama-3.3-70b-instruct")
    assert meta.bare and meta.target.candidates[0].key == "openrouter/meta-llama/llama-3.3-70b-instruct"
    chain = resolver.resolve("openai/gpt-4o", fallbacks=["mini", "x-ai/grok-4"])
    assert [r.key for r in chain.target.candidates] == [
        "openrouter/openai/gpt-4o",
        "openrouter/openai/gpt-4o-mini",
        "openrouter/x-ai/grok-4",
    ]
    override = resolver.resolve("openclaw/default", model_header="openrouter/openai/gpt-4o-mini")
    assert override.target.strict and [r.key for r in override.target.candidates] == [
        "openrouter/openai/gpt-4o-mini"
    ]


def test_unknown_models_get_a_suggestion(home: Path, env: dict[str, str]) -> None:
    from conftest import FAKE_KEY

    resolver = TargetResolver(_runtime(home, CONFIG, {**env, "OPENROUTER_API_KEY": FAKE_KEY}))
    with pytest.raises(HttpError) as info:
        resolver.resolve("openclaw/codr")
    assert info.value.status == 404 and 'Did you mean "openclaw/coder"' in info.value.message
    with pytest.raises(HttpError) as info:
        resolver.resolve("minii")
    assert info.value.status == 404 and 'Did you mean "mini"' in info.value.message
    assert info.value.code == "model_not_found" and info.value.param == "model"


def test_provider_with_key_is_used_directly(home: Path, env: dict[str, str]) -> None:
    from conftest import FAKE_KEY

    keys = {**env, "OPENROUTER_API_KEY": FAKE_KEY, "OPENAI_API_KEY": "sk-openai-test-0123456789"}
    resolver = TargetResolver(_runtime(home, CONFIG, keys))
    direct = resolver.resolve("openai/gpt-4o-mini")
    assert not direct.bare and direct.target.candidates[0].key == "openai/gpt-4o-mini"


def test_without_openrouter_a_bare_id_is_unknown(home: Path, env: dict[str, str]) -> None:
    resolver = TargetResolver(_runtime(home, CONFIG, env))
    with pytest.raises(HttpError) as info:
        resolver.resolve("meta-llama/llama-3.3-70b-instruct")
    assert info.value.status == 404
