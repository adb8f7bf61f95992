"""``openclaw gateway``: run the HTTP gateway, report on a running one, manage client keys.

    openclaw gateway run [--port 18789] [--bind loopback|lan|IP] [--workers N] [--log-format json]
    openclaw gateway status [--json]
    openclaw gateway token                                  prints the shared token (for clients)
    openclaw gateway keys add [--id ID] [--label TEXT]     prints the new key once
    openclaw gateway keys list [--json]
    openclaw gateway keys remove ID

Client keys are stored as SHA-256 hashes in ``gateway.auth.clientKeys``; the key itself is shown
only when it is created.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import secrets
import sys
import time
from typing import Any

import click

from .context import CliContext, emit_json, examples, warn

__all__ = ["gateway"]

_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@click.group(
    epilog=examples(
        "openclaw gateway run --port 18789",
        "openclaw gateway status --json",
        'curl -H "Authorization: Bearer $(openclaw gateway token)" http://127.0.0.1:18789/v1/models',
        'openclaw gateway keys add --label "ci runner"',
    )
)
def gateway() -> None:
    """Run or inspect the HTTP gateway (OpenAI/OpenRouter-compatible API)."""


@gateway.command(
    "run",
    epilog=examples(
        "openclaw gateway run                       # gateway.port (18789) on 127.0.0.1",
        "openclaw gateway run --port 0 --log-format json   # a free port, JSON request log",
        "openclaw gateway run --bind lan --workers 2",
    ),
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default gateway.port, 18789)."
)
@click.option(
    "--bind", default=None, metavar="ADDR", help="loopback (default), lan, custom, or an IP address."
)
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Processes sharing the port.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None, help="Request log format.")
@click.option("--allow-unauthenticated", is_flag=True, help="Allow auth mode none off loopback.")
@click.pass_obj
def run_cmd(
    obj: CliContext,
    *,
    port: int | None,
    bind: str | None,
    workers: int | None,
    log_format: str | None,
    allow_unauthenticated: bool,
) -> None:
    """Serve the gateway in the foreground until SIGTERM/SIGINT."""
    from ..gateway.server import ServeOptions, serve
    from ..gateway.settings import GatewaySettings

    snapshot = obj.snapshot()
    settings = GatewaySettings.build(
        snapshot.typed.gateway,
        snapshot.env,
        port=port,
        bind=bind,
        workers=workers,
        log_format=log_format,
        allow_unauthenticated=allow_unauthenticated,
    )
    code = serve(ServeOptions(obj.paths, snapshot, settings))
    sys.exit(code)


def _probe(host: str, port: int) -> dict[str, Any] | None:
    import orjson

    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)  # noqa: S104
    conn = http.client.HTTPConnection(target, port, timeout=2.0)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read()
    except OSError:
        return None
    finally:
        conn.close()
    if response.status != 200:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@gateway.command(
    "status",
    epilog=examples(
        "openclaw gateway status",
        "openclaw gateway status --json | jq .port",
        "openclaw gateway status >/dev/null || openclaw gateway run &",
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status_cmd(obj: CliContext, as_json: bool) -> None:
    """Report a running gateway (exit 1 when none is running).

    Reads the runtime file gateway run writes (<state>/gateway/gateway.json), checks the process
    and probes GET /healthz."""
    from ..gateway.server import read_runtime_file, runtime_file

    info = read_runtime_file(obj.paths)
    health = None
    if info is not None and _alive(int(info.get("pid", 0))):
        health = _probe(str(info.get("host", "127.0.0.1")), int(info.get("port", 0)))
    running = health is not None
    report: dict[str, Any] = {"running": running}
    if info is not None:
        report.update(
            pid=info.get("pid"),
            host=info.get("host"),
            port=info.get("port"),
            workers=info.get("workers"),
            workerPids=info.get("worker_pids"),
            uptimeSeconds=round(time.time() - float(info.get("started_at", time.time())), 1),
            version=info.get("version"),
        )
    if info is not None and not running:
        report["stale"] = True
    report["runtimeFile"] = obj.paths.display(runtime_file(obj.paths))
    if as_json:
        emit_json(report)
    elif running:
        click.echo(
            f"Gateway: running (pid {report['pid']}, http://{report['host']}:{report['port']}, "
            f"workers {report['workers']}, uptime {report['uptimeSeconds']}s, version {report['version']})"
        )
    elif info is not None:
        click.echo("Gateway: not running (stale runtime file; the process is gone or not answering)")
    else:
        click.echo("Gateway: not running")
    if not running:
        sys.exit(1)


# ------------------------------------------------------------------------------- client keys


@gateway.command(
    "token",
    short_help="Print the shared secret clients authenticate with.",
    epilog=examples(
        "export OPENAI_API_KEY=$(openclaw gateway token)",
        'curl -H "Authorization: Bearer $(openclaw gateway token)" http://127.0.0.1:18789/v1/models',
        "openclaw gateway token --json    # {mode, secret}",
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {mode, secret}.")
@click.pass_obj
def token_cmd(obj: CliContext, as_json: bool) -> None:
    """Print the gateway's shared secret (token or password) for clients to use. Exits 1 when
    none is set."""
    from ..gateway.settings import shared_secret

    snapshot = obj.snapshot()
    mode, secret = shared_secret(snapshot.typed.gateway, snapshot.env)
    if secret is None:
        warn(
            f"No shared gateway secret is set (gateway.auth.mode is {mode}). Set gateway.auth.token or "
            "OPENCLAW_GATEWAY_TOKEN, run `openclaw onboard`, or give each client its own key with "
            "`openclaw gateway keys add`."
        )
        sys.exit(1)
    if as_json:
        emit_json({"mode": mode, "secret": secret})
    else:
        sys.stdout.write(secret + "\n")


@gateway.group(
    "keys",
    epilog=examples(
        'openclaw gateway keys add --label "ci runner"',
        "openclaw gateway keys list",
        "openclaw gateway keys remove key-1",
    ),
)
def keys() -> None:
    """Create, list and remove per-client keys.

    Keys are stored as SHA-256 hashes in gateway.auth.clientKeys; requests made with one carry
    its id into the request log and the usage ledger."""


def _client_keys(obj: CliContext) -> dict[str, Any]:
    gw = obj.snapshot().source.get("gateway") or {}
    auth = gw.get("auth") if isinstance(gw, dict) else None
    found = auth.get("clientKeys") if isinstance(auth, dict) else None
    return found if isinstance(found, dict) else {}


def _update(obj: CliContext, mutate: Any) -> None:
    from ..config.write import update_config

    result = update_config(obj.paths, mutate, env=obj.snapshot().env)
    for message in result.warnings:
        warn(f"Warning: {message}")
    obj.reload()


@keys.command(
    "add",
    epilog=examples(
        'openclaw gateway keys add --label "ci runner"     # id key-<n>; the key goes to stdout',
        "KEY=$(openclaw gateway keys add --id laptop)",
    ),
)
@click.option("--id", "key_id", default=None, metavar="ID", help="Key id (default: key-<n>).")
@click.option("--label", default=None, metavar="TEXT", help="A note for humans (who uses this key).")
@click.pass_obj
def keys_add(obj: CliContext, key_id: str | None, label: str | None) -> None:
    """Create a client key (printed once; only its hash is stored)."""
    existing = _client_keys(obj)
    if key_id is None:
        n = len(existing) + 1
        while f"key-{n}" in existing:  # bounded by the number of existing keys
            n += 1
        key_id = f"key-{n}"
    if not _KEY_ID.fullmatch(key_id):
        raise click.BadParameter("use letters, digits, '.', '_' or '-' (at most 64).", param_hint="--id")
    if key_id in existing:
        raise click.ClickException(f'A client key "{key_id}" already exists; remove it first.')
    key = "ocgw-" + secrets.token_urlsafe(32)
    entry: dict[str, Any] = {
        "sha256": hashlib.sha256(key.encode()).hexdigest(),
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if label:
        entry["label"] = label

    def mutate(data: dict[str, Any]) -> None:
        auth = data.setdefault("gateway", {}).setdefault("auth", {})
        auth.setdefault("clientKeys", {})[key_id] = entry

    _update(obj, mutate)
    click.echo(key)
    warn(f'Client key "{key_id}" added. This is the only time the key is shown: store it now.')
    warn("A running gateway picks it up when restarted.")


@keys.command(
    "list",
    epilog=examples("openclaw gateway keys list", "openclaw gateway keys list --json | jq -r '.keys[].id'"),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {keys: [{id, label, createdAt, sha256}]}.")
@click.pass_obj
def keys_list(obj: CliContext, as_json: bool) -> None:
    """List client key ids and labels (never the keys)."""
    rows = [
        {
            "id": kid,
            "label": e.get("label"),
            "createdAt": e.get("createdAt"),
            "sha256": str(e.get("sha256"))[:12],
        }
        for kid, e in sorted(_client_keys(obj).items())
        if isinstance(e, dict)
    ]
    if as_json:
        emit_json({"keys": rows})
        return
    if not rows:
        click.echo("No client keys. Add one with: openclaw gateway keys add --label NAME")
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['label'] or '-'}\t{row['createdAt'] or '-'}\tsha256:{row['sha256']}…")


@keys.command(
    "remove", short_help="Remove a client key.", epilog=examples("openclaw gateway keys remove key-1")
)
@click.argument("key_id")
@click.pass_obj
def keys_remove(obj: CliContext, key_id: str) -> None:
    """Remove a client key (its callers get 401 once the gateway restarts)."""
    if key_id not in _client_keys(obj):
        raise click.ClickException(f'No client key "{key_id}".')

    def mutate(data: dict[str, Any]) -> None:
        del data["gateway"]["auth"]["clientKeys"][key_id]

    _update(obj, mutate)
    warn(f'Client key "{key_id}" removed.')
