"""Decide what ``openclaw onboard`` will do, before anything is written.

Everything that can be wrong with the command line (no TTY, no ``--accept-risk``, an unknown
auth choice, a missing key) is found here, so an error leaves the home untouched.

Auth choices: a provider's own choice (``openrouter-api-key``, ``moonshot-api-key``, ... from the
provider rows), the legacy provider-page form ``apiKey`` + ``--token-provider X`` (mapped to X's
choice, with ``--token`` as the key: the real OpenClaw 2026.9 rejects this form, we accept it),
``token`` + ``--token-provider X`` + ``--token T`` (a ``token`` profile, ``X:manual`` by default),
and ``skip``.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..auth.config_edit import parse_duration_ms, validate_profile_id
from ..auth.store import AuthProfile, StoreSnapshot
from ..catalog.providers import BUILTIN_PROVIDERS, ProviderRow, builtin_provider
from ..errors import InputError, OpenClawError
from ..redact import mask_key
from ..refs import canonical_provider, suggest

__all__ = ["Asker", "AuthPlan", "OnboardOptions", "corrected_command", "plan_auth", "resolve_choice"]

LEGACY_API_KEY = "apiKey"
TOKEN_CHOICE = "token"  # noqa: S105 (an auth choice name, not a secret)
SKIP_CHOICE = "skip"


@dataclass(slots=True)
class OnboardOptions:
    non_interactive: bool = False
    accept_risk: bool = False
    mode: str = "local"
    auth_choice: str | None = None
    token_provider: str | None = None
    token: str | None = field(default=None, repr=False)
    token_profile_id: str | None = None
    token_expires_in: str | None = None
    provider_keys: dict[str, str] = field(default_factory=dict, repr=False)  # provider id -> key
    secret_input_mode: str = "plaintext"  # noqa: S105
    as_json: bool = False
    workspace: str | None = None
    gateway_port: int | None = None
    gateway_bind: str | None = None
    gateway_auth: str | None = None
    gateway_token: str | None = field(default=None, repr=False)
    gateway_token_ref_env: str | None = None
    gateway_password: str | None = field(default=None, repr=False)
    skip_health: bool = False
    skip_skills: bool = False
    install_daemon: bool = False


@dataclass(slots=True)
class AuthPlan:
    choice: str  # canonical auth choice, e.g. "openrouter-api-key"
    row: ProviderRow | None  # None for "skip"
    profile: AuthProfile | None = None  # what to store (None: nothing to write)
    reused: bool = False  # an existing profile is kept unchanged
    note: str | None = None  # said on stderr after onboarding

    @property
    def profile_id(self) -> str | None:
        return self.profile.id if self.profile is not None else None


class Asker(Protocol):
    """Interactive answers (a TTY); the non-interactive path has none and fails instead."""

    def use_env(self, var: str, masked: str) -> bool: ...

    def secret(self, label: str) -> str: ...


def _choices() -> dict[str, ProviderRow]:
    return {row.auth_choice: row for row in BUILTIN_PROVIDERS.values() if row.auth_choice}


def _row_for_provider(raw: str, what: str) -> ProviderRow:
    row = builtin_provider(canonical_provider(raw))
    if row is None or not row.auth_choice:
        hint = suggest(raw, [r.id for r in BUILTIN_PROVIDERS.values() if r.auth_choice])
        more = f' Did you mean "{hint}"?' if hint else ""
        raise InputError(f'{what} "{raw}" is not a provider with an API-key setup flow.{more}', param=what)
    return row


def resolve_choice(
    choice: str | None, token_provider: str | None, provider_keys: Mapping[str, str]
) -> tuple[str, ProviderRow | None, str]:
    """``(canonical choice, provider row, profile type)`` for the command line's auth options."""
    if choice is None:
        flagged = [pid for pid, key in provider_keys.items() if key]
        if len(flagged) == 1:
            choice = BUILTIN_PROVIDERS[flagged[0]].auth_choice
        elif token_provider:
            choice = LEGACY_API_KEY
        else:
            raise InputError(
                "Choose a provider with --auth-choice, e.g. --auth-choice openrouter-api-key "
                "(or --auth-choice skip to set up without a credential).",
                param="auth_choice",
            )
    assert choice is not None
    if choice == SKIP_CHOICE:
        return SKIP_CHOICE, None, "api_key"
    if choice == TOKEN_CHOICE:
        if not token_provider:
            raise InputError(
                "--auth-choice token needs --token-provider <id> and --token <token>.", param="token"
            )
        row = _row_for_provider(token_provider, "--token-provider")
        return TOKEN_CHOICE, row, "token"
    if choice == LEGACY_API_KEY:
        row = _row_for_provider(token_provider or "anthropic", "--token-provider")
        return str(row.auth_choice), row, "api_key"
    found = _choices().get(choice)
    if found is None:
        known = sorted([*_choices(), LEGACY_API_KEY, TOKEN_CHOICE, SKIP_CHOICE])
        hint = suggest(choice, known)
        more = f' Did you mean "{hint}"?' if hint else ""
        raise InputError(
            f'Unknown --auth-choice "{choice}".{more} Choices: {", ".join(known)}.', param="auth_choice"
        )
    if token_provider and _row_for_provider(token_provider, "--token-provider").id != found.id:
        raise InputError(
            f"--token-provider {token_provider} does not match --auth-choice {choice}.", param="token"
        )
    return choice, found, "api_key"


