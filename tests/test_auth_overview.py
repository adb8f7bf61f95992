"""What users see of credentials (masked labels, token health, cooldowns) and auth config edits."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import FAKE_KEY
from openclaw.auth.config_edit import (
    drop_profile,
    parse_duration_ms,
    provider_key_references,
    set_profile_entry,
    validate_profile_id,
)
from openclaw.auth.overview import (
    credential_provider,
    credential_source,
    format_remaining,
    health_summary,
    profile_health,
    profile_secret_label,
    provider_auth,
    unusable_profiles,
)
from openclaw.auth.store import AuthProfile, StoreSnapshot
from openclaw.catalog.resolve import resolve_provider
from openclaw.config.schema import OpenClawConfig
from openclaw.config.validate import validate
from openclaw.errors import InputError
from openclaw.state.base import Cooldown

NOW = 1_800_000_000_000
HOUR = 3_600_000


def test_labels_never_show_a_whole_secret() -> None:
    key = AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY)
    assert profile_secret_label(key) == "sk-or-te...89abcdef"
    token = AuthProfile(id="x:t", provider="x", type="token", secret="tok-0123456789abcdef0123456789")
    assert profile_secret_label(token) == "token:tok-0123...23456789"
    ref = AuthProfile(id="x:r", provider="x", secret_ref={"source": "env", "id": "X_KEY"})
    assert profile_secret_label(ref) == "ref(env:X_KEY)"
    assert profile_secret_label(AuthProfile(id="x:m", provider="x")) == "missing"
    oauth = AuthProfile(id="x:o", provider="x", type="oauth", secret="at", email="me@example.com")
    assert profile_secret_label(oauth) == "OAuth (me@example.com)"


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "unknown"),
        (-5, "0m"),
        (10_000, "1m"),
        (45 * 60_000, "45m"),
        (5 * HOUR, "5h"),
        (47 * HOUR, "47h"),
        (72 * HOUR, "3d"),
    ],
)
def test_format_remaining(ms: int | None, text: str) -> None:
    assert format_remaining(ms) == text


def test_profile_health_statuses() -> None:
    def token(expires: int | None, secret: str | None = "t") -> AuthProfile:  # noqa: S107
        return AuthProfile(id="p:t", provider="p", type="token", secret=secret, expires=expires)

    assert profile_health(AuthProfile(id="p:k", provider="p", secret="k"), NOW)["status"] == "static"
    assert profile_health(token(None), NOW)["status"] == "static"
    assert profile_health(token(None, secret=None), NOW)["status"] == "missing"
    assert profile_health(token(NOW - 1), NOW)["status"] == "expired"
    expiring = profile_health(token(NOW + HOUR), NOW)
    assert expiring["status"] == "expiring"
    assert expiring["remainingMs"] == HOUR
    assert list(expiring) == [
        "profileId",
        "provider",
        "type",
        "status",
        "expiresAt",
        "remainingMs",
        "source",
        "label",
    ]
    assert profile_health(token(NOW + 48 * HOUR), NOW)["status"] == "ok"


def test_health_summary_per_provider_with_effective_order() -> None:
    snap = StoreSnapshot(
        {
            "openrouter:a": AuthProfile(id="openrouter:a", provider="openrouter", secret="k"),
            "openrouter:b": AuthProfile(
                id="openrouter:b", provider="openrouter", type="token", secret="t", expires=NOW + HOUR
            ),
        },
        {},
    )
    config = validate({"auth": {"order": {"openrouter": ["openrouter:b"]}}})
    summary = health_summary(snap, config, now_ms=NOW)
    assert summary["warnAfterMs"] == 86_400_000
    (provider,) = summary["providers"]
    assert provider["status"] == "expiring"
    assert provider["remainingMs"] == HOUR
    assert [p["profileId"] for p in provider["profiles"]] == ["openrouter:a", "openrouter:b"]
    assert [p["profileId"] for p in provider["effectiveProfiles"]] == ["openrouter:b"]


def test_provider_auth_sources_and_effective_kind() -> None:
    empty = StoreSnapshot({}, {})
    typed = validate({"models": {"providers": {"openrouter": {"apiKey": "sk-or-test-config-key-000000000"}}}})
    provider = resolve_provider("openrouter", typed, {})
    assert provider is not None
    overview = provider_auth(provider, snapshot=empty, config=typed, env={}, store_display="~/s")
    assert (overview.kind, overview.detail) == ("models.json", "sk-or-te...00000000")
    assert overview.config_key == ("sk-or-te...00000000", "config: models.providers.openrouter.apiKey")
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    overview = provider_auth(provider, snapshot=empty, config=typed, env=env, store_display="~/s")
    assert overview.kind == "env"
    assert overview.to_json()["env"] == {"value": "sk-or-te...89abcdef", "source": "env: OPENROUTER_API_KEY"}
    stored = StoreSnapshot(
        {"openrouter:default": AuthProfile(id="openrouter:default", provider="openrouter", secret=FAKE_KEY)},
        {},
    )
    overview = provider_auth(provider, snapshot=stored, config=typed, env=env, store_display="~/s")
    assert (overview.kind, overview.detail) == ("profiles", "~/s")
    assert overview.labels == ["openrouter:default=sk-or-te...89abcdef"]
    assert FAKE_KEY not in str(overview.to_json())


def test_env_ref_in_config_is_shown_as_a_marker() -> None:
    typed = validate({"models": {"providers": {"openrouter": {"apiKey": {"source": "env", "id": "MY_KEY"}}}}})
    provider = resolve_provider("openrouter", typed, {})
    assert provider is not None
    overview = provider_auth(
        provider, snapshot=StoreSnapshot({}, {}), config=typed, env={}, store_display="~/s"
    )
    assert overview.config_key is not None
    assert overview.config_key[0] == "marker(MY_KEY)"
    assert overview.kind == "missing"  # the variable is not set


def test_unusable_profiles_from_cooldowns() -> None:
    snap = StoreSnapshot(
        {"openrouter:a": AuthProfile(id="openrouter:a", provider="openrouter", secret="k")}, {}
    )
    now_s = NOW / 1000
    cooldowns = [
        Cooldown(key="openrouter:a", reason="rate_limit", until=now_s + 300),
        Cooldown(
            key="openrouter:a|openrouter/auto",
            reason="billing",
            until=now_s + 60,
            disabled=True,
            model="openrouter/auto",
        ),
        Cooldown(key="env:OPENROUTER_API_KEY#3fa94c", reason="auth", until=now_s + 120),  # not a profile
        Cooldown(key="openrouter:gone", reason="auth", until=now_s + 60),  # no longer stored
        Cooldown(key="openrouter:a", reason="rate_limit", until=now_s - 1),  # expired
    ]
    entries = unusable_profiles(snap, cooldowns, NOW, provider_of=lambda cred: "openrouter")
    assert [(e["kind"], e["remainingMs"]) for e in entries] == [
        ("disabled", 60_000),
        ("cooldown", 120_000),
        ("cooldown", 300_000),
    ]
    assert entries[1] == {
        "profileId": "env:OPENROUTER_API_KEY#3fa94c",
        "provider": "openrouter",
        "kind": "cooldown",
        "reason": "auth",
        "until": NOW + 120_000,
        "remainingMs": 120_000,
        "source": "env: OPENROUTER_API_KEY",
    }
    assert entries[0]["reason"] == "billing"
    assert entries[0]["model"] == "openrouter/auto"
    assert entries[2] == {
        "profileId": "openrouter:a",
        "provider": "openrouter",
        "kind": "cooldown",
        "reason": "rate_limit",
        "until": NOW + 300_000,
        "remainingMs": 300_000,
    }


def test_profile_entries_and_logout_cleanup() -> None:
    data: dict[str, Any] = {
        "auth": {"order": {"openrouter": ["openrouter:a", "openrouter:b"], "moonshot": []}}
    }
    set_profile_entry(data, "openrouter:a", "openrouter", "api_key")
    set_profile_entry(data, "openrouter:b", "openrouter", "token")
    assert data["auth"]["profiles"] == {
        "openrouter:a": {"provider": "openrouter", "mode": "api_key"},
        "openrouter:b": {"provider": "openrouter", "mode": "token"},
    }
    drop_profile(data, "openrouter:a")
    assert data["auth"]["order"] == {"openrouter": ["openrouter:b"], "moonshot": []}
    drop_profile(data, "openrouter:b")
    assert data["auth"] == {"profiles": {}, "order": {"moonshot": []}}  # an authored [] stays


def test_provider_key_references() -> None:
    data = {
        "models": {
            "providers": {
                "a": {"apiKey": "openrouter:x"},
                "b": {"apiKey": {"source": "store", "id": "openrouter:x"}},
                "c": {"apiKey": "sk-other"},
            }
        }
    }
    assert provider_key_references(data, "openrouter:x") == [
        "models.providers.a.apiKey",
        "models.providers.b.apiKey",
    ]
    assert provider_key_references({}, "openrouter:x") == []


@pytest.mark.parametrize(
    ("text", "ms"),
    [("365d", 365 * 86_400_000), ("12h", 12 * HOUR), ("90m", 5_400_000), ("2", 2 * 86_400_000)],
)
def test_parse_duration(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "soon", "0d", "-1d", "5x"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration_ms(text)


def test_validate_profile_id() -> None:
    assert validate_profile_id(" openrouter:work ", "openrouter") == "openrouter:work"
    for bad in ("work", "openrouter: x", "moonshot:x", "openrouter:"):
        with pytest.raises(InputError):
            validate_profile_id(bad, "openrouter")


def test_credential_provider_and_source() -> None:
    typed = OpenClawConfig()
    providers = [p for pid in ("anthropic", "openrouter") if (p := resolve_provider(pid, typed, {}))]
    assert credential_provider("env:OPENROUTER_API_KEY#3fa94c", providers) == "openrouter"
    assert credential_provider("env:OPENROUTER_API_KEYS#3fa94c", providers) == "openrouter"
    assert credential_provider("env:OPENCLAW_LIVE_ANTHROPIC_KEY#3fa94c", providers) == "anthropic"
    assert credential_provider("env:SOMETHING_ELSE#3fa94c", providers) is None
    assert credential_provider("config:openrouter#00aa11", providers) == "openrouter"
    assert credential_provider("local:ollama", providers) == "ollama"
    assert credential_source("config:openrouter#00aa11") == "config: models.providers.openrouter.apiKey"
    assert credential_source("env:OPENROUTER_API_KEY_2#3fa94c") == "env: OPENROUTER_API_KEY_2"
    assert credential_source("local:ollama") == "local"
