"""Config writes: lock + atomic replace, backups, modes, validation, includes, clobber guard."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from openclaw.config.dotpath import set_path, unset_path
from openclaw.config.write import update_config
from openclaw.errors import ConfigValidationError, ConfigWriteError
from openclaw.paths import StatePaths, resolve_paths


@pytest.fixture
def paths(env: dict[str, str]) -> StatePaths:
    return resolve_paths(env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def setter(keys: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        set_path(doc, keys, value)

    return mutate


def remover(*keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        unset_path(doc, list(keys))

    return mutate


def seed(paths: StatePaths, text: str) -> Path:
    paths.config_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    paths.config_path.write_text(text)
    paths.config_path.chmod(0o600)
    return paths.config_path


def test_first_write_creates_private_dir_and_file(paths: StatePaths, env: dict[str, str]) -> None:
    result = update_config(paths, setter(["gateway", "port"], 18790), env=env)
    assert result.changed and result.backup is None
    assert mode(paths.state_dir) == 0o700
    assert mode(paths.config_path) == 0o600
    assert paths.config_path.read_text() == '{\n  "gateway": {\n    "port": 18790\n  }\n}\n'


def test_new_keys_are_appended_at_the_end(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{"wizard": {"lastRunMode": "local"}}')
    update_config(
        paths,
        setter(["models", "providers", "openrouter", "baseUrl"], "http://127.0.0.1:18080/api/v1"),
        env=env,
    )
    data = json.loads(paths.config_path.read_text())
    assert list(data) == ["wizard", "models"]
    assert data["models"] == {"providers": {"openrouter": {"baseUrl": "http://127.0.0.1:18080/api/v1"}}}


def test_no_change_leaves_the_file_untouched(paths: StatePaths, env: dict[str, str]) -> None:
    path = seed(paths, '{"gateway": {"port": 1}}')
    before = path.stat()
    result = update_config(paths, setter(["gateway", "port"], 1), env=env)
    assert result.changed is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert not path.with_name("openclaw.json.bak").exists()


def test_no_op_on_missing_file_creates_nothing(paths: StatePaths, env: dict[str, str]) -> None:
    result = update_config(paths, lambda doc: None, env=env)
    assert result.changed is False
    assert not paths.config_path.exists()


def test_backup_rotation(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{"gateway": {"port": 0}}')
    for port in range(1, 7):
        update_config(paths, setter(["gateway", "port"], port), env=env)
    state = paths.state_dir
    ports = {}
    for name in (
        "openclaw.json",
        "openclaw.json.bak",
        "openclaw.json.bak.1",
        "openclaw.json.bak.2",
        "openclaw.json.bak.3",
    ):
        assert mode(state / name) == 0o600, name
        ports[name] = json.loads((state / name).read_text())["gateway"]["port"]
    assert ports == {
        "openclaw.json": 6,
        "openclaw.json.bak": 5,
        "openclaw.json.bak.1": 4,
        "openclaw.json.bak.2": 3,
        "openclaw.json.bak.3": 2,
    }
    assert not (state / "openclaw.json.bak.4").exists()


def test_invalid_result_is_refused_and_saved_aside(paths: StatePaths, env: dict[str, str]) -> None:
    path = seed(paths, '{"gateway": {"port": 1}}')
    original = path.read_bytes()
    with pytest.raises(ConfigValidationError) as info:
        update_config(paths, setter(["gateway", "port"], "not-a-port"), env=env)
    assert info.value.key_path == "gateway.port"
    assert "Nothing was written" in str(info.value)
    assert path.read_bytes() == original
    rejected = list(paths.state_dir.glob("openclaw.json.rejected.*"))
    assert len(rejected) == 1
    assert mode(rejected[0]) == 0o600
    assert json.loads(rejected[0].read_text())["gateway"]["port"] == "not-a-port"


def test_dry_run_validates_without_writing(paths: StatePaths, env: dict[str, str]) -> None:
    path = seed(paths, '{"gateway": {"port": 1}}')
    result = update_config(paths, setter(["gateway", "port"], 2), env=env, dry_run=True)
    assert result.changed and result.data["gateway"]["port"] == 2
    assert json.loads(path.read_text())["gateway"]["port"] == 1
    with pytest.raises(ConfigValidationError):
        update_config(paths, setter(["gateway", "port"], "x"), env=env, dry_run=True)
    assert not list(paths.state_dir.glob("*.rejected.*"))
    assert not list(paths.state_dir.glob("*.bak*"))


def test_unset_var_does_not_block_an_unrelated_edit(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{"models": {"providers": {"x": {"baseUrl": "${NOT_SET_ANYWHERE}"}}}}')
    update_config(paths, setter(["gateway", "port"], 2), env=env)
    data = json.loads(paths.config_path.read_text())
    assert data["models"]["providers"]["x"]["baseUrl"] == "${NOT_SET_ANYWHERE}"


def test_json5_comments_are_lost_with_a_warning(paths: StatePaths, env: dict[str, str]) -> None:
    path = seed(paths, "// keep me?\n{gateway: {port: 1}, /* inline */}\n")
    result = update_config(paths, setter(["gateway", "port"], 2), env=env)
    assert any("comments are gone" in w for w in result.warnings)
    assert json.loads(path.read_text()) == {"gateway": {"port": 2}}
    assert "// keep me?" in path.with_name("openclaw.json.bak").read_text()


def test_plain_json_has_no_comment_warning(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{"gateway": {"port": 1}}')
    assert update_config(paths, setter(["gateway", "port"], 2), env=env).warnings == []


def test_symlinked_config_is_refused_for_writes(
    paths: StatePaths, env: dict[str, str], tmp_path: Path
) -> None:
    real = tmp_path / "real.json"
    real.write_text('{"gateway": {"port": 1}}')
    paths.state_dir.mkdir(mode=0o700)
    paths.config_path.symlink_to(real)
    with pytest.raises(ConfigWriteError, match="is a symlink") as info:
        update_config(paths, setter(["gateway", "port"], 2), env=env)
    assert "OPENCLAW_CONFIG_PATH" in str(info.value)
    assert paths.config_path.is_symlink()
    assert json.loads(real.read_text())["gateway"]["port"] == 1


def test_failed_replace_leaves_the_old_file_intact(
    paths: StatePaths, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed(paths, '{"gateway": {"port": 1}}')
    original = path.read_bytes()
    real_replace = os.replace

    def crash(src: Any, dst: Any) -> None:
        if Path(dst) == path:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        update_config(paths, setter(["gateway", "port"], 2), env=env)
    assert path.read_bytes() == original
    assert not [p for p in paths.state_dir.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(os, "replace", real_replace)
    update_config(paths, setter(["gateway", "port"], 3), env=env)
    assert json.loads(path.read_text())["gateway"]["port"] == 3


def test_failed_write_of_the_data_leaves_the_old_file_intact(
    paths: StatePaths, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed(paths, '{"gateway": {"port": 1}}')
    original = path.read_bytes()
    real_write = os.write

    def half_then_fail(fd: int, data: Any) -> int:
        if b'"port": 2' in bytes(data):
            real_write(fd, bytes(data)[:5])
            raise OSError(5, "Input/output error")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_fail)
    with pytest.raises(OSError, match="Input/output"):
        update_config(paths, setter(["gateway", "port"], 2), env=env)
    assert path.read_bytes() == original
    assert not [p for p in paths.state_dir.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------------------ clobber guard


def test_clobber_guard(paths: StatePaths, env: dict[str, str]) -> None:
    pad = "x" * 2000
    seed(paths, json.dumps({"gateway": {"mode": "local"}, "meta": {"v": 1}, "tools": {"pad": pad}}))

    with pytest.raises(ConfigWriteError, match=r"drop gateway\.mode"):
        update_config(paths, remover("gateway", "mode"), env=env)
    with pytest.raises(ConfigWriteError, match="drop the meta section"):
        update_config(paths, remover("meta"), env=env)
    with pytest.raises(ConfigWriteError, match="shrink the file"):
        update_config(paths, remover("tools"), env=env)
    assert json.loads(paths.config_path.read_text())["tools"]["pad"] == pad
    assert update_config(paths, remover("tools"), env=env, allow_clobber=True).changed


# ----------------------------------------------------------------------------------- includes


def test_single_file_section_include_is_written_through(paths: StatePaths, env: dict[str, str]) -> None:
    main = seed(paths, '{\n  // main\n  models: {$include: "./models.json5"},\n}\n')
    models = paths.state_dir / "models.json5"
    models.write_text("{providers: {openrouter: {baseUrl: 'http://old'}}}")
    main_before = main.read_bytes()
    result = update_config(
        paths, setter(["models", "providers", "openrouter", "baseUrl"], "http://new"), env=env
    )
    assert main.read_bytes() == main_before
    assert json.loads(models.read_text()) == {"providers": {"openrouter": {"baseUrl": "http://new"}}}
    assert result.files == [models.resolve()]
    assert mode(models) == 0o600
    assert "http://old" in models.with_name("models.json5.bak").read_text()


@pytest.mark.parametrize(
    ("main", "keys"),
    [
        ('{models: {$include: ["a.json5"]}}', ["models", "mode"]),  # include array
        ('{models: {$include: "a.json5", mode: "merge"}}', ["models", "mode"]),  # siblings
        ('{$include: "a.json5"}', ["gateway", "port"]),  # root include
        ('{models: {providers: {$include: "a.json5"}}}', ["models", "providers", "x", "baseUrl"]),  # nested
    ],
)
def test_other_includes_are_read_only(
    paths: StatePaths, env: dict[str, str], main: str, keys: list[str | int]
) -> None:
    path = seed(paths, main)
    (paths.state_dir / "a.json5").write_text("{}")
    before = path.read_bytes()
    value: Any = "replace" if keys[-1] == "mode" else (2 if keys[-1] == "port" else "http://x")
    with pytest.raises(ConfigWriteError, match="comes from an \\$include"):
        update_config(paths, setter(keys, value), env=env)
    assert path.read_bytes() == before
    assert (paths.state_dir / "a.json5").read_text() == "{}"


def test_edits_beside_a_nested_include_are_allowed(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{models: {providers: {$include: "p.json5"}}}')
    (paths.state_dir / "p.json5").write_text("{}")
    update_config(paths, setter(["models", "mode"], "replace"), env=env)
    assert json.loads(paths.config_path.read_text())["models"] == {
        "providers": {"$include": "p.json5"},
        "mode": "replace",
    }


def test_removing_a_write_through_section_is_refused(paths: StatePaths, env: dict[str, str]) -> None:
    seed(paths, '{models: {$include: "m.json5"}}')
    (paths.state_dir / "m.json5").write_text("{}")
    with pytest.raises(ConfigWriteError, match="Cannot remove or replace models"):
        update_config(paths, remover("models"), env=env)


# -------------------------------------------------------------------------------- concurrency


def _worker(env: dict[str, str], worker: int, count: int) -> None:
    paths = resolve_paths(env)
    for i in range(count):
        key = f"p{worker}/m{i}"
        update_config(paths, setter(["agents", "defaults", "models", key], {"alias": key}), env=env)


def test_concurrent_writers_in_several_processes_keep_every_change(
    paths: StatePaths, env: dict[str, str]
) -> None:
    seed(paths, '{"gateway": {"mode": "local"}}')
    workers, count = 4, 20
    stop = threading.Event()
    reads: list[int] = []

    def reader() -> None:  # the file must parse at every instant: replace is atomic
        while not stop.is_set():
            orjson.loads(paths.config_path.read_bytes())
            reads.append(1)

    thread = threading.Thread(target=reader)
    thread.start()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(env, w, count)) for w in range(workers)]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
    finally:
        stop.set()
        thread.join()
    assert [proc.exitcode for proc in procs] == [0] * workers
    data = json.loads(paths.config_path.read_text())
    models = data["agents"]["defaults"]["models"]
    assert len(models) == workers * count
    assert all(models[f"p{w}/m{i}"] == {"alias": f"p{w}/m{i}"} for w in range(workers) for i in range(count))
    assert data["gateway"]["mode"] == "local"
    assert reads  # the reader really ran alongside the writers
    assert not [p for p in paths.state_dir.iterdir() if p.name.endswith(".tmp")]
