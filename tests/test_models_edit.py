"""``models set``, ``fallbacks`` and ``aliases``: the observed config diffs and report lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, Cli

ONBOARD = ["onboard", "--non-interactive", "--accept-risk", "--skip-health", "--openrouter-api-key", FAKE_KEY]
UPDATED = [
    "Updated config: $OPENCLAW_HOME/.openclaw/openclaw.json",
    "  Backup: $OPENCLAW_HOME/.openclaw/openclaw.json.bak",
]
SONNET = "openrouter/anthropic/claude-sonnet-4-5"
MINI = "openrouter/openai/gpt-4o-mini"


@pytest.fixture
def onboarded(cli: Cli, home: Path) -> Path:
    assert cli(*ONBOARD).code == 0
    return home


def _config(home: Path) -> dict[str, Any]:
    data = json.loads((home / ".openclaw" / "openclaw.json").read_text())
    assert isinstance(data, dict), data
    return data


def _defaults(home: Path) -> dict[str, Any]:
    defaults = _config(home)["agents"]["defaults"]
    assert isinstance(defaults, dict), defaults
    return defaults


def test_set_as_observed(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "set", SONNET)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [*UPDATED, f"Default model: {SONNET}"]
    defaults = _defaults(onboarded)
    assert defaults["model"] == {"primary": SONNET}
    assert defaults["models"] == {
        "openrouter/auto": {"alias": "OpenRouter"},
        SONNET: {},
    }  # entry added, alias kept


def test_set_note_when_a_provider_has_no_local_catalog(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "set", "zai/glm-4.7")
    assert result.code == 0
    assert result.stderr == (
        'Note: Provider "zai" has no local model catalog, so "zai/glm-4.7" could not be checked offline. '
        "The selection was saved.\n"
    )
    assert _defaults(onboarded)["model"]["primary"] == "zai/glm-4.7"


def test_set_note_for_a_model_missing_from_the_catalog(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "set", "openrouter/anthropic/claude-sonet-4-5")
    assert result.code == 0
    assert 'is not in the local catalog of provider "openrouter"' in result.stderr
    assert "Did you mean" in result.stderr
    assert cli("models", "set", SONNET).stderr == ""  # known (bundled catalog): no note


def test_set_unknown_provider_changes_nothing(cli: Cli, onboarded: Path) -> None:
    before = (onboarded / ".openclaw" / "openclaw.json").read_bytes()
    result = cli("models", "set", "openruter/anthropic/claude-sonnet-4-5")
    assert result.code == 2  # bad input
    assert result.stdout == ""
    assert 'Unknown provider "openruter"' in result.stderr
    assert f'Did you mean "{SONNET}"?' in result.stderr
    assert (onboarded / ".openclaw" / "openclaw.json").read_bytes() == before


def test_set_by_alias_and_on_an_empty_home(cli: Cli, home: Path) -> None:
    result = cli("models", "set", SONNET)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Updated config: $OPENCLAW_HOME/.openclaw/openclaw.json",
        f"Default model: {SONNET}",
    ]
    assert cli("models", "aliases", "add", "fast", MINI).code == 0
    assert cli("models", "set", "fast").stdout.endswith(f"Default model: {MINI}\n")
    assert _defaults(home)["model"]["primary"] == MINI


def test_set_canonicalizes_a_string_model(cli: Cli, home: Path) -> None:
    (home / ".openclaw").mkdir(mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(
        json.dumps({"agents": {"defaults": {"model": "openrouter/auto"}}})
    )
    assert cli("models", "fallbacks", "add", MINI).code == 0
    assert _defaults(home)["model"] == {"primary": "openrouter/auto", "fallbacks": [MINI]}


def test_set_image(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "set-image", "openrouter/google/gemini-2.5-flash")
    assert result.code == 0
    assert result.stdout.splitlines()[-1] == "Image model: openrouter/google/gemini-2.5-flash"
    assert _defaults(onboarded)["imageModel"] == {"primary": "openrouter/google/gemini-2.5-flash"}


def test_fallbacks_as_observed(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "set", SONNET).code == 0
    result = cli("models", "fallbacks", "add", MINI)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [*UPDATED, f"Fallbacks: {MINI}"]
    defaults = _defaults(onboarded)
    assert list(defaults["model"]) == ["primary", "fallbacks"]  # placed after primary
    assert defaults["model"]["fallbacks"] == [MINI]
    assert defaults["models"][MINI] == {}
    listed = cli("models", "fallbacks", "list")
    assert listed.stdout == f"Fallbacks (1):\n- {MINI}\n"
    assert json.loads(cli("models", "fallbacks", "list", "--json").stdout) == {"fallbacks": [MINI]}
    assert cli("models", "fallbacks", "list", "--plain").stdout == f"{MINI}\n"


def test_fallbacks_dedupe_reject_primary_remove_clear(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "set", SONNET).code == 0
    assert cli("models", "aliases", "add", "mini", MINI).code == 0
    assert cli("models", "fallbacks", "add", MINI).code == 0
    again = cli("models", "fallbacks", "add", "mini")  # the same model through its alias
    assert again.code == 0
    assert "already in the fallbacks list" in again.stderr
    assert _defaults(onboarded)["model"]["fallbacks"] == [MINI]
    primary = cli("models", "fallbacks", "add", SONNET)
    assert primary.code == 2
    assert "is the default model itself" in primary.stderr
    assert cli("models", "fallbacks", "add", "openrouter/auto").code == 0
    assert _defaults(onboarded)["model"]["fallbacks"] == [MINI, "openrouter/auto"]
    removed = cli("models", "fallbacks", "remove", "mini")
    assert removed.stdout.splitlines()[-1] == "Fallbacks: openrouter/auto"
    missing = cli("models", "fallbacks", "remove", MINI)
    assert missing.code == 1
    assert f"Fallback not found: {MINI}" in missing.stderr
    cleared = cli("models", "fallbacks", "clear")
    assert cleared.stdout.splitlines()[-1] == "Fallback list cleared."
    assert _defaults(onboarded)["model"] == {"primary": SONNET, "fallbacks": []}
    assert cli("models", "fallbacks", "list").stdout == "Fallbacks (0):\n- none\n"


def test_image_fallbacks(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "image-fallbacks", "add", "openrouter/google/gemini-2.5-flash").code == 0
    assert _defaults(onboarded)["imageModel"] == {"fallbacks": ["openrouter/google/gemini-2.5-flash"]}
    assert cli("models", "image-fallbacks", "list").stdout.startswith("Image fallbacks (1):")


def test_aliases_as_observed(cli: Cli, onboarded: Path) -> None:
    assert cli("models", "aliases", "list").stdout == "Aliases (1):\n- OpenRouter -> openrouter/auto\n"
    assert json.loads(cli("models", "aliases", "list", "--json").stdout) == {
        "aliases": {"OpenRouter": "openrouter/auto"}
    }
    assert cli("models", "aliases", "list", "--plain").stdout == "OpenRouter openrouter/auto\n"


def test_alias_add_remove_and_repoint(cli: Cli, onboarded: Path) -> None:
    added = cli("models", "aliases", "add", "sonnet", SONNET)
    assert added.code == 0
    assert added.stdout.splitlines() == [*UPDATED, f"Alias sonnet -> {SONNET}"]
    assert _defaults(onboarded)["models"][SONNET] == {"alias": "sonnet"}
    # aliasing an alias points at the same model (no chain)
    chained = cli("models", "aliases", "add", "s", "sonnet")
    assert chained.stdout.splitlines()[-1] == f"Alias s -> {SONNET}"
    assert 'a model has one alias; "sonnet"' in chained.stderr
    assert _defaults(onboarded)["models"][SONNET] == {"alias": "s"}
    # an existing alias name moves to the new target
    moved = cli("models", "aliases", "add", "s", MINI)
    assert f"alias s pointed to {SONNET}" in moved.stderr
    models = _defaults(onboarded)["models"]
    assert models[MINI] == {"alias": "s"}
    assert models[SONNET] == {}
    removed = cli("models", "aliases", "remove", "s")
    assert removed.code == 0
    assert removed.stdout.splitlines()[-1] == "Removed alias s."
    assert _defaults(onboarded)["models"][MINI] == {}
    gone = cli("models", "aliases", "remove", "s")
    assert gone.code == 1
    assert "Alias not found: s" in gone.stderr


@pytest.mark.parametrize("bad", ["has space", "a/b", ""])
def test_invalid_alias_names(cli: Cli, onboarded: Path, bad: str) -> None:
    result = cli("models", "aliases", "add", bad, SONNET)
    assert result.code == 2
    assert "Invalid alias" in result.stderr


def test_alias_to_unknown_provider_is_refused(cli: Cli, onboarded: Path) -> None:
    result = cli("models", "aliases", "add", "x", "nosuch/model")
    assert result.code == 2
    assert 'Unknown provider "nosuch"' in result.stderr


def test_help_has_examples(cli: Cli) -> None:
    for args in (
        ["models", "--help"],
        ["models", "set", "--help"],
        ["models", "fallbacks", "--help"],
        ["models", "aliases", "--help"],
    ):
        result = cli(*args)
        assert result.code == 0
        assert "Example" in result.stdout
