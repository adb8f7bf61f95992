"""The object every command receives: global flags, and lazy access to the config and runtime."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config.loader import ConfigSnapshot
from ..errors import InputError, RefError
from ..paths import StatePaths
from ..runtime import Runtime, load_snapshot

if TYPE_CHECKING:
    from ..refs import ModelRef

__all__ = ["CliContext", "emit_json", "examples", "resolve_arg", "warn"]


def examples(*lines: str) -> str:
    """A help epilog: ``Examples:`` and one command per line, kept as written (no rewrapping)."""
    head = "Example:" if len(lines) == 1 else "Examples:"
    return "\b\n" + head + "\n" + "".join(f"  {line}\n" for line in lines)


def warn(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def resolve_arg(runtime: Runtime, raw: str, param: str = "model") -> ModelRef:
    """Resolve a model ref typed on the command line: a malformed one, or one naming an unknown
    provider, is bad input (exit 2, with the "did you mean"), not a failure."""
    try:
        return runtime.resolve(raw)
    except RefError as exc:
        raise InputError(exc.message, param=param) from None


def emit_json(data: Any) -> None:
    """Pretty JSON on stdout (2-space indent, as OpenClaw prints)."""
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


@dataclass
class CliContext:
    profile: str | None = None
    dev: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _paths: StatePaths | None = None
    _snapshot: ConfigSnapshot | None = None
    _runtime: Runtime | None = None

    def snapshot(self, *, strict_env: bool = True, show_warnings: bool = True) -> ConfigSnapshot:
        if self._snapshot is None:
            self._paths, self._snapshot = load_snapshot(
                self.env, profile=self.profile, dev=self.dev, strict_env=strict_env
            )
            if show_warnings:
                for message in self._snapshot.warnings:
                    warn(f"Warning: {message}")
        return self._snapshot

    @property
    def paths(self) -> StatePaths:
        if self._paths is None:
            from ..paths import resolve_paths

            self._paths = resolve_paths(self.env, profile=self.profile, dev=self.dev)
        return self._paths

    def runtime(self, *, strict_env: bool = True) -> Runtime:
        """Config + auth store (no network pieces); commands add what they need."""
        if self._runtime is None:
            snapshot = self.snapshot(strict_env=strict_env)
            self._runtime = Runtime.from_snapshot(self.paths, snapshot)
            warning = self._runtime.auth_store.permission_warning()
            if warning:
                warn(f"Warning: {warning}")
        return self._runtime

    def reload(self) -> None:
        self._snapshot = None
        self._runtime = None
