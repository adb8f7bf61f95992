"""Loading openclaw.json: JSON5, the env block, ${VAR}, validation errors, permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openclaw.config.loader import ConfigSnapshot, load_config
from openclaw.config.schema import ModelSelection
from openclaw.errors import (
    ConfigError,
    ConfigParseError,
    ConfigSubstitutionError,
    ConfigValidationError,
)
from openclaw.paths import resolve_paths
from openclaw.runtime import load_snapshot

ORIGIN_PAGE_CONFIG = """{
  env: { OPENROUTER_API_KEY: "sk-or-test-origin-page-key-0000" },
  agents: {
    defaults: {
      model: { primary: "openrouter/anthropic/claude-sonnet-4-5" },
    },
  },
}
"""


def write_config(home: Path, text: str, *, mode: int = 0o600, name: str = "openclaw.json") -> Path:
    state = home / ".openclaw"
    state.mkdir(mode=0o700, exist_ok=True)
    path = state / name
    path.write_text(text)
    path.chmod(mode)
    return path


def load(env: dict[str, str], *, cwd: Path | None = None, strict_env: bool = True) -> ConfigSnapshot:
    _, snapshot = load_snapshot(env, cwd=cwd or Path(env["HOME"]), strict_env=strict_env)
    return snapshot


def gateway_port(snapshot: ConfigSnapshot) -> int | None:
    gateway = snapshot.typed.gateway
    assert gateway is not None, "the config has no gateway section"
    return gateway.port


# ------------------------------------------------------------------------------ basics, JSON5


def test_missing_config_is_empty_defaults(env: dict[str, str]) -> None:
    snapshot = load(env)
    assert snapshot.exists is False
    assert snapshot.data == {}
    assert snapshot.typed.agents is None


def test_origin_page_config_loads_as_json5(home: Path, env: dict[str, str]) -> None:
    write_config(home, ORIGIN_PAGE_CONFIG)
    snapshot = load(env)
    agents = snapshot.typed.agents
    assert agents is not None and agents.defaults is not None
    model = agents.defaults.model
    assert isinstance(model, ModelSelection)
    assert model.primary == "openrouter/anthropic/claude-sonnet-4-5"
    assert snapshot.env["OPENROUTER_API_KEY"] == "sk-or-test-origin-page-key-0000"
    assert snapshot.env_applied["OPENROUTER_API_KEY"] == "config env"
    assert any("legacy form" in w for w in snapshot.warnings)


def test_json5_comments_trailing_commas_single_quotes(home: Path, env: dict[str, str]) -> None:
    write_config(
        home,
        "// top comment\n{\n  /* block */ gateway: { port: 18790, bind: 'loopback', },\n"
        "  models: { providers: { openrouter: { baseUrl: 'http://localhost:4000/v1' } } },\n}\n",
    )
    snapshot = load(env)
    assert gateway_port(snapshot) == 18790
    assert snapshot.data["models"]["providers"]["openrouter"]["baseUrl"] == "http://localhost:4000/v1"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("{\n  gateway: { port: 18789 }\n  agents: {}\n}\n", 3, 3),  # missing comma
        ('{\n  "a": [1 2]\n}', 2, 11),
        ("{ models: { providers: } }", 1, 24),
    ],
)
def test_malformed_json5_reports_line_and_column(
    home: Path, env: dict[str, str], text: str, line: int, column: int
) -> None:
    path = write_config(home, text)
    with pytest.raises(ConfigParseError) as info:
        load(env)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"{path}:{line}:{column}: JSON5 parse error")


def test_empty_file_is_a_clear_error(home: Path, env: dict[str, str]) -> None:
    write_config(home, "  \n")
    with pytest.raises(ConfigParseError, match="the file is empty"):
        load(env)


def test_top_level_must_be_an_object(home: Path, env: dict[str, str]) -> None:
    write_config(home, "[1, 2]")
    with pytest.raises(ConfigError, match="must be a JSON5 object"):
        load(env)


def test_utf8_bom_is_accepted(home: Path, env: dict[str, str]) -> None:
    path = write_config(home, "")
    path.write_bytes(b"\xef\xbb\xbf{gateway: {port: 1}}")
    assert gateway_port(load(env)) == 1


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        (
            '{models: {providers: {openrouter: {baseURL: "x"}}}}',
            "models.providers.openrouter.baseURL",
            "unknown key",
        ),
        ("{gatewy: {}}", "gatewy", "unknown key"),
        ('{gateway: {port: "18789"}}', "gateway.port", "Expected `int`, got `str`"),
        (
            "{models: {providers: {openrouter: {models: [{id: 'a'}, {id: 'b', cost: {input: 'x'}}]}}}}",
            "models.providers.openrouter.models[1].cost.input",
            "Expected `float`",
        ),
        (
            "{agents: {defaults: {models: {'openai/gpt-5.4': {alias: 3}}}}}",
            'agents.defaults.models["openai/gpt-5.4"].alias',
            "got `int`",
        ),
        (
            "{auth: {profiles: {'openrouter:default': {mode: 'api_key'}}}}",
            "auth.profiles.openrouter:default",
            "provider",
        ),
        ("{env: {FOO: 1}}", "env.FOO", "env values are strings"),
        ("{env: {vars: {FOO: true}}}", "env.vars.FOO", "Expected `str`"),
        ("{agents: {list: []}}", "agents.list", "legacy form"),
        ("{defaultModel: 'x/y'}", "defaultModel", "agents.defaults.model.primary"),
        ("{gateway: {auth: {mode: 'magic'}}}", "gateway.auth.mode", "Invalid enum value 'magic'"),
    ],
)
def test_validation_errors_name_the_key_path(
    home: Path, env: dict[str, str], text: str, key_path: str, fragment: str
) -> None:
    write_config(home, text)
    with pytest.raises(ConfigValidationError) as info:
        load(env)
    assert info.value.key_path == key_path
    assert fragment in str(info.value)
    assert key_path in str(info.value)


def test_ollama_base_url_spelling_is_accepted(home: Path, env: dict[str, str]) -> None:
    write_config(
        home,
        "{models: {providers: {ollama: {baseURL: 'http://127.0.0.1:11434'}, "
        "local: {api: 'ollama', baseURL: 'http://127.0.0.1:11435'}, "
        "ollama2: {injectNumCtxForOpenAICompat: false}}}}",
    )
    models = load(env).typed.models
    assert models is not None
    providers = models.providers
    assert providers["ollama"].base_url == "http://127.0.0.1:11434"
    assert providers["local"].base_url == "http://127.0.0.1:11435"
    assert providers["ollama2"].inject_num_ctx_for_openai_compat is False


def test_schema_key_and_free_form_sections_are_accepted(home: Path, env: dict[str, str]) -> None:
    write_config(
        home,
        '{$schema: "./schema.json", channels: {anything: {goes: [1]}}, '
        "models: {providers: {openrouter: {params: {provider: {order: ['a']}, custom: 1}}}}}",
    )
    snapshot = load(env)
    assert snapshot.typed.schema_ == "./schema.json"


# ---------------------------------------------------------------------------- env and dotenv


def test_env_block_never_overrides_the_process_env(home: Path, env: dict[str, str]) -> None:
    write_config(home, ORIGIN_PAGE_CONFIG)
    snapshot = load({**env, "OPENROUTER_API_KEY": "sk-or-test-from-shell"})
    assert snapshot.env["OPENROUTER_API_KEY"] == "sk-or-test-from-shell"
    assert "OPENROUTER_API_KEY" not in snapshot.env_applied


def test_env_vars_win_over_flat_keys(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{env: {DUP: "flat", ONLY_FLAT: "f", vars: {DUP: "vars", ONLY_VARS: "v"}}}')
    snapshot = load(env)
    assert snapshot.env["DUP"] == "vars"
    assert snapshot.env["ONLY_FLAT"] == "f"
    assert snapshot.env["ONLY_VARS"] == "v"


def test_env_block_values_are_literal(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{env: {vars: {A: "${NOT_SUBSTITUTED}"}}}')
    snapshot = load(env)
    assert snapshot.env["A"] == "${NOT_SUBSTITUTED}"


def test_dotenv_precedence(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / ".env").write_text(
        "SHARED=cwd\nCWD_ONLY=1\nOPENROUTER_API_KEY=sk-or-test-from-repo\nLLM_BASE_URL=http://evil\n"
        "OPENCLAW_STATE_DIR=/tmp/evil\n"
    )
    write_config(home, '{env: {vars: {SHARED: "config", CONFIG_ONLY: "1", GLOBAL_AND_CONFIG: "config"}}}')
    (home / ".openclaw" / ".env").write_text("SHARED=global\nGLOBAL_AND_CONFIG=global\nexport QUOTED='a b'\n")
    snapshot = load({**env, "SHARED_PROC": "p"}, cwd=workdir)
    assert snapshot.env["SHARED"] == "cwd"
    assert snapshot.env["GLOBAL_AND_CONFIG"] == "global"
    assert snapshot.env["CONFIG_ONLY"] == "1"
    assert snapshot.env["QUOTED"] == "a b"
    # a checked-out repo's .env cannot set provider credentials, base URLs or OPENCLAW_*
    assert "OPENROUTER_API_KEY" not in snapshot.env
    assert "LLM_BASE_URL" not in snapshot.env
    assert "OPENCLAW_STATE_DIR" not in snapshot.env


def test_ubuntu_gateway_env_is_a_fallback_after_the_global_dotenv(home: Path, env: dict[str, str]) -> None:
    write_config(home, "{}")
    (home / ".openclaw" / ".env").write_text("BOTH=global\nGLOBAL_ONLY=g\n")
    compat = home / ".config" / "openclaw" / "gateway.env"
    compat.parent.mkdir(parents=True)
    compat.write_text("BOTH=compat\nCOMPAT_ONLY=c\n")
    snapshot = load(env)
    assert (snapshot.env["BOTH"], snapshot.env["GLOBAL_ONLY"], snapshot.env["COMPAT_ONLY"]) == (
        "global",
        "g",
        "c",
    )
    assert snapshot.env_applied["COMPAT_ONLY"] == str(compat)
    assert any("both set BOTH" in w for w in snapshot.warnings)


def test_legacy_env_prefixes_are_ignored_with_one_warning(home: Path, env: dict[str, str]) -> None:
    snapshot = load({**env, "CLAWDBOT_STATE_DIR": "/x", "MOLTBOT_PROFILE": "y"})
    legacy = [w for w in snapshot.warnings if "Legacy env vars" in w]
    assert legacy == [
        "Legacy env vars are ignored (CLAWDBOT_STATE_DIR, MOLTBOT_PROFILE); rename them to OPENCLAW_*."
    ]


def test_env_block_skipped_without_config(home: Path, env: dict[str, str]) -> None:
    (home / ".openclaw").mkdir()
    (home / ".openclaw" / ".env").write_text("FROM_GLOBAL=1\n")
    snapshot = load(env)
    assert snapshot.env["FROM_GLOBAL"] == "1"
    assert snapshot.exists is False


def test_process_env_is_not_modified(home: Path, env: dict[str, str]) -> None:
    write_config(home, ORIGIN_PAGE_CONFIG)
    before = dict(os.environ)
    load(env)
    assert dict(os.environ) == before


# ---------------------------------------------------------------------------- substitution


def test_var_substitution_inline_and_escaped(home: Path, env: dict[str, str]) -> None:
    write_config(
        home,
        '{models: {providers: {openrouter: {baseUrl: "${BASE}/v1", apiKey: "${OPENROUTER_API_KEY}", '
        'headers: {"X-Literal": "$${BASE}", "X-Two": "${BASE}-${BASE}"}}}}}',
    )
    snapshot = load({**env, "BASE": "http://localhost:4000", "OPENROUTER_API_KEY": "sk-or-test-k"})
    provider = snapshot.data["models"]["providers"]["openrouter"]
    assert provider["baseUrl"] == "http://localhost:4000/v1"
    assert provider["apiKey"] == "sk-or-test-k"
    assert provider["headers"]["X-Literal"] == "${BASE}"
    assert provider["headers"]["X-Two"] == "http://localhost:4000-http://localhost:4000"
    assert snapshot.source["models"]["providers"]["openrouter"]["baseUrl"] == "${BASE}/v1"


def test_var_from_env_block_is_substituted(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{env: {vars: {BASE: "http://b"}}, models: {providers: {x: {baseUrl: "${BASE}"}}}}')
    assert load(env).data["models"]["providers"]["x"]["baseUrl"] == "http://b"


@pytest.mark.parametrize("value", [None, ""])
def test_missing_or_empty_var_fails_loudly_with_key_path(
    home: Path, env: dict[str, str], value: str | None
) -> None:
    write_config(home, '{models: {providers: {openrouter: {apiKey: "${MISSING_KEY}"}}}}')
    extra = {} if value is None else {"MISSING_KEY": value}
    with pytest.raises(ConfigSubstitutionError) as info:
        load({**env, **extra})
    assert info.value.key_path == "models.providers.openrouter.apiKey"
    assert info.value.var == "MISSING_KEY"
    assert "MISSING_KEY is not set" in str(info.value)


def test_lenient_load_keeps_only_the_missing_reference(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{models: {providers: {x: {baseUrl: "${SET_ONE}/${UNSET_ONE}"}}}}')
    snapshot = load({**env, "SET_ONE": "http://a"}, strict_env=False)
    assert snapshot.data["models"]["providers"]["x"]["baseUrl"] == "http://a/${UNSET_ONE}"
    assert any("UNSET_ONE" in w and "models.providers.x.baseUrl" in w for w in snapshot.warnings)


def test_lowercase_names_are_not_references(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{models: {providers: {x: {baseUrl: "${lower}/v1"}}}}')
    assert load(env).data["models"]["providers"]["x"]["baseUrl"] == "${lower}/v1"


# ------------------------------------------------------------------------ files and permissions


def test_world_readable_config_warns(home: Path, env: dict[str, str]) -> None:
    path = write_config(home, "{}", mode=0o644)
    snapshot = load(env)
    assert any("0644" in w and f"chmod 600 {path}" in w for w in snapshot.warnings)


def test_private_config_has_no_permission_warning(home: Path, env: dict[str, str]) -> None:
    write_config(home, "{}")
    assert not [w for w in load(env).warnings if "chmod" in w]


def test_unreadable_config_is_a_clear_error(
    home: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(home, "{}")
    real = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)  # tests run as root: chmod 000 would not stop us
    with pytest.raises(ConfigError, match="permission denied"):
        load(env)


def test_config_path_that_is_a_directory(home: Path, env: dict[str, str]) -> None:
    (home / ".openclaw" / "openclaw.json").mkdir(parents=True)
    with pytest.raises(ConfigError, match="is a directory"):
        load(env)


def test_oversized_config_is_refused(home: Path, env: dict[str, str]) -> None:
    write_config(home, '{"meta": {"pad": "' + "x" * (2 * 1024 * 1024) + '"}}')
    with pytest.raises(ConfigError, match="limited to"):
        load(env)


def test_symlinked_config_loads(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{gateway: {port: 1234}}")
    real.chmod(0o600)
    (home / ".openclaw").mkdir()
    (home / ".openclaw" / "openclaw.json").symlink_to(real)
    assert gateway_port(load(env)) == 1234


def test_dangling_symlink_is_an_error(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    (home / ".openclaw").mkdir()
    (home / ".openclaw" / "openclaw.json").symlink_to(tmp_path / "gone.json")
    # a dangling link does not "exist": the loader must not silently treat it as no config
    with pytest.raises(ConfigError, match="dangling symlink"):
        load(env)


# ------------------------------------------------------------------ path selection end to end


def test_openclaw_config_path_wins(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    write_config(home, "{gateway: {port: 1}}")
    other = tmp_path / "elsewhere" / "custom.json5"
    other.parent.mkdir()
    other.write_text("{gateway: {port: 2}}")
    snapshot = load({**env, "OPENCLAW_CONFIG_PATH": str(other)})
    assert snapshot.path == other
    assert gateway_port(snapshot) == 2


def test_state_dir_and_profile_select_the_file(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "openclaw.json").write_text("{gateway: {port: 3}}")
    (home / ".openclaw-work").mkdir()
    (home / ".openclaw-work" / "openclaw.json").write_text("{gateway: {port: 4}}")
    (home / ".openclaw-dev").mkdir()
    (home / ".openclaw-dev" / "openclaw.json").write_text("{gateway: {port: 5}}")

    def port(environ: dict[str, str], *, profile: str | None = None, dev: bool = False) -> int | None:
        paths = resolve_paths(environ, profile=profile, dev=dev)
        gateway = load_config(paths, environ).typed.gateway
        assert gateway is not None
        return gateway.port

    assert port({**env, "OPENCLAW_STATE_DIR": str(state)}) == 3
    assert port(env, profile="work") == 4
    assert port({**env, "OPENCLAW_PROFILE": "work"}) == 4
    assert port(env, dev=True) == 5
    assert port({**env, "OPENCLAW_STATE_DIR": str(state)}, profile="work") == 3
