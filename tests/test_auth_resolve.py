"""Credential precedence (OpenClaw §9): pinned > profiles in order > env keys > config apiKey > local."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import FAKE_KEY, FAKE_KEY_2
from openclaw.auth.resolve import CredentialPlan, missing_credential_error, plan_credentials, profile_order
from openclaw.auth.store import AuthProfile, StoreSnapshot
from openclaw.catalog.resolve import resolve_provider
from openclaw.config.validate import validate
from openclaw.errors import CredentialError

NOW = 1_800_000_000_000


def _snap(
    *profiles: AuthProfile, order: dict[str, list[str]] | None = None, agents: Any = None
) -> StoreSnapshot:
    return StoreSnapshot({p.id: p for p in profiles}, order or {}, agents or {})


def _key(pid: str, secret: str, provider: str = "openrouter", **kw: Any) -> AuthProfile:
    return AuthProfile(id=pid, provider=provider, secret=secret, **kw)


def _plan(
    snapshot: StoreSnapshot,
    env: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    **kw: Any,
) -> CredentialPlan:
    typed = validate(config or {})
    pid = kw.pop("provider", "openrouter")
    provider = resolve_provider(pid, typed, env or {})
    assert provider is not None
    return plan_credentials(provider, snapshot=snapshot, config=typed, env=env or {}, now_ms=NOW, **kw)


def _labels(plan: CredentialPlan) -> list[str]:
    return [c.label for c in plan.credentials]


def test_full_precedence_chain() -> None:
    snapshot = _snap(_key("openrouter:default", "k-profile"))
    env = {
        "OPENROUTER_API_KEYS": "k-list1, k-list2;k-list3",
        "OPENROUTER_API_KEY": "k-env",
        "OPENROUTER_API_KEY_2": "k-num2",
        "OPENROUTER_API_KEY_1": "k-num1",
        "CFG_KEY": "k-config",
    }
    config = {"models": {"providers": {"openrouter": {"apiKey": "k-config"}}}}
    plan = _plan(snapshot, env, config)
    secrets = [c.secret for c in plan.credentials]
    assert secrets == ["k-profile", "k-list1", "k-list2", "k-list3", "k-env", "k-num1", "k-num2", "k-config"]
    assert [c.source for c in plan.credentials] == ["profile"] + ["env"] * 6 + ["config"]
    assert plan.credentials[4].env_var == "OPENROUTER_API_KEY"


def test_live_key_pins_exactly_one_env_key() -> None:
    env = {"OPENCLAW_LIVE_OPENROUTER_KEY": "k-live", "OPENROUTER_API_KEY": "k-env"}
    plan = _plan(_snap(_key("openrouter:default", "k-profile")), env)
    assert [c.secret for c in plan.credentials] == ["k-profile", "k-live"]


def test_pinned_profile_is_the_only_candidate() -> None:
    snapshot = _snap(_key("openrouter:default", FAKE_KEY), _key("openrouter:work", FAKE_KEY_2))
    plan = _plan(snapshot, {"OPENROUTER_API_KEY": "k-env"}, pinned_profile="openrouter:work")
    assert _labels(plan) == ["openrouter:work"]
    with pytest.raises(CredentialError) as info:
        _plan(snapshot, pinned_profile="openrouter:nope")
    assert 'No credentials found for profile "openrouter:nope"' in info.value.message


def test_duplicate_secrets_are_tried_once() -> None:
    plan = _plan(_snap(_key("openrouter:default", FAKE_KEY)), {"OPENROUTER_API_KEY": FAKE_KEY})
    assert _labels(plan) == ["openrouter:default"]


def test_stored_override_beats_config_order_which_excludes_others() -> None:
    a, b, c = (_key(f"openrouter:{n}", f"k-{n}") for n in "abc")
    config = {"auth": {"order": {"openrouter": ["openrouter:c", "openrouter:a"]}}}
    plan = _plan(_snap(a, b, c), config=config)
    assert _labels(plan) == ["openrouter:c", "openrouter:a"]
    assert ("openrouter:b", "excluded_by_auth_order") in plan.skipped
    plan = _plan(_snap(a, b, c, order={"openrouter": ["openrouter:b"]}), config=config)
    assert _labels(plan) == ["openrouter:b"]


def test_per_agent_override() -> None:
    a, b = _key("openrouter:a", "k-a"), _key("openrouter:b", "k-b")
    snapshot = _snap(
        a,
        b,
        order={"openrouter": ["openrouter:a", "openrouter:b"]},
        agents={"work": {"openrouter": ["openrouter:b"]}},
    )
    assert _labels(_plan(snapshot)) == ["openrouter:a", "openrouter:b"]
    assert _labels(_plan(snapshot, agent_id="work")) == ["openrouter:b"]


def test_empty_config_order_disables_profiles_but_not_env() -> None:
    config: dict[str, Any] = {"auth": {"order": {"openrouter": []}}}
    plan = _plan(_snap(_key("openrouter:default", "k-profile")), {"OPENROUTER_API_KEY": "k-env"}, config)
    assert [c.secret for c in plan.credentials] == ["k-env"]


def test_config_profiles_come_first_then_other_stored_with_tokens_before_keys() -> None:
    key = _key("openrouter:default", "k-key")
    token = AuthProfile(id="openrouter:tok", provider="openrouter", type="token", secret="k-tok")
    extra = _key("openrouter:extra", "k-extra")
    config = {"auth": {"profiles": {"openrouter:default": {"provider": "openrouter", "mode": "api_key"}}}}
    ids, excluded = profile_order("openrouter", _snap(key, token, extra), validate(config))
    assert ids == ["openrouter:tok", "openrouter:default", "openrouter:extra"]
    assert excluded == set()


def test_token_expiry_and_refs() -> None:
    expired = AuthProfile(
        id="openrouter:old", provider="openrouter", type="token", secret="k-old", expires=NOW - 1
    )
    bad = AuthProfile(id="openrouter:bad", provider="openrouter", type="token", secret="k-bad", expires=-5)
    ref = AuthProfile(
        id="openrouter:ref",
        provider="openrouter",
        secret_ref={"source": "env", "provider": "default", "id": "MY_KEY"},
    )
    plan = _plan(_snap(expired, bad, ref))
    assert plan.credentials == []
    assert dict(plan.skipped) == {
        "openrouter:old": "expired",
        "openrouter:bad": "invalid_expires",
        "openrouter:ref": "unresolved_ref",
    }
    plan = _plan(_snap(ref), {"MY_KEY": "k-from-ref"})
    assert [c.secret for c in plan.credentials] == ["k-from-ref"]


def test_profiles_of_other_providers_are_ignored() -> None:
    plan = _plan(_snap(_key("moonshot:default", "k-moon", provider="moonshot")))
    assert not plan


def test_local_provider_gets_a_placeholder_only_without_keys() -> None:
    plan = _plan(_snap(), provider="ollama")
    assert [c.source for c in plan.credentials] == ["local"]
    plan = _plan(_snap(), {"OLLAMA_API_KEY": "k-ollama"}, provider="ollama")
    assert [c.secret for c in plan.credentials] == ["k-ollama"]


def test_missing_credential_error_names_the_fixes() -> None:
    provider = resolve_provider("openrouter", validate({}), {})
    assert provider is not None
    error = missing_credential_error(provider, "~/.openclaw/state/openclaw.sqlite")
    assert 'No API key found for provider "openrouter"' in error.message
    assert "OPENROUTER_API_KEY" in error.message
    assert "paste-api-key --provider openrouter" in error.message
