"""The rules of ``openclaw config set`` / ``unset``, independent of the CLI.

* :func:`parse_value`: a value is JSON5 when it parses as JSON5, else the raw string
  (``strict=True`` demands JSON);
* :func:`secret_ref`: the ``--ref-source/--ref-provider/--ref-id`` builder, with OpenClaw's id rules;
* :func:`dropped_entries`: protected maps (``models.providers``, ``auth.profiles``, ...) refuse an
  object assignment that would silently drop existing entries;
* :func:`restart_hint`: what the user must do for the change to take effect.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson

from ..errors import InputError
from .dotpath import MISSING, format_path, get_path

__all__ = [
    "PROTECTED_MAPS",
    "assign",
    "dropped_entries",
    "parse_value",
    "restart_hint",
    "secret_ref",
]

# Maps whose entries are easy to lose with one careless object assignment. "*" is any key.
PROTECTED_MAPS: tuple[tuple[str, ...], ...] = (
    ("agents", "defaults", "models"),
    ("agents", "entries"),
    ("models", "providers"),
    ("models", "providers", "*"),
    ("models", "providers", "*", "models"),
    ("plugins", "entries"),
    ("auth", "profiles"),
)

HINT_RESTART = "Restart the gateway to apply."
HINT_NONE = "No gateway restart needed."

# Top-level sections the gateway reads. It reads the config once, when it starts (OpenClaw
# hot-reloads agents/models/auth and says "Change will apply without restarting the gateway.";
# ours does not, so saying that would be untrue). CLI commands read the config on every run. The
# other sections belong to OpenClaw features this project does not have.
_HINTS = dict.fromkeys(
    ("gateway", "state", "usage", "agents", "models", "auth", "routing", "env"), HINT_RESTART
)

_REF_PROVIDER = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_REF_IDS = {
    "env": (re.compile(r"^[A-Z][A-Z0-9_]{0,127}$"), "an env var name such as OPENROUTER_API_KEY"),
    "exec": (re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$"), "letters, digits and ._:/#-"),
    "store": (re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$"), "letters, digits and ._:/#-"),
    "file": (re.compile(r"^(/.*|value)$"), 'an absolute JSON pointer (/providers/openrouter) or "value"'),
}


def parse_value(raw: str, *, strict: bool = False) -> Any:
    """``true``/``12``/``{a: 1}``/``"text"`` parse as JSON5; anything else is the raw string."""
    if strict:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"--strict-json: the value is not valid JSON ({exc}).", param="value") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    import json5  # lazy: only values that are not plain JSON pay for it

    try:
        value = json5.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, float) and not math.isfinite(value):
        return raw  # Infinity / NaN cannot be written as JSON: keep the text
    return value


def secret_ref(source: str, ref_id: str, provider: str = "default") -> dict[str, str]:
    """Build ``{source, provider, id}`` after checking it the way OpenClaw does."""
    if source not in _REF_IDS:
        raise InputError(f'--ref-source must be one of env, file, exec, store (got "{source}").')
    if not _REF_PROVIDER.match(provider):
        raise InputError(
            f'--ref-provider "{provider}" is invalid: lowercase letters, digits, "_" and "-", '
            "starting with a letter."
        )
    pattern, shape = _REF_IDS[source]
    segments = ref_id.split("/")
    if not pattern.match(ref_id) or (source == "exec" and ({".", ".."} & set(segments))):
        raise InputError(f'--ref-id "{ref_id}" is invalid for source {source}: expected {shape}.')
    return {"source": source, "provider": provider, "id": ref_id}


def restart_hint(keys: list[str | int]) -> str:
    return _HINTS.get(str(keys[0]), HINT_NONE) if keys else HINT_NONE


def _matches(pattern: tuple[str, ...], root: Any) -> list[list[str | int]]:
    """Every concrete path in ``root`` matching ``pattern`` (``*`` = any key of an object)."""
    found: list[list[str | int]] = [[]]
    for part in pattern:
        step: list[list[str | int]] = []
        for keys in found:
            node = get_path(root, keys)
            if not isinstance(node, dict):
                continue
            names = list(node) if part == "*" else ([part] if part in node else [])
            step.extend([*keys, name] for name in names)
        found = step
    return found


def _entry_names(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node)
    if isinstance(node, list):  # a provider's models[]: entries are named by id
        return {str(item["id"]) for item in node if isinstance(item, dict) and "id" in item}
    return set()


def dropped_entries(before: dict[str, Any], after: dict[str, Any], at: list[str | int]) -> list[str]:
    """Entries of protected maps at or below ``at`` present in ``before`` but gone in ``after``.

    Only the outermost lost entry is named: losing a provider does not also list its fields.
    """
    lost: list[list[str | int]] = []
    for pattern in PROTECTED_MAPS:
        for keys in _matches(pattern, before):
            if keys[: len(at)] != at:
                continue  # an edit below a map changes one entry and never drops its siblings
            new = get_path(after, keys)
            gone = _entry_names(get_path(before, keys)) - _entry_names(None if new is MISSING else new)
            lost.extend([*keys, name] for name in sorted(gone))
    outer = [k for k in lost if not any(k[: len(o)] == o and len(o) < len(k) for o in lost)]
    return sorted({format_path(k) for k in outer})


def assign(root: dict[str, Any], keys: list[str | int], value: Any, *, merge: bool) -> None:
    """Set ``value`` at ``keys``; with ``merge`` an object is deep-merged into the existing one."""
    from .dotpath import set_path
    from .includes import deep_merge

    if merge:
        if not isinstance(value, dict):
            raise InputError('--merge needs an object value, such as \'{"key": "value"}\'.')
        current = get_path(root, keys)
        if isinstance(current, dict):
            value = deep_merge(current, value)
    set_path(root, keys, value)