def _inline_key(opts: OnboardOptions, row: ProviderRow) -> str | None:
    for pid, key in opts.provider_keys.items():
        if key and pid != row.id:
            flag = BUILTIN_PROVIDERS[pid].key_flag
            raise InputError(f"{flag} does not match the chosen provider ({row.id}).", param="key")
    flagged = (opts.provider_keys.get(row.id) or "").strip()
    token = (opts.token or "").strip()
    if flagged and token and flagged != token:
        raise InputError(
            f"Both {row.key_flag} and --token were given with different keys; pass one.", param="token"
        )
    return flagged or token or None


def _missing_key_error(row: ProviderRow) -> OpenClawError:
    var = row.env_vars[0] if row.env_vars else f"{row.id.upper()}_API_KEY"
    flag = row.key_flag or "--token"
    return OpenClawError(
        f"Missing {flag} (or {var} in env, or existing {row.id} API-key profile). Export {var}, "
        f"pass {flag}, or run openclaw onboard for interactive setup."
    )


def _env_key(row: ProviderRow, env: Mapping[str, str]) -> tuple[str, str] | None:
    for var in row.env_vars:
        if env.get(var, "").strip():
            return var, env[var].strip()
    return None


def _ref_profile(
    row: ProviderRow, profile_id: str, inline: str | None, env: Mapping[str, str]
) -> AuthProfile:
    found = _env_key(row, env)
    var = row.env_vars[0] if row.env_vars else f"{row.id.upper()}_API_KEY"
    if found is None:
        raise OpenClawError(
            f"--secret-input-mode ref stores a reference to {var}, so {var} must be set in the "
            f"environment of this command{' (an inline key is not stored in ref mode)' if inline else ''}. "
            f'Run: export {var}="<your key>" and retry.'
        )
    if inline is not None and inline != found[1]:
        raise OpenClawError(
            f"--secret-input-mode ref: the key passed on the command line is not the value of {found[0]}. "
            f"Drop the inline key (the profile will reference {found[0]}) or fix {found[0]}."
        )
    ref = {"source": "env", "provider": "default", "id": found[0]}
    return AuthProfile(id=profile_id, provider=row.id, type="api_key", secret_ref=ref)


def _existing(snapshot: StoreSnapshot, profile_id: str, env: Mapping[str, str]) -> AuthProfile | None:
    profile = snapshot.profiles.get(profile_id)
    if profile is None or profile.type != "api_key":
        return None
    if profile.secret:
        return profile
    ref = profile.secret_ref or {}
    return profile if ref.get("source") == "env" and env.get(str(ref.get("id"))) else None


