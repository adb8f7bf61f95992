"""Parse one config file: strict JSON fast path, JSON5 otherwise, errors with line and column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError, ConfigParseError

__all__ = ["MAX_FILE_BYTES", "parse_json5_text", "read_json5_file"]

MAX_FILE_BYTES = 2 * 1024 * 1024
_JSON5_ERR = re.compile(r"^<string>:(?P<line>\d+) (?P<msg>.*?)(?: at column (?P<col>\d+))?$")


def parse_json5_text(text: str | bytes, *, path: str | None = None) -> Any:
    """Parse JSON5. Files openclaw writes are plain JSON, so orjson answers those in microseconds."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    import json5  # lazy: only hand-edited JSON5 files pay for the pure-Python parser

    source = text.decode("utf-8") if isinstance(text, bytes) else text
    source = source.removeprefix("\ufeff")  # a BOM left by some Windows editors
    if not source.strip():
        raise ConfigParseError(
            "the file is empty; a config is a JSON5 object (write {} for an empty config)",
            path=path,
            line=None,
            column=None,
        )
    try:
        return json5.loads(source)
    except ValueError as exc:
        match = _JSON5_ERR.match(str(exc))
        if match is None:
            raise ConfigParseError(str(exc), path=path, line=None, column=None) from None
        col = match.group("col")
        raise ConfigParseError(
            f"JSON5 parse error: {match.group('msg')}",
            path=path,
            line=int(match.group("line")),
            column=int(col) if col else None,
        ) from None


def read_json5_file(path: Path) -> Any:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {path}", path=str(path)) from None
    except PermissionError:
        raise ConfigError(f"Cannot read {path}: permission denied.", path=str(path)) from None
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path} is {size} bytes; config files are limited to {MAX_FILE_BYTES} bytes.",
            path=str(path),
        )
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise ConfigError(f"Cannot read {path}: permission denied.", path=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a config file.", path=str(path)) from None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigParseError(
            f"not valid UTF-8 (byte {exc.start})", path=str(path), line=None, column=None
        ) from None
    return parse_json5_text(raw, path=str(path))
