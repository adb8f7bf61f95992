"""Install the third-party baselines (LiteLLM proxy, Portkey gateway) into bench/.baselines/.

Both installs are idempotent: a marker file records what was installed, and a second call returns
at once when the marker matches. Nothing here is committed: bench/.baselines/ is git-ignored.

LiteLLM: ``litellm==1.109.1`` in its own venv, then the requirements of its ``[proxy]`` extra read
from the installed package's metadata and installed by name. ``litellm[proxy]==1.109.1`` does not
resolve because the extra pins ``litellm-proxy-extras==0.4.113``, which the index does not have, so
that one requirement is installed unpinned. The compromised releases 1.82.7 and 1.82.8 are refused.

Portkey: ``@portkey-ai/gateway@1.15.2`` from npm (``--ignore-scripts``: its only install script is a
no-op ``patch-package``), run with the system node when it is recent enough.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LITELLM_VERSION",
    "PORTKEY_VERSION",
    "Baselines",
    "ensure_litellm",
    "ensure_portkey",
    "proxy_extra_requirements",
]

LITELLM_VERSION = "1.109.1"
PORTKEY_VERSION = "1.15.2"
FORBIDDEN_LITELLM = frozenset({"1.82.7", "1.82.8"})
UNPINNED = frozenset({"litellm-proxy-extras"})
INSTALL_TIMEOUT_S = 1500
MIN_NODE_MAJOR = 18


@dataclass(frozen=True)
class Baselines:
    litellm_python: Path | None
    portkey_entry: Path | None
    node: str | None


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    print(f"[setup] {' '.join(cmd)}", file=sys.stderr)
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"command failed ({done.returncode}): {' '.join(cmd)}\n{tail}")
    return done.stdout


def _requirement_name(req: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    if match is None:
        raise ValueError(f"unparsable requirement: {req!r}")
    return match.group(1).lower().replace("_", "-")


# Run inside the litellm venv (litellm depends on ``packaging``): print the requirements that the
# ``[proxy]`` extra adds for this interpreter, markers evaluated by packaging itself.
_EXTRA_SNIPPET = """
import importlib.metadata as m, json
from packaging.requirements import Requirement
out = []
for raw in m.requires("litellm") or []:
    req = Requirement(raw)
    if req.marker is None:
        continue
    if req.marker.evaluate({"extra": "proxy"}) and not req.marker.evaluate({"extra": ""}):
        req.marker = None
        out.append(str(req))
print(json.dumps(out))
"""


def proxy_extra_requirements(specs: list[str]) -> list[str]:
    """pip arguments for the ``[proxy]`` extra: duplicates dropped, ``UNPINNED`` names unpinned."""
    out: list[str] = []
    for spec in specs:
        name = _requirement_name(spec)
        arg = name if name in UNPINNED else spec.strip()
        if arg not in out:
            out.append(arg)
    return out


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _installed_litellm(python: Path) -> str | None:
    if not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_litellm(root: Path) -> Path:
    """Create bench/.baselines/litellm-venv with litellm and its proxy requirements; return its python."""
    if LITELLM_VERSION in FORBIDDEN_LITELLM:
        raise RuntimeError(f"refusing compromised litellm {LITELLM_VERSION}")
    venv = root / "litellm-venv"
    marker = venv / ".bench-installed"
    python = _venv_python(venv)
    marked = marker.exists() and marker.read_text().strip() == LITELLM_VERSION
    if marked and _installed_litellm(python) == LITELLM_VERSION:
        return python
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, f"litellm=={LITELLM_VERSION}"])
    extra = proxy_extra_requirements(json.loads(_run([str(python), "-c", _EXTRA_SNIPPET])))
    _run([*pip, f"litellm=={LITELLM_VERSION}", *extra])
    installed = _installed_litellm(python)
    if installed != LITELLM_VERSION or installed in FORBIDDEN_LITELLM:
        raise RuntimeError(f"litellm venv holds {installed!r}, expected {LITELLM_VERSION}")
    marker.write_text(LITELLM_VERSION + "\n")
    return python


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    match = re.match(r"v(\d+)", out.stdout.strip())
    return int(match.group(1)) if match else 0


def find_node(folder: Path) -> str:
    """The system node when recent enough, else one installed from npm's ``node`` package."""
    system = shutil.which("node")
    if system and _node_major(system) >= MIN_NODE_MAJOR:
        return system
    local = folder / "node_modules" / ".bin" / "node"
    if not local.exists():
        _run(["npm", "install", "--no-audit", "--no-fund", "node@20"], cwd=folder)
    return str(local)


def ensure_portkey(root: Path) -> tuple[Path, str]:
    """Install @portkey-ai/gateway into bench/.baselines/portkey; return (entry script, node)."""
    folder = root / "portkey"
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
    pkg = entry.parent.parent / "package.json"
    if not (entry.exists() and json.loads(pkg.read_text()).get("version") == PORTKEY_VERSION):
        manifest = folder / "package.json"
        if not manifest.exists():
            manifest.write_text('{"name": "portkey-baseline", "private": true}\n')
        _run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                f"@portkey-ai/gateway@{PORTKEY_VERSION}",
            ],
            cwd=folder,
        )
    return entry, find_node(folder)
