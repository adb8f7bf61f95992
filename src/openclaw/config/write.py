"""Write the config: under a lock, re-read, mutate, validate, back up, replace atomically.

* The config path must be a regular file: a symlinked config is refused for writes.
* Writers serialise on ``<config>.lock``; the file is re-read under the lock, so two processes
  editing different keys both keep their change.
* A mutation that changes nothing leaves the file untouched (``changed`` is False).
* The post-change config is validated in full (includes merged, ``${VAR}`` substituted where
  set) before anything is written; a rejected payload is kept as ``<config>.rejected.<timestamp>``
  (0600) for inspection and the file stays as it was.
* Writes that look like clobbers are refused unless ``allow_clobber``: dropping ``gateway.mode``
  or ``meta``, or shrinking a file of 1 KiB or more to less than half its size.
* The previous file is rotated into ``.bak``, ``.bak.1`` … ``.bak.3`` (0600), as OpenClaw does;
  the new file is written to a temporary file, fsync-ed and renamed over the old one (0600).
* ``$include``: a top-level section that is exactly one single-file include is written through to
  that file; any other change to included content is refused (see :mod:`.layout`).
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

from ..errors import ConfigError, ConfigWriteError
from ..fsutil import locked, write_atomic
from ..paths import StatePaths
from .environment import build_env
from .includes import resolve_includes
from .layout import build_layout
from .loader import read_source
from .substitute import Missing, substitute
from .validate import validate

__all__ = ["WriteResult", "dump_config", "update_config"]

_BACKUPS = 4  # .bak, .bak.1, .bak.2, .bak.3
_SHRINK_MIN_BYTES = 1024


@dataclass(slots=True)
class WriteResult:
    """``data`` is the edited config as the mutation saw it (write-through includes inlined)."""

    changed: bool
    path: Path
    backup: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file written (main and included)


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


def _check(new: dict[str, Any], paths: StatePaths, env: Mapping[str, str]) -> None:
    """Validate the full post-change config. An unset ``${VAR}`` is kept as written: it is the
    user's to fix before the value is used, not a reason to refuse an unrelated edit."""
    path = paths.config_path
    merged, _ = resolve_includes(new, path, env)
    effective = build_env(
        env,
        config_env_block=merged.get("env") if isinstance(merged, dict) else None,
        config_exists=True,
        global_dotenv=paths.global_dotenv,
        cwd=None,
    )
    missing: Missing = []
    resolved = substitute(merged, effective.values, source=str(path), missing=missing)
    if not isinstance(resolved, dict):
        raise ConfigError(f"{path}: $include at the root must yield an object.", path=str(path))
    validate(resolved, path=str(path))


def _clobber_guard(path: Path, before: dict[str, Any], after: dict[str, Any], old: bytes, new: bytes) -> None:
    def mode(data: dict[str, Any]) -> Any:
        gateway = data.get("gateway")
        return gateway.get("mode") if isinstance(gateway, dict) else None

    reason = None
    if mode(before) is not None and mode(after) is None:
        reason = "it would drop gateway.mode"
    elif "meta" in before and "meta" not in after:
        reason = "it would drop the meta section"
    elif len(old) >= _SHRINK_MIN_BYTES and len(new) * 2 < len(old):
        reason = f"it would shrink the file from {len(old)} to {len(new)} bytes"
    if reason:
        raise ConfigWriteError(
            f"Refusing to write {path}: {reason}, which looks like an accidental clobber. "
            "Edit that part explicitly (openclaw config set/unset) if it is intended.",
            path=str(path),
        )


def _json5_warning(path: Path, raw: bytes) -> str | None:
    try:
        orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        return (
            f"{path} was JSON5 (comments, unquoted keys or trailing commas); it is now written as "
            "plain JSON and its comments are gone. The previous text is in the .bak file."
        )
    return None


def _save_rejected(path: Path, payload: dict[str, Any]) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
    target = path.with_name(f"{path.name}.rejected.{stamp}")
    write_atomic(target, dump_config(payload))
    return target


def _refuse_symlink(path: Path) -> None:
    if path.is_symlink():
        raise ConfigWriteError(
            f"{path} is a symlink; openclaw writes only regular files (a write replaces the file, "
            "which would break the link). Point OPENCLAW_CONFIG_PATH at the real file instead.",
            path=str(path),
        )


def _write_file(target: Path, content: dict[str, Any], warnings: list[str]) -> tuple[Path | None, bytes]:
    """Back up and atomically replace one file; returns (backup, bytes written)."""
    _refuse_symlink(target)
    old = target.read_bytes() if target.exists() else None
    data = dump_config(content)
    backup = None
    if old is not None:
        note = _json5_warning(target, old)
        if note:
            warnings.append(note)
        backup = _rotate_backups(target, old)
    write_atomic(target, data)
    return backup, data


def update_config(
    paths: StatePaths,
    mutate: Callable[[dict[str, Any]], None],
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    allow_clobber: bool = False,
) -> WriteResult:
    """Apply ``mutate`` to the config and write the result if it changed.

    ``mutate`` edits a dict in place; it sees the main file as written (``${VAR}`` untouched),
    with write-through include sections inlined. ``dry_run`` validates without writing.
    ``allow_clobber`` lifts the clobber guard (for explicit user edits such as ``config unset``).
    """
    path = paths.config_path
    _refuse_symlink(path)
    with locked(path):
        source, exists = read_source(path)
        layout = build_layout(source, path, env)
        before = layout.view
        after = copy.deepcopy(before)
        mutate(after)
        if after == before and (exists or not after):
            return WriteResult(changed=False, path=path, data=before)
        main, included = layout.split(after)
        try:
            _check(after, paths, env)
        except ConfigError as exc:
            if not dry_run:
                rejected = _save_rejected(path, after)
                exc.message += f" Nothing was written; the rejected config is in {rejected}."
            raise
        original = path.read_bytes() if exists else b""
        if not allow_clobber and exists:
            _clobber_guard(path, before, after, original, dump_config(main))
        if dry_run:
            return WriteResult(changed=True, path=path, data=after)
        result = WriteResult(changed=True, path=path, data=after)
        for target, content in included.items():
            _write_file(target, content, result.warnings)
            result.files.append(target)
        if main != source or not exists:
            result.backup, _ = _write_file(path, main, result.warnings)
            result.files.append(path)
        return result
