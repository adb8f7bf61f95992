"""Built-in providers, one data row each.

A provider that speaks an OpenAI- or Anthropic-compatible API needs nothing but a row here: id,
base URL, API kind, the env vars that may hold its key. Behaviour that really differs lives in a
small hook module (``openrouter.py``), never in ``if provider == ...`` branches in the core.

User-defined providers come from ``models.providers.<id>`` in the config and are merged over these
rows by :func:`openclaw.catalog.resolve.resolve_provider`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "API_KINDS",
    "BUILTIN_PROVIDERS",
    "PROVIDER_ALIASES",
    "SUPPORTED_API_KINDS",
    "ProviderRow",
    "builtin_provider",
    "rotation_prefix",
]

# Every api kind OpenClaw's config accepts; the ones we can call are SUPPORTED_API_KINDS.
API_KINDS = (
    "openai-completions",
    "openai-responses",
    "openai-chatgpt-responses",
    "anthropic-messages",
    "google-generative-ai",
    "google-vertex",
    "github-copilot",
    "bedrock-converse-stream",
    "ollama",
    "azure-openai-responses",
)
SUPPORTED_API_KINDS = ("openai-completions", "anthropic-messages")


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: str
    label: str
    base_url: str
    api: str
    env_vars: tuple[str, ...] = ()
    auth_choice: str | None = None  # onboarding --auth-choice that sets this provider up
    key_flag: str | None = None  # onboarding flag carrying the key, e.g. --openrouter-api-key
    default_model: str | None = None  # recommended model id (without the provider prefix)
    local: bool = False  # runs on the user's machine; a placeholder key is acceptable
    headers: tuple[tuple[str, str], ...] = field(default=())
    # Model ids without a "/" are sent upstream with this prefix: "openrouter/auto" → "openrouter/auto".
    bare_model_prefix: str | None = None


def _row(
    id: str,
    label: str,
    base_url: str,
    api: str,
    *env_vars: str,
    auth_choice: str | None = None,
    default_model: str | None = None,
    local: bool = False,
    bare_model_prefix: str | None = None,
) -> ProviderRow:
    choice = auth_choice if auth_choice is not None else f"{id}-api-key"
    return ProviderRow(
        id=id,
        label=label,
        base_url=base_url,
        api=api,
        env_vars=env_vars,
        auth_choice=choice,
        key_flag=f"--{choice}" if choice.endswith("-api-key") else None,
        default_model=default_model,
        local=local,
        bare_model_prefix=bare_model_prefix,
    )


_OAI = "openai-completions"
_ANT = "anthropic-messages"

_ROWS = (
    _row(
        "openrouter",
        "OpenRouter",
        "https://openrouter.ai/api/v1",
        _OAI,
        "OPENROUTER_API_KEY",
        default_model="auto",
        bare_model_prefix="openrouter/",
    ),
    _row("openai", "OpenAI", "https://api.openai.com/v1", _OAI, "OPENAI_API_KEY", default_model="gpt-5.4"),
    _row(
        "anthropic",
        "Anthropic",
        "https://api.anthropic.com",
        _ANT,
        "ANTHROPIC_API_KEY",
        default_model="claude-sonnet-4-5",
    ),
    _row(
        "vercel-ai-gateway",
        "Vercel AI Gateway",
        "https://ai-gateway.vercel.sh/v1",
        _OAI,
        "AI_GATEWAY_API_KEY",
        auth_choice="ai-gateway-api-key",
        default_model="anthropic/claude-sonnet-4.5",
    ),
    _row(
        "moonshot",
        "Moonshot AI",
        "https://api.moonshot.ai/v1",
        _OAI,
        "MOONSHOT_API_KEY",
        default_model="kimi-k2.5",
    ),
    _row(
        "kimi-coding",
        "Kimi Coding",
        "https://api.kimi.com/coding",
        _ANT,
        "KIMI_API_KEY",
        auth_choice="kimi-code-api-key",
        default_model="kimi-for-coding",
    ),
    _row(
        "minimax",
        "MiniMax",
        "https://api.minimax.io/anthropic",
        _ANT,
        "MINIMAX_API_KEY",
        default_model="MiniMax-M2.1",
    ),
    _row(
        "opencode",
        "OpenCode Zen",
        "https://opencode.ai/zen/v1",
        _OAI,
        "OPENCODE_API_KEY",
        "OPENCODE_ZEN_API_KEY",
        auth_choice="opencode-zen",
        default_model="claude-sonnet-4-5",
    ),
    _row(
        "zai",
        "Z.AI (GLM)",
        "https://api.z.ai/api/paas/v4",
        _OAI,
        "ZAI_API_KEY",
        "Z_AI_API_KEY",
        default_model="glm-4.7",
    ),
    _row(
        "synthetic",
        "Synthetic",
        "https://api.synthetic.new/anthropic",
        _ANT,
        "SYNTHETIC_API_KEY",
        default_model="hf:MiniMaxAI/MiniMax-M2.1",
    ),
    _row("groq", "Groq", "https://api.groq.com/openai/v1", _OAI, "GROQ_API_KEY"),
    _row("mistral", "Mistral", "https://api.mistral.ai/v1", _OAI, "MISTRAL_API_KEY"),
    _row("deepseek", "DeepSeek", "https://api.deepseek.com/v1", _OAI, "DEEPSEEK_API_KEY"),
    _row("together", "Together AI", "https://api.together.xyz/v1", _OAI, "TOGETHER_API_KEY"),
    _row("cerebras", "Cerebras", "https://api.cerebras.ai/v1", _OAI, "CEREBRAS_API_KEY"),
    _row("fireworks", "Fireworks", "https://api.fireworks.ai/inference/v1", _OAI, "FIREWORKS_API_KEY"),
    _row("deepinfra", "DeepInfra", "https://api.deepinfra.com/v1/openai", _OAI, "DEEPINFRA_API_KEY"),
    _row("nvidia", "NVIDIA", "https://integrate.api.nvidia.com/v1", _OAI, "NVIDIA_API_KEY"),
    _row("novita", "Novita", "https://api.novita.ai/openai/v1", _OAI, "NOVITA_API_KEY"),
    _row(
        "huggingface",
        "Hugging Face",
        "https://router.huggingface.co/v1",
        _OAI,
        "HUGGINGFACE_HUB_TOKEN",
        "HF_TOKEN",
    ),
    _row("venice", "Venice", "https://api.venice.ai/api/v1", _OAI, "VENICE_API_KEY"),
    _row("qianfan", "Qianfan", "https://qianfan.baidubce.com/v2", _OAI, "QIANFAN_API_KEY"),
    _row("xai", "xAI", "https://api.x.ai/v1", _OAI, "XAI_API_KEY"),
    _row(
        "google",
        "Google Gemini (OpenAI-compatible endpoint)",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        _OAI,
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        auth_choice="gemini-api-key",
    ),
    _row("litellm", "LiteLLM proxy", "http://localhost:4000", _OAI, "LITELLM_API_KEY", local=True),
    _row("vllm", "vLLM", "http://127.0.0.1:8000/v1", _OAI, "VLLM_API_KEY", local=True),
    _row("sglang", "SGLang", "http://127.0.0.1:30000/v1", _OAI, "SGLANG_API_KEY", local=True),
    _row("lmstudio", "LM Studio", "http://localhost:1234/v1", _OAI, "LM_API_TOKEN", local=True),
    _row(
        "ollama",
        "Ollama (OpenAI-compatible endpoint)",
        "http://127.0.0.1:11434/v1",
        _OAI,
        "OLLAMA_API_KEY",
        local=True,
    ),
)

BUILTIN_PROVIDERS: dict[str, ProviderRow] = {row.id: row for row in _ROWS}

# Alternative spellings people type; the parser maps them to the canonical id.
PROVIDER_ALIASES: dict[str, str] = {
    "z.ai": "zai",
    "z-ai": "zai",
    "glm": "zai",
    "opencode-zen": "opencode",
    "kimi-code": "kimi-coding",
    "kimi": "kimi-coding",
    "vercel": "vercel-ai-gateway",
    "ai-gateway": "vercel-ai-gateway",
    "gemini": "google",
}


def builtin_provider(provider_id: str) -> ProviderRow | None:
    return BUILTIN_PROVIDERS.get(PROVIDER_ALIASES.get(provider_id, provider_id))


def rotation_prefix(provider_id: str, row: ProviderRow | None = None) -> str:
    """Env prefix for key lists: ``OPENROUTER`` → ``OPENROUTER_API_KEYS``, ``OPENROUTER_API_KEY_1``.

    Derived from the provider's first env var when it follows the ``<X>_API_KEY`` pattern
    (``AI_GATEWAY`` for vercel-ai-gateway), else from the id upper-cased with ``-`` → ``_``.
    """
    if row is not None and row.env_vars and row.env_vars[0].endswith("_API_KEY"):
        return row.env_vars[0][: -len("_API_KEY")]
    return provider_id.upper().replace("-", "_").replace(".", "_")
