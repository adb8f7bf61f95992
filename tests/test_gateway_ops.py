"""Operations, as a user runs them: ``gateway run`` as a process, SIGTERM drain, ``gateway status``,
``--workers``, and ``gateway keys``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from conftest import FAKE_KEY, Cli, clean_env, run_cli
from openclaw.testing import FakeUpstream, Reply
from test_gateway_support import TOKEN, base_config, write_config

pytestmark = pytest.mark.slow
HI = [{"role": "user", "content": "Reply with OK"}]


class GatewayProcess:
    def __init__(self, proc: asyncio.subprocess.Process, port: int, started: float, up_after: float) -> None:
        self.proc, self.port, self.started, self.up_after = proc, port, started, up_after

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def spawn(home: Path, upstream: FakeUpstream, *args: str, listeners: int = 1) -> GatewayProcess:
    write_config(home, base_config(upstream.base_url))
    env = {**clean_env(home), "OPENROUTER_API_KEY": FAKE_KEY}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openclaw", "gateway", "run", "--port", "0", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    port, seen = 0, 0
    for _ in range(50):  # bounded: lines until every worker says "listening on"
        line = (await asyncio.wait_for(proc.stderr.readline(), 20)).decode()
        assert line, "gateway exited before listening"
        if "listening on http://" in line:
            port = int(line.split("listening on http://", 1)[1].split()[0].split('"')[0].rsplit(":", 1)[1])
            seen += 1
            if seen == listeners:
                break
    assert port
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.01)
    return GatewayProcess(proc, port, started, time.monotonic() - started)


async def status(home: Path) -> tuple[int, dict[str, Any]]:
    result = await asyncio.to_thread(run_cli, ["gateway", "status", "--json"], clean_env(home))
    return result.code, orjson.loads(result.stdout)


async def test_run_status_and_sigterm_drains_a_stream(home: Path, upstream: FakeUpstream) -> None:
    upstream.set_default(Reply.text("abcdefghij", chunks=list("abcdefghij"), interval=0.1))
    gw = await spawn(home, upstream)
    sys.stderr.write(f"\n[measure] gateway run: /healthz answered {gw.up_after * 1000:.0f} ms after spawn\n")
    code, report = await status(home)
    assert code == 0 and report["running"] is True and report["port"] == gw.port and report["workers"] == 1
    runtime_file = home / ".openclaw" / "gateway" / "gateway.json"
    assert runtime_file.stat().st_mode & 0o777 == 0o600
    async with aiohttp.ClientSession() as session:
        body = {"model": "mini", "messages": HI, "stream": True}
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.post(gw.url + "/v1/chat/completions", json=body, headers=headers) as resp:
            assert resp.status == 200
            await resp.content.readline()  # the stream has started
            gw.proc.send_signal(signal.SIGTERM)
            raw = await resp.read()
    text = raw.decode()
    assert text.rstrip().endswith("data: [DONE]") and '"finish_reason":"stop"' in text  # drained, not cut
    assert await asyncio.wait_for(gw.proc.wait(), 15) == 0
    assert gw.proc.stderr is not None
    stderr = (await gw.proc.stderr.read()).decode()
    assert "draining" in stderr and "stopped" in stderr and TOKEN not in stderr and FAKE_KEY not in stderr
    assert not runtime_file.exists()
    code, report = await status(home)
    assert code == 1 and report["running"] is False


async def test_workers_share_the_port(home: Path, upstream: FakeUpstream) -> None:
    gw = await spawn(home, upstream, "--workers", "2", "--log-format", "json", listeners=2)
    try:
        code, report = await status(home)
        assert code == 0 and report["workers"] == 2 and len(report["workerPids"]) == 2
        workers = set()
        async with aiohttp.ClientSession() as session:
            for _ in range(40):
                async with session.get(gw.url + "/healthz", headers={"Connection": "close"}) as resp:
                    workers.add((await resp.json())["worker"])
                headers = {"Authorization": f"Bearer {TOKEN}"}
                async with session.post(
                    gw.url + "/v1/chat/completions",
                    json={"model": "openclaw", "messages": HI},
                    headers=headers,
                ) as resp:
                    assert resp.status == 200
                if len(workers) == 2:
                    break
        assert workers == {0, 1}
    finally:
        gw.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(gw.proc.wait(), 15) == 0
    assert not (home / ".openclaw" / "gateway" / "gateway.json").exists()


def test_status_when_nothing_runs(cli: Cli) -> None:
    result = cli("gateway", "status")
    assert result.code == 1 and "not running" in result.stdout


def test_refuses_to_start_without_a_token(cli: Cli, home: Path) -> None:
    write_config(home, {"gateway": {"auth": {"mode": "token"}}})
    result = cli("gateway", "run", "--port", "0")
    assert result.code == 1 and "OPENCLAW_GATEWAY_TOKEN" in result.stderr
    write_config(home, {"gateway": {"auth": {"mode": "none"}}})
    result = cli("gateway", "run", "--port", "0", "--bind", "lan")
    assert result.code == 1 and "Refusing to serve without authentication" in result.stderr


def test_keys_add_list_remove(cli: Cli, home: Path) -> None:
    write_config(home, {"gateway": {"auth": {"mode": "token", "token": TOKEN}}})
    added = cli("gateway", "keys", "add", "--label", "ci runner")
    assert added.code == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("ocgw-") and len(key) > 30 and "only time" in added.stderr
    config_text = (home / ".openclaw" / "openclaw.json").read_text()
    assert key not in config_text
    stored = orjson.loads(config_text)["gateway"]["auth"]["clientKeys"]["key-1"]
    assert stored["sha256"] == hashlib.sha256(key.encode()).hexdigest() and stored["label"] == "ci runner"
    listed = cli("gateway", "keys", "list", "--json")
    rows = orjson.loads(listed.stdout)["keys"]
    assert [r["id"] for r in rows] == ["key-1"] and key not in listed.stdout
    assert cli("gateway", "keys", "add", "--id", "key-1").code != 0  # no silent overwrite
    assert cli("gateway", "keys", "remove", "key-1").code == 0
    auth = orjson.loads((home / ".openclaw" / "openclaw.json").read_text())["gateway"]["auth"]
    assert not auth.get("clientKeys")
    assert cli("gateway", "keys", "remove", "key-1").code != 0


def test_status_with_a_stale_runtime_file(cli: Cli, home: Path) -> None:
    gateway_dir = home / ".openclaw" / "gateway"
    gateway_dir.mkdir(parents=True)
    dead = {"pid": 2**22 + 12345, "host": "127.0.0.1", "port": 9, "workers": 1, "started_at": time.time()}
    (gateway_dir / "gateway.json").write_bytes(orjson.dumps(dead))
    result = cli("gateway", "status")
    assert result.code == 1 and "stale" in result.stdout
    assert os.environ.get("OPENCLAW_GATEWAY_TOKEN") is None
