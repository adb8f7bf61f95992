"""``openclaw config get/file/validate/schema`` (in-process, through the ``cli`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY

# The config the real OpenClaw 2026.9.6 wrote on onboarding (spec/openclaw-observed.md §3.2).
ONBOARDED: dict[str, Any] = {
    "agents": {
        "defaults": {
            "workspace": "/h/.openclaw/workspace",
            "models": {"openrouter/auto": {"alias": "OpenRouter"}},
            "model": {"primary": "openrouter/auto"},
        },
        "entries": {
            "main": {
                "name": "main",
                "workspace": "/h/.openclaw/workspace",
                "agentDir": "/h/.openclaw/agents/main/agent",
                "identity": {"name": "main"},
            }
        },
    },
    "plugins": {"entries": {"openrouter": {"enabled": True}}},
    "meta": {"migrations": {"modelPolicyAllowlist": True}, "lastTouchedVersion": "2026.9.6"},
    "gateway": {
        "mode": "local",
        "auth": {"mode": "token", "token": "0" * 48},
        "port": 18789,
        "bind": "loopback",
        "tailscale": {"mode": "off"},
    },
    "tools": {"profile": "full"},
    "auth": {"profiles": {"openrouter:default": {"provider": "openrouter", "mode": "api_key"}}},
    "hooks": {"internal": {"entries": {"session-memory": {"enabled": True}}}},
    "wizard": {"lastRunAt": "2026-11-24T01:17:43.422Z", "lastRunCommand": "onboard", "lastRunMode": "local"},
}


def config_path(home: Path) -> Path:
    return home / ".openclaw" / "openclaw.json"


def seed(home: Path, data: dict[str, Any] | str, mode: int = 0o600) -> Path:
    path = config_path(home)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2) + "\n")
    path.chmod(mode)
    return path


def read(home: Path) -> dict[str, Any]:
    data = json.loads(config_path(home).read_text())
    assert isinstance(data, dict), data
    return data


# -------------------------------------------------------------------------------------- file


def test_file_prints_the_active_path(cli: Any, home: Path, tmp_path: Path) -> None:
    result = cli("config", "file")
    assert (result.code, result.stdout) == (0, f"{config_path(home)}\n")
    result = cli("config", "file", "--json")
    assert json.loads(result.stdout) == {"path": str(config_path(home)), "exists": False}
    assert cli("--profile", "work", "config", "file").stdout.strip() == str(
        home / ".openclaw-work" / "openclaw.json"
    )
    assert cli("--dev", "config", "file").stdout.strip() == str(home / ".openclaw-dev" / "openclaw.json")
    custom = tmp_path / "x.json5"
    assert cli("config", "file", extra_env={"OPENCLAW_CONFIG_PATH": str(custom)}).stdout.strip() == str(
        custom
    )


# --------------------------------------------------------------------------------------- get


def test_get_values(cli: Any, home: Path) -> None:
    seed(
        home,
        {
            "agents": {
                "defaults": {
                    "model": {"primary": "openrouter/auto"},
                    "models": {"openai/gpt-5.4": {"alias": "gpt"}},
                }
            },
            "gateway": {"port": 18789},
        },
    )
    assert cli("config", "get", "agents.defaults.model.primary").stdout == "openrouter/auto\n"
    assert cli("config", "get", "agents.defaults.model.primary", "--json").stdout == '"openrouter/auto"\n'
    assert cli("config", "get", "gateway.port").stdout == "18789\n"
    assert json.loads(cli("config", "get", "agents.defaults.model").stdout) == {"primary": "openrouter/auto"}
    assert cli("config", "get", 'agents.defaults.models["openai/gpt-5.4"].alias').stdout == "gpt\n"


def test_get_missing_path(cli: Any, home: Path) -> None:
    seed(home, {"gateway": {"port": 1}})
    result = cli("config", "get", "gateway.bind")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: Config path not found: gateway.bind\n"
    result = cli("config", "get", "gateway.bind", "--json")
    assert result.code == 1
    assert json.loads(result.stdout) == {"error": "Config path not found: gateway.bind"}


def test_get_masks_secrets(cli: Any, home: Path) -> None:
    token = "0123456789abcdef0123456789abcdef0123456789abcdef"
    seed(
        home,
        {
            "env": {
                "OPENROUTER_API_KEY": FAKE_KEY,
                "vars": {"MY_SECRET_TOKEN": "plain-secret-value-123", "REGION": "eu"},
            },
            "models": {
                "providers": {
                    "openrouter": {
                        "apiKey": FAKE_KEY,
                        "headers": {"Authorization": f"Bearer {FAKE_KEY}", "X-Title": "t"},
                    },
                    "other": {"apiKey": {"source": "env", "provider": "default", "id": "OTHER_KEY"}},
                }
            },
            "gateway": {"auth": {"mode": "token", "token": token}},
            "meta": {"note": f"pasted {FAKE_KEY} here"},
        },
    )
    out = cli("config", "get", "models").stdout + cli("config", "get", "env").stdout
    out += cli("config", "get", "gateway.auth.token").stdout + cli("config", "get", "meta").stdout
    out += cli("config", "get", "models.providers.openrouter.apiKey", "--json").stdout
    assert FAKE_KEY not in out
    assert token not in out
    assert "plain-secret-value-123" not in out
    assert FAKE_KEY[:8] + "..." + FAKE_KEY[-8:] in out  # OpenClaw's first 8 ... last 8
    assert '"REGION": "eu"' in out and '"X-Title": "t"' in out
    assert '"id": "OTHER_KEY"' in out  # a SecretRef holds no secret: shown as is
    assert cli("config", "get", "gateway.auth.token").stdout == f"{token[:8]}...{token[-8:]}\n"


def test_get_resolved_and_raw(cli: Any, home: Path) -> None:
    seed(
        home, '{models: {providers: {openrouter: {baseUrl: "${BASE}/v1", apiKey: "${OPENROUTER_API_KEY}"}}}}'
    )
    extra = {"BASE": "http://localhost:4000", "OPENROUTER_API_KEY": FAKE_KEY}
    assert (
        cli("config", "get", "models.providers.openrouter.baseUrl", extra_env=extra).stdout
        == "http://localhost:4000/v1\n"
    )
    resolved = cli("config", "get", "models.providers.openrouter.apiKey", extra_env=extra).stdout
    assert resolved == f"{FAKE_KEY[:8]}...{FAKE_KEY[-8:]}\n"
    raw = cli("config", "get", "models.providers.openrouter.apiKey", "--raw", extra_env=extra).stdout
    assert raw == "${OPENROUTER_API_KEY}\n"


def test_get_works_when_a_var_is_unset(cli: Any, home: Path) -> None:
    seed(home, '{gateway: {port: 1}, models: {providers: {x: {baseUrl: "${UNSET_BASE}/v1"}}}}')
    result = cli("config", "get", "gateway.port")
    assert (result.code, result.stdout) == (0, "1\n")
    assert "UNSET_BASE is not set" in result.stderr
    assert cli("config", "get", "models.providers.x.baseUrl").stdout == "${UNSET_BASE}/v1\n"


def test_get_works_on_an_invalid_config(cli: Any, home: Path) -> None:
    seed(home, {"gateway": {"port": "oops", "bind": "loopback"}})
    result = cli("config", "get", "gateway.bind")
    assert (result.code, result.stdout) == (0, "loopback\n")
    assert "gateway.port" in result.stderr and "openclaw config validate" in result.stderr


def test_get_reads_through_includes(cli: Any, home: Path) -> None:
    seed(home, '{models: {$include: "./m.json5"}}')
    (home / ".openclaw" / "m.json5").write_text("{mode: 'replace'}")
    assert cli("config", "get", "models.mode").stdout == "replace\n"
    assert json.loads(cli("config", "get", "models", "--raw").stdout) == {"$include": "./m.json5"}


def test_get_bad_path_syntax_is_a_usage_error(cli: Any, home: Path) -> None:
    result = cli("config", "get", "a..b")
    assert result.code == 2
    assert "empty segment" in result.stderr


# ---------------------------------------------------------------------------------- validate


def test_validate_accepts_the_onboarded_config(cli: Any, home: Path) -> None:
    seed(home, ONBOARDED)
    result = cli("config", "validate")
    assert (result.code, result.stderr) == (0, "")


def test_validate_ok_and_missing(cli: Any, home: Path) -> None:
    result = cli("config", "validate")
    assert result.code == 0 and "not found; defaults apply" in result.stdout
    seed(home, {"gateway": {"port": 1}})
    result = cli("config", "validate")
    assert (result.code, result.stdout) == (0, "Config valid: $OPENCLAW_HOME/.openclaw/openclaw.json\n")
    report = json.loads(cli("config", "validate", "--json").stdout)
    assert report["ok"] is True and report["errors"] == [] and report["warnings"] == []


def test_validate_parse_error_has_line_and_column(cli: Any, home: Path) -> None:
    path = seed(home, "{\n  gateway: {port: 1}\n  agents: {}\n}\n")
    result = cli("config", "validate")
    assert result.code == 1
    assert f"{path}:3:3: JSON5 parse error" in result.stderr
    result = cli("config", "validate", "--json")
    assert result.code == 1
    error = json.loads(result.stdout)["errors"][0]
    assert (error["line"], error["column"], error["file"]) == (3, 3, str(path))


def test_validate_reports_key_paths(cli: Any, home: Path) -> None:
    seed(home, {"models": {"providers": {"openrouter": {"baseURL": "x"}}}})
    report = json.loads(cli("config", "validate", "--json").stdout)
    assert report["ok"] is False
    assert report["errors"][0]["keyPath"] == "models.providers.openrouter.baseURL"
    seed(home, {"models": {"providers": {"openrouter": {"apiKey": "${NOPE_KEY}"}}}})
    result = cli("config", "validate", "--json")
    assert result.code == 1
    assert json.loads(result.stdout)["errors"][0]["keyPath"] == "models.providers.openrouter.apiKey"


def test_validate_reports_world_readable_config(cli: Any, home: Path) -> None:
    seed(home, {"gateway": {"port": 1}}, mode=0o644)
    result = cli("config", "validate")
    assert result.code == 0
    assert "mode 0644" in result.stderr and "chmod 600" in result.stderr
    report = json.loads(cli("config", "validate", "--json").stdout)
    assert any("0644" in w for w in report["warnings"])
    seed(home, "{broken", mode=0o644)  # still reported when the file does not parse
    report = json.loads(cli("config", "validate", "--json").stdout)
    assert report["ok"] is False and any("0644" in w for w in report["warnings"])


# ------------------------------------------------------------------------------------ schema


def test_schema_is_a_json_schema_that_accepts_real_configs(cli: Any, home: Path) -> None:
    result = cli("config", "schema")
    assert result.code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    provider = schema["$defs"]["ProviderConfig"]["properties"]
    assert {"baseUrl", "apiKey", "headers", "models"} <= set(provider)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(ONBOARDED, schema)
    jsonschema.validate(
        {"env": {"OPENROUTER_API_KEY": "sk-or-x"}, "agents": {"defaults": {"model": "a/b"}}}, schema
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"gateway": {"port": "x"}}, schema)


def test_help_has_examples(cli: Any) -> None:
    for sub in ("get", "set", "unset", "file", "validate", "schema"):
        result = cli("config", sub, "--help")
        assert result.code == 0
        assert "Examples:" in result.stdout, sub
