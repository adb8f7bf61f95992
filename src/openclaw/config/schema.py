"""The typed config schema (msgspec), used to validate ``openclaw.json`` and to print its JSON Schema.

Sections openclaw acts on are strict: an unknown key is an error with its key path. Sections that
belong to parts of OpenClaw outside the model layer (channels, plugins, hooks, ...) are accepted as
free-form objects so a real OpenClaw config loads unchanged. Field names are camelCase on disk.

Keys marked "(openclaw-py)" are extensions of this implementation; OpenClaw itself ignores them.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "AgentDefaults",
    "AgentEntry",
    "AgentsSection",
    "AuthProfileConfig",
    "AuthSection",
    "EnvSection",
    "GatewayAuth",
    "GatewaySection",
    "ModelCost",
    "ModelDefinition",
    "ModelEntryConfig",
    "ModelSelection",
    "ModelsSection",
    "OpenClawConfig",
    "ProviderConfig",
    "RoutingSection",
    "SecretRef",
    "StateSection",
    "UsageSection",
]

Free = dict[str, Any]


class _Strict(msgspec.Struct, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    pass


class SecretRef(_Strict):
    """``{ source: "env", provider: "default", id: "OPENROUTER_API_KEY" }``."""

    source: Literal["env", "file", "exec", "store"]
    id: str
    provider: str = "default"


Secret = str | SecretRef


# ---------------------------------------------------------------------------------------- env


class ShellEnv(_Strict):
    enabled: bool = False
    timeout_ms: int = 15000


class EnvSection(_Strict):
    """``env.vars`` (current form). Flat string keys directly under ``env`` (the provider page's
    legacy form) are folded into ``vars`` by the loader before validation."""

    vars: dict[str, str] = {}
    shell_env: ShellEnv | None = None


# ------------------------------------------------------------------------------------- models


class ModelCost(_Strict):
    """USD per 1M tokens."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0


class ModelDefinition(_Strict):
    id: str
    name: str | None = None
    reasoning: bool = False
    input: list[Literal["text", "image", "audio", "video", "file"]] = msgspec.field(
        default_factory=lambda: ["text"]
    )
    cost: ModelCost | None = None
    context_window: int | None = None
    context_tokens: int | None = None
    max_tokens: int | None = None
    compat: Free | None = None
    agent_runtime: Free | None = None
    supports_tools: bool | None = None  # (openclaw-py) False: never send tools to this model


class ProviderRequest(_Strict):
    headers: dict[str, Secret] | None = None
    auth: Free | None = None
    proxy: Free | None = None
    tls: Free | None = None
    allow_private_network: bool | None = None


class ProviderConfig(_Strict):
    base_url: str | None = None
    api: str | None = None
    api_key: Secret | None = None
    auth: Literal["api-key", "token", "oauth", "aws-sdk"] | None = None
    auth_header: bool | None = None
    headers: dict[str, Secret] | None = None
    max_tokens: int | None = None
    timeout_seconds: float | None = None
    params: Free | None = None
    request: ProviderRequest | None = None
    agent_runtime: Free | None = None
    inject_num_ctx_for_openai_compat: bool | None = msgspec.field(
        default=None, name="injectNumCtxForOpenAICompat"
    )
    local_service: Free | None = None
    models: list[ModelDefinition] | None = None


class CatalogRefresh(_Strict):
    enabled: bool = True
    url: str | None = None
    ttl_seconds: int | None = None  # (openclaw-py) how long the cached /models answer is fresh


class ModelsSection(_Strict):
    mode: Literal["merge", "replace"] = "merge"
    providers: dict[str, ProviderConfig] = {}
    catalog_refresh: CatalogRefresh | None = None


# ------------------------------------------------------------------------------------- agents


class ModelSelection(_Strict):
    primary: str | None = None
    fallbacks: list[str] | None = None


class ModelEntryConfig(_Strict):
    alias: str | None = None
    params: Free | None = None
    agent_runtime: Free | None = None


