"""Load the config: parse (JSON5), expand ``$include``, build the effective env, substitute
``${VAR}``, validate. The result is an immutable :class:`ConfigSnapshot`.

A missing config file is not an error: every field has a safe default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..fsutil import check_private_file
from ..paths import StatePaths
from .environment import build_env
from .includes import resolve_includes
from .parse import read_json5_file
from .schema import OpenClawConfig
from .substitute import Missing, substitute
from .validate import validate

__all__ = ["ConfigData", "ConfigSnapshot", "load_config", "read_config", "read_source"]


@dataclass(frozen=True, slots=True)
class ConfigSnapshot:
    """One consistent view of the config.

    ``source`` is the main file as written (includes and ``${VAR}`` untouched: what writes edit);
    ``data`` is the resolved config (includes merged, variables substituted); ``typed`` is ``data``
    validated; ``env`` the effective environment (process env + dotenv + the ``env`` block).
    """

    path: Path
    exists: bool
    source: dict[str, Any]
    data: dict[str, Any]
    typed: OpenClawConfig
    env: Mapping[str, str]
    env_applied: Mapping[str, str] = field(default_factory=dict)
    includes: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()


def read_source(path: Path) -> tuple[dict[str, Any], bool]:
    """The main config file as parsed, and whether it exists."""
    if path.is_symlink() and not path.exists():
        raise ConfigError(
            f"Config path {path} is a dangling symlink (it points to {os.readlink(path)}, "
            "which does not exist).",
            path=str(path),
        )
    if not path.exists():
        return {}, False
    data = read_json5_file(path)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the config must be a JSON5 object at the top level, not {type(data).__name__}.",
            path=str(path),
        )
    return data, True


@dataclass(frozen=True, slots=True)
class ConfigData:
    """The config resolved but not validated (what ``config get`` shows, even for a bad file)."""

    path: Path
    exists: bool
    source: dict[str, Any]
    data: dict[str, Any]
    env: Mapping[str, str]
    env_applied: Mapping[str, str]
    includes: tuple[Path, ...]
    warnings: tuple[str, ...]


def read_config(
    paths: StatePaths,
    process_env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    credential_vars: frozenset[str] = frozenset(),
    strict_env: bool = True,
) -> ConfigData:
    """Parse, expand ``$include``, build the effective env and substitute ``${VAR}``."""
    source, exists = read_source(paths.config_path)
    warnings: list[str] = []
    if exists:
        loose = check_private_file(paths.config_path)
        if loose:
            warnings.append(loose)
    merged, included = resolve_includes(source, paths.config_path, process_env) if exists else ({}, [])
    if not isinstance(merged, dict):
        raise ConfigError(f"{paths.config_path}: $include at the root must yield an object.")
    effective = build_env(
        process_env,
        config_env_block=merged.get("env"),
        config_exists=exists,
        global_dotenv=paths.global_dotenv,
        cwd=cwd,
        credential_vars=credential_vars,
        compat_dotenv=paths.home / ".config" / "openclaw" / "gateway.env",
    )
    warnings.extend(effective.warnings)
    missing: Missing | None = None if strict_env else []
    data = substitute(merged, effective.values, source=str(paths.config_path), missing=missing)
    warnings.extend(error.message for error in missing or ())
    return ConfigData(
        path=paths.config_path,
        exists=exists,
        source=source,
        data=data,
        env=effective.values,
        env_applied=effective.applied,
        includes=tuple(included),
        warnings=tuple(warnings),
    )


def load_config(
    paths: StatePaths,
    process_env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    credential_vars: frozenset[str] = frozenset(),
    strict_env: bool = True,
) -> ConfigSnapshot:
    """Load and validate the config at ``paths.config_path``.

    ``strict_env=False`` leaves unresolved ``${VAR}`` strings in place instead of raising (for
    commands that only edit or show the file, such as ``config get``).
    """
    raw = read_config(paths, process_env, cwd=cwd, credential_vars=credential_vars, strict_env=strict_env)
    typed = validate(raw.data, path=str(paths.config_path))
    return ConfigSnapshot(
        path=raw.path,
        exists=raw.exists,
        source=raw.source,
        data=raw.data,
        typed=typed,
        env=raw.env,
        env_applied=raw.env_applied,
        includes=raw.includes,
        warnings=raw.warnings,
    )
