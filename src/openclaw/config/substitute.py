"""``${VAR}`` substitution in config strings.

Names match ``[A-Z_][A-Z0-9_]*``; ``"${BASE}/v1"`` works inline; ``$${VAR}`` is the literal text
``${VAR}``. A variable that is unset or empty is an error naming the key path (OpenClaw keeps the
literal and warns; a silently unresolved API key is worse than a loud stop). The ``env`` block
itself is literal: its values are not substituted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigSubstitutionError

__all__ = ["substitute"]

_VAR = re.compile(r"\$(\$?)\{([A-Z_][A-Z0-9_]*)\}")


def _sub_string(text: str, env: Mapping[str, str], key_path: str, source: str | None) -> str:
    if "${" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        value = env.get(name)
        if not value:
            raise ConfigSubstitutionError(name, key_path=key_path, path=source)
        return value

    return _VAR.sub(repl, text)


def substitute(node: Any, env: Mapping[str, str], *, key_path: str = "", source: str | None = None) -> Any:
    """Return ``node`` with ``${VAR}`` replaced everywhere except under the top-level ``env``."""
    if isinstance(node, str):
        return _sub_string(node, env, key_path, source)
    if isinstance(node, list):
        return [substitute(v, env, key_path=f"{key_path}[{i}]", source=source) for i, v in enumerate(node)]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            child = f"{key_path}.{key}" if key_path else key
            if not key_path and key == "env":
                out[key] = value
            else:
                out[key] = substitute(value, env, key_path=child, source=source)
        return out
    return node
