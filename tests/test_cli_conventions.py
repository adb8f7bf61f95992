"""Conventions every command follows: help with a one-line summary, described options and an
example; bad input exits 2 with a clear message, failures exit 1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from conftest import FAKE_KEY, Cli
from openclaw.cli.main import cli as root


def _walk(command: click.Command, path: tuple[str, ...], ctx: click.Context) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name} but cannot load it"
            yield from _walk(sub, (*path, name), click.Context(sub, info_name=name, parent=ctx))


COMMANDS = list(_walk(root, (), click.Context(root, info_name="openclaw")))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = root
    ctx = click.Context(root, info_name="openclaw")
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None
        command, ctx = sub, click.Context(sub, info_name=name, parent=ctx)
    return command


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"models auth clear-cooldowns", "gateway keys add", "config schema", "usage report"} <= names
    assert len(COMMANDS) >= 50


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "openclaw")
def test_help_has_a_summary_described_options_and_an_example(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0, result.output
    text = result.stdout
    summary = text.split("\n\n", 2)[1].strip() if text.count("\n\n") >= 2 else ""
    assert summary and not summary.startswith("Options:"), f"no summary line:\n{text}"
    assert "Example" in text, f"no example:\n{text}"
    assert "openclaw " in text.split("Example", 1)[1], f"no example command:\n{text}"
    truncated = [
        line for line in text.splitlines() if line.rstrip().endswith("...") and not line.startswith("Usage:")
    ]
    assert not truncated, f"a command summary is cut off: {truncated}"
    undescribed = [
        p.opts[0]
        for p in _command(path).params
        if isinstance(p, click.Option) and not p.help and p.opts[0] != "--help"
    ]
    assert not undescribed, f"options without help text: {undescribed}"


def test_every_example_names_a_command_that_exists(cli: Cli) -> None:
    names = {" ".join(p) for p in COMMANDS if p}
    bad = []
    for path in COMMANDS:
        for line in cli(*path, "--help").stdout.splitlines():
            found = re.search(r"openclaw ((?:[a-z][a-z-]*(?: |$))+)", line.strip())
            if not found or line.strip().startswith("Usage:"):
                continue
            words = found.group(1).split()
            while words and " ".join(words) not in names:
                words.pop()
            if not words:
                bad.append(line.strip())
    assert not bad, bad


# -- exit codes ---------------------------------------------------------------------------------

BAD_INPUT = [
    (["models", "set", "openruter/auto"], 'Unknown provider "openruter"'),
    (["models", "set-image", "garbage"], 'Unknown model "garbage"'),
    (["models", "fallbacks", "add", "nosuch/x"], 'Unknown provider "nosuch"'),
    (["models", "aliases", "add", "x", "nosuch/x"], 'Unknown provider "nosuch"'),
    (["models", "auth", "paste-api-key", "--provider", "openruter"], 'Did you mean "openrouter"?'),
    (["models", "auth", "list", "--provider", "openruter"], 'Unknown provider "openruter"'),
    (["models", "auth", "order", "get", "--provider", "nosuch"], 'Unknown provider "nosuch"'),
    (["infer", "model", "run", "--model", "nosuch/x", "--prompt", "hi"], 'Unknown provider "nosuch"'),
    (["models", "list", "--json", "--plain"], "either --json or --plain"),
    (["models", "status", "--probe-timeout", "abc"], "'abc' is not a valid float"),
    (["usage", "--by", "nope"], "'nope' is not one of"),
    (["usage", "--since", "bogus"], '--since "bogus" is not a time'),
    (["config", "get", "a["], 'Invalid config path "a["'),
    (["models", "nosuch"], "No such command 'nosuch'"),
    (["gateway", "run", "--port", "70000"], "70000 is not in the range"),
]


@pytest.mark.parametrize(
    ("args", "needle"), BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_bad_input_exits_2_with_a_clear_message(cli: Cli, args: list[str], needle: str) -> None:
    result = cli(*args, input=FAKE_KEY + "\n")
    assert result.code == 2, result.output
    assert needle in result.stderr
    assert result.stdout == ""


def test_a_bad_configured_primary_is_a_failure_not_bad_input(cli: Cli, home: Path) -> None:
    assert cli("config", "set", "agents.defaults.model.primary", "nosuch/x").code == 0
    result = cli("infer", "model", "run", "--prompt", "hi", extra_env={"OPENROUTER_API_KEY": FAKE_KEY})
    assert result.code == 1
    assert 'Unknown provider "nosuch"' in result.stderr
