"""One-off HTTP requests (readiness, sanity) with the standard library; never used for load."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .lua import RequestSpec
from .procs import Managed

__all__ = ["ProbeResult", "looks_valid", "probe", "wait_ready"]


@dataclass(frozen=True)
class ProbeResult:
    status: int  # 0: no HTTP answer (connection refused, timeout, ...)
    body: bytes
    error: str = ""

    def summary(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return f"HTTP {self.status} {text}" if self.status else f"no answer: {self.error}"


class _NoProxy(urllib.request.ProxyHandler):
    def __init__(self) -> None:
        super().__init__({})


_OPENER = urllib.request.build_opener(_NoProxy())


def probe(base_url: str, spec: RequestSpec, timeout_s: float = 10.0) -> ProbeResult:
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"probes go to 127.0.0.1 only, not {base_url}")
    req = urllib.request.Request(  # noqa: S310 (checked just above: http on loopback)
        base_url + spec.path, data=spec.body, headers=spec.headers, method=spec.method
    )
    try:
        with _OPENER.open(req, timeout=timeout_s) as resp:
            return ProbeResult(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        return ProbeResult(exc.code, exc.read())
    except (OSError, TimeoutError) as exc:
        return ProbeResult(0, b"", f"{type(exc).__name__}: {exc}")


def looks_valid(result: ProbeResult, stream: bool) -> bool:
    """A 200 whose body is a completion (JSON with content) or an SSE stream that finished
    (``data: [DONE]`` or ``event: message_stop``, and no error event or error chunk)."""
    if result.status != 200:
        return False
    if stream:  # a stream that finished: [DONE] (chat), message_stop (messages), never an error event
        body = result.body
        finished = b"data: [DONE]" in body or b"event: message_stop" in body
        return finished and b"event: error" not in body and b'"finish_reason":"error"' not in body
    return b'"content"' in result.body


def wait_ready(base_url: str, spec: RequestSpec, managed: Managed | None, timeout_s: float) -> ProbeResult:
    """Send ``spec`` until any HTTP answer but 502/503/504 comes, the process dies, or time runs out."""
    deadline = time.monotonic() + timeout_s
    last = ProbeResult(0, b"", "not tried")
    while time.monotonic() < deadline:
        if managed is not None and not managed.alive():
            raise RuntimeError(
                f"{managed.name} exited ({managed.proc.returncode}) before it was ready:\n"
                f"{managed.log_tail()}"
            )
        last = probe(base_url, spec, timeout_s=min(10.0, max(0.5, deadline - time.monotonic())))
        if last.status and last.status not in (502, 503, 504):
            return last
        time.sleep(0.3)
    name = managed.name if managed is not None else base_url
    tail = managed.log_tail() if managed is not None else ""
    raise RuntimeError(f"{name} not ready after {timeout_s:.0f} s (last: {last.summary()})\n{tail}")
