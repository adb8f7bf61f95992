"""``$include``: pull other JSON5 files into the config.

* ``{ key: { $include: "./file.json5" } }``: the file replaces the object holding the directive;
* ``{ $include: ["a.json5", "b.json5"] }``: files deep-merged in order, later wins;
* sibling keys beside ``$include`` are merged after it and win;
* paths are relative to the including file and must stay inside the top-level config's directory
  (symlinks resolved and re-checked) or a root listed in ``OPENCLAW_INCLUDE_ROOTS``;
* nesting is limited to 10 levels, cycles are errors, each file is at most 2 MB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .parse import read_json5_file

__all__ = ["MAX_DEPTH", "deep_merge", "include_roots", "include_target", "resolve_includes"]

MAX_DEPTH = 10
_MAX_PATH = 4096


def deep_merge(base: Any, over: Any) -> Any:
    """Objects merge key by key (recursively); anything else in ``over`` replaces ``base``."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else value
        return merged
    return over


def _expand_user(text: str, env: Mapping[str, str]) -> str:
    if text == "~" or text.startswith("~/"):
        home = env.get("HOME") or env.get("USERPROFILE")
        if home:
            return home + text[1:]
    return os.path.expanduser(text)


def include_roots(config_path: Path, env: Mapping[str, str]) -> list[Path]:
    """Directories includes may read from: the config's own, then ``OPENCLAW_INCLUDE_ROOTS``."""
    roots = [config_path.parent.resolve()]
    for item in env.get("OPENCLAW_INCLUDE_ROOTS", "").split(os.pathsep):
        if item.strip():
            roots.append(Path(_expand_user(item.strip(), env)).resolve())
    return roots


def include_target(
    spec: object, including: Path, config_path: Path, env: Mapping[str, str], *, key_path: str
) -> Path:
    """Resolve and check one ``$include`` path (relative to the file that holds it)."""
    where = key_path or "<root>"
    if not isinstance(spec, str) or not spec:
        raise ConfigError(f"{where}: $include needs a file path (string), got {spec!r}.")
    if "\x00" in spec or len(spec) >= _MAX_PATH:
        raise ConfigError(f"{where}: invalid $include path (NUL byte or over {_MAX_PATH} characters).")
    candidate = Path(_expand_user(spec, env))
    if not candidate.is_absolute():
        candidate = including.parent / candidate
    resolved = candidate.resolve()
    if len(str(resolved)) >= _MAX_PATH:
        raise ConfigError(f"{where}: $include path is too long once resolved.")
    roots = include_roots(config_path, env)
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ConfigError(
            f"{where}: $include {spec!r} resolves outside the config directory "
            f"({roots[0]}). Add its directory to OPENCLAW_INCLUDE_ROOTS to allow it."
        )
    if not resolved.is_file():
        raise ConfigError(f"{where}: $include file not found: {resolved}", path=str(resolved))
    return resolved


class _Resolver:
    def __init__(self, top: Path, env: Mapping[str, str]) -> None:
        self.top = top
        self.env = env
        self.files: list[Path] = []

    def expand(self, node: Any, including: Path, stack: tuple[Path, ...], key_path: str) -> Any:
        if isinstance(node, list):
            return [self.expand(v, including, stack, f"{key_path}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        result: Any = {}
        if "$include" in node:
            specs = node["$include"]
            for spec in specs if isinstance(specs, list) else [specs]:
                result = deep_merge(result, self._load(spec, including, stack, key_path))
        siblings = {
            k: self.expand(v, including, stack, f"{key_path}.{k}" if key_path else k)
            for k, v in node.items()
            if k != "$include"
        }
        if "$include" in node and not isinstance(result, dict) and siblings:
            raise ConfigError(f"{key_path or '<root>'}: $include of a non-object has sibling keys.")
        return deep_merge(result, siblings) if siblings or "$include" not in node else result

    def _load(self, spec: object, including: Path, stack: tuple[Path, ...], key_path: str) -> Any:
        target = include_target(spec, including, self.top, self.env, key_path=key_path)
        if target in stack:
            chain = " -> ".join(str(p) for p in (*stack, target))
            raise ConfigError(f"Circular $include: {chain}", path=str(target))
        if len(stack) > MAX_DEPTH:
            raise ConfigError(
                f"$include nested more than {MAX_DEPTH} levels deep at {target}", path=str(target)
            )
        self.files.append(target)
        return self.expand(read_json5_file(target), target, (*stack, target), key_path)


def resolve_includes(data: Any, config_path: Path, env: Mapping[str, str]) -> tuple[Any, list[Path]]:
    """Return ``data`` with every ``$include`` expanded, and the files that were read."""
    resolver = _Resolver(config_path, env)
    top = config_path.resolve() if config_path.exists() else config_path
    expanded = resolver.expand(data, top, (top,), "")
    return expanded, resolver.files
