"""How an edit maps onto the files behind the config (the main file and its ``$include``s).

Writers edit a *view* of the config: the main file as written, except that a top-level section
whose whole value is one single-file include (``models: { $include: "./models.json5" }``) is
replaced by that file's content. After the edit:

* a changed write-through section is written back to its own file;
* any other change that would have to edit an included part (a root ``$include``, an include
  array, an include with sibling keys, an include below the top level) is refused: OpenClaw
  fails closed there, and so do we. Nothing is written in that case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigWriteError
from .dotpath import MISSING, format_path
from .includes import include_target
from .parse import read_json5_file

__all__ = ["Layout", "build_layout", "has_include"]

_KEY = "$include"


def has_include(node: Any) -> bool:
    """True when ``node`` holds an ``$include`` directive anywhere."""
    if isinstance(node, dict):
        return _KEY in node or any(has_include(v) for v in node.values())
    if isinstance(node, list):
        return any(has_include(v) for v in node)
    return False


@dataclass(slots=True)
class Layout:
    """The view a writer edits, and where each write-through section lives on disk."""

    view: dict[str, Any]
    sections: dict[str, Path] = field(default_factory=dict)  # top-level key -> included file
    directives: dict[str, Any] = field(default_factory=dict)  # top-level key -> original value

    def split(self, edited: dict[str, Any]) -> tuple[dict[str, Any], dict[Path, dict[str, Any]]]:
        """Turn an edited view into (new main file content, {included file: new content})."""
        self.check(edited)
        main: dict[str, Any] = {}
        files: dict[Path, dict[str, Any]] = {}
        for key, value in edited.items():
            if key in self.sections:
                main[key] = self.directives[key]
                if value != self.view[key]:
                    files[self.sections[key]] = value
            else:
                main[key] = value
        return main, files

    def check(self, edited: dict[str, Any]) -> None:
        for key, target in self.sections.items():
            if not isinstance(edited.get(key), dict):
                raise ConfigWriteError(
                    f"Cannot remove or replace {key}: it comes from $include {target}. "
                    "Edit the main config by hand to drop the include.",
                    path=str(target),
                )
        where = _first_include_change(self.view, edited, [])
        if where is not None:
            shown = format_path(where) or "the config root"
            raise ConfigWriteError(
                f"Cannot change {shown}: that part of the config comes from an $include "
                "(a root include, an include array, an include with sibling keys, or a nested "
                "include), which openclaw never rewrites. Edit the included file by hand.",
            )


def _first_include_change(before: Any, after: Any, keys: list[str | int]) -> list[str | int] | None:
    """The path of the first difference that touches an object holding ``$include``."""
    if before == after:
        return None
    if isinstance(before, dict) and isinstance(after, dict):
        if _KEY in before or _KEY in after:
            return keys
        for key in [*before, *(k for k in after if k not in before)]:
            hit = _first_include_change(before.get(key, MISSING), after.get(key, MISSING), [*keys, key])
            if hit is not None:
                return hit
        return None
    if has_include(before) or has_include(after):
        return keys
    return None


def build_layout(source: dict[str, Any], config_path: Path, env: Mapping[str, str]) -> Layout:
    """The editable view of ``source`` (the main file as parsed)."""
    layout = Layout(view=dict(source))
    if _KEY in source:
        return layout  # root include: every change is refused by check()
    for key, value in source.items():
        if not (isinstance(value, dict) and list(value) == [_KEY] and isinstance(value[_KEY], str)):
            continue
        target = include_target(value[_KEY], config_path, config_path, env, key_path=key)
        content = read_json5_file(target)
        if not isinstance(content, dict) or has_include(content):
            continue  # read-only: non-object content or nested includes
        layout.view[key] = content
        layout.sections[key] = target
        layout.directives[key] = value
    return layout
