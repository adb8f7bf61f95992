"""Field checks shared by the Anthropic Messages and OpenAI Responses front doors.

Each check raises :class:`~openclaw.errors.InputError` whose ``param`` names the bad field, so
every door answers ``400 invalid_request_error`` with the field in its own error shape.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import InputError

__all__ = [
    "fail",
    "load_object",
    "model_chain",
    "opt_bool",
    "opt_int",
    "opt_number",
    "opt_object",
    "opt_string",
    "passthrough",
]

# OpenRouter extensions both doors accept (OpenRouter's own /messages and /responses take them)
# and pass to OpenAI-compatible upstreams. Never host or credential fields.
_OPENROUTER_EXTRAS = ("provider", "plugins", "transforms", "session_id", "top_k")


def fail(message: str, param: str) -> InputError:
    return InputError(message, param=param)


def load_object(data: bytes | dict[str, Any]) -> dict[str, Any]:
    """The request body as a JSON object."""
    if isinstance(data, dict):
        return data
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise fail(f"The request body is not valid JSON: {exc}", "body") from None
    if not isinstance(body, dict):
        raise fail("The request body must be a JSON object.", "body")
    return body


def opt_number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"`{name}` must be a number.", name)
    if not low <= value <= high:
        raise fail(f"`{name}` must be between {low:g} and {high:g}.", name)
    return float(value)


def opt_int(body: dict[str, Any], name: str, minimum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"`{name}` must be an integer.", name)
    if minimum is not None and value < minimum:
        raise fail(f"`{name}` must be at least {minimum}.", name)
    return value


def opt_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise fail(f"`{name}` must be a boolean.", name)


def opt_string(body: dict[str, Any], name: str, where: str | None = None) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise fail(f"`{where or name}` must be a string.", where or name)


def opt_object(body: dict[str, Any], name: str, where: str | None = None) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise fail(f"`{where or name}` must be an object.", where or name)


def model_chain(body: dict[str, Any]) -> tuple[str, list[str] | None]:
    """``model`` (default ``openclaw``) and OpenRouter's ``models`` fallback list."""
    model, models = body.get("model"), body.get("models")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise fail("`model` must be a non-empty string.", "model")
    if models is None:
        return (model or "openclaw").strip(), None
    if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
        raise fail("`models` must be a list of model ids.", "models")
    chain = [m.strip() for m in models]
    primary = model.strip() if model else (chain[0] if chain else "openclaw")
    return primary, [m for m in dict.fromkeys(chain) if m != primary]


def passthrough(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenRouter extensions present in ``body`` (for ``ChatRequest.extra``)."""
    extra = {k: body[k] for k in _OPENROUTER_EXTRAS if body.get(k) is not None}
    top_k = extra.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0):
        raise fail("`top_k` must be a non-negative integer.", "top_k")
    return extra
