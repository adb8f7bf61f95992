"""Shared fixtures: the network guard, isolated homes, and CLI runners (in-process, subprocess)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from unittest import mock

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import netguard

netguard.install()

pytest_plugins = ["fixtures_upstream"]

GUARD_DIR = str(Path(__file__).parent / "_guard")
FAKE_KEY = "sk-or-test-0123456789abcdef0123456789abcdef"
FAKE_KEY_2 = "sk-or-test-fedcba9876543210fedcba9876543210"

# Variables that would leak the developer's own setup into a test.
_SCRUB_PREFIXES = ("OPENCLAW_", "OPENROUTER_", "OPENAI_", "ANTHROPIC_", "LITELLM_")


@pytest.fixture(autouse=True)
def _netguard_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    log = tmp_path_factory.mktemp("netguard") / "violations.log"
    old = os.environ.get("OPENCLAW_NETGUARD_LOG")
    os.environ["OPENCLAW_NETGUARD_LOG"] = str(log)
    try:
        yield log
    finally:
        if old is None:
            os.environ.pop("OPENCLAW_NETGUARD_LOG", None)
        else:
            os.environ["OPENCLAW_NETGUARD_LOG"] = old
    if log.exists() and log.read_text().strip():
        pytest.fail(f"test tried to reach the network:\n{log.read_text()}")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUB_PREFIXES) and not k.endswith("_API_KEY")
    }
    env.update(
        HOME=str(home),
        OPENCLAW_HOME=str(home),
        NO_COLOR="1",
        PYTHONPATH=os.pathsep.join(filter(None, [GUARD_DIR, env.get("PYTHONPATH", "")])),
        OPENCLAW_NETGUARD_LOG=os.environ.get("OPENCLAW_NETGUARD_LOG", ""),
    )
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty OpenClaw home (HOME and OPENCLAW_HOME point at it)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return clean_env(home)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    args: list[str], env: dict[str, str], *, input: str | None = None, cwd: Path | None = None
) -> CliResult:
    """Run the CLI in-process (fast), exactly as ``openclaw`` would, and capture its streams."""
    from openclaw.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(input or "")
    code = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, env, clear=True))
        stack.enter_context(mock.patch.object(sys, "stdin", stdin))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


def run_cli_subprocess(
    args: list[str],
    env: dict[str, str],
    *,
    input: str | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> CliResult:
    """Run ``python -m openclaw`` as a real process (the network guard applies there too)."""
    proc = subprocess.run(
        [sys.executable, "-m", "openclaw", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


class Cli(Protocol):
    """The ``cli`` fixture: ``openclaw`` with these words, in-process, in the test's home."""

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        extra_env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> CliResult: ...


class KeyedCli(Protocol):
    """A fixture bound to one command (``agent``, ``infer model run``), run with this provider key."""

    def __call__(self, *args: str, key: str | None = ...) -> CliResult: ...


@pytest.fixture
def cli(env: dict[str, str]) -> Cli:
    def invoke(
        *args: str, input: str | None = None, extra_env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> CliResult:
        return run_cli(list(args), {**env, **(extra_env or {})}, input=input, cwd=cwd)

    return invoke
