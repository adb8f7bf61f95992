"""``openclaw onboard``: store a provider credential and write a working config in one step.

Accepts OpenClaw's documented forms and the provider page's legacy one (``--auth-choice apiKey
--token-provider openrouter --token "$OPENROUTER_API_KEY"``, which the real OpenClaw 2026.9
rejects). Makes no network request: the key is stored, not tested (``openclaw models status``
and ``openclaw infer`` do that).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..auth.store import AuthStore
from ..catalog.providers import BUILTIN_PROVIDERS
from ..errors import InputError, OpenClawError
from .context import warn
from .models_common import cli_context
from .onboard_config import OnboardConfig
from .onboard_plan import AuthPlan, OnboardOptions, corrected_command, new_gateway_token, plan_auth

__all__ = ["onboard"]

KEY_PARAMS = {f"key_{row.id.replace('-', '_')}": row.id for row in BUILTIN_PROVIDERS.values() if row.key_flag}
_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SKIPS = ("daemon", "health", "channels", "skills", "search", "ui", "hooks", "bootstrap")


def _key_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for param, pid in sorted(KEY_PARAMS.items(), reverse=True):
        row = BUILTIN_PROVIDERS[pid]
        env_hint = f" (or {row.env_vars[0]} in the environment)" if row.env_vars else ""
        func = click.option(str(row.key_flag), param, metavar="KEY", help=f"{row.label} API key{env_hint}.")(
            func
        )
    return func


def _skip_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for name in reversed(_SKIPS):
        func = click.option(
            f"--skip-{name}",
            f"skip_{name}",
            is_flag=True,
            help=f"Accepted for OpenClaw scripts (there is no {name} step here).",
        )(func)
    return func


def _options(params: dict[str, Any]) -> OnboardOptions:
    return OnboardOptions(
        non_interactive=params["non_interactive"],
        accept_risk=params["accept_risk"],
        mode=params["mode"],
        auth_choice=params["auth_choice"],
        token_provider=params["token_provider"],
        token=params["token"],
        token_profile_id=params["token_profile_id"],
        token_expires_in=params["token_expires_in"],
        provider_keys={pid: params[name] for name, pid in KEY_PARAMS.items() if params.get(name)},
        secret_input_mode=params["secret_input_mode"],
        as_json=params["as_json"],
        workspace=params["workspace"],
        gateway_port=params["gateway_port"],
        gateway_bind=params["gateway_bind"],
        gateway_auth=params["gateway_auth"],
        gateway_token=params["gateway_token"],
        gateway_token_ref_env=params["gateway_token_ref_env"],
        gateway_password=params["gateway_password"],
        skip_health=params["skip_health"],
        skip_skills=params["skip_skills"],
        install_daemon=params["install_daemon"],
    )


def _given(ctx: click.Context) -> list[tuple[str, str, Any]]:
    """The options given on the command line, in the command's order."""
    given = []
    for param in ctx.command.params:
        if param.name and ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
            flag = param.opts[0] if isinstance(param, click.Option) else param.name
            given.append((param.name, flag, ctx.params[param.name]))
    return given


def _preflight(ctx: click.Context, opts: OnboardOptions, tty: bool) -> None:
    """The checks that must fail before anything is read or written."""
    if not opts.non_interactive and not tty:
        fixed = corrected_command(_given(ctx), opts.token_provider)
        raise OpenClawError(f"Onboarding needs an interactive TTY. Use `{fixed}` for automation.")
    if opts.non_interactive and not opts.accept_risk:
        fixed = corrected_command(_given(ctx), opts.token_provider)
        raise OpenClawError(
            "--non-interactive requires --accept-risk: onboarding stores a credential and rewrites "
            f"the config without asking. Add it if that is what you want: {fixed}"
        )
    if opts.mode != "local":
        raise InputError(
            "--mode remote is not supported by openclaw (python) yet; use --mode local.", param="mode"
        )
    if opts.gateway_bind in ("tailnet", "auto"):
        raise InputError(
            f"--gateway-bind {opts.gateway_bind} is not supported by this gateway (it has no Tailscale "
            "or automatic binding); use loopback, lan, or custom with gateway.customBindHost.",
            param="gateway_bind",
        )
    if opts.gateway_token and opts.gateway_token_ref_env:
        raise InputError(
            "--gateway-token and --gateway-token-ref-env are mutually exclusive.", param="gateway_token"
        )


