"""``GET /healthz`` (alive), ``GET /readyz`` (ready to take traffic), ``GET /metrics``.

``/healthz`` and ``/readyz`` need no credentials; they say nothing secret. ``/readyz`` is 503 while
the gateway drains on SIGTERM, so a load balancer stops sending new requests. ``/metrics`` needs
the same credentials as the API.
"""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from .app import Gateway
from .errors import HttpError

__all__ = ["add_routes"]

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def add_routes(app: web.Application, gw: Gateway) -> None:
    async def healthz(request: web.Request) -> web.StreamResponse:
        body = orjson.dumps(
            {
                "status": "ok",
                "service": "openclaw-gateway",
                "version": gw.settings.version,
                "uptime_s": round(time.time() - gw.started, 3),
                "worker": gw.worker,
            }
        )
        return gw.json(200, body)

    async def readyz(request: web.Request) -> web.StreamResponse:
        if gw.draining:
            return gw.json(503, b'{"status":"draining"}', {"Retry-After": "1"})
        return gw.json(200, b'{"status":"ready"}')

    async def metrics(request: web.Request) -> web.StreamResponse:
        rec = gw.record(request)
        try:
            await gw.admit(request, rec)
        except HttpError as exc:
            response = gw.error(rec, exc)
            gw.finish(rec, "metrics")
            return response
        body = gw.metrics.render()
        rec.status = 200
        gw.finish(rec, "metrics")
        headers = {**gw.json_headers, "Content-Type": METRICS_TYPE}
        return web.Response(status=200, body=body, headers=headers)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
