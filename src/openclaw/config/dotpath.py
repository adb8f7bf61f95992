"""Dotted config paths: ``agents.defaults.model.primary``, with brackets for keys holding dots:
``agents.defaults.models["openai/gpt-5.4"].alias``; ``[0]`` indexes a list."""

from __future__ import annotations

from typing import Any

from ..errors import InputError

__all__ = ["MISSING", "format_path", "get_path", "parse_path", "set_path", "unset_path"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _bracket(text: str, inner: str) -> str | int:
    inner = inner.strip()
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "\"'":
        return inner[1:-1]
    if inner.isdigit():
        return int(inner)
    if not inner:
        raise InputError(f'Invalid config path "{text}": empty brackets.', param="path")
    return inner


def parse_path(text: str) -> list[str | int]:
    keys: list[str | int] = []
    i, n = 0, len(text)
    buf = ""
    while i < n:
        ch = text[i]
        if ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise InputError(f'Invalid config path "{text}": missing "]".', param="path")
            if buf:
                keys.append(buf)
                buf = ""
            keys.append(_bracket(text, text[i + 1 : end]))
            i = end + 1
            continue
        if ch == "." and not buf and (i == 0 or text[i - 1] != "]"):
            raise InputError(f'Invalid config path "{text}": empty segment.', param="path")
        if ch == "." and buf:
            keys.append(buf)
            buf = ""
        elif ch != ".":
            buf += ch
        i += 1
    if buf:
        keys.append(buf)
    if not keys:
        raise InputError("Empty config path.", param="path")
    return keys


def format_path(keys: list[str | int]) -> str:
    out = ""
    for key in keys:
        if isinstance(key, int):
            out += f"[{key}]"
        elif "." in key or "[" in key or '"' in key:
            out += f'["{key}"]'
        else:
            out += f".{key}" if out else key
    return out


def get_path(data: Any, keys: list[str | int]) -> Any:
    node = data
    for key in keys:
        if isinstance(key, int) and isinstance(node, list) and -len(node) <= key < len(node):
            node = node[key]
        elif isinstance(node, dict) and str(key) in node:
            node = node[str(key)]
        else:
            return MISSING
    return node


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _step(node: Any, key: str | int, keys: list[str | int], depth: int) -> Any:
    """The child of ``node`` at ``key`` on the way to ``keys``, created as ``{}`` if absent."""
    where = format_path(keys[: depth + 1])
    if isinstance(node, list):
        if not isinstance(key, int) or not -len(node) <= key < len(node):
            raise InputError(f"Cannot set {format_path(keys)}: {where} is not an item of the list.")
        return node[key]
    child = node.get(str(key), MISSING)
    if child is MISSING:
        child = node[str(key)] = {}
    elif not isinstance(child, (dict, list)):
        raise InputError(
            f"Cannot set {format_path(keys)}: {where} is {_kind(child)}, not an object. "
            f"Set {where} itself, or unset it first."
        )
    return child


def set_path(data: dict[str, Any], keys: list[str | int], value: Any) -> None:
    """Set ``value`` at ``keys``, creating objects on the way (new keys go at the end).

    A list item is addressed by index (``[len]`` appends); stepping through a scalar is refused
    rather than silently replacing it with an object.
    """
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        node = _step(node, key, keys, depth)
    last = keys[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not -len(node) <= last <= len(node):
            raise InputError(f"Cannot set {format_path(keys)}: no such list index.")
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        node[str(last)] = value


def unset_path(data: dict[str, Any], keys: list[str | int]) -> bool:
    """Remove the value at ``keys``; False when it was absent. Emptied parents are kept."""
    parent = get_path(data, keys[:-1]) if len(keys) > 1 else data
    last = keys[-1]
    if isinstance(parent, dict) and str(last) in parent:
        del parent[str(last)]
        return True
    if isinstance(parent, list) and isinstance(last, int) and -len(parent) <= last < len(parent):
        del parent[last]
        return True
    return False