def _check_custom_bind(opts: OnboardOptions, source: dict[str, Any]) -> None:
    """``--gateway-bind custom`` serves on ``gateway.customBindHost``: it must be set already."""
    gateway = source.get("gateway")
    if opts.gateway_bind == "custom" and not (isinstance(gateway, dict) and gateway.get("customBindHost")):
        raise InputError(
            "--gateway-bind custom needs gateway.customBindHost; set it first, e.g. "
            "`openclaw config set gateway.customBindHost 192.168.1.10`.",
            param="gateway_bind",
        )


def _gateway_auth(opts: OnboardOptions, env: dict[str, str]) -> dict[str, Any] | None:
    """The ``gateway.auth`` block the flags ask for (None: keep the config's, or create one)."""
    mode = opts.gateway_auth
    if mode is None and not (opts.gateway_token or opts.gateway_token_ref_env or opts.gateway_password):
        return None
    if mode is None:
        mode = "password" if opts.gateway_password else "token"
    if mode == "password":
        if not opts.gateway_password:
            raise InputError(
                "--gateway-auth password needs --gateway-password <password>.", param="gateway_password"
            )
        return {"mode": "password", "password": opts.gateway_password}
    if opts.gateway_token_ref_env:
        var = opts.gateway_token_ref_env
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,127}", var) or not env.get(var):
            raise InputError(
                f"--gateway-token-ref-env {var}: the variable must be set (A-Z, 0-9, _).", param="gateway"
            )
        return {"mode": "token", "token": {"source": "env", "provider": "default", "id": var}}
    token = opts.gateway_token or new_gateway_token()
    if len(token) < 16 or any(c.isspace() for c in token):
        raise InputError(
            "--gateway-token must be at least 16 characters without spaces.", param="gateway_token"
        )
    return {"mode": "token", "token": token}


def _workspace(opts: OnboardOptions, source: dict[str, Any], default: Path) -> str:
    if opts.workspace:
        return str(Path(os.path.expanduser(opts.workspace)).resolve())
    agents = source.get("agents") if isinstance(source.get("agents"), dict) else {}
    defaults = agents.get("defaults") if isinstance(agents, dict) else None
    configured = defaults.get("workspace") if isinstance(defaults, dict) else None
    return str(configured) if isinstance(configured, str) and configured else str(default)


def _run(ctx: click.Context, params: dict[str, Any]) -> None:
    from . import onboard_interactive as term
    from .onboard_apply import apply_plan, summary_json, summary_lines

    opts = _options(params)
    _preflight(ctx, opts, term.stdin_is_tty())
    agent_id = params["agent_name"]
    if not _AGENT_ID.match(agent_id):
        raise InputError(f'Invalid --agent-name "{agent_id}" (use a-z, 0-9, "-", "_").', param="agent_name")
    cli = cli_context(ctx)
    snapshot = cli.snapshot(strict_env=False)
    _check_custom_bind(opts, snapshot.source)
    paths = cli.paths
    env = dict(snapshot.env)
    interactive = not opts.non_interactive
    if interactive and opts.auth_choice is None and not opts.provider_keys and not opts.token_provider:
        opts.auth_choice = term.choose_auth_choice()
    plan: AuthPlan = plan_auth(
        opts, env, AuthStore(paths.state_db).load(), term.TerminalAsker() if interactive else None
    )
    cfg = OnboardConfig(
        agent_id=agent_id,
        workspace=_workspace(opts, snapshot.source, paths.workspace),
        agent_dir=str(paths.state_dir / "agents" / agent_id / "agent"),
        workspace_explicit=opts.workspace is not None,
        mode=opts.mode,
        row=plan.row,
        profile=plan.profile,
        gateway_auth=_gateway_auth(opts, env),
        new_token=new_gateway_token(),
        gateway_port=opts.gateway_port,
        gateway_bind=opts.gateway_bind,
    )
    if interactive and not term.confirm(summary_lines(plan, cfg, paths)):
        raise OpenClawError("Onboarding cancelled; nothing was written.")
    if opts.install_daemon:
        warn(
            "Note: --install-daemon is not supported; run `openclaw gateway run` under your service manager."
        )
    result = apply_plan(paths, env, plan, cfg, quiet_stdout=opts.as_json)
    if plan.profile is not None:
        kept = " (kept)" if plan.reused else ""
        warn(f"Auth profile: {plan.profile.id} ({plan.profile.provider}/{plan.profile.type}){kept}")
    if result.primary:
        warn(f"Default model: {result.primary}")
    if plan.note:
        warn(plan.note)
    if opts.as_json:
        summary_json(opts, plan, result, result.write.data.get("gateway") or {})


