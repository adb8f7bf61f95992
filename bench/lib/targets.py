"""What is measured: scenarios (request shapes) and targets (the fake upstream direct, the proxies).

A scenario names an API shape and whether it streams. A target knows how to start its server
(pinned to the proxy CPUs) and how to phrase each scenario's request for itself; it returns
``None`` for a scenario it cannot serve, and the harness reports "n/a" for it. Adding a scenario
is one ``Scenario`` row plus, where the shape is new, one ``RequestSpec`` builder per target.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lua import RequestSpec
from .procs import Managed, Processes

__all__ = [
    "GATEWAY_TOKEN",
    "SCENARIOS",
    "Context",
    "DirectTarget",
    "LiteLLMTarget",
    "OpenclawTarget",
    "PortkeyTarget",
    "Scenario",
    "Target",
    "chat_body",
    "clean_env",
    "deep_merge",
    "messages_body",
]

BENCH_DIR = Path(__file__).resolve().parent.parent
UPSTREAM_KEY = "sk-or-bench-upstream-0123456789abcdef"
GATEWAY_TOKEN = "bench-gateway-token-0123456789abcdef"
LITELLM_MASTER_KEY = "sk-bench-master-key"
PROMPT = "Say hello in one short sentence."
ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class Scenario:
    name: str
    api: str  # "chat" (OpenAI chat completions) or "messages" (Anthropic Messages)
    stream: bool


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("chat", "chat", stream=False),
    Scenario("chat-stream", "chat", stream=True),
    Scenario("messages", "messages", stream=False),
    Scenario("messages-stream", "messages", stream=True),
)


@dataclass(frozen=True)
class Context:
    """What a target needs to start: where the upstream is, where to write, which CPUs."""

    upstream_port: int
    run_dir: Path
    proxy_cpus: str
    port: int

    @property
    def upstream_root(self) -> str:
        return f"http://127.0.0.1:{self.upstream_port}"


def chat_body(model: str, stream: bool) -> bytes:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 64,
        "stream": stream,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def messages_body(model: str, stream: bool) -> bytes:
    body = {
        "model": model,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": stream,
    }
    return json.dumps(body, separators=(",", ":")).encode()


_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without proxies or provider keys, plus ``extra``."""
    drop = ("OPENCLAW_", "OPENROUTER_", "OPENAI_", "ANTHROPIC_", "LITELLM_", "PORTKEY_")
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS and not k.startswith(drop)}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


class Target:
    """A server under test. ``start`` returns the process (None when nothing is started)."""

    name = "target"
    startup_timeout_s = 60.0

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ctx.port}"

    def start(self, procs: Processes) -> Managed | None:
        raise NotImplementedError

    def request(self, scenario: Scenario) -> RequestSpec | None:
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        return {}


class DirectTarget(Target):
    """The fake upstream itself, no proxy: the denominator of every share."""

    name = "direct"

    @property
    def base_url(self) -> str:
        return self.ctx.upstream_root

    def start(self, procs: Processes) -> Managed | None:
        return None

    def request(self, scenario: Scenario) -> RequestSpec | None:
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {UPSTREAM_KEY}"}
        if scenario.api == "chat":
            return RequestSpec(
                "/api/v1/chat/completions", chat_body("openai/gpt-4o-mini", scenario.stream), auth
            )
        if scenario.api == "messages":
            headers = {
                "Content-Type": "application/json",
                "x-api-key": UPSTREAM_KEY,
                "anthropic-version": ANTHROPIC_VERSION,
            }
            return RequestSpec(
                "/v1/messages", messages_body("claude-3-5-haiku-latest", scenario.stream), headers
            )
        return None


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, nested dicts merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class OpenclawTarget(Target):
    """``openclaw gateway run`` with one worker, routing openrouter/* to the fake upstream.

    A variant (``openclaw-NAME``) lays ``extra_config`` over the base config, e.g. to measure the
    cost of one feature by switching it off. ``source`` runs the gateway from another source tree
    (its ``src`` goes first on ``PYTHONPATH``), e.g. a ``git worktree`` of the previous commit, to
    measure a code change.
    """

    name = "openclaw"
    startup_timeout_s = 60.0

    def __init__(
        self,
        ctx: Context,
        variant: str = "",
        extra_config: dict[str, Any] | None = None,
        source: Path | None = None,
    ) -> None:
        super().__init__(ctx)
        self.name = f"openclaw-{variant}" if variant else "openclaw"
        self.extra_config = extra_config or {}
        self.source = source

    def config(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "gateway": {"port": self.ctx.port, "auth": {"mode": "token", "token": GATEWAY_TOKEN}},
            "models": {"providers": {"openrouter": {"baseUrl": f"{self.ctx.upstream_root}/api/v1"}}},
        }
        return deep_merge(base, self.extra_config)

    def start(self, procs: Processes) -> Managed | None:
        state = self.ctx.run_dir / f"{self.name}-state"
        state.mkdir(parents=True, exist_ok=True)
        config_path = state / "openclaw.json"
        config_path.write_text(json.dumps(self.config(), indent=2))
        config_path.chmod(0o600)
        env = clean_env(
            OPENCLAW_STATE_DIR=str(state),
            OPENCLAW_CONFIG_PATH=str(config_path),
            OPENROUTER_API_KEY=UPSTREAM_KEY,
        )
        if self.source is not None:
            env["PYTHONPATH"] = str(self.source / "src")
        argv = [
            sys.executable,
            "-m",
            "openclaw",
            "gateway",
            "run",
            "--port",
            str(self.ctx.port),
            "--bind",
            "127.0.0.1",
            "--workers",
            "1",
        ]
        return procs.start(
            self.name, argv, cpus=self.ctx.proxy_cpus, log=self.ctx.run_dir / f"{self.name}.log", env=env
        )

    def request(self, scenario: Scenario) -> RequestSpec | None:
        model = "openrouter/openai/gpt-4o-mini"
        if scenario.api == "chat":
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {GATEWAY_TOKEN}"}
            return RequestSpec("/v1/chat/completions", chat_body(model, scenario.stream), headers)
        if scenario.api == "messages":
            headers = {
                "Content-Type": "application/json",
                "x-api-key": GATEWAY_TOKEN,
                "anthropic-version": ANTHROPIC_VERSION,
            }
            return RequestSpec("/v1/messages", messages_body(model, scenario.stream), headers)
        return None


