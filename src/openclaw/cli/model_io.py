"""Pieces shared by the commands that call a model (``infer model run``, ``agent``): the thinking
levels, the stdout text printer, and where the local gateway is."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["THINKING_LEVELS", "TextPrinter", "gateway_effort", "gateway_target"]

THINKING_LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh", "adaptive", "max", "ultra")


class TextPrinter:
    """Writes text deltas to stdout as they arrive; remembers whether a newline is owed."""

    def __init__(self) -> None:
        self.wrote = False
        self.last = ""

    def __call__(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        self.wrote = True
        self.last = text[-1:]

    def finish(self) -> None:
        if self.wrote and self.last != "\n":
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.last = "\n"


def gateway_effort(thinking: str) -> str:
    """A thinking level as the ``reasoning.effort`` a gateway request carries."""
    return {"off": "none", "adaptive": "medium", "ultra": "max"}.get(thinking, thinking)


def gateway_target(runtime: Runtime) -> tuple[str, str | None]:
    """(base URL, shared secret) of the configured local gateway."""
    from ..gateway.settings import GatewaySettings, is_loopback_host

    settings = GatewaySettings.build(runtime.typed.gateway, runtime.env)
    wildcard = settings.host in ("0.0.0.0", "::")  # noqa: S104 - we connect, we do not bind
    host = "127.0.0.1" if wildcard or is_loopback_host(settings.host) else settings.host
    return f"http://{host}:{settings.port}/v1", settings.secret
