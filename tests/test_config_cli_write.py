"""``openclaw config set/unset`` in-process, and the config commands as real subprocesses."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, run_cli_subprocess

# OpenClaw prints "Change will apply without restarting the gateway." (it hot-reloads); our gateway
# reads the config once, when it starts, so the hint says what is true here.
OBSERVED_SET = "Updated models.providers.openrouter.baseUrl. Restart the gateway to apply.\n"


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
        ("agents.defaults.timeoutSeconds", "Restart the gateway to apply."),
        ("auth.order.openrouter", "Restart the gateway to apply."),
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


def test_set_env_var_has_no_secretref_note(cli: Any, home: Path) -> None:
    result = cli("config", "set", "env.vars.OPENROUTER_API_KEY", FAKE_KEY)
    assert result.code == 0 and result.stderr == ""
    assert read(home)["env"]["vars"]["OPENROUTER_API_KEY"] == FAKE_KEY


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
