"""The effective environment: process env, dotenv files and the config's ``env`` block.

Never override a value that is already set. Precedence, highest first:

1. the process environment;
2. ``.env`` in the working directory (provider credentials, ``*_BASE_URL``-style keys and the
   ``OPENCLAW_*`` namespace are ignored there: a checked-out repo must not redirect your keys);
3. ``<state dir>/.env``, then ``~/.config/openclaw/gateway.env`` (Ubuntu packaging) for names
   the first does not set (a conflicting value there is reported);
4. the config's ``env`` block: ``env.vars`` and, in the provider page's legacy form, string keys
   directly under ``env`` (``env.vars`` wins on a duplicate name). Skipped when there is no config.

Legacy ``CLAWDBOT_*``/``MOLTBOT_*`` variables are not read; one warning names them.

The process environment itself is never modified: the result is a new mapping passed down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EffectiveEnv", "build_env", "env_block_vars", "parse_dotenv"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BLOCKED_SUFFIXES = ("_API_HOST", "_BASE_URL", "_ENDPOINT", "_HOMESERVER")
_BLOCKED_PREFIXES = ("OPENCLAW_", "CLAWHUB_", "ANTHROPIC_API_KEY_", "OPENAI_API_KEY_")
_LEGACY_PREFIXES = ("CLAWDBOT_", "MOLTBOT_")


@dataclass(frozen=True, slots=True)
class EffectiveEnv:
    values: dict[str, str]
    applied: dict[str, str]  # name → where it came from ("config env", ".env", ...)
    warnings: tuple[str, ...]


def parse_dotenv(text: str) -> dict[str, str]:
    """A small dotenv reader: ``KEY=value``, ``export KEY=value``, quotes, ``#`` comments."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if raw.strip().partition("=")[2].strip().startswith('"'):
                value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


def _workspace_allowed(name: str, credential_vars: frozenset[str]) -> bool:
    if name in credential_vars or name.endswith(_BLOCKED_SUFFIXES):
        return False
    return not name.startswith(_BLOCKED_PREFIXES)


def env_block_vars(env_block: Any) -> tuple[dict[str, str], list[str]]:
    """Variables from a config ``env`` block, and warnings about its shape."""
    if not isinstance(env_block, dict):
        return {}, []
    flat = {k: v for k, v in env_block.items() if k not in ("vars", "shellEnv") and isinstance(v, str)}
    nested_raw = env_block.get("vars")
    nested: dict[str, Any] = nested_raw if isinstance(nested_raw, dict) else {}
    warnings = []
    if flat:
        names = ", ".join(sorted(flat))
        warnings.append(
            f"Config env: flat keys ({names}) are the legacy form; they still apply, "
            "but prefer env.vars: { ... }."
        )
    merged = {**flat, **{k: v for k, v in nested.items() if isinstance(v, str)}}
    return merged, warnings


def _read_dotenv(path: Path) -> dict[str, str]:
    try:
        return parse_dotenv(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError):
        return {}


def _legacy_warning(process_env: Mapping[str, str]) -> str | None:
    legacy = sorted(k for k in process_env if k.startswith(_LEGACY_PREFIXES))
    if not legacy:
        return None
    shown = ", ".join(legacy[:5]) + (" ..." if len(legacy) > 5 else "")
    return f"Legacy env vars are ignored ({shown}); rename them to OPENCLAW_*."


def _clash_warning(
    primary_path: Path, primary: dict[str, str], compat_path: Path, compat: dict[str, str]
) -> str | None:
    clashes = sorted(k for k in compat if k in primary and compat[k] != primary[k])
    if not clashes:
        return None
    names = ", ".join(clashes)
    return f"{compat_path} and {primary_path} both set {names}; the value in {primary_path} is used."


def _dotenv_layers(
    cwd: Path | None,
    global_dotenv: Path | None,
    compat_dotenv: Path | None,
    credential_vars: frozenset[str],
) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """The dotenv files in precedence order, as (origin, variables), and warnings."""
    layers: list[tuple[str, dict[str, str]]] = []
    if cwd is not None:
        workspace = _read_dotenv(cwd / ".env")
        layers.append(
            (".env", {k: v for k, v in workspace.items() if _workspace_allowed(k, credential_vars)})
        )
    warnings: list[str] = []
    primary: dict[str, str] = {}
    if global_dotenv is not None:
        primary = _read_dotenv(global_dotenv)
        layers.append((str(global_dotenv), primary))
    if compat_dotenv is not None:
        compat = _read_dotenv(compat_dotenv)
        layers.append((str(compat_dotenv), compat))
        clash = _clash_warning(global_dotenv, primary, compat_dotenv, compat) if global_dotenv else None
        if clash:
            warnings.append(clash)
    return layers, warnings


def build_env(
    process_env: Mapping[str, str],
    *,
    config_env_block: Any,
    config_exists: bool,
    global_dotenv: Path | None,
    cwd: Path | None,
    credential_vars: frozenset[str] = frozenset(),
    compat_dotenv: Path | None = None,
) -> EffectiveEnv:
    values = dict(process_env)
    applied: dict[str, str] = {}
    legacy = _legacy_warning(process_env)
    warnings: list[str] = [legacy] if legacy else []
    layers, dotenv_warnings = _dotenv_layers(cwd, global_dotenv, compat_dotenv, credential_vars)
    warnings.extend(dotenv_warnings)
    if config_exists:
        block_vars, block_warnings = env_block_vars(config_env_block)
        warnings.extend(block_warnings)
        layers.append(("config env", block_vars))
    for origin, layer in layers:
        for name, value in layer.items():
            if name not in values and value != "":  # never override what is already set
                values[name] = value
                applied[name] = origin
    return EffectiveEnv(values=values, applied=applied, warnings=tuple(warnings))
