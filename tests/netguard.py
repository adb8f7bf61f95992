"""Refuse every network connection that is not loopback, in tests and in the subprocesses they start.

Installed in-process by ``conftest.py`` and in child Python processes by ``_guard/sitecustomize.py``
(tests put that directory on ``PYTHONPATH``). A refused attempt raises ``NetworkBlocked`` and is
also appended to the file named by ``OPENCLAW_NETGUARD_LOG``, so a test fails even when the code
under test swallows the error.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typeshed's own (private) aliases, so the wrappers match what they replace
    from _socket import _Address
    from _socket import socket as _RawSocket  # the class that defines connect()
    from socket import _GetAddrInfoResult

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_INSTALLED: list[bool] = []


class NetworkBlocked(ConnectionRefusedError):
    pass


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(target: str) -> None:
    log = os.environ.get("OPENCLAW_NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {target}\n")


def _blocked(target: str) -> NetworkBlocked:
    _record(target)
    return NetworkBlocked(f"network access blocked in tests: {target}")


def install() -> None:
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: _RawSocket, address: object) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if not _is_loopback(host):
            raise _blocked(f"connect {address!r}")

    def connect(self: _RawSocket, address: _Address) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: _RawSocket, address: _Address) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: bytes | str | None, *args: Any, **kwargs: Any) -> _GetAddrInfoResult:
        if host is not None and not _is_loopback(host):
            raise _blocked(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    # Patching the class is the point of this module; mypy refuses any assignment to a method.
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
