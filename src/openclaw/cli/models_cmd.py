"""``openclaw models``: status, list, default model, fallbacks, aliases and auth profiles.

Subcommands live in their own modules and are imported only when run. To add one, add a line to
:data:`SUBCOMMANDS` (``name: (module under openclaw.cli, attribute, one-line help)``); an entry
whose module is not present is simply not offered.

``openclaw models`` alone is ``openclaw models status``; ``openclaw models --json`` is
``openclaw models status --json``.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

__all__ = ["SUBCOMMANDS", "LazySubgroup", "models"]

SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "status": ("models_status", "status", "Show the default model, fallbacks, aliases and auth."),
    "list": ("models_list", "list_models", "List configured (or all known) models."),
    "set": ("models_set", "set_model", "Set the default model."),
    "set-image": ("models_set", "set_image_model", "Set the image model."),
    "fallbacks": ("models_fallbacks", "fallbacks", "Manage the default model's fallbacks."),
    "image-fallbacks": ("models_fallbacks", "image_fallbacks", "Manage the image model's fallbacks."),
    "aliases": ("models_aliases", "aliases", "Manage model aliases."),
    "auth": ("models_auth", "auth", "Manage auth profiles (API keys, tokens) and their order."),
    "scan": ("models_scan", "scan", "Find free OpenRouter models usable as fallbacks."),
}


class LazySubgroup(click.Group):
    """A group whose subcommands are imported on first use, from a ``name -> spec`` table."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    @staticmethod
    def _available(module: str) -> bool:
        return importlib.util.find_spec(f"openclaw.cli.{module}") is not None

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = [n for n, spec in self.lazy.items() if self._available(spec[0])]
        return [*names, *(n for n in super().list_commands(ctx) if n not in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = self.lazy.get(cmd_name)
        if spec is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr, _ = spec
        if not self._available(module_name):
            return None
        module = importlib.import_module(f"openclaw.cli.{module_name}")
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][2]) for name in self.list_commands(ctx) if name in self.lazy]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazySubgroup,
    lazy=SUBCOMMANDS,
    invoke_without_command=True,
    epilog="""\b
Examples:
  openclaw models                       # same as: openclaw models status
  openclaw models status --check        # exit 1 when a provider in use has no credential
  openclaw models list --all --provider openrouter
  openclaw models set openrouter/anthropic/claude-sonnet-4-5
  openclaw models fallbacks add openrouter/openai/gpt-4o-mini
  openclaw models aliases add sonnet openrouter/anthropic/claude-sonnet-4-5
  printf '%s\\n' "$OPENROUTER_API_KEY" | openclaw models auth paste-api-key --provider openrouter
""",
)
@click.option("--json", "as_json", is_flag=True, help="Same as `openclaw models status --json`.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """Inspect and change models, fallbacks, aliases and auth profiles."""
    if ctx.invoked_subcommand is not None:
        if as_json:
            raise click.UsageError("Put --json after the subcommand, e.g. `openclaw models list --json`.")
        return
    from .models_status import status

    ctx.invoke(status, as_json=as_json)
