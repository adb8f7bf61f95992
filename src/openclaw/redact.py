"""Secret redaction, applied where text is written (logs, errors, ledger, transcripts).

Two layers: every secret the runtime knows (API keys, gateway tokens) is replaced by exact value,
and anything shaped like a provider key or a bearer token is replaced by pattern, so a key that
openclaw never saw (one a provider echoes back in an error body, say) is caught too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Redactor", "mask_key"]

# Provider key shapes: OpenRouter (sk-or-v1-...), Anthropic (sk-ant-...), OpenAI (sk-..., sk-proj-...),
# plus bearer credentials in echoed headers and key=... query parameters.
_PATTERN = re.compile(
    r"(?P<key>\bsk-(?:or-|ant-|proj-)?[A-Za-z0-9_\-]{8,})"
    r"|(?P<bearer>\b[Bb]earer\s+)(?P<token>[A-Za-z0-9._~+/=\-]{8,})"
    r"|(?P<param>[?&](?:key|api_key|apikey|token)=)(?P<value>[^&\s\"']{6,})"
)

_MIN_EXACT = 6  # shorter "secrets" (empty strings, "x") would shred ordinary text


def mask_key(key: str) -> str:
    """A display form of a key: OpenClaw's ``first 8...last 8`` for real-length keys.

    Short keys (test keys, typos) show less so that the mask never reveals most of the key.
    """
    if len(key) >= 24:
        return f"{key[:8]}...{key[-8:]}"
    if len(key) >= 10:
        return f"{key[:4]}...{key[-2:]}"
    return "***"


def _hidden(secret: str) -> str:
    return f"{secret[:5]}…[redacted]" if len(secret) > 12 else "[redacted]"


class Redactor:
    """Replace known secrets and key-shaped strings in text. Immutable once built."""

    __slots__ = ("_exact", "_exact_re")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        exact = sorted({s for s in secrets if s and len(s) >= _MIN_EXACT}, key=len, reverse=True)
        self._exact = tuple(exact)
        self._exact_re = re.compile("|".join(re.escape(s) for s in exact)) if exact else None

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        return Redactor((*self._exact, *secrets))

    def __call__(self, text: str) -> str:
        if self._exact_re is not None:
            text = self._exact_re.sub(lambda m: _hidden(m.group(0)), text)
        return _PATTERN.sub(_pattern_sub, text)


def _pattern_sub(match: re.Match[str]) -> str:
    if match.group("key"):
        return _hidden(match.group("key"))
    if match.group("bearer"):
        return match.group("bearer") + "[redacted]"
    return match.group("param") + "[redacted]"
