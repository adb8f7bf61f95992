"""The exception tree of openclaw.

Every error openclaw raises on purpose derives from :class:`OpenClawError`, carries a
human-readable ``message`` (already redacted: no secret ever appears in it) and the exit code
the CLI uses when the error ends a command::

    OpenClawError                      exit 1 unless noted
    ├── ConfigError                    config file cannot be read, parsed or validated
    │   ├── ConfigParseError           malformed JSON5 (carries line and column)
    │   ├── ConfigValidationError      unknown key, wrong type, bad value (carries the key path)
    │   ├── ConfigSubstitutionError    a ``${VAR}`` that is not set (carries the key path)
    │   └── ConfigWriteError           a write was refused (include-backed section, clobber guard)
    ├── SecretFileError                a secret file is unreadable, or readable by others
    ├── RefError                       a model ref that is malformed or names an unknown provider
    ├── CredentialError                no credential for a provider ("No API key found ...")
    ├── InputError                     bad input to a command or a request (exit 2)
    ├── ProviderError                  one upstream attempt failed; carries status, headers,
    │                                  the provider's message, and what kind of failure it was
    └── FailoverError                  every candidate failed; carries the list of attempts

``ProviderError.kind`` says how the attempt failed at the transport level, before any policy:

=============  ==============================================================
``http``       the upstream answered with a non-2xx status
``connect``    the connection could not be made (refused, DNS, TLS)
``timeout``    no answer (headers or the next byte) within the deadline
``reset``      the connection closed before the response headers arrived
``cut``        a stream ended without a finish reason or ``[DONE]``
``in_stream``  an error chunk arrived inside a 200 stream
``malformed``  the body was not the JSON the API promises
``cancelled``  the caller went away (client disconnect, Ctrl-C)
=============  ==============================================================

The failure *reason* (auth, rate_limit, billing, ...) is decided by
:mod:`openclaw.routing.classify` from the status first, then the provider's code and message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

__all__ = [
    "Attempt",
    "ConfigError",
    "ConfigParseError",
    "ConfigSubstitutionError",
    "ConfigValidationError",
    "ConfigWriteError",
    "CredentialError",
    "FailoverError",
    "InputError",
    "OpenClawError",
    "ProviderError",
    "RefError",
    "SecretFileError",
]


class OpenClawError(Exception):
    """Base class. ``message`` is safe to print: it never contains a secret."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(OpenClawError):
    """The config could not be loaded; ``path`` is the file involved when known."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ConfigParseError(ConfigError):
    def __init__(self, message: str, *, path: str | None, line: int | None, column: int | None):
        where = f"{path}:{line}:{column}" if line is not None else (path or "<config>")
        super().__init__(f"{where}: {message}", path=path)
        self.line = line
        self.column = column


class ConfigValidationError(ConfigError):
    """``key_path`` is dotted (``models.providers.openrouter.baseUrl``); empty for the root."""

    def __init__(self, message: str, *, key_path: str, path: str | None = None) -> None:
        where = f"{key_path}: " if key_path else ""
        super().__init__(f"Invalid config: {where}{message}", path=path)
        self.key_path = key_path


class ConfigSubstitutionError(ConfigError):
    def __init__(self, var: str, *, key_path: str, path: str | None = None) -> None:
        super().__init__(
            f"Config {key_path or '<root>'}: environment variable {var} is not set "
            f"(referenced as ${{{var}}}). Export it, add it to env.vars, or escape it as $${{{var}}}.",
            path=path,
        )
        self.var = var
        self.key_path = key_path


class ConfigWriteError(ConfigError):
    pass


class SecretFileError(OpenClawError):
    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class RefError(OpenClawError):
    """A model ref is malformed or names an unknown provider; ``suggestion`` is a 'did you mean'."""

    def __init__(self, message: str, *, ref: str, suggestion: str | None = None) -> None:
        text = message if suggestion is None else f'{message} Did you mean "{suggestion}"?'
        super().__init__(text)
        self.ref = ref
        self.suggestion = suggestion


class CredentialError(OpenClawError):
    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


class InputError(OpenClawError):
    exit_code = 2

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ProviderError(OpenClawError):
    """One upstream attempt failed.

    ``message`` is the provider's own message (redacted), ``status`` the HTTP status when there
    was one, ``headers`` the response headers (lower-cased names), ``code`` the provider's error
    code or type when it gave one, ``retry_after`` seconds to wait when the provider said so.
    ``reason`` is filled in by the classifier.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
        provider: str = "",
        model: str = "",
        retry_after: float | None = None,
        reason: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.headers: Mapping[str, str] = headers or {}
        self.code = code
        self.provider = provider
        self.model = model
        self.retry_after = retry_after
        self.reason = reason
        self.error_type = error_type

    def describe(self) -> str:
        """``429 Rate limit exceeded`` or ``timeout: no response within 30 s``."""
        head = str(self.status) if self.status is not None else self.kind
        return f"{head} {self.message}".strip()


class Attempt(msgspec.Struct, frozen=True, gc=False):  # strings and numbers: not GC-tracked
    """One try of one candidate, as reported to the user and written to the ledger."""

    provider: str
    model: str
    profile_id: str | None
    reason: str | None  # None when the attempt succeeded
    status: int | None = None
    message: str = ""
    skipped: bool = False  # True when the candidate was not sent (cooldown, capability)
    latency_ms: float = 0.0

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.model}"

    def summary(self) -> str:
        who = self.ref if self.profile_id is None else f"{self.ref} [{self.profile_id}]"
        if self.reason is None:
            return f"{who}: ok"
        head = "skipped" if self.skipped else (str(self.status) if self.status else "")
        text = " ".join(part for part in (head, self.message) if part)
        return f"{who}: {text} ({self.reason})"


class FailoverError(OpenClawError):
    """Every candidate failed (or was skipped). ``attempts`` lists each, in order."""

    def __init__(
        self,
        attempts: Sequence[Attempt],
        *,
        last: ProviderError | None = None,
        retry_at: float | None = None,
        message: str | None = None,
    ) -> None:
        self.attempts = list(attempts)
        self.last = last
        self.retry_at = retry_at  # epoch seconds when the soonest cooldown ends, if known
        if message is None:
            parts = " | ".join(a.summary() for a in self.attempts)
            message = f"All models failed ({len(self.attempts)}): {parts}"
        super().__init__(message)

    @property
    def status(self) -> int | None:
        """The status that best describes the whole failure (for HTTP front doors)."""
        return None if self.last is None else self.last.status

    @property
    def reason(self) -> str | None:
        return None if self.last is None else self.last.reason
