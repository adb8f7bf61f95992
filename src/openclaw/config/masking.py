"""Hide secrets in config values before they are printed (``config get``, ``config set --dry-run``).

A string is masked (``sk-or-v1...abcdefgh``, see :func:`openclaw.redact.mask_key`) when its key is:

* a credential field: ``apiKey``, ``token``, ``password``, ``key``, ``secret``, ``passphrase``,
  ``value`` of a ``request.auth`` block, ``Authorization``-like header names;
* an env-var-style name (``OPENROUTER_API_KEY``) containing KEY, TOKEN, SECRET or PASSWORD.

SecretRefs (``{source, provider, id}``), ``${VAR}`` references and ``secretref-*`` markers name a
secret without holding it, so they are shown as they are. Every other string still goes through
the key-shape redactor, so a key pasted somewhere unexpected is caught too.
"""

from __future__ import annotations

import re
from typing import Any

from ..redact import Redactor, mask_key

__all__ = ["is_secret_name", "mask_config_value"]

_SECRET_FIELDS = frozenset(
    {"apikey", "api_key", "token", "password", "key", "secret", "passphrase", "clientsecret"}
)
_SECRET_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ENV_SECRET = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_REFERENCE_ONLY = re.compile(r"^(?:\$\{[A-Z_][A-Z0-9_]*\})+$")


def is_secret_name(name: str, parent: str | None = None) -> bool:
    """True when a string stored under ``name`` (inside ``parent``) is a credential."""
    if name.lower() in _SECRET_FIELDS:
        return True
    if _ENV_NAME.match(name) and any(word in name for word in _ENV_SECRET):
        return True
    if parent is not None and parent.lower() == "headers":
        return bool(_SECRET_HEADER.search(name))
    return parent == "auth" and name == "value"  # request.auth.value (a header credential)


def _mask_string(text: str) -> str:
    if _REFERENCE_ONLY.match(text) or text.startswith("secretref-"):
        return text
    return mask_key(text)


class _Masker:
    def __init__(self) -> None:
        self.redact = Redactor()

    def walk(self, value: Any, name: str | None, parent: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self.walk(v, k, name) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, name, parent) for v in value]
        if isinstance(value, str):
            if name is not None and is_secret_name(name, parent):
                return _mask_string(value)
            return self.redact(value)
        return value


def mask_config_value(value: Any, keys: list[str | int]) -> Any:
    """``value`` (found at ``keys``) with every secret masked; the input is not modified."""
    names = [k for k in keys if isinstance(k, str)]
    name = names[-1] if names else None
    parent = names[-2] if len(names) >= 2 else None
    return _Masker().walk(value, name, parent)
