"""The JSON Schema of ``openclaw.json`` (``openclaw config schema``), generated from the typed schema."""

from __future__ import annotations

from typing import Any

__all__ = ["config_json_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the config, as editors and validators consume it.

    It describes the file after ``$include`` expansion: ``$include`` directives themselves are
    not part of it. The ``env`` block also accepts the legacy flat form (string values directly
    under ``env``), as the loader does.
    """
    import msgspec

    from .schema import OpenClawConfig

    schema: dict[str, Any] = msgspec.json.schema(OpenClawConfig)
    env = schema["$defs"]["EnvSection"]
    env["additionalProperties"] = {
        "type": "string",
        "description": "Legacy flat form: an env var applied when the process env lacks it.",
    }
    return {
        "$schema": _DIALECT,
        "title": "openclaw.json",
        "description": "The openclaw (Python) config file: JSON5, with $include and ${VAR}.",
        **schema,
    }
