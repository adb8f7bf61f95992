"""``openclaw config ...`` in-process (the ``cli`` fixture) and, for a few cases, as a subprocess."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, run_cli_subprocess

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

OBSERVED_SET = (
    "Updated models.providers.openrouter.baseUrl. Change will apply without restarting the gateway.\n"
)


def config_path(home: Path) -> Path:
    return home / ".openclaw" / "openclaw.json"


def seed(home: Path, data: dict[str, Any] | str, mode: int = 0o600) -> Path:
    path = config_path(home)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2) + "\n")
    path.chmod(mode)
    return path


def read(home: Path) -> dict[str, Any]:
    return json.loads(config_path(home).read_text())


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


# --------------------------------------------------------------------------------------- set


def test_set_matches_observed_output_and_appends(cli: Any, home: Path) -> None:
    seed(home, {"wizard": {"lastRunMode": "local"}})
    result = cli("config", "set", "models.providers.openrouter.baseUrl", "http://127.0.0.1:18080/api/v1")
    assert (result.code, result.stdout, result.stderr) == (0, OBSERVED_SET, "")
    text = config_path(home).read_text()
    assert text.endswith(
        '  "models": {\n    "providers": {\n      "openrouter": {\n'
        '        "baseUrl": "http://127.0.0.1:18080/api/v1"\n      }\n    }\n  }\n}\n'
    )
    assert list(read(home)) == ["wizard", "models"]
    assert cli("config", "validate").code == 0


def test_set_same_value_is_no_change(cli: Any, home: Path) -> None:
    path = seed(home, {"gateway": {"port": 1}})
    before = path.stat().st_mtime_ns
    result = cli("config", "set", "gateway.port", "1")
    assert (result.code, result.stdout) == (0, "No change\n")
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("gateway.port", "Restart the gateway to apply."),
        ("agents.defaults.timeoutSeconds", "Change will apply without restarting the gateway."),
        ("auth.order.openrouter", "Change will apply without restarting the gateway."),
        ("tools.profile", "No gateway restart needed."),
    ],
)
def test_set_restart_hints(cli: Any, home: Path, path: str, hint: str) -> None:
    value = (
        '["openrouter:default"]'
        if path.startswith("auth")
        else ("full" if path.startswith("tools") else "30")
    )
    result = cli("config", "set", path, value)
    assert result.stdout == f"Updated {path}. {hint}\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("12", 12),
        ("1.5", 1.5),
        ("{a: 1, 'b': [1, 2,]}", {"a": 1, "b": [1, 2]}),
        ('"quoted"', "quoted"),
        ("http://localhost:4000/v1", "http://localhost:4000/v1"),
        ("openrouter/auto", "openrouter/auto"),
        ("hello world", "hello world"),
        ("Infinity", "Infinity"),
        ("null", None),
    ],
)
def test_set_parses_json5_else_raw_string(cli: Any, home: Path, raw: str, expected: Any) -> None:
    assert cli("config", "set", "meta.value", raw).code == 0
    assert read(home)["meta"]["value"] == expected


def test_set_strict_json(cli: Any, home: Path) -> None:
    for flag in ("--strict-json", "--json"):
        result = cli("config", "set", "meta.value", "{a: 1}", flag)
        assert result.code == 2
        assert "not valid JSON" in result.stderr
    assert not config_path(home).exists()
    assert cli("config", "set", "meta.value", '{"a": 1}', "--strict-json").code == 0
    assert read(home)["meta"]["value"] == {"a": 1}


def test_set_object_replaces_by_default(cli: Any, home: Path) -> None:
    seed(home, {"gateway": {"port": 1, "bind": "loopback"}})
    assert cli("config", "set", "gateway", "{port: 2}").code == 0
    assert read(home)["gateway"] == {"port": 2}


def test_protected_maps_refuse_destructive_replacement(cli: Any, home: Path) -> None:
    seed(home, {"models": {"providers": {"openrouter": {"baseUrl": "http://a", "apiKey": FAKE_KEY}}}})
    before = config_path(home).read_bytes()
    result = cli("config", "set", "models.providers", '{"local": {"baseUrl": "http://l"}}')
    assert result.code == 1
    assert "would drop models.providers.openrouter." in result.stderr
    assert "--merge" in result.stderr and "--replace" in result.stderr
    result = cli("config", "set", "models.providers.openrouter", '{"baseUrl": "http://b"}')
    assert result.code == 1
    assert "models.providers.openrouter.apiKey" in result.stderr
    result = cli("config", "set", "models", '{"mode": "merge"}')  # a parent replacement drops them too
    assert result.code == 1
    assert config_path(home).read_bytes() == before
    assert FAKE_KEY not in result.stderr

    assert cli("config", "set", "models.providers", '{"local": {"baseUrl": "http://l"}}', "--merge").code == 0
    assert set(read(home)["models"]["providers"]) == {"openrouter", "local"}
    assert read(home)["models"]["providers"]["openrouter"]["apiKey"] == FAKE_KEY
    assert (
        cli("config", "set", "models.providers", '{"local": {"baseUrl": "http://l"}}', "--replace").code == 0
    )
    assert read(home)["models"]["providers"] == {"local": {"baseUrl": "http://l"}}


def test_protected_model_list_by_id(cli: Any, home: Path) -> None:
    seed(
        home, {"models": {"providers": {"x": {"baseUrl": "http://x", "models": [{"id": "a"}, {"id": "b"}]}}}}
    )
    result = cli("config", "set", "models.providers.x.models", '[{"id": "a"}]')
    assert result.code == 1
    assert "models.providers.x.models.b" in result.stderr
    assert (
        cli("config", "set", "models.providers.x.models", '[{"id": "b"}, {"id": "a"}, {"id": "c"}]').code == 0
    )


def test_protected_maps_allow_adding_entries(cli: Any, home: Path) -> None:
    seed(home, {"agents": {"defaults": {"models": {"openrouter/auto": {"alias": "OpenRouter"}}}}})
    assert cli("config", "set", 'agents.defaults.models["openai/gpt-5.4"]', "{}").code == 0
    assert (
        cli("config", "set", "auth.profiles", '{"openrouter:default": {"provider": "openrouter"}}').code == 0
    )
    assert set(read(home)["agents"]["defaults"]["models"]) == {"openrouter/auto", "openai/gpt-5.4"}


def test_merge_and_replace_together_is_a_usage_error(cli: Any, home: Path) -> None:
    assert cli("config", "set", "models.providers", "{}", "--merge", "--replace").code == 2
    result = cli("config", "set", "gateway.port", "1", "--merge")
    assert result.code == 2 and "--merge needs an object" in result.stderr


def test_set_dry_run(cli: Any, home: Path) -> None:
    path = seed(home, {"gateway": {"port": 1}})
    before = path.read_bytes()
    result = cli("config", "set", "models.providers.openrouter.apiKey", FAKE_KEY, "--dry-run")
    assert result.code == 0
    assert "Dry run" in result.stdout and FAKE_KEY not in result.stdout
    assert f'"{FAKE_KEY[:8]}...{FAKE_KEY[-8:]}"' in result.stdout
    assert path.read_bytes() == before
    result = cli("config", "set", "gateway.port", "x", "--dry-run")
    assert result.code == 1 and "gateway.port" in result.stderr


def test_set_invalid_value_exits_1_with_key_path_and_leaves_file(cli: Any, home: Path) -> None:
    path = seed(home, {"gateway": {"port": 1}})
    before = path.read_bytes()
    result = cli("config", "set", "gateway.port", "not-a-number")
    assert result.code == 1
    assert "gateway.port" in result.stderr and "Expected `int`" in result.stderr
    assert path.read_bytes() == before
    result = cli("config", "set", "models.providers.openrouter.baseURL", "http://x")
    assert result.code == 1 and "models.providers.openrouter.baseURL: unknown key" in result.stderr


def test_set_secret_ref_builder(cli: Any, home: Path) -> None:
    result = cli(
        "config",
        "set",
        "models.providers.openrouter.apiKey",
        "--ref-source",
        "env",
        "--ref-id",
        "OPENROUTER_API_KEY",
    )
    assert result.code == 0, result.stderr
    assert read(home)["models"]["providers"]["openrouter"]["apiKey"] == {
        "source": "env",
        "provider": "default",
        "id": "OPENROUTER_API_KEY",
    }
    cli(
        "config",
        "set",
        "gateway.auth.token",
        "--ref-source",
        "store",
        "--ref-id",
        "OPENCLAW_GATEWAY_TOKEN",
        "--ref-provider",
        "team",
    )
    assert read(home)["gateway"]["auth"]["token"]["provider"] == "team"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["VALUE", "--ref-source", "env", "--ref-id", "A_KEY"], "not both"),
        (["--ref-source", "env"], "needs both"),
        (["--ref-source", "env", "--ref-id", "lower_case"], "invalid for source env"),
        (["--ref-source", "file", "--ref-id", "relative/pointer"], "invalid for source file"),
        (["--ref-source", "exec", "--ref-id", "a/../b"], "invalid for source exec"),
        (["--ref-source", "env", "--ref-id", "A_KEY", "--ref-provider", "Bad Name"], "--ref-provider"),
        ([], "Missing VALUE"),
    ],
)
def test_set_secret_ref_errors(cli: Any, home: Path, args: list[str], message: str) -> None:
    result = cli("config", "set", "models.providers.openrouter.apiKey", *args)
    assert result.code == 2
    assert message in result.stderr
    assert not config_path(home).exists()


def test_set_plaintext_secret_notes_how_to_avoid_it(cli: Any, home: Path) -> None:
    result = cli("config", "set", "models.providers.openrouter.apiKey", FAKE_KEY)
    assert result.code == 0
    assert "plain text" in result.stderr and "--ref-source env" in result.stderr
    assert FAKE_KEY not in result.stdout + result.stderr
    assert stat.S_IMODE(config_path(home).stat().st_mode) == 0o600


def test_set_json5_file_warns_comments_are_lost(cli: Any, home: Path) -> None:
    seed(home, "// mine\n{gateway: {port: 1}}\n")
    result = cli("config", "set", "gateway.port", "2")
    assert result.code == 0
    assert "comments are gone" in result.stderr
    assert read(home) == {"gateway": {"port": 2}}


def test_set_on_symlinked_config_is_refused(cli: Any, home: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    (home / ".openclaw").mkdir()
    config_path(home).symlink_to(real)
    result = cli("config", "set", "gateway.port", "2")
    assert result.code == 1
    assert "is a symlink" in result.stderr
    assert real.read_text() == "{}"


def test_set_with_profile_writes_the_profile_config(cli: Any, home: Path) -> None:
    assert cli("--profile", "work", "config", "set", "gateway.port", "2").code == 0
    assert json.loads((home / ".openclaw-work" / "openclaw.json").read_text()) == {"gateway": {"port": 2}}
    assert not config_path(home).exists()


# ------------------------------------------------------------------------------------- unset


def test_unset(cli: Any, home: Path) -> None:
    seed(
        home,
        {
            "gateway": {"port": 1, "bind": "loopback"},
            "agents": {"defaults": {"models": {"openai/gpt-5.4": {}}}},
        },
    )
    result = cli("config", "unset", "gateway.port")
    assert (result.code, result.stdout) == (0, "Removed gateway.port. Restart the gateway to apply.\n")
    assert read(home)["gateway"] == {"bind": "loopback"}
    assert cli("config", "unset", 'agents.defaults.models["openai/gpt-5.4"]').code == 0
    assert read(home)["agents"]["defaults"]["models"] == {}


def test_unset_absent_path_exits_1(cli: Any, home: Path) -> None:
    path = seed(home, {"gateway": {"port": 1}})
    before = path.stat().st_mtime_ns
    result = cli("config", "unset", "gateway.bind")
    assert result.code == 1
    assert "Config path not found: gateway.bind" in result.stderr
    assert path.stat().st_mtime_ns == before
    assert cli("config", "unset", "nothing").code == 1


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


# -------------------------------------------------------------------------------- subprocess


def test_subprocess_set_get_validate(env: dict[str, str], home: Path) -> None:
    result = run_cli_subprocess(
        ["config", "set", "models.providers.openrouter.baseUrl", "http://127.0.0.1:18080/api/v1"], env
    )
    assert (result.code, result.stdout) == (0, OBSERVED_SET)
    result = run_cli_subprocess(["config", "get", "gateway.port", "--json"], env)
    assert result.code == 1
    assert json.loads(result.stdout) == {"error": "Config path not found: gateway.port"}
    config_path(home).write_text("{gateway: {port: 'x'}}")
    result = run_cli_subprocess(["config", "validate"], env)
    assert result.code == 1 and "gateway.port" in result.stderr


def test_two_processes_each_setting_20_keys(env: dict[str, str], home: Path) -> None:
    seed(home, {"gateway": {"mode": "local"}})
    script = (
        "import sys\nfrom openclaw.cli.main import main\n"
        "for i in range(20):\n"
        "    try:\n"
        "        main(['config', 'set', f'meta.w{sys.argv[1]}_{i}', str(i)])\n"
        "    except SystemExit as exc:\n"
        "        if exc.code:\n"
        "            raise\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(w)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for w in range(2)
    ]
    errors = [proc.communicate(timeout=60)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    data = read(home)
    assert {k: v for k, v in data["meta"].items()} == {f"w{w}_{i}": i for w in range(2) for i in range(20)}
    assert data["gateway"] == {"mode": "local"}
