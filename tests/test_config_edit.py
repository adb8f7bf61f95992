"""The editing rules behind ``config set``: values, SecretRefs, protected maps, masking, hints;
plus the dotted-path syntax and the JSON Schema export."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import FAKE_KEY
from openclaw.config.dotpath import MISSING, format_path, get_path, parse_path, set_path, unset_path
from openclaw.config.edit import assign, dropped_entries, parse_value, restart_hint, secret_ref
from openclaw.config.jsonschema import config_json_schema
from openclaw.config.masking import is_secret_name, mask_config_value
from openclaw.errors import InputError


def test_parse_value_strict_requires_json() -> None:
    assert parse_value('{"a": [1]}', strict=True) == {"a": [1]}
    with pytest.raises(InputError):
        parse_value("{a: 1}", strict=True)
    with pytest.raises(InputError):
        parse_value("plain", strict=True)


def test_parse_value_json5_features() -> None:
    assert parse_value("0x10") == 16
    assert parse_value("'single'") == "single"
    assert parse_value("[1, 2,]") == [1, 2]
    assert parse_value("NaN") == "NaN"
    assert parse_value("01") == "01"


@pytest.mark.parametrize(
    ("source", "ref_id"),
    [
        ("env", "OPENROUTER_API_KEY"),
        ("file", "/providers/openrouter/apiKey"),
        ("file", "value"),
        ("exec", "vault:openrouter#key"),
        ("store", "OPENCLAW_GATEWAY_TOKEN"),
    ],
)
def test_secret_ref_accepts_valid_ids(source: str, ref_id: str) -> None:
    assert secret_ref(source, ref_id) == {"source": source, "provider": "default", "id": ref_id}


@pytest.mark.parametrize(
    ("source", "ref_id", "provider"),
    [
        ("env", "1ABC", "default"),
        ("env", "A" * 129, "default"),
        ("exec", "./x", "default"),
        ("exec", "a/./b", "default"),
        ("file", "x", "default"),
        ("env", "A", "9x"),
        ("nope", "A", "default"),
    ],
)
def test_secret_ref_rejects_invalid(source: str, ref_id: str, provider: str) -> None:
    with pytest.raises(InputError):
        secret_ref(source, ref_id, provider)


def test_dropped_entries_names_only_the_outermost_loss() -> None:
    before: dict[str, Any] = {"models": {"providers": {"a": {"baseUrl": "x", "apiKey": "k"}, "b": {}}}}
    after: dict[str, Any] = {"models": {"providers": {"b": {}}}}
    assert dropped_entries(before, after, ["models"]) == ["models.providers.a"]
    after = {"models": {"providers": {"a": {"baseUrl": "y"}, "b": {}}}}
    assert dropped_entries(before, after, ["models", "providers", "a"]) == ["models.providers.a.apiKey"]
    # an edit below a map never reports its siblings
    assert dropped_entries(before, after, ["models", "providers", "a", "baseUrl"]) == []


def test_dropped_entries_for_keys_with_dots() -> None:
    before: dict[str, Any] = {
        "agents": {"defaults": {"models": {"openai/gpt-5.4": {}, "openrouter/auto": {}}}}
    }
    after: dict[str, Any] = {"agents": {"defaults": {"models": {"openrouter/auto": {}}}}}
    assert dropped_entries(before, after, ["agents"]) == ['agents.defaults.models["openai/gpt-5.4"]']


def test_assign_merge() -> None:
    doc: dict[str, Any] = {"a": {"b": {"c": 1, "d": 2}}}
    assign(doc, ["a"], {"b": {"c": 3}, "e": 4}, merge=True)
    assert doc == {"a": {"b": {"c": 3, "d": 2}, "e": 4}}
    assign(doc, ["new"], {"x": 1}, merge=True)
    assert doc["new"] == {"x": 1}


def test_restart_hints() -> None:
    assert restart_hint(["gateway", "port"]) == "Restart the gateway to apply."
    assert restart_hint(["models"]) == "Restart the gateway to apply."  # it reads the config once
    assert restart_hint(["env", "vars"]) == "Restart the gateway to apply."
    assert restart_hint(["plugins", "entries"]) == "No gateway restart needed."


@pytest.mark.parametrize(
    ("name", "parent", "secret"),
    [
        ("apiKey", None, True),
        ("token", "auth", True),
        ("password", None, True),
        ("key", "tls", True),
        ("secret", None, True),
        ("OPENROUTER_API_KEY", "vars", True),
        ("GH_TOKEN", None, True),
        ("DB_PASSWORD", None, True),
        ("Authorization", "headers", True),
        ("X-Api-Key", "headers", True),
        ("value", "auth", True),
        ("maxTokens", None, False),
        ("maxTokensField", "compat", False),
        ("REGION", "vars", False),
        ("X-Title", "headers", False),
        ("baseUrl", None, False),
    ],
)
def test_secret_names(name: str, parent: str | None, secret: bool) -> None:
    assert is_secret_name(name, parent) is secret


def test_mask_config_value() -> None:
    value = {
        "apiKey": FAKE_KEY,
        "keyRef": {"source": "env", "provider": "default", "id": "OPENROUTER_API_KEY"},
        "templ": {"apiKey": "${OPENROUTER_API_KEY}"},
        "marker": {"apiKey": "secretref-env:OPENROUTER_API_KEY"},
        "short": {"token": "abc"},
        "note": f"see {FAKE_KEY}",
        "maxTokens": 8192,
    }
    masked = mask_config_value(value, ["models", "providers", "x"])
    assert masked["apiKey"] == f"{FAKE_KEY[:8]}...{FAKE_KEY[-8:]}"
    assert masked["keyRef"] == value["keyRef"]
    assert masked["templ"]["apiKey"] == "${OPENROUTER_API_KEY}"
    assert masked["marker"]["apiKey"] == "secretref-env:OPENROUTER_API_KEY"
    assert masked["short"]["token"] == "***"
    assert FAKE_KEY not in masked["note"]
    assert masked["maxTokens"] == 8192
    assert value["apiKey"] == FAKE_KEY  # the input is left alone
    assert mask_config_value(FAKE_KEY, ["models", "providers", "x", "apiKey"]) != FAKE_KEY


def test_dotpath_round_trip() -> None:
    keys = parse_path('agents.defaults.models["openai/gpt-5.4"].alias')
    assert keys == ["agents", "defaults", "models", "openai/gpt-5.4", "alias"]
    assert format_path(keys) == 'agents.defaults.models["openai/gpt-5.4"].alias'
    assert parse_path("a.b[0].c") == ["a", "b", 0, "c"]
    assert parse_path("a['x.y']") == ["a", "x.y"]
    for bad in ("", "a..b", ".a", "a[", "a[]"):
        with pytest.raises(InputError):
            parse_path(bad)


def test_dotpath_get_set_unset() -> None:
    doc: dict[str, Any] = {}
    set_path(doc, ["a", "b"], 1)
    set_path(doc, ["a", "list"], [1, 2])
    set_path(doc, ["a", "list", 2], 3)  # append at len()
    assert doc == {"a": {"b": 1, "list": [1, 2, 3]}}
    assert get_path(doc, ["a", "list", 1]) == 2
    assert get_path(doc, ["a", "nope"]) is MISSING
    assert unset_path(doc, ["a", "list", 0]) is True
    assert unset_path(doc, ["a", "zzz"]) is False
    assert doc == {"a": {"b": 1, "list": [2, 3]}}
    with pytest.raises(InputError):
        set_path(doc, ["a", "b", "c"], 1)  # "b" holds a number, not an object


def test_json_schema_marks_strict_sections_and_legacy_env() -> None:
    schema = config_json_schema()
    defs = schema["$defs"]
    assert defs["ProviderConfig"]["additionalProperties"] is False
    assert defs["EnvSection"]["additionalProperties"] == {
        "type": "string",
        "description": "Legacy flat form: an env var applied when the process env lacks it.",
    }
    assert "$schema" in defs["OpenClawConfig"]["properties"]
