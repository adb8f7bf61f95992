"""Gateway settings: the ``gateway`` config section, the environment and the command-line flags,
resolved once at start-up into one frozen object (no per-request config work).

Precedence: flags > environment (``OPENCLAW_GATEWAY_PORT``, ``OPENCLAW_GATEWAY_TOKEN``,
``OPENCLAW_GATEWAY_PASSWORD``) > config > defaults. A token or password set in the config wins over
the environment, as OpenClaw does; a ``SecretRef`` (``{source: "env", id: ...}``) is resolved here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import __version__
from ..config.schema import GatewaySection, SecretRef
from ..errors import ConfigError

__all__ = ["GatewaySettings", "bind_host", "is_loopback_host"]

_BIND_NAMES = {"loopback": "127.0.0.1", "localhost": "127.0.0.1", "lan": "0.0.0.0", "all": "0.0.0.0"}  # noqa: S104


def bind_host(bind: str, custom: str | None = None) -> str:
    """``loopback`` → 127.0.0.1, ``lan`` → 0.0.0.0, ``custom`` → gateway.customBindHost, or an IP."""
    name = bind.strip().lower()
    if name in _BIND_NAMES:
        return _BIND_NAMES[name]
    if name == "custom":
        if not custom:
            raise ConfigError('gateway.bind is "custom" but gateway.customBindHost is not set.')
        return custom
    try:
        ipaddress.ip_address(name)
    except ValueError:
        raise ConfigError(
            f'Unknown bind "{bind}": use loopback, lan, custom or an IP address such as 127.0.0.1.'
        ) from None
    return name


def is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _secret(value: str | SecretRef | None, env: Mapping[str, str], where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, SecretRef):
        if value.source != "env":
            raise ConfigError(f'{where}: only {{source: "env"}} secrets are supported here.')
        resolved = env.get(value.id)
        if not resolved:
            raise ConfigError(f"{where}: environment variable {value.id} is not set.")
        return resolved
    return value or None


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 18789
    workers: int = 1
    auth_mode: str = "token"  # token | password | none
    secret: str | None = None  # the shared token or password (never logged)
    client_keys: Mapping[str, str] = field(default_factory=dict)  # sha256 hex -> key id
    max_failures: int = 10
    failure_window: float = 60.0
    lockout: float = 60.0
    max_body_bytes: int = 20 * 1024 * 1024
    max_messages: int = 2048
    request_timeout: float = 600.0
    header_timeout: float = 10.0
    log_format: str = "text"
    log_requests: bool = True
    include_prompts: bool = False
    chat_enabled: bool = True
    responses_enabled: bool = True
    messages_enabled: bool = True
    drain_seconds: float = 30.0
    trusted_proxies: tuple[str, ...] = ()  # IPs/CIDRs whose X-Forwarded-For is believed
    state_refresh_seconds: float = 1.0  # how often local state looks for other processes' changes
    version: str = __version__

    @classmethod
    def build(
        cls,
        section: GatewaySection | None,
        env: Mapping[str, str],
        *,
        port: int | None = None,
        bind: str | None = None,
        workers: int | None = None,
        log_format: str | None = None,
        allow_unauthenticated: bool = False,
    ) -> GatewaySettings:
        gw = section or GatewaySection()
        host = bind_host(bind or gw.bind, gw.custom_bind_host)
        env_port = env.get("OPENCLAW_GATEWAY_PORT")
        chosen_port = port if port is not None else int(env_port) if env_port else gw.port
        auth = gw.auth
        mode = auth.mode if auth else "token"
        secret = _auth_secret(mode, auth, env)
        keys = {k.sha256.lower(): key_id for key_id, k in (auth.client_keys if auth else {}).items()}
        _check_auth(
            mode, secret, keys, host, allow_unauthenticated or bool(auth and auth.allow_insecure_none)
        )
        limits, logging, rate = gw.limits, gw.logging, auth.rate_limit if auth else None
        endpoints = gw.http.endpoints if gw.http else None
        defaults = cls()
        return cls(
            host=host,
            port=chosen_port,
            workers=max(1, workers if workers is not None else gw.workers),
            auth_mode=mode,
            secret=secret,
            client_keys=keys,
            max_failures=rate.max_failures if rate else defaults.max_failures,
            failure_window=rate.window_seconds if rate else defaults.failure_window,
            lockout=rate.lockout_seconds if rate else defaults.lockout,
            max_body_bytes=limits.max_body_bytes if limits else defaults.max_body_bytes,
            max_messages=limits.max_messages if limits else defaults.max_messages,
            request_timeout=limits.request_timeout_seconds if limits else defaults.request_timeout,
            header_timeout=limits.header_timeout_seconds if limits else defaults.header_timeout,
            log_format=log_format or (logging.format if logging else "text"),
            log_requests=logging.requests if logging else True,
            include_prompts=logging.include_prompts if logging else False,
            chat_enabled=_enabled(endpoints.chat_completions if endpoints else None),
            responses_enabled=_enabled(endpoints.responses if endpoints else None),
            messages_enabled=_enabled(endpoints.messages if endpoints else None),
            drain_seconds=gw.drain_seconds,
            trusted_proxies=_trusted_proxies(gw.trusted_proxies),
        )


def _trusted_proxies(entries: list[str] | None) -> tuple[str, ...]:
    """Checked here so that a typo fails at start-up, not on the first login."""
    from .proxies import parse_networks

    parse_networks(entries or ())
    return tuple(entries or ())


def _enabled(endpoint: object) -> bool:
    return endpoint is None or bool(getattr(endpoint, "enabled", True))


def shared_secret(section: GatewaySection | None, env: Mapping[str, str]) -> tuple[str, str | None]:
    """The auth mode and the shared token/password clients present (None when there is none)."""
    auth = section.auth if section is not None else None
    mode = auth.mode if auth else "token"
    return mode, _auth_secret(mode, auth, env)


def _auth_secret(mode: str, auth: object, env: Mapping[str, str]) -> str | None:
    if mode == "token":
        configured = _secret(getattr(auth, "token", None), env, "gateway.auth.token")
        return configured or env.get("OPENCLAW_GATEWAY_TOKEN") or None
    if mode == "password":
        configured = _secret(getattr(auth, "password", None), env, "gateway.auth.password")
        return configured or env.get("OPENCLAW_GATEWAY_PASSWORD") or None
    if mode == "none":
        return None
    raise ConfigError(
        f'gateway.auth.mode "{mode}" is not supported by this gateway; use token, password or none.'
    )


def _check_auth(mode: str, secret: str | None, keys: Mapping[str, str], host: str, allow_none: bool) -> None:
    if mode == "none":
        if not is_loopback_host(host) and not allow_none:
            raise ConfigError(
                f"Refusing to serve without authentication on {host}: gateway.auth.mode is none. Bind to "
                "loopback, set a token (gateway.auth.token or OPENCLAW_GATEWAY_TOKEN), or accept the risk "
                "with gateway.auth.allowInsecureNone: true or --allow-unauthenticated."
            )
        return
    if secret is None and not keys:
        what = "token" if mode == "token" else "password"
        var = "OPENCLAW_GATEWAY_TOKEN" if mode == "token" else "OPENCLAW_GATEWAY_PASSWORD"
        raise ConfigError(
            f"gateway.auth.mode is {mode} but no {what} is set: set gateway.auth.{what} or {var}, "
            "add a client key with `openclaw gateway keys add`, or use gateway.auth.mode none on loopback."
        )