@click.command(
    "onboard",
    epilog="""\b
Examples:
  # OpenRouter, non-interactive (the key may also come from OPENROUTER_API_KEY):
  openclaw onboard --non-interactive --accept-risk --auth-choice openrouter-api-key \\
      --openrouter-api-key "$OPENROUTER_API_KEY"
  # The provider page's form (accepted here, with --token as the key):
  openclaw onboard --non-interactive --accept-risk --auth-choice apiKey \\
      --token-provider openrouter --token "$OPENROUTER_API_KEY"
  # Store a reference to $OPENROUTER_API_KEY instead of the key itself:
  openclaw onboard --non-interactive --accept-risk --auth-choice openrouter-api-key \\
      --secret-input-mode ref
  # Another provider:
  openclaw onboard --non-interactive --accept-risk --auth-choice moonshot-api-key \\
      --moonshot-api-key "$MOONSHOT_API_KEY"
  # Interactive (in a terminal): pick a provider, paste the key (hidden), confirm:
  openclaw onboard
""",
)
@click.option("--non-interactive", is_flag=True, help="Never prompt (needs --accept-risk).")
@click.option("--accept-risk", is_flag=True, help="Confirm writing credentials and config without prompts.")
@click.option(
    "--mode",
    type=click.Choice(["local", "remote"]),
    default="local",
    show_default=True,
    help="local: this machine runs the gateway (remote is refused).",
)
@click.option(
    "--auth-choice", metavar="CHOICE", help="openrouter-api-key, moonshot-api-key, ..., apiKey, token, skip."
)
@click.option("--token-provider", metavar="ID", help="Provider for --auth-choice apiKey/token.")
@click.option("--token", metavar="KEY", help="The key or token (with --token-provider).")
@click.option(
    "--token-profile-id", metavar="ID", help="Profile id for --auth-choice token (default <provider>:manual)."
)
@click.option("--token-expires-in", metavar="DURATION", help="Token lifetime, e.g. 365d or 12h.")
@_key_options
@click.option(
    "--secret-input-mode",
    type=click.Choice(["plaintext", "ref"]),
    default="plaintext",
    show_default=True,
    help="ref: store a reference to the env var instead of the key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout (progress on stderr).")
@click.option("--workspace", metavar="DIR", help="Agent workspace directory.")
@click.option("--agent-name", default="main", show_default=True, metavar="ID", help="Agent id.")
@click.option("--gateway-port", type=click.IntRange(1, 65535), help="Gateway port (default 18789).")
@click.option(
    "--gateway-bind",
    type=click.Choice(["loopback", "lan", "tailnet", "auto", "custom"]),
    help="gateway.bind to write (default loopback); tailnet and auto are refused.",
)
@click.option("--gateway-auth", type=click.Choice(["token", "password"]), help="Gateway client auth mode.")
@click.option("--gateway-token", metavar="TOKEN", help="Gateway token (default: 48 random hex chars).")
@click.option("--gateway-token-ref-env", metavar="ENV", help="Store the gateway token as a ref to $ENV.")
@click.option(
    "--gateway-password", metavar="PASSWORD", help="Gateway password (with --gateway-auth password)."
)
@_skip_options
@click.option(
    "--install-daemon/--no-install-daemon",
    default=False,
    help="Accepted with a note: run `openclaw gateway run` under your service manager.",
)
@click.pass_context
def onboard(ctx: click.Context, /, **params: Any) -> None:
    """Set up a provider credential, the default model and the gateway config."""
    _run(ctx, params)