def _api_key_plan(
    opts: OnboardOptions,
    row: ProviderRow,
    choice: str,
    *,
    env: Mapping[str, str],
    snapshot: StoreSnapshot,
    ask: Asker | None,
) -> AuthPlan:
    profile_id = f"{row.id}:default"
    inline = _inline_key(opts, row)
    if opts.secret_input_mode == "ref":  # noqa: S105
        existing = _existing(snapshot, profile_id, env)
        if inline is None and existing is not None:
            note = None
            if existing.secret_ref is None:
                note = (
                    f"Note: {profile_id} keeps its stored key: ref mode does not migrate an existing "
                    f"plaintext key (`openclaw models auth logout {profile_id}` first to store a reference)."
                )
            return AuthPlan(choice, row, existing, reused=True, note=note)
        return AuthPlan(choice, row, _ref_profile(row, profile_id, inline, env))
    key = inline
    if key is None:
        found = _env_key(row, env)
        if found is not None and (ask is None or ask.use_env(found[0], mask_key(found[1]))):
            key = found[1]
    if key is None:
        existing = _existing(snapshot, profile_id, env)
        if existing is not None:
            return AuthPlan(choice, row, existing, reused=True)
        if ask is None:
            raise _missing_key_error(row)
        key = ask.secret(f"{row.label} API key")
    return AuthPlan(choice, row, AuthProfile(id=profile_id, provider=row.id, type="api_key", secret=key))


def plan_auth(
    opts: OnboardOptions, env: Mapping[str, str], snapshot: StoreSnapshot, ask: Asker | None = None
) -> AuthPlan:
    """What credential onboarding stores (or reuses), or an error naming what is missing."""
    choice, row, kind = resolve_choice(opts.auth_choice, opts.token_provider, opts.provider_keys)
    if opts.secret_input_mode not in ("plaintext", "ref"):
        raise InputError("--secret-input-mode must be plaintext or ref.", param="secret_input_mode")
    if row is None:
        return AuthPlan(choice, None)
    if kind == "api_key":
        return _api_key_plan(opts, row, choice, env=env, snapshot=snapshot, ask=ask)
    token = (opts.token or "").strip() or (ask.secret(f"{row.label} token") if ask is not None else "")
    if not token:
        raise OpenClawError(f"--auth-choice token needs --token <token> for {row.id}.")
    profile_id = validate_profile_id(opts.token_profile_id or f"{row.id}:manual", row.id)
    expires = None
    if opts.token_expires_in:
        import time

        expires = int(time.time() * 1000) + parse_duration_ms(opts.token_expires_in)
    return AuthPlan(
        choice, row, AuthProfile(id=profile_id, provider=row.id, type="token", secret=token, expires=expires)
    )


def new_gateway_token() -> str:
    """48 lowercase hex characters, as OpenClaw generates."""
    return secrets.token_hex(24)


_SECRET_PARAMS = {
    "token": None,
    "gateway_token": "OPENCLAW_GATEWAY_TOKEN",
    "gateway_password": "OPENCLAW_GATEWAY_PASSWORD",
}


def corrected_command(params: list[tuple[str, str, Any]], token_provider: str | None) -> str:
    """``openclaw onboard --non-interactive --accept-risk <the flags given>``, secrets replaced
    by ``"$VAR"`` references. ``params`` holds ``(name, option string, value)`` as given."""
    words = ["openclaw", "onboard", "--non-interactive", "--accept-risk"]
    for name, flag, value in params:
        if name in ("non_interactive", "accept_risk"):
            continue
        if value is True:
            words.append(flag)
            continue
        if value is False or value is None:
            continue
        var = _secret_var(name, token_provider)
        words += [flag, f'"${var}"' if var else shlex.quote(str(value))]
    return " ".join(words)


def _secret_var(name: str, token_provider: str | None) -> str | None:
    if name.startswith("key_"):
        row = BUILTIN_PROVIDERS.get(name[4:].replace("_", "-"))
        return row.env_vars[0] if row and row.env_vars else "API_KEY"
    if name not in _SECRET_PARAMS:
        return None
    if name == "token":
        row = builtin_provider(canonical_provider(token_provider or "")) if token_provider else None
        return row.env_vars[0] if row and row.env_vars else "TOKEN"
    return _SECRET_PARAMS[name]
