"""`openclaw gateway token` prints the shared secret clients need (and nothing else on stdout)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FAKE_KEY, Cli


def _config(home: Path, gateway: dict[str, object]) -> None:
    state = home / ".openclaw"
    state.mkdir(mode=0o700, exist_ok=True)
    (state / "openclaw.json").write_text(json.dumps({"gateway": gateway}))
    (state / "openclaw.json").chmod(0o600)


def test_token_from_config(cli: Cli, home: Path) -> None:
    _config(home, {"auth": {"mode": "token", "token": "a" * 48}})
    result = cli("gateway", "token")
    assert result.code == 0 and result.stdout == "a" * 48 + "\n"
    assert json.loads(cli("gateway", "token", "--json").stdout) == {"mode": "token", "secret": "a" * 48}


def test_token_from_env_and_password_mode(cli: Cli, home: Path) -> None:
    _config(home, {"auth": {"mode": "token"}})
    assert cli("gateway", "token", extra_env={"OPENCLAW_GATEWAY_TOKEN": FAKE_KEY}).stdout.strip() == FAKE_KEY
    _config(home, {"auth": {"mode": "password", "password": "${GW_PASS}"}})
    result = cli("gateway", "token", extra_env={"GW_PASS": "correct-horse-battery"})
    assert result.stdout.strip() == "correct-horse-battery"


def test_no_secret_is_an_error(cli: Cli, home: Path) -> None:
    _config(home, {"auth": {"mode": "none"}})
    result = cli("gateway", "token")
    assert result.code == 1 and result.stdout == ""
    assert "No shared gateway secret" in result.stderr