class ModelPolicy(_Strict):
    allow: list[str] = []


Thinking = Literal["off", "minimal", "low", "medium", "high", "xhigh", "adaptive", "max", "ultra"]


class AgentDefaults(_Strict):
    workspace: str | None = None
    model: str | ModelSelection | None = None
    models: dict[str, ModelEntryConfig] = {}
    model_policy: ModelPolicy | None = None
    params: Free | None = None
    image_model: str | ModelSelection | None = None
    utility_model: str | None = None
    thinking_default: Thinking | None = None
    timeout_seconds: float | None = None
    max_concurrent: int | None = None
    context_tokens: int | None = None
    # Keys of OpenClaw's agent runtime outside the model layer: accepted, not interpreted.
    repo_root: Any = None
    skip_bootstrap: Any = None
    bootstrap_max_chars: Any = None
    image_generation_model: Any = None
    verbose_default: Any = None
    elevated_default: Any = None
    compaction: Any = None
    context_pruning: Any = None
    heartbeat: Any = None
    sandbox: Any = None
    subagents: Any = None
    block_streaming_default: Any = None
    block_streaming_break: Any = None
    block_streaming_chunk: Any = None
    human_delay: Any = None
    typing_mode: Any = None
    typing_interval_seconds: Any = None
    media_max_mb: Any = None
    user_timezone: Any = None
    time_format: Any = None
    envelope_timezone: Any = None
    cli_backends: Any = None
    memory_search: Any = None
    skills: Any = None


class AgentEntry(_Strict):
    name: str | None = None
    workspace: str | None = None
    agent_dir: str | None = None
    identity: Free | None = None
    model: str | ModelSelection | None = None
    models: dict[str, ModelEntryConfig] | None = None
    model_policy: ModelPolicy | None = None
    params: Free | None = None
    thinking_default: Thinking | None = None
    utility_model: str | None = None
    default: bool | None = None
    tools: Any = None
    sandbox: Any = None
    skills: Any = None
    heartbeat: Any = None
    group_chat: Any = None
    subagents: Any = None


class AgentsSection(_Strict):
    defaults: AgentDefaults | None = None
    entries: dict[str, AgentEntry] = {}


# --------------------------------------------------------------------------------------- auth


class AuthProfileConfig(_Strict):
    provider: str
    mode: Literal["api_key", "oauth", "token", "aws-sdk"] = "api_key"
    email: str | None = None


class CooldownConfig(_Strict):
    """(openclaw-py) Cooldown schedule; defaults follow OpenClaw's documented values."""

    schedule_seconds: list[float] = msgspec.field(default_factory=lambda: [30.0, 60.0, 300.0])
    failure_window_hours: float = 24.0
    billing_backoff_hours: float = 5.0
    billing_max_hours: float = 24.0
    auth_backoff_minutes: float = 10.0
    auth_max_minutes: float = 60.0


class AuthSection(_Strict):
    profiles: dict[str, AuthProfileConfig] = {}
    order: dict[str, list[str]] = {}
    cooldowns: CooldownConfig | None = None
    shared_store: Free | None = None


# ------------------------------------------------------------------------------------ gateway


class ClientKey(_Strict):
    """(openclaw-py) A gateway client key; only its SHA-256 is stored."""

    sha256: str
    label: str | None = None
    created_at: str | None = None


class AuthRateLimit(_Strict):
    max_failures: int = 10
    window_seconds: float = 60.0
    lockout_seconds: float = 60.0


class GatewayAuth(_Strict):
    mode: Literal["none", "token", "password", "trusted-proxy"] = "token"
    token: Secret | None = None
    password: Secret | None = None
    allow_tailscale: bool | None = None
    allow_insecure_none: bool = False  # (openclaw-py) allow mode "none" off loopback
    client_keys: dict[str, ClientKey] = {}  # (openclaw-py)
    rate_limit: AuthRateLimit | None = None  # (openclaw-py)


