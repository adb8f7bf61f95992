"""Edits of the config's ``auth`` section that go with auth-store changes.

The config holds only metadata about profiles (``auth.profiles.<id> = {provider, mode}``) and
routing (``auth.order.<provider> = [ids]``), never a secret. These functions mutate the config
*source* dict in place (the callback of :func:`openclaw.config.write.update_config`).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError

__all__ = [
    "MODE_BY_TYPE",
    "drop_profile",
    "parse_duration_ms",
    "provider_key_references",
    "set_profile_entry",
    "validate_profile_id",
]

MODE_BY_TYPE = {"api_key": "api_key", "token": "token", "oauth": "oauth"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$", re.IGNORECASE)
_UNIT_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
_PROFILE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*:[^\s:][^\s]*$")


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        value = {}
        data[key] = value
    return value


def validate_profile_id(profile_id: str, provider: str) -> str:
    """``provider:name`` with no whitespace; the provider part must match ``provider``."""
    text = profile_id.strip()
    if not _PROFILE_ID.match(text):
        raise InputError(
            f'Invalid profile id "{profile_id}". Use <provider>:<name>, e.g. "{provider}:work".',
            param="profile_id",
        )
    if text.partition(":")[0] != provider:
        raise InputError(
            f'Profile id "{text}" does not belong to provider "{provider}"; use "{provider}:<name>".',
            param="profile_id",
        )
    return text


def set_profile_entry(data: dict[str, Any], profile_id: str, provider: str, kind: str) -> None:
    """``auth.profiles[profile_id] = {provider, mode}`` (kept when already identical)."""
    profiles = _section(_section(data, "auth"), "profiles")
    entry = {"provider": provider, "mode": MODE_BY_TYPE.get(kind, "api_key")}
    current = profiles.get(profile_id)
    if isinstance(current, dict):
        current.update(entry)
    else:
        profiles[profile_id] = entry


def drop_profile(data: dict[str, Any], profile_id: str) -> None:
    """Remove ``profile_id`` from ``auth.profiles`` and every ``auth.order`` list; an order list
    that becomes empty is deleted (an authored ``[]`` that never held it is left alone)."""
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return
    profiles = auth.get("profiles")
    if isinstance(profiles, dict):
        profiles.pop(profile_id, None)
    order = auth.get("order")
    if isinstance(order, dict):
        for provider, ids in list(order.items()):
            if isinstance(ids, list) and profile_id in ids:
                ids[:] = [i for i in ids if i != profile_id]
                if not ids:
                    del order[provider]


def provider_key_references(data: dict[str, Any], profile_id: str) -> list[str]:
    """Config paths ``models.providers.<id>.apiKey`` that name ``profile_id``."""
    models = data.get("models")
    providers = models.get("providers") if isinstance(models, dict) else None
    found = []
    for pid, pconf in (providers if isinstance(providers, dict) else {}).items():
        key = pconf.get("apiKey") if isinstance(pconf, dict) else None
        named = key.get("id") if isinstance(key, dict) else key
        if isinstance(named, str) and named.strip() in (profile_id, f"profile:{profile_id}"):
            found.append(f"models.providers.{pid}.apiKey")
    return found


def parse_duration_ms(text: str) -> int:
    """``365d``, ``12h``, ``90m``, ``2w`` → milliseconds (a bare number is days)."""
    match = _DURATION.match(text)
    if match is None:
        raise InputError(f'Invalid duration "{text}". Use e.g. 365d, 12h, 90m.', param="expires_in")
    amount = float(match.group(1))
    unit = (match.group(2) or "d").lower()
    value = int(amount * _UNIT_MS[unit])
    if value <= 0:
        raise InputError(f'Invalid duration "{text}": it must be positive.', param="expires_in")
    return value
