"""``$include``: single, arrays, siblings, nesting, cycles, roots, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from openclaw.config.includes import MAX_DEPTH
from openclaw.config.loader import ConfigSnapshot
from openclaw.errors import ConfigError, ConfigParseError, ConfigSubstitutionError
from openclaw.runtime import load_snapshot


@pytest.fixture
def state(home: Path) -> Path:
    path = home / ".openclaw"
    path.mkdir(mode=0o700)
    return path


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def load(env: dict[str, str]) -> ConfigSnapshot:
    return load_snapshot(env, cwd=Path(env["HOME"]))[1]


def test_single_include_replaces_the_object(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "./models.json5"}}')
    put(state / "models.json5", "// providers\n{providers: {openrouter: {baseUrl: 'http://x/v1'}}}")
    snapshot = load(env)
    assert snapshot.data["models"] == {"providers": {"openrouter": {"baseUrl": "http://x/v1"}}}
    assert snapshot.source["models"] == {"$include": "./models.json5"}
    assert snapshot.includes == ((state / "models.json5").resolve(),)


def test_array_include_deep_merges_in_order(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: ["a.json5", "b.json5"]}}')
    put(
        state / "a.json5",
        "{providers: {a: {baseUrl: 'http://a'}, shared: {baseUrl: 'http://1', maxTokens: 5}}}",
    )
    put(state / "b.json5", "{providers: {b: {baseUrl: 'http://b'}, shared: {baseUrl: 'http://2'}}}")
    providers = load(env).data["models"]["providers"]
    assert providers["a"]["baseUrl"] == "http://a"
    assert providers["b"]["baseUrl"] == "http://b"
    assert providers["shared"] == {"baseUrl": "http://2", "maxTokens": 5}


def test_sibling_keys_override_the_include(state: Path, env: dict[str, str]) -> None:
    put(
        state / "openclaw.json",
        '{gateway: {$include: "gw.json5", port: 20000, auth: {mode: "password"}}}',
    )
    put(state / "gw.json5", "{port: 18789, bind: 'loopback', auth: {mode: 'token', token: 'abc'}}")
    gateway = load(env).data["gateway"]
    assert gateway == {"port": 20000, "bind": "loopback", "auth": {"mode": "password", "token": "abc"}}


def test_root_include(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{$include: "base.json5", gateway: {port: 2}}')
    put(state / "base.json5", "{gateway: {port: 1, bind: 'loopback'}, agents: {defaults: {workspace: '/w'}}}")
    data = load(env).data
    assert data["gateway"] == {"port": 2, "bind": "loopback"}
    assert data["agents"]["defaults"]["workspace"] == "/w"


def test_nested_includes_resolve_relative_to_the_including_file(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "conf.d/models.json5"}}')
    put(state / "conf.d" / "models.json5", '{providers: {$include: "./providers.json5"}}')
    put(state / "conf.d" / "providers.json5", "{openrouter: {baseUrl: 'http://nested'}}")
    snapshot = load(env)
    assert snapshot.data["models"]["providers"]["openrouter"]["baseUrl"] == "http://nested"
    assert len(snapshot.includes) == 2


def test_substitution_works_inside_included_files(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "m.json5"}}')
    put(state / "m.json5", '{providers: {x: {baseUrl: "${BASE}/v1"}}}')
    assert load({**env, "BASE": "http://b"}).data["models"]["providers"]["x"]["baseUrl"] == "http://b/v1"
    with pytest.raises(ConfigSubstitutionError) as info:
        load(env)
    assert info.value.key_path == "models.providers.x.baseUrl"


def test_circular_include_is_an_error(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "a.json5"}}')
    put(state / "a.json5", '{providers: {$include: "b.json5"}}')
    put(state / "b.json5", '{x: {$include: "a.json5"}}')
    with pytest.raises(ConfigError, match="Circular \\$include") as info:
        load(env)
    assert "a.json5 -> " in str(info.value)


def test_self_include_of_the_main_file_is_circular(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "openclaw.json"}}')
    with pytest.raises(ConfigError, match="Circular"):
        load(env)


def test_include_outside_the_config_dir_is_refused(state: Path, env: dict[str, str], tmp_path: Path) -> None:
    outside = put(tmp_path / "shared" / "models.json5", "{providers: {}}")
    put(state / "openclaw.json", f'{{models: {{$include: "{outside}"}}}}')
    with pytest.raises(ConfigError, match="outside the config directory") as info:
        load(env)
    assert "OPENCLAW_INCLUDE_ROOTS" in str(info.value)
    relative = put(state / "rel.json", '{models: {$include: "../../shared/models.json5"}}')
    with pytest.raises(ConfigError, match="outside the config directory"):
        load({**env, "OPENCLAW_CONFIG_PATH": str(relative)})


def test_include_roots_allow_other_directories(state: Path, env: dict[str, str], tmp_path: Path) -> None:
    outside = put(tmp_path / "shared" / "models.json5", "{providers: {s: {baseUrl: 'http://s'}}}")
    put(state / "openclaw.json", f'{{models: {{$include: "{outside}"}}}}')
    roots = f"/nonexistent-root:{outside.parent}"
    data = load({**env, "OPENCLAW_INCLUDE_ROOTS": roots}).data
    assert data["models"]["providers"]["s"]["baseUrl"] == "http://s"


def test_include_roots_expand_tilde(state: Path, env: dict[str, str], home: Path) -> None:
    put(home / "shared" / "m.json5", "{mode: 'replace'}")
    put(state / "openclaw.json", '{models: {$include: "~/shared/m.json5"}}')
    assert load({**env, "OPENCLAW_INCLUDE_ROOTS": "~/shared"}).data["models"] == {"mode": "replace"}


def test_symlink_escaping_the_config_dir_is_refused(state: Path, env: dict[str, str], tmp_path: Path) -> None:
    outside = put(tmp_path / "secret" / "m.json5", "{mode: 'replace'}")
    (state / "link.json5").symlink_to(outside)
    put(state / "openclaw.json", '{models: {$include: "link.json5"}}')
    with pytest.raises(ConfigError, match="outside the config directory"):
        load(env)


def test_missing_include_file(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "nope.json5"}}')
    with pytest.raises(ConfigError, match="include file not found") as info:
        load(env)
    assert str(info.value).startswith("models: ")


def test_parse_error_inside_an_included_file_has_its_line_and_column(
    state: Path, env: dict[str, str]
) -> None:
    bad = put(state / "m.json5", "{\n  providers: {\n    x: {baseUrl: 'a' 'b'}\n  }\n}\n")
    put(state / "openclaw.json", '{models: {$include: "m.json5"}}')
    with pytest.raises(ConfigParseError) as info:
        load(env)
    assert info.value.path == str(bad)
    assert (info.value.line, info.value.column) == (3, 22)
    assert str(info.value).startswith(f"{bad}:3:22:")


def test_depth_limit(state: Path, env: dict[str, str]) -> None:
    def chain(levels: int) -> None:
        put(state / "openclaw.json", '{meta: {$include: "l1.json5"}}')
        for i in range(1, levels + 1):
            body = f'{{$include: "l{i + 1}.json5"}}' if i < levels else "{leaf: true}"
            put(state / f"l{i}.json5", body)

    chain(MAX_DEPTH)  # 10 levels of nesting are fine
    assert load(env).data["meta"] == {"leaf": True}
    chain(MAX_DEPTH + 1)
    with pytest.raises(ConfigError, match=f"more than {MAX_DEPTH} levels"):
        load(env)


@pytest.mark.parametrize(
    ("spec", "message"),
    [('""', "needs a file path"), ("42", "needs a file path"), ('"a\\u0000b"', "invalid \\$include path")],
)
def test_invalid_include_paths(state: Path, env: dict[str, str], spec: str, message: str) -> None:
    put(state / "openclaw.json", f"{{models: {{$include: {spec}}}}}")
    with pytest.raises(ConfigError, match=message):
        load(env)


def test_overlong_include_path(state: Path, env: dict[str, str]) -> None:
    put(state / "openclaw.json", '{models: {$include: "' + "a" * 5000 + '"}}')
    with pytest.raises(ConfigError, match="invalid \\$include path"):
        load(env)


def test_included_file_over_2mb_is_refused(state: Path, env: dict[str, str]) -> None:
    put(state / "big.json5", '{"pad": "' + "x" * (2 * 1024 * 1024) + '"}')
    put(state / "openclaw.json", '{meta: {$include: "big.json5"}}')
    with pytest.raises(ConfigError, match="limited to"):
        load(env)
