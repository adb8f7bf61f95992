"""One failure classifier: a :class:`~openclaw.errors.ProviderError` in, a *reason* out.

The order of evidence is fixed. A failure with no answer to read (``cancelled``, ``connect``,
``timeout``, ``reset``, ``cut``) is classed by its transport ``kind`` alone. Otherwise the HTTP
**status** decides first (for an error chunk inside a 200 stream, a numeric ``error.code`` stands
in for it); inside a status, the provider's typed error **code** (OpenRouter ``error_type``,
Anthropic ``error.type``) and then its **message** may refine the class (a 401 whose text says
"insufficient credits" is billing, a 403 that names moderation is a content filter). With no
status at all, codes and then messages decide, and the ``kind`` is the last word.

Reasons (OpenClaw's probe/attempt vocabulary, plus ``content_filter``, ``context_overflow``,
``cancelled``) and what the router does with each (see :data:`POLICIES`):

==================  =====================================  ====================================
reason              typical evidence                       router
==================  =====================================  ====================================
auth                401, 403 (bad/revoked key)             next key; key disabled 10 min, x2 to 60
billing             402, credit texts, "Key limit"         next key; key disabled 5 h, x2 to 24 h
rate_limit          429, throttling/quota texts            next key, then next model at once;
                                                           key+model cooldown 30 s, 1 min, 5 min
overloaded          503, 529, "overloaded"                 one key rotation, then next model;
                                                           key+model cooldown
timeout             408, 504, 524, connect/read timeout,   up to max_retries same-model retries
                    reset before headers, cut stream       (backoff, budget), then next model
server_error        500, 502, other 5xx, malformed body    as timeout
format              400/422 the request itself is wrong    stop: no retry, no failover
model_not_found     404, unknown model ids                 next model, no cooldown
context_overflow    413, "context length" texts            next model, no cooldown
content_filter      403 moderation, finish content_filter  next model, no cooldown
cancelled           the caller went away                   stop at once
unknown             anything else                          next model, no cooldown
==================  =====================================  ====================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ProviderError

__all__ = [
    "AUTH",
    "BILLING",
    "CANCELLED",
    "CONTENT_FILTER",
    "CONTEXT_OVERFLOW",
    "FORMAT",
    "MODEL_NOT_FOUND",
    "OVERLOADED",
    "POLICIES",
    "RATE_LIMIT",
    "REASONS",
    "SERVER_ERROR",
    "TIMEOUT",
    "UNKNOWN",
    "Policy",
    "classify",
    "policy_for",
]

AUTH = "auth"
BILLING = "billing"
RATE_LIMIT = "rate_limit"
OVERLOADED = "overloaded"
TIMEOUT = "timeout"
SERVER_ERROR = "server_error"
FORMAT = "format"
MODEL_NOT_FOUND = "model_not_found"
CONTEXT_OVERFLOW = "context_overflow"
CONTENT_FILTER = "content_filter"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

REASONS = (
    AUTH,
    BILLING,
    RATE_LIMIT,
    OVERLOADED,
    TIMEOUT,
    SERVER_ERROR,
    FORMAT,
    MODEL_NOT_FOUND,
    CONTEXT_OVERFLOW,
    CONTENT_FILTER,
    CANCELLED,
    UNKNOWN,
)


# ------------------------------------------------------------------------------ text matchers

# Rate-limit texts (spec §9.4 and §15.3): key rotation keys off these, whatever the status.
_RATE_LIMIT_TEXT = re.compile(
    r"rate[ _-]?limit|too many requests|quota[ _]exceeded|resource[ _]exhausted|throttl"
    r"|too many concurrent requests|concurrency limit reached|quota limit exceeded"
    r"|(?:weekly|daily|monthly|hourly) (?:usage )?limit (?:reached|exhausted|exceeded)"
    r"|spending limit exceeded|limit reached, resets",
    re.IGNORECASE,
)
# Retryable-looking 402s: usage windows, not an empty wallet.
_USAGE_WINDOW_TEXT = re.compile(
    r"(?:weekly|daily|monthly|hourly|periodic) (?:usage )?limit|spending limit|resets (?:tomorrow|in|at)",
    re.IGNORECASE,
)
_BILLING_TEXT = re.compile(
    r"insufficient (?:credits|balance|funds|quota)|credit balance (?:is )?too low|more credits"
    r"|key limit exceeded|payment required|billing|out of credits|negative balance",
    re.IGNORECASE,
)
_MODERATION_TEXT = re.compile(
    r"moderation|flagged|content[ _]policy|guardrail|safety (?:system|filter)|content[ _]filter"
    r"|\brefusal\b|model refused",
    re.IGNORECASE,
)
_CONTEXT_TEXT = re.compile(
    r"context[ _]length|context window|maximum context|request_too_large|too many tokens"
    r"|input token count exceeds|input exceeds the maximum number of tokens|input too long"
    r"|prompt is too long|context length exceeded|maximum number of tokens",
    re.IGNORECASE,
)
_MODEL_TEXT = re.compile(
    r"model[_ ]not[_ ]found|not a valid model|no such model|unknown model|model .*does not exist"
    r"|no endpoints found|model_deprecated|free_variant_ended|model_unavailable",
    re.IGNORECASE,
)
_OVERLOAD_TEXT = re.compile(r"overload|modelnotready|at capacity|capacity_exhausted", re.IGNORECASE)
_TIMEOUT_TEXT = re.compile(
    r"timed? ?out|timeout|network_error|aborted|an unknown error occurred", re.IGNORECASE
)
_SERVER_TEXT = re.compile(
    r"internal server error|upstream error|backend error|provider returned error|reason: error"
    r"|stop reason: error|finish_reason: error|bad gateway|unknown error, 52\d",
    re.IGNORECASE,
)

# Typed provider codes (OpenRouter ``error_type``, Anthropic ``error.type``, availability codes).
_CODES: dict[str, str] = {
    "context_length_exceeded": CONTEXT_OVERFLOW,
    "max_tokens_exceeded": CONTEXT_OVERFLOW,
    "token_limit_exceeded": CONTEXT_OVERFLOW,
    "string_too_long": CONTEXT_OVERFLOW,
    "request_too_large": CONTEXT_OVERFLOW,
    "payload_too_large": CONTEXT_OVERFLOW,
    "content_policy_violation": CONTENT_FILTER,
    "refusal": CONTENT_FILTER,
    "content_filter": CONTENT_FILTER,
    "rate_limit_exceeded": RATE_LIMIT,
    "rate_limit_error": RATE_LIMIT,
    "capacity_exhausted": RATE_LIMIT,
    "payment_required": BILLING,
    "insufficient_quota": BILLING,
    "billing_error": BILLING,
    "provider_overloaded": OVERLOADED,
    "overloaded_error": OVERLOADED,
    "temporarily_unavailable": OVERLOADED,
    "provider_unavailable": SERVER_ERROR,
    "api_error": SERVER_ERROR,
    "server": SERVER_ERROR,
    "unmapped": SERVER_ERROR,
    "timeout": TIMEOUT,
    "authentication": AUTH,
    "authentication_error": AUTH,
    "invalid_api_key": AUTH,
    "permission_denied": AUTH,
    "permission_error": AUTH,
    "not_found": MODEL_NOT_FOUND,
    "not_found_error": MODEL_NOT_FOUND,
    "model_not_found": MODEL_NOT_FOUND,
    "no_endpoints": MODEL_NOT_FOUND,
    "model_deprecated": MODEL_NOT_FOUND,
    "model_unavailable_upstream": MODEL_NOT_FOUND,
    "free_variant_ended": MODEL_NOT_FOUND,
    "region_restricted": MODEL_NOT_FOUND,
    "privacy_restricted": MODEL_NOT_FOUND,
    "constraint_filtered": MODEL_NOT_FOUND,
    "invalid_request": FORMAT,
    "invalid_request_error": FORMAT,
    "invalid_prompt": FORMAT,
    "unprocessable": FORMAT,
}


@dataclass(frozen=True, slots=True)
class _Refine:
    """Inside a status: a typed code or a message pattern that changes the reason."""

    reason: str
    pattern: re.Pattern[str] | None = None
    codes: frozenset[str] = frozenset()

    def matches(self, codes: tuple[str, ...], text: str) -> bool:
        if self.codes and any(c in self.codes for c in codes):
            return True
        return self.pattern is not None and self.pattern.search(text) is not None


def _codes_for(reason: str) -> frozenset[str]:
    return frozenset(code for code, r in _CODES.items() if r == reason)


_TO_BILLING = _Refine(BILLING, _BILLING_TEXT, _codes_for(BILLING))
_TO_RATE = _Refine(RATE_LIMIT, _RATE_LIMIT_TEXT, _codes_for(RATE_LIMIT))
_TO_CONTEXT = _Refine(CONTEXT_OVERFLOW, _CONTEXT_TEXT, _codes_for(CONTEXT_OVERFLOW))
_TO_FILTER = _Refine(CONTENT_FILTER, _MODERATION_TEXT, _codes_for(CONTENT_FILTER))
_TO_MODEL = _Refine(MODEL_NOT_FOUND, _MODEL_TEXT, _codes_for(MODEL_NOT_FOUND))
_TO_OVERLOAD = _Refine(OVERLOADED, _OVERLOAD_TEXT, _codes_for(OVERLOADED))
_TO_SERVER = _Refine(SERVER_ERROR, re.compile(r"^provider returned error\b", re.IGNORECASE))

# The table. status -> (base reason, refinements checked in order). Statuses not listed fall
# back to their class: other 4xx -> format, other 5xx -> server_error.
_STATUS: dict[int, tuple[str, tuple[_Refine, ...]]] = {
    # 400: the request is wrong, unless the provider says why in a way another candidate fixes:
    # too long for this model, refused by this model's filter, a model id this upstream lacks, a
    # quota, or OpenRouter's bare "Provider returned error" (an upstream fault behind a 400).
    400: (FORMAT, (_TO_CONTEXT, _TO_FILTER, _TO_MODEL, _TO_RATE, _TO_BILLING, _TO_SERVER)),
    # 401: the key. Credit texts are billing even here (OpenClaw §15.3).
    401: (AUTH, (_TO_BILLING,)),
    # 402: the wallet, unless the text is a usage window that resets (then it is a rate limit).
    402: (BILLING, (_Refine(RATE_LIMIT, _USAGE_WINDOW_TEXT),)),
    # 403: the key's permissions, OpenRouter moderation (content filter), credit or key limits.
    403: (
        AUTH,
        (_TO_FILTER, _TO_BILLING, _TO_RATE, _Refine(MODEL_NOT_FOUND, codes=_codes_for(MODEL_NOT_FOUND))),
    ),
    404: (MODEL_NOT_FOUND, ()),
    408: (TIMEOUT, ()),
    409: (SERVER_ERROR, ()),  # conflict: retryable (spec §16.3)
    413: (CONTEXT_OVERFLOW, ()),
    422: (FORMAT, (_TO_CONTEXT, _TO_FILTER)),
    # 429: a rate limit, unless OpenRouter says the key's spending limit is used up.
    429: (RATE_LIMIT, (_Refine(BILLING, re.compile(r"key limit exceeded|insufficient credits", re.I)),)),
    500: (SERVER_ERROR, (_TO_OVERLOAD, _TO_CONTEXT)),
    502: (SERVER_ERROR, (_TO_OVERLOAD,)),
    503: (OVERLOADED, ()),
    504: (TIMEOUT, ()),
    524: (TIMEOUT, ()),  # Cloudflare edge timeout
    529: (OVERLOADED, ()),
}

# No status (error chunk inside a 200 stream, a finish reason of "error"): typed codes first,
# then these message patterns in order, then the transport kind.
_TEXT_ORDER: tuple[tuple[re.Pattern[str], str], ...] = (
    (_BILLING_TEXT, BILLING),
    (_RATE_LIMIT_TEXT, RATE_LIMIT),
    (_CONTEXT_TEXT, CONTEXT_OVERFLOW),
    (_MODERATION_TEXT, CONTENT_FILTER),
    (_MODEL_TEXT, MODEL_NOT_FOUND),
    (_OVERLOAD_TEXT, OVERLOADED),
    (_TIMEOUT_TEXT, TIMEOUT),
    (_SERVER_TEXT, SERVER_ERROR),
)

_KINDS: dict[str, str] = {
    "connect": TIMEOUT,  # refused / DNS / TLS: the host is unreachable, another may not be
    "timeout": TIMEOUT,
    "reset": TIMEOUT,  # closed before the headers
    "cut": TIMEOUT,  # a stream that ended without a finish
    "malformed": SERVER_ERROR,  # the body was not the JSON the API promises
    "in_stream": SERVER_ERROR,  # an error chunk we could not read more into
    "cancelled": CANCELLED,
}


_TRANSPORT_KINDS = frozenset({"cancelled", "connect", "timeout", "reset", "cut"})


def _code_tokens(err: ProviderError) -> tuple[str, ...]:
    return tuple(c.strip().lower() for c in (err.error_type, err.code) if c)


def _numeric_code(err: ProviderError) -> int | None:
    """An in-stream error chunk often carries the HTTP-like status only as ``error.code``."""
    if err.code is not None and err.code.strip().isdigit():
        value = int(err.code.strip())
        return value if 400 <= value <= 599 else None
    return None


def _by_status(status: int, codes: tuple[str, ...], text: str) -> str:
    base, refinements = _STATUS.get(status, (SERVER_ERROR if status >= 500 else FORMAT, ()))
    for refine in refinements:
        if refine.matches(codes, text):
            return refine.reason
    return base


def classify(err: ProviderError) -> str:
    """The reason for one failed attempt (also stored on ``err.reason``)."""
    if err.kind in _TRANSPORT_KINDS:
        return _KINDS[err.kind]  # no answer to read: the transport's verdict is all there is
    codes = _code_tokens(err)
    text = err.message or ""
    status = err.status if err.status is not None and err.status >= 400 else _numeric_code(err)
    if status is not None:
        return _by_status(status, codes, text)
    for code in codes:
        if code in _CODES:
            return _CODES[code]
    for pattern, reason in _TEXT_ORDER:
        if pattern.search(text):
            return reason
    return _KINDS.get(err.kind, UNKNOWN)


# ------------------------------------------------------------------------------------ policy


@dataclass(frozen=True, slots=True)
class Policy:
    """What the router does after a failure of this reason.

    ``action``: ``next_key`` (another credential of the same provider, then the next model),
    ``next_model`` (leave this model now), ``retry`` (same model and key, up to ``max_retries``
    with backoff, then the next model), ``stop`` (end the request: no other candidate would do
    better). ``rotations`` caps ``next_key`` (None: every key). ``lane`` is the cooldown lane
    (None: no cooldown); ``model_scoped`` puts the cooldown on key+model instead of the key.
    ``wait_ok``: the candidate may be tried again in this request after a short wait when every
    other candidate is used up.
    """

    action: str
    lane: str | None = None
    model_scoped: bool = False
    rotations: int | None = None
    wait_ok: bool = False


POLICIES: dict[str, Policy] = {
    AUTH: Policy("next_key", lane="auth"),
    BILLING: Policy("next_key", lane="billing"),
    RATE_LIMIT: Policy("next_key", lane="transient", model_scoped=True, wait_ok=True),
    OVERLOADED: Policy("next_key", lane="transient", model_scoped=True, rotations=1, wait_ok=True),
    TIMEOUT: Policy("retry", lane="transient", model_scoped=True),
    SERVER_ERROR: Policy("retry", lane="transient", model_scoped=True),
    FORMAT: Policy("stop"),
    MODEL_NOT_FOUND: Policy("next_model"),
    CONTEXT_OVERFLOW: Policy("next_model"),
    CONTENT_FILTER: Policy("next_model"),
    CANCELLED: Policy("stop"),
    UNKNOWN: Policy("next_model"),
}


def policy_for(reason: str) -> Policy:
    return POLICIES.get(reason, POLICIES[UNKNOWN])
