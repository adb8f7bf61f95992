"""Write the config: under a lock, re-read, mutate, validate, back up, replace atomically.

* A mutation that changes nothing leaves the file untouched (``changed`` is False).
* The post-change config is validated in full before anything is written; a rejected payload is
  kept as ``<config>.rejected.<timestamp>`` (0600) for inspection and the file stays as it was.
* The previous file is rotated into ``.bak``, ``.bak.1`` … ``.bak.3`` (0600), as OpenClaw does.
* Output is standard 2-space-indented JSON; JSON5 comments in a hand-edited file are not kept
  (the result says so in ``warnings``).
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from ..fsutil import locked, write_atomic
from ..paths import StatePaths
from .includes import resolve_includes
from .loader import read_source
from .substitute import substitute
from .validate import validate

__all__ = ["WriteResult", "dump_config", "update_config"]

_BACKUPS = 4  # .bak, .bak.1, .bak.2, .bak.3


@dataclass(slots=True)
class WriteResult:
    changed: bool
    path: Path
    backup: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def dump_config(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def _rotate_backups(path: Path, current: bytes) -> Path:
    bak = path.with_name(path.name + ".bak")
    for i in range(_BACKUPS - 1, 0, -1):
        older = path.with_name(f"{path.name}.bak.{i}")
        newer = bak if i == 1 else path.with_name(f"{path.name}.bak.{i - 1}")
        if newer.exists():
            os.replace(newer, older)
    write_atomic(bak, current)
    return bak


def _check(new: dict[str, Any], path: Path, env: Mapping[str, str]) -> None:
    merged, _ = resolve_includes(new, path, env)
    try:
        resolved = substitute(merged, env)
    except ConfigError:
        resolved = merged  # an unset ${VAR} is the user's to fix later, not a reason to refuse
    validate(resolved, path=str(path))


def update_config(
    paths: StatePaths,
    mutate: Callable[[dict[str, Any]], None],
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
) -> WriteResult:
    """Apply ``mutate`` to the config file's content and write the result if it changed."""
    path = paths.config_path
    if path.is_symlink():
        raise ConfigError(
            f"{path} is a symlink; openclaw writes only regular files. Point "
            "OPENCLAW_CONFIG_PATH at the real file instead.",
            path=str(path),
        )
    with locked(path):
        source, exists = read_source(path)
        original = path.read_bytes() if exists else b""
        new = copy.deepcopy(source)
        mutate(new)
        if exists and new == source:
            return WriteResult(changed=False, path=path, data=source)
        warnings = []
        try:
            orjson.loads(original or b"{}")
        except orjson.JSONDecodeError:
            warnings.append(
                f"{path} was JSON5 with comments or unquoted keys; it is now written as plain "
                "JSON (comments are not preserved). The previous text is in the .bak file."
            )
        try:
            _check(new, path, env)
        except ConfigError:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            write_atomic(path.with_name(f"{path.name}.rejected.{stamp}"), dump_config(new))
            raise
        if dry_run:
            return WriteResult(changed=True, path=path, data=new, warnings=warnings)
        backup = _rotate_backups(path, original) if exists else None
        write_atomic(path, dump_config(new))
        return WriteResult(changed=True, path=path, backup=backup, data=new, warnings=warnings)
