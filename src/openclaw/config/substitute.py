"""``${VAR}`` substitution in config strings.

Names match ``[A-Z_][A-Z0-9_]*``; ``"${BASE}/v1"`` works inline; ``$${VAR}`` is the literal text
``${VAR}``. A variable that is unset or empty is an error naming the key path (OpenClaw keeps the
literal and warns; a silently unresolved API key is worse than a loud stop). The ``env`` block
itself is literal: its values are not substituted.

Commands that only show or edit the file (``config get``, ``config set``) pass ``strict=False``:
then each unresolved reference keeps its literal ``${VAR}`` text, the others are still
substituted, and every miss is reported in ``missing``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigSubstitutionError

__all__ = ["Missing", "find_references", "substitute"]

_VAR = re.compile(r"\$(\$?)\{([A-Z_][A-Z0-9_]*)\}")

Missing = list[ConfigSubstitutionError]


def _child(key_path: str, key: str) -> str:
    return f"{key_path}.{key}" if key_path else key


class _Substituter:
    def __init__(self, env: Mapping[str, str], source: str | None, missing: Missing | None) -> None:
        self.env = env
        self.source = source
        self.missing = missing  # None: strict (raise on the first miss)

    def string(self, text: str, key_path: str) -> str:
        if "${" not in text:
            return text

        def repl(match: re.Match[str]) -> str:
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            value = self.env.get(name)
            if value:
                return value
            error = ConfigSubstitutionError(name, key_path=key_path, path=self.source)
            if self.missing is None:
                raise error
            self.missing.append(error)
            return match.group(0)

        return _VAR.sub(repl, text)

    def node(self, node: Any, key_path: str) -> Any:
        if isinstance(node, str):
            return self.string(node, key_path)
        if isinstance(node, list):
            return [self.node(v, f"{key_path}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, dict):
            return {
                key: value if (not key_path and key == "env") else self.node(value, _child(key_path, key))
                for key, value in node.items()
            }
        return node


def substitute(
    node: Any,
    env: Mapping[str, str],
    *,
    key_path: str = "",
    source: str | None = None,
    missing: Missing | None = None,
) -> Any:
    """Return ``node`` with ``${VAR}`` replaced everywhere except under the top-level ``env``.

    With ``missing=None`` (strict) the first unset variable raises
    :class:`~openclaw.errors.ConfigSubstitutionError`; with a list, unset references are kept as
    written and one error per reference is appended to it.
    """
    return _Substituter(env, source, missing).node(node, key_path)


def find_references(text: str) -> list[str]:
    """The variable names ``text`` references (escaped ``$${VAR}`` excluded)."""
    return [m.group(2) for m in _VAR.finditer(text) if not m.group(1)]
