"""``openclaw usage``: what was spent, from the ledger of every attempt.

Imports stay light (sqlite3 and click): the HTML page, the HTTP client for ``--remote`` and the
PostgreSQL driver load only when asked for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..usage import open_store, store_label
from .context import CliContext, emit_json, warn
from .usage_data import GROUP_CHOICES, Report, gather, parse_window

__all__ = ["usage"]

_EPILOG = """\b
Time: a duration back from now (24h, 7d, 2w), a date (2026-11-01; as --until the whole day
counts), a date-time (2026-11-01T14:00), today, yesterday, or "all" (--since only).
Default: the last 30 days. Cost comes from the provider when it reported one (OpenRouter
does), else from catalog/config prices ("estimated"); attempts with no known price count
as unpriced, never as a guess.

\b
Examples:
  openclaw usage                              # last 30 days, by model
  openclaw usage --since 7d --by day
  openclaw usage --since 2026-11-01 --until 2026-11-30 --by key --csv > nov.csv
  openclaw usage --by provider --json
  openclaw usage --chart --since 14d          # spend per day, in the terminal
  openclaw usage --remote                     # OpenRouter's own numbers beside ours
  openclaw usage report --html usage.html     # a page with charts for the browser
"""


def _context(ctx: click.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    return obj if obj is not None else CliContext()


def _report(cli: CliContext, since: str | None, until: str | None, by: str, *, days: bool) -> Report:
    config = cli.snapshot().typed
    window = parse_window(since, until)
    label = store_label(config, cli.paths)
    store = open_store(config, cli.paths, create=False)
    try:
        report = gather(store, window, by, label, days=days)
    finally:
        if store is not None:
            store.close()
    if store is None:
        from ..usage import store_config

        report.empty_reason = (
            "the ledger is off" if store_config(config).kind == "off" else "no usage recorded yet"
        )
    return report


@click.group("usage", invoke_without_command=True, epilog=_EPILOG)
@click.option("--since", metavar="WHEN", help="Start of the period (default 30d).")
@click.option("--until", metavar="WHEN", help="End of the period (default now).")
@click.option(
    "--by", type=click.Choice(GROUP_CHOICES), default="model", show_default=True, help="Group rows by."
)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout (one row per group).")
@click.option("--chart", is_flag=True, help="Spend per day as bars in the terminal.")
@click.option("--remote", is_flag=True, help="OpenRouter's own key usage and credits beside the ledger.")
@click.pass_context
def usage(ctx: click.Context, /, **opts: Any) -> None:
    """Show requests, tokens and cost per model, provider, agent, key, profile or day."""
    if ctx.invoked_subcommand is not None:
        return
    since, until, by = opts["since"], opts["until"], opts["by"]
    as_json, as_csv, chart, remote = opts["as_json"], opts["as_csv"], opts["chart"], opts["remote"]
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be used together.")
    cli = _context(ctx)
    if remote:
        if as_csv or chart:
            raise click.UsageError("--remote prints its own table; use it alone or with --json.")
        _remote(cli, as_json)
        return
    from .usage_render import chart_text, csv_text, table_text

    report = _report(cli, since, until, "day" if chart else by, days=chart)
    if as_json:
        data = report.to_json()
        if chart:
            data["days"] = data.pop("groups")
        emit_json(data)
    elif as_csv:
        sys.stdout.write(csv_text(report))
    elif chart:
        sys.stdout.write(chart_text(report))
    else:
        sys.stdout.write(table_text(report))


def _remote(cli: CliContext, as_json: bool) -> None:
    from ..transports.http_lean import LeanHttpClient
    from .main import run_async
    from .usage_remote import fetch_account, ledger_periods, remote_json, remote_text

    runtime = cli.runtime()
    provider = runtime.provider("openrouter")
    if provider is None:  # pragma: no cover - openrouter is a built-in provider
        raise click.ClickException("OpenRouter is not configured.")
    credential = runtime.credentials("openrouter").credentials[0]

    async def run() -> object:
        http = LeanHttpClient()
        try:
            return await fetch_account(http, provider.base_url, credential.secret, credential.label)
        finally:
            await http.close()

    account = run_async(run())
    config = runtime.typed
    store = open_store(config, cli.paths, create=False)
    try:
        ours = ledger_periods(store)
    finally:
        if store is not None:
            store.close()
    if as_json:
        emit_json(remote_json(account, ours))
    else:
        sys.stdout.write(remote_text(account, ours))
    if account.errors and set(account.errors) >= {"key", "credits"}:
        warn("Error: OpenRouter did not answer either account request.")
        raise SystemExit(1)


@usage.command(
    "report",
    short_help="Write an HTML page (charts, tables) for a browser.",
    epilog="""\b
Examples:
  openclaw usage report --html usage.html
  openclaw usage report --html q4.html --since 2026-10-01 --until 2026-12-31
""",
)
@click.option(
    "--html",
    "html_path",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The page to write (its path goes to stderr).",
)
@click.option("--since", metavar="WHEN", help="Start of the period (default 30d).")
@click.option("--until", metavar="WHEN", help="End of the period (default now).")
@click.pass_context
def report_cmd(ctx: click.Context, html_path: Path, since: str | None, until: str | None) -> None:
    """Write a self-contained HTML page (charts, tables) to open in a browser."""
    from ..usage.store import Aggregate
    from .usage_html import render_html

    cli = _context(ctx)
    report = _report(cli, since, until, "model", days=True)
    by_provider: list[Aggregate] = []
    config = cli.snapshot().typed
    store = open_store(config, cli.paths, create=False)
    if store is not None:
        try:
            by_provider = gather(store, report.window, "provider", report.store_label).groups
        finally:
            store.close()
    page = render_html(report, by_provider=by_provider)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    warn(f"Wrote {html_path} ({len(page.encode()):,} bytes).")
