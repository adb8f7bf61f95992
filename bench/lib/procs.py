"""Start, watch and stop the servers under test, each in its own process group, pinned to CPUs.

Every process started here is registered; :meth:`Processes.stop_all` (called from a ``finally``
and on SIGTERM/SIGHUP) sends SIGTERM to each process group, waits a bounded time, then SIGKILLs
what is left, so a failure or Ctrl-C leaves nothing running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Managed",
    "Processes",
    "cpu_busy_seconds",
    "free_port",
    "listening_hosts",
    "pinned",
    "set_autogroup_nice",
    "signal_group",
    "tree_cpu_seconds",
    "tree_pids",
    "tree_rss_bytes",
    "tree_wait_seconds",
    "wait_until",
]

STOP_GRACE_S = 8.0
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Managed:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def pinned(argv: list[str], cpus: str, nice: int = 0) -> list[str]:
    """``argv`` under ``taskset -c cpus`` and, when ``nice`` is not 0, ``nice -n nice``."""
    return ["taskset", "-c", cpus, *(["nice", "-n", str(nice)] if nice else []), *argv]


class Processes:
    """The registry of started servers; each runs at scheduling priority ``nice``."""

    def __init__(self, nice: int = 0) -> None:
        self._items: list[Managed] = []
        self.nice = nice

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        cpus: str,
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Managed:
        """Start ``argv`` pinned to ``cpus`` in a new session, stdout+stderr to ``log``."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                pinned(argv, cpus, self.nice),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        set_autogroup_nice(proc.pid, self.nice)
        managed = Managed(name, proc, log)
        self._items.append(managed)
        return managed

    def stop(self, managed: Managed) -> None:
        """SIGTERM the process group, wait up to STOP_GRACE_S, then SIGKILL it."""
        if managed in self._items:
            self._items.remove(managed)
        signal_group(managed.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            managed.proc.wait(timeout=STOP_GRACE_S)
        signal_group(managed.pid, signal.SIGKILL)  # children that outlived their parent, too
        with contextlib.suppress(subprocess.TimeoutExpired):
            managed.proc.wait(timeout=STOP_GRACE_S)

    def stop_all(self) -> None:
        for managed in list(reversed(self._items)):
            self.stop(managed)

    @contextlib.contextmanager
    def running(self, managed: Managed) -> Iterator[Managed]:
        try:
            yield managed
        finally:
            self.stop(managed)


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def set_autogroup_nice(pid: int, nice: int) -> bool:
    """Set the priority of the scheduler autogroup (the session) of ``pid``; False when not possible.

    With ``kernel.sched_autogroup_enabled`` the CPU is shared between sessions first, so a
    process's own nice value only ranks it inside its session; a new session's priority is set here.
    """
    if nice == 0:
        return True
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in task.read_text().split()]
    return out


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (read from /proc)."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in seen or not Path(f"/proc/{current}").exists():
            continue
        seen.append(current)
        todo += _children(current)
    return seen


def _rss(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE


def tree_rss_bytes(pid: int) -> int:
    """Resident set size of the process tree rooted at ``pid`` (sum over processes)."""
    return sum(_rss(p) for p in tree_pids(pid))


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used so far by the live processes of the tree rooted at ``pid``."""
    return sum(_cpu_seconds(p) for p in tree_pids(pid))


def cpu_busy_seconds(stat_text: str | None = None) -> list[float]:
    """Busy seconds so far of each CPU (user, nice, system, irq, softirq, steal) from /proc/stat."""
    text = Path("/proc/stat").read_text() if stat_text is None else stat_text
    out: list[float] = []
    for line in text.splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in values[:8])
            out.append((user + nice + system + irq + softirq + steal) / _TICKS)
    return out


def _wait_seconds(pid: int) -> float:
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(task.read_text().split()[1])  # ns spent runnable but waiting for a CPU
    return total / 1e9


def tree_wait_seconds(pid: int) -> float:
    """Seconds the threads of the tree rooted at ``pid`` spent ready to run but waiting for a CPU."""
    return sum(_wait_seconds(p) for p in tree_pids(pid))


def _hex_to_ip(text: str) -> str:
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def listening_hosts(port: int, proc_net: tuple[str, ...] = ("/proc/net/tcp", "/proc/net/tcp6")) -> set[str]:
    """The local addresses with a socket listening on ``port`` (state 0A in /proc/net/tcp*)."""
    hosts: set[str] = set()
    for table in proc_net:
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local, state = parts[1], parts[3]
                addr, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:
                    hosts.add(_hex_to_ip(addr))
    return hosts


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return False
