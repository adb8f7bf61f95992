"""Assemble a full :class:`~openclaw.runtime.Runtime` for commands that call models, and the
router over it. The CLI (``infer``, ``agent``) and the gateway both start here::

    runtime = open_runtime(paths, snapshot, http="lean", source="cli")
    router = make_router(runtime)
    try:
        result, served = await router.complete(request, build_target(runtime, None), ctx)
    finally:
        await runtime.aclose()

Pieces, each imported only here and only when needed:

* state: :class:`~openclaw.state.local.LocalState` on the state database, or with
  ``state.kind: "redis"`` the module ``openclaw.state.redis`` (its ``RedisState(url, prefix=...,
  retention=...)``); a missing module or URL is a clear :class:`~openclaw.errors.ConfigError`;
* HTTP: ``lean`` (:class:`~openclaw.transports.http_lean.LeanHttpClient`, stdlib only: fast CLI
  start) or ``aiohttp`` (:class:`~openclaw.transports.http_aiohttp.AiohttpClient`, for servers);
* the model catalog (:class:`~openclaw.catalog.models.ModelCatalog`, offline and lazy);
* the usage ledger (:func:`openclaw.usage.open_ledger`), unless ``ledger=False``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal

from .auth.store import AuthStore
from .config.loader import ConfigSnapshot
from .errors import ConfigError
from .paths import StatePaths
from .runtime import Runtime

if TYPE_CHECKING:
    from .routing.router import Router
    from .state.base import StateBackend
    from .transports.base import HttpClient

__all__ = ["attach_state", "make_router", "open_runtime", "open_state"]

HOUR = 3600.0


def _retention(snapshot: ConfigSnapshot) -> float:
    auth = snapshot.typed.auth
    cooldowns = auth.cooldowns if auth else None
    return (cooldowns.failure_window_hours if cooldowns else 24.0) * HOUR


def open_state(paths: StatePaths, snapshot: ConfigSnapshot) -> StateBackend:
    """The configured state backend (cooldowns, rate-limit buckets)."""
    section = snapshot.typed.state
    if section is not None and section.kind == "redis":
        if not section.url:
            raise ConfigError(
                'state.kind is "redis" but state.url is not set (e.g. "redis://127.0.0.1:6379/0").'
            )
        try:
            module = importlib.import_module("openclaw.state.redis")
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f'state.kind is "redis" but the Redis backend is not available ({exc.name} is missing). '
                'Install it with `pip install "openclaw[redis]"`, or set state.kind to "local".'
            ) from exc
        backend: StateBackend = module.RedisState(
            section.url, prefix=section.prefix, retention=_retention(snapshot)
        )
        return backend
    from .state.local import LocalState

    return LocalState(paths.state_db, retention=_retention(snapshot))


def attach_state(runtime: Runtime) -> StateBackend:
    """Give a config-only runtime (``Runtime.from_snapshot``) its state backend, so commands such
    as ``models status`` can show cooldowns. Cheap: one row is read when the database exists."""
    if runtime.state is None:
        runtime.state = open_state(runtime.paths, runtime.config)
    return runtime.state


def _http(kind: Literal["lean", "aiohttp"]) -> HttpClient:
    if kind == "aiohttp":
        from .transports.http_aiohttp import AiohttpClient

        return AiohttpClient()
    from .transports.http_lean import LeanHttpClient

    return LeanHttpClient()


def open_runtime(
    paths: StatePaths,
    snapshot: ConfigSnapshot,
    *,
    http: Literal["lean", "aiohttp"],
    ledger: bool = True,
    source: str,
) -> Runtime:
    """A runtime that can call models: state, HTTP client, catalog and (optionally) ledger.

    ``source`` (``cli`` or ``gateway``) names the caller; it is stamped on every ledger row by
    the request context, and here decides nothing else.
    """
    del source  # part of the signature so that callers say who they are; rows carry ctx.source
    from .catalog.models import ModelCatalog

    runtime = Runtime(
        paths=paths,
        config=snapshot,
        auth_store=AuthStore(paths.state_db),
        state=open_state(paths, snapshot),
        catalog=ModelCatalog.load(paths, snapshot.typed),
    )
    if ledger:
        from .usage import open_ledger

        runtime.ledger = open_ledger(snapshot.typed, paths)
    runtime.http = _http(http)
    return runtime


def make_router(runtime: Runtime) -> Router:
    """The router for ``runtime`` (its transports share the runtime's HTTP client)."""
    from .routing.router import Router
    from .transports.registry import TransportRegistry

    if runtime.http is None:
        raise ConfigError("this runtime has no HTTP client: build it with open_runtime()")
    return Router(runtime, TransportRegistry(runtime.http))
