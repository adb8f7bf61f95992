"""``openclaw models status``: the default model, fallbacks, aliases and an auth overview."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..paths import StatePaths
from .context import emit_json
from .models_common import agent_option, check_agent, cli_context, out
from .models_probe_options import probe_options, probe_settings
from .models_status_data import StatusReport, build_status

__all__ = ["render_status", "status"]

_LABEL_WIDTH = 14


def _line(label: str, value: str) -> str:
    return f"{label.ljust(_LABEL_WIDTH)}: {value}"


def _oauth_lines(report: StatusReport) -> list[str]:
    profiles = [p for p in report.data["auth"]["oauth"]["profiles"] if p["type"] != "api_key"]
    if not profiles:
        return ["- none"]
    from ..auth.overview import format_remaining

    lines: list[str] = []
    for provider in dict.fromkeys(p["provider"] for p in profiles):
        lines.append(f"- {provider}")
        for profile in (p for p in profiles if p["provider"] == provider):
            status = "unknown" if profile["status"] == "missing" else profile["status"]
            if profile["status"] == "static":
                expiry = ""
            elif "remainingMs" in profile:
                expiry = f" expires in {format_remaining(profile['remainingMs'])}"
            else:
                expiry = " expires unknown"
            lines.append(f"  - {profile['label']} {status}{expiry}")
    return lines


def _provider_line(report: StatusReport, index: int) -> str:
    entry = report.provider_auth[index]
    bits = [f"effective={entry.kind}:{entry.detail}"]
    if entry.profiles:
        bits.append(
            f"profiles={len(entry.profiles)} ({entry.count('oauth')} oauth, {entry.count('token')} token, "
            f"{entry.count('api_key')} api-key)"
        )
        bits.append(", ".join(entry.labels))
    if entry.env is not None:
        bits.append(f"env={entry.env[0]} | source={entry.env[1]}")
    if entry.config_key is not None:
        bits.append(f"models.json={entry.config_key[0]} | source={entry.config_key[1]}")
    return f"- {entry.provider} " + " | ".join(bits)


def render_status(report: StatusReport, paths: StatePaths) -> list[str]:
    """The text layout of OpenClaw's ``models status`` (labels padded to 14 columns)."""
    data, sel = report.data, report.selection
    agent = "agentId" in data
    default = sel.resolved if not sel.raw or sel.raw == sel.resolved else f"{sel.resolved} (from {sel.raw})"
    fallbacks = data["fallbacks"]
    aliases = data["aliases"]
    allowed = data["allowed"]
    auth = data["auth"]
    with_tokens = auth["providersWithOAuth"]
    utility = data["utilityModel"]["ref"]
    image_fallbacks = data["imageFallbacks"]
    lines = [
        _line("Config", paths.display(data["configPath"])),
        _line("Agent dir", paths.display(data["agentDir"])),
        _line(f"Default ({sel.default_source})" if agent else "Default", default),
        _line(
            f"Fallbacks ({len(fallbacks)})" + (f" ({sel.fallbacks_source})" if agent else ""),
            ", ".join(fallbacks) or "-",
        ),
        _line("Utility model", utility or "-"),
        _line("Image model", data["imageModel"] or "-"),
        _line(f"Image fallbacks ({len(image_fallbacks)})", ", ".join(image_fallbacks) or "-"),
        _line(f"Aliases ({len(aliases)})", ", ".join(f"{a} -> {t}" for a, t in aliases.items()) or "-"),
        _line(f"Allowed models ({len(allowed)})", ", ".join(allowed) or "all"),
        "",
        "Auth overview",
        _line("Auth store", paths.display(auth["storePath"])),
        _line("Shell env", "on" if auth["shellEnvFallback"]["enabled"] else "off"),
        _line(f"Providers w/ OAuth/tokens ({len(with_tokens)})", ", ".join(with_tokens) or "-"),
    ]
    lines.extend(_provider_line(report, i) for i in range(len(report.provider_auth)))
    if report.missing_hints:
        lines += ["", "Missing auth"]
        lines.extend(f"- {p} {hint}" for p, hint in report.missing_hints.items())
    lines += ["", "OAuth/token status", *_oauth_lines(report)]
    return lines


@click.command(
    "status",
    epilog="""\b
Examples:
  openclaw models status
  openclaw models status --json | jq .resolvedDefault
  openclaw models status --plain          # prints only the resolved default, e.g. openrouter/auto
  openclaw models status --check || echo "fix auth first"
  openclaw models status --probe --probe-provider openrouter   # tiny real requests (cost tokens)
\b
--check exit codes: 0 ok, 1 a provider in use has no usable credential (or an expired token),
2 a token of a provider in use expires within 24 h.
""",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stdout only).")
@click.option("--plain", is_flag=True, help="Print only the resolved default model.")
@click.option("--check", is_flag=True, help="Exit 1 when auth is missing or expired, 2 when expiring.")
@agent_option
@probe_options
@click.pass_context
def status(
    ctx: click.Context, /, as_json: bool, plain: bool, check: bool, agent_id: str | None, **probe: Any
) -> None:
    """Show the resolved default model, fallbacks, aliases and the auth overview."""
    if as_json and plain:
        raise click.UsageError("Use either --json or --plain, not both.")
    settings = probe_settings(probe, plain=plain)
    cli = cli_context(ctx)
    runtime = cli.runtime()
    agent = check_agent(runtime, agent_id)
    from ..bootstrap import attach_state
    from .models_cooldowns import cooldown_lines

    attach_state(runtime)  # fills auth.unusableProfiles
    report = build_status(runtime, agent_id=agent, explicit_agent=agent_id is not None)
    probes = None
    if settings is not None:
        from .models_probe import run_status_probes

        probes = run_status_probes(runtime, settings, agent=agent)
    if probes is not None:
        report.data["auth"]["probes"] = [row.to_json() for row in probes]
    if as_json:
        emit_json(report.data)
    elif plain:
        out(report.selection.resolved)
    else:
        probe_text = []
        if probes is not None and settings is not None:
            from .models_probe import probe_lines

            probe_text = probe_lines(probes, settings)
        lines = [*render_status(report, cli.paths), *cooldown_lines(runtime.state)]
        sys.stdout.write("\n".join([*lines, *probe_text]) + "\n")
    if check and report.check_code:
        sys.exit(report.check_code)  # SystemExit: the root's non-standalone click.main drops ctx.exit codes
