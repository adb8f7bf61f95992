"""Validate config data against the schema; errors name the dotted key path."""

from __future__ import annotations

import copy
import re
from typing import Any

import msgspec

from ..errors import ConfigValidationError
from .schema import OpenClawConfig

__all__ = ["validate", "with_ollama_base_url", "without_flat_env"]

_LOC = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`")

_LEGACY = {
    ("agents", "list"): "agents.list is the legacy form: move each agent to agents.entries.<id>.",
    ("defaultModel",): "defaultModel is the legacy form: use agents.defaults.model.primary.",
}


def without_flat_env(data: dict[str, Any]) -> dict[str, Any]:
    """The flat legacy ``env`` keys are folded into ``env.vars`` for validation."""
    env = data.get("env")
    if not isinstance(env, dict):
        return data
    flat = {k: v for k, v in env.items() if k not in ("vars", "shellEnv") and isinstance(v, str)}
    if not flat:
        return data
    rest = {k: v for k, v in env.items() if k not in flat}
    vars_raw = rest.get("vars")
    vars_: dict[str, Any] = vars_raw if isinstance(vars_raw, dict) else {}
    return {**data, "env": {**rest, "vars": {**flat, **vars_}}}


def with_ollama_base_url(data: dict[str, Any]) -> dict[str, Any]:
    """Ollama providers may spell ``baseUrl`` as ``baseURL`` (OpenClaw accepts both there)."""
    models = data.get("models")
    providers = models.get("providers") if isinstance(models, dict) else None
    if not isinstance(providers, dict):
        return data
    fixed: dict[str, Any] = {}
    for pid, conf in providers.items():
        fixed[pid] = conf
        if isinstance(conf, dict) and "baseURL" in conf and (pid == "ollama" or conf.get("api") == "ollama"):
            renamed = {k: v for k, v in conf.items() if k != "baseURL"}
            renamed.setdefault("baseUrl", conf["baseURL"])
            fixed[pid] = renamed
    return {**data, "models": {**models, "providers": fixed}}  # type: ignore[dict-item]


def _split_path(path: str) -> list[str]:
    # msgspec paths look like ".models.providers[...].models[0].id"
    return re.findall(r"\[[^\]]*\]|[^.\[]+", path)


def _locate(data: Any, parts: list[str]) -> str:
    """Turn msgspec's ``[...]`` (an unnamed dict key) into the key that fails validation."""
    node = data
    named: list[str] = []
    for i, part in enumerate(parts):
        if part == "[...]" and isinstance(node, dict):
            culprit = _culprit(data, named_to_keys(named), node)
            named.append(f'["{culprit}"]' if culprit is not None else "[...]")
            node = node.get(culprit) if culprit is not None else None
            if culprit is None:
                named.extend(parts[i + 1 :])
                break
            continue
        if part.startswith("[") and isinstance(node, list):
            index = int(part[1:-1])
            named.append(part)
            node = node[index] if index < len(node) else None
            continue
        named.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return _render(named)


def named_to_keys(named: list[str]) -> list[Any]:
    keys: list[Any] = []
    for part in named:
        if part.startswith("[") and part.endswith("]"):
            inner = part[1:-1]
            keys.append(int(inner) if inner.isdigit() else inner.strip("'\""))
        else:
            keys.append(part)
    return keys


def _culprit(data: Any, keys: list[Any], mapping: dict[str, Any]) -> str | None:
    """Find the dict key whose value makes validation fail, by validating each alone."""
    for candidate in mapping:
        trial = copy.deepcopy(data)
        node = trial
        for key in keys:
            node = node[key]
        for other in list(node):
            if other != candidate:
                del node[other]
        try:
            msgspec.convert(trial, OpenClawConfig)
        except msgspec.ValidationError:
            return str(candidate)
    return None


def _render(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part.startswith("["):
            inner = part[1:-1].strip("'\"")
            out += f".{inner}" if inner and not inner.isdigit() and "." not in inner else part
        else:
            out += f".{part}" if out else part
    return out.lstrip(".")


def validate(data: dict[str, Any], *, path: str | None = None) -> OpenClawConfig:
    for keys, hint in _LEGACY.items():
        node: Any = data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            raise ConfigValidationError(hint, key_path=".".join(keys), path=path)
    env = data.get("env")
    if isinstance(env, dict):
        for key, value in env.items():
            if key not in ("vars", "shellEnv") and not isinstance(value, str):
                raise ConfigValidationError(
                    f"env values are strings (got {type(value).__name__}); quote it, or move "
                    "non-variable settings out of env",
                    key_path=f"env.{key}",
                    path=path,
                )
    prepared = with_ollama_base_url(without_flat_env(data))
    try:
        return msgspec.convert(prepared, OpenClawConfig)
    except msgspec.ValidationError as exc:
        text = str(exc)
        loc = _LOC.search(text)
        message = text[: loc.start()] if loc else text
        parts = _split_path(loc.group("path")) if loc else []
        unknown = _UNKNOWN.match(message)
        if unknown:
            parts.append(unknown.group("field"))
            message = "unknown key (check the spelling; see `openclaw config schema`)"
        key_path = _locate(prepared, parts) if parts else ""
        raise ConfigValidationError(message, key_path=key_path, path=path) from None
