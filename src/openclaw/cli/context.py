"""The object every command receives: global flags, and lazy access to the config and runtime."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from ..config.loader import ConfigSnapshot
from ..paths import StatePaths
from ..runtime import Runtime, load_snapshot

__all__ = ["CliContext", "emit_json", "warn"]


def warn(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


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