class PortkeyTarget(Target):
    """Portkey's gateway on node, bound to 127.0.0.1 by bench/portkey_preload.mjs."""

    name = "portkey"
    startup_timeout_s = 60.0

    def __init__(self, ctx: Context, entry: Path, node: str) -> None:
        super().__init__(ctx)
        self.entry = entry
        self.node = node

    def start(self, procs: Processes) -> Managed | None:
        preload = BENCH_DIR / "portkey_preload.mjs"
        argv = [
            self.node,
            "--import",
            preload.as_uri(),
            str(self.entry),
            f"--port={self.ctx.port}",
            "--headless",
        ]
        env = clean_env(NODE_ENV="production", BENCH_BIND_HOST="127.0.0.1")
        return procs.start(
            self.name,
            argv,
            cpus=self.ctx.proxy_cpus,
            log=self.ctx.run_dir / "portkey.log",
            env=env,
            cwd=self.entry.parent.parent,
        )

    def _config(self, provider: str, host_path: str) -> str:
        cfg = {
            "provider": provider,
            "api_key": UPSTREAM_KEY,
            "custom_host": f"{self.ctx.upstream_root}{host_path}",
        }
        return json.dumps(cfg, separators=(",", ":"))

    def request(self, scenario: Scenario) -> RequestSpec | None:
        if scenario.api == "chat":
            headers = {
                "Content-Type": "application/json",
                "x-portkey-config": self._config("openai", "/api/v1"),
            }
            return RequestSpec(
                "/v1/chat/completions", chat_body("openai/gpt-4o-mini", scenario.stream), headers
            )
        if scenario.api == "messages":
            headers = {
                "Content-Type": "application/json",
                "anthropic-version": ANTHROPIC_VERSION,
                "x-portkey-config": self._config("anthropic", "/v1"),
            }
            return RequestSpec(
                "/v1/messages", messages_body("claude-3-5-haiku-latest", scenario.stream), headers
            )
        return None

    def versions(self) -> dict[str, str]:
        pkg = json.loads((self.entry.parent.parent / "package.json").read_text())
        return {"portkey": str(pkg.get("version")), "node": _node_version(self.node)}


class LiteLLMTarget(Target):
    """LiteLLM's proxy (uvicorn, one worker) from its own venv, config from bench/litellm_config.yaml."""

    name = "litellm"
    startup_timeout_s = 180.0

    def __init__(self, ctx: Context, python: Path) -> None:
        super().__init__(ctx)
        self.python = python

    def start(self, procs: Processes) -> Managed | None:
        template = (BENCH_DIR / "litellm_config.yaml").read_text()
        config = self.ctx.run_dir / "litellm_config.yaml"
        config.write_text(template.replace("{{UPSTREAM_API_BASE}}", f"{self.ctx.upstream_root}/api/v1"))
        litellm = self.python.parent / "litellm"
        argv = [
            str(litellm),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ctx.port),
            "--num_workers",
            "1",
        ]
        env = clean_env(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False")
        return procs.start(
            self.name, argv, cpus=self.ctx.proxy_cpus, log=self.ctx.run_dir / "litellm.log", env=env
        )

    def request(self, scenario: Scenario) -> RequestSpec | None:
        auth = {"Content-Type": "application/json", "Authorization": f"Bearer {LITELLM_MASTER_KEY}"}
        if scenario.api == "chat":
            return RequestSpec("/v1/chat/completions", chat_body("gpt-4o-mini", scenario.stream), auth)
        if scenario.api == "messages":
            headers = {**auth, "anthropic-version": ANTHROPIC_VERSION}
            return RequestSpec("/v1/messages", messages_body("gpt-4o-mini", scenario.stream), headers)
        return None

    def versions(self) -> dict[str, str]:
        import subprocess

        done = subprocess.run(
            [str(self.python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return {"litellm": done.stdout.strip() or "unknown"}


def _node_version(node: str) -> str:
    import subprocess

    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip()
