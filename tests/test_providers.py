"""Built-in provider rows and user-defined providers (models.providers.<id>)."""

from __future__ import annotations

import pytest

from openclaw.catalog.providers import BUILTIN_PROVIDERS, PROVIDER_ALIASES, builtin_provider, rotation_prefix
from openclaw.catalog.resolve import known_provider_ids, resolve_provider
from openclaw.config.validate import validate

# The providers the OpenRouter page's sidebar names (the list), with what a request needs.
REQUIRED = {
    "openrouter": ("https://openrouter.ai/api/v1", "openai-completions", "OPENROUTER_API_KEY"),
    "openai": ("https://api.openai.com/v1", "openai-completions", "OPENAI_API_KEY"),
    "anthropic": ("https://api.anthropic.com", "anthropic-messages", "ANTHROPIC_API_KEY"),
    "vercel-ai-gateway": ("https://ai-gateway.vercel.sh/v1", "openai-completions", "AI_GATEWAY_API_KEY"),
    "moonshot": ("https://api.moonshot.ai/v1", "openai-completions", "MOONSHOT_API_KEY"),
    "minimax": ("https://api.minimax.io/anthropic", "anthropic-messages", "MINIMAX_API_KEY"),
    "opencode": ("https://opencode.ai/zen/v1", "openai-completions", "OPENCODE_API_KEY"),
    "zai": ("https://api.z.ai/api/paas/v4", "openai-completions", "ZAI_API_KEY"),
    "synthetic": ("https://api.synthetic.new/anthropic", "anthropic-messages", "SYNTHETIC_API_KEY"),
}


@pytest.mark.parametrize("pid", sorted(REQUIRED))
def test_required_builtin_rows(pid: str) -> None:
    base_url, api, env_var = REQUIRED[pid]
    row = BUILTIN_PROVIDERS[pid]
    assert row.base_url == base_url
    assert row.api == api
    assert env_var in row.env_vars
    assert row.auth_choice, "every required provider can be onboarded"
    assert row.label


def test_glm_is_the_zai_provider() -> None:
    assert PROVIDER_ALIASES["glm"] == "zai"
    assert PROVIDER_ALIASES["z.ai"] == "zai"
    row = builtin_provider("z.ai")
    assert row is not None
    assert row.id == "zai"
    assert "Z_AI_API_KEY" in row.env_vars


def test_onboarding_choices_are_unique_and_map_to_key_flags() -> None:
    choices = [r.auth_choice for r in BUILTIN_PROVIDERS.values() if r.auth_choice]
    assert len(choices) == len(set(choices))
    assert BUILTIN_PROVIDERS["openrouter"].auth_choice == "openrouter-api-key"
    assert BUILTIN_PROVIDERS["openrouter"].key_flag == "--openrouter-api-key"
    assert BUILTIN_PROVIDERS["vercel-ai-gateway"].auth_choice == "ai-gateway-api-key"


def test_rotation_prefix_follows_the_env_var() -> None:
    assert rotation_prefix("openrouter", BUILTIN_PROVIDERS["openrouter"]) == "OPENROUTER"
    assert rotation_prefix("vercel-ai-gateway", BUILTIN_PROVIDERS["vercel-ai-gateway"]) == "AI_GATEWAY"
    assert rotation_prefix("my-proxy") == "MY_PROXY"


def test_builtin_provider_resolves_without_config() -> None:
    provider = resolve_provider("openrouter", validate({}), {})
    assert provider is not None
    assert provider.base_url == "https://openrouter.ai/api/v1"
    assert provider.verified_openrouter
    assert not provider.configured


def test_user_defined_provider_resolves_with_its_models() -> None:
    config = validate(
        {
            "models": {
                "providers": {
                    "mylocal": {
                        "baseUrl": "http://127.0.0.1:8000/v1/",
                        "apiKey": "${MYLOCAL_KEY}",
                        "models": [
                            {"id": "qwen3", "name": "Qwen 3", "contextWindow": 32768, "input": ["text"]}
                        ],
                    }
                }
            }
        }
    )
    provider = resolve_provider("mylocal", config, {})
    assert provider is not None
    assert provider.api == "openai-completions"  # the default for a custom provider
    assert provider.base_url == "http://127.0.0.1:8000/v1"
    assert provider.local  # loopback
    assert provider.configured
    assert provider.models["qwen3"].context_window == 32768
    assert "mylocal" in known_provider_ids(config)
    assert resolve_provider("nosuch", config, {}) is None


def test_config_overrides_a_builtin_base_url_and_legacy_api_value() -> None:
    config = validate(
        {"models": {"providers": {"openrouter": {"baseUrl": "http://localhost:4000/v1", "api": "openai"}}}}
    )
    provider = resolve_provider("openrouter", config, {})
    assert provider is not None
    assert provider.base_url == "http://localhost:4000/v1"
    assert provider.api == "openai-completions"
    assert not provider.verified_openrouter


def test_config_api_key_env_secret_ref_resolves_from_env() -> None:
    config = validate(
        {
            "models": {
                "providers": {
                    "openrouter": {"apiKey": {"source": "env", "provider": "default", "id": "MY_KEY"}}
                }
            }
        }
    )
    provider = resolve_provider("openrouter", config, {"MY_KEY": "sk-or-test-xyz0000000000"})
    assert provider is not None
    assert provider.api_key == "sk-or-test-xyz0000000000"
    assert provider.api_key_env == "MY_KEY"
