"""Entry point of the ``openclaw`` command.

Command groups live in their own modules and are imported only when invoked (``LazyGroup``), so
``openclaw --version`` and ``openclaw models status`` do not pay for the gateway or the HTTP stack.
stdout carries data, stderr progress and diagnostics.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .. import __version__
from ..errors import OpenClawError

__all__ = ["cli", "main"]

# name -> (module, attribute, one-line help). Modules are under openclaw.cli.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "onboard": ("onboard", "onboard", "Set up a provider credential and the default model."),
    "models": ("models_cmd", "models", "Inspect and change models, fallbacks, aliases and auth."),
    "config": ("config_cmd", "config", "Read, edit and validate the config file."),
    "infer": ("infer", "infer", "Run one model call (no tools, no session)."),
    "agent": ("agent", "agent", "Run one agent turn, keeping the session transcript."),
    "gateway": ("gateway_cmd", "gateway", "Run or inspect the HTTP gateway."),
    "usage": ("usage_cmd", "usage", "Show what was spent, per model, provider, agent, key or day."),
}


def version_text() -> str:
    return f"openclaw {__version__} (python)"


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        try:
            module = importlib.import_module(f"openclaw.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"openclaw.cli.{module_name}":
                return None  # not built in this version
            raise
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  openclaw onboard --non-interactive --accept-risk --auth-choice openrouter-api-key \\
      --openrouter-api-key "$OPENROUTER_API_KEY"
  openclaw models status
  openclaw infer model run --model openrouter/anthropic/claude-sonnet-4-5 --prompt "Hi"
  openclaw gateway run --port 18789
""",
)
@click.version_option(__version__, "-V", "--version", message=version_text())
@click.option("--profile", "profile", metavar="NAME", help="Use the isolated state in ~/.openclaw-NAME.")
@click.option("--dev", is_flag=True, help="Use the dev profile (~/.openclaw-dev).")
@click.pass_context
def cli(ctx: click.Context, profile: str | None, dev: bool) -> None:
    """openclaw: one endpoint, one key, many models."""
    from .context import CliContext

    ctx.obj = CliContext(profile=profile, dev=dev)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):  # fast path: no click, no config
        sys.stdout.write(version_text() + "\n")
        return
    try:
        code = cli.main(args=args, prog_name="openclaw", standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write("Aborted.\n")
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OpenClawError as exc:
        sys.stderr.write(f"Error: {exc.message}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    # With standalone_mode=False, click returns ctx.exit(n)'s code instead of raising.
    sys.exit(code if isinstance(code, int) else 0)


def run_async(coro: Any) -> Any:
    """Run a coroutine from a command (one event loop per command)."""
    import asyncio

    return asyncio.run(coro)