class Endpoint(_Strict):
    enabled: bool = True


class HttpEndpoints(_Strict):
    chat_completions: Endpoint | None = None
    responses: Endpoint | None = None
    messages: Endpoint | None = None  # (openclaw-py) Anthropic Messages door
    embeddings: Endpoint | None = None


class GatewayHttp(_Strict):
    endpoints: HttpEndpoints | None = None


class GatewayLimits(_Strict):
    """(openclaw-py)"""

    max_body_bytes: int = 20 * 1024 * 1024
    max_messages: int = 2048
    request_timeout_seconds: float = 600.0
    header_timeout_seconds: float = 10.0


class GatewayLogging(_Strict):
    """(openclaw-py)"""

    format: Literal["text", "json"] = "text"
    requests: bool = True
    include_prompts: bool = False


class GatewaySection(_Strict):
    mode: Literal["local", "remote"] = "local"
    port: int = 18789
    bind: str = "loopback"
    custom_bind_host: str | None = None
    auth: GatewayAuth | None = None
    tailscale: Free | None = None
    http: GatewayHttp | None = None
    control_ui: Free | None = None
    reload: Free | None = None
    remote: Free | None = None
    trusted_proxies: list[str] | None = None
    tls: Free | None = None
    limits: GatewayLimits | None = None  # (openclaw-py)
    logging: GatewayLogging | None = None  # (openclaw-py)
    workers: int = 1  # (openclaw-py) processes sharing the port (SO_REUSEPORT)
    drain_seconds: float = 30.0  # (openclaw-py) SIGTERM grace period for in-flight requests


# ------------------------------------------------------------------- openclaw-py extensions


class RetryConfig(_Strict):
    max_retries: int = 2
    base_delay_ms: float = 1000.0
    max_delay_ms: float = 30000.0
    jitter: float = 0.2
    max_retry_after_seconds: float = 60.0


class RoutingSection(_Strict):
    """(openclaw-py) Retry and time-budget policy shared by the CLI and the gateway."""

    request_timeout_seconds: float = 600.0
    attempt_timeout_seconds: float | None = None
    retry: RetryConfig | None = None


class StateSection(_Strict):
    """(openclaw-py) Where cooldowns, rate limits and round-robin cursors live."""

    kind: Literal["local", "redis"] = "local"
    url: str | None = None
    prefix: str = "openclaw:"


class UsageStore(_Strict):
    kind: Literal["sqlite", "postgres", "off"] = "sqlite"
    dsn: str | None = None
    path: str | None = None


class UsageSection(_Strict):
    """(openclaw-py) The usage ledger."""

    store: UsageStore | None = None


# --------------------------------------------------------------------------------------- root


class OpenClawConfig(_Strict):
    schema_: str | None = msgspec.field(default=None, name="$schema")
    meta: Free | None = None
    env: EnvSection | None = None
    agents: AgentsSection | None = None
    models: ModelsSection | None = None
    auth: AuthSection | None = None
    gateway: GatewaySection | None = None
    routing: RoutingSection | None = None
    state: StateSection | None = None
    usage: UsageSection | None = None
    # OpenClaw sections outside the model layer: accepted as they are.
    plugins: Free | None = None
    hooks: Free | None = None
    tools: Free | None = None
    wizard: Free | None = None
    channels: Free | None = None
    messages: Free | None = None
    session: Free | None = None
    commands: Free | None = None
    logging: Free | None = None
    browser: Free | None = None
    skills: Free | None = None
    ui: Free | None = None
    update: Free | None = None
    cron: Free | None = None
    diagnostics: Free | None = None
    memory: Free | None = None
    talk: Free | None = None
    web: Free | None = None
    secrets: Free | None = None
    bindings: Any = None
    broadcast: Free | None = None
    audio: Free | None = None
    discovery: Free | None = None
    canvas_host: Free | None = None
    node_host: Free | None = None
    approvals: Free | None = None
    media: Free | None = None
    tts: Free | None = None
