"""What openclaw knows about every model: :class:`ModelCatalog`.

Facts come from three layers, the first that knows a model wins:

1. ``models.providers.<id>.models[]`` in the config (``source="config"``); a field the config
   leaves empty (pricing, context window, max output, tool support) is filled from the layers
   below, and ``source`` then names where the *pricing* came from;
2. OpenRouter's ``/models`` catalogue cached on disk (``source="catalog"``);
3. the snapshot bundled with the package (``source="bundled"``).

For the ``openrouter`` provider the model id is looked up as it is; for first-party providers
(``openai``, ``anthropic``, ...) the OpenRouter row ``<author>/<model>`` is used, since OpenRouter
passes their list prices through. Ids match exactly first, then with ``4-5``/``4.5`` spelled
alike (OpenRouter accepts both). Variants (``:free``, ``:nitro``) are never folded into their
base model: their prices differ.

:meth:`ModelCatalog.load` is cheap and offline: it reads nothing until a fact is asked for, and
then only the disk cache. :meth:`ModelCatalog.refresh` is the one method that uses the network.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.schema import ModelDefinition, OpenClawConfig
from ..paths import StatePaths
from ..refs import ModelRef, parse_ref
from ..transports.base import HttpClient
from .openrouter_catalog import (
    CACHE_FILE,
    DEFAULT_TTL_SECONDS,
    CachedCatalog,
    CatalogEntry,
    FetchOutcome,
    bundled_catalog,
    fetch_catalog,
    read_cache,
    write_cache,
)
from .providers import builtin_provider
from .resolve import ModelFacts, Pricing

__all__ = ["CatalogStatus", "ModelCatalog", "catalog_url", "normalize_model_id"]

# Our provider id -> OpenRouter author prefix, for providers whose list prices OpenRouter mirrors.
_FIRST_PARTY = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "mistral": "mistralai",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "moonshot": "moonshotai",
}
_DOTTED = re.compile(r"(?<=\d)-(?=\d(?:\D|$))")


def normalize_model_id(model_id: str) -> str:
    """``anthropic/claude-sonnet-4-5`` and ``anthropic/claude-sonnet-4.5`` map to one key."""
    return _DOTTED.sub(".", model_id.strip().lower())


def catalog_url(config: OpenClawConfig) -> str:
    """``models.catalogRefresh.url``, else ``<openrouter baseUrl>/models``."""
    models = config.models
    refresh = models.catalog_refresh if models else None
    if refresh is not None and refresh.url:
        return refresh.url
    pconf = models.providers.get("openrouter") if models else None
    row = builtin_provider("openrouter")
    base = (pconf.base_url if pconf and pconf.base_url else None) or (row.base_url if row else "")
    return base.rstrip("/") + "/models"


@dataclass(frozen=True, slots=True)
class CatalogStatus:
    """Where the answers come from now: ``cache`` (fresh or ``stale``) or ``bundled`` (stale)."""

    source: str  # cache | bundled
    stale: bool
    fetched_at: float | None
    url: str
    count: int
    error: str | None = None  # why the last refresh failed, when it did

    def describe(self) -> str:
        if self.source == "bundled":
            return "bundled snapshot (offline; may be out of date)"
        age = "unknown age" if self.fetched_at is None else _age(time.time() - self.fetched_at)
        return f"cached catalog from {self.url}, fetched {age} ago" + (" (stale)" if self.stale else "")


def _age(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _config_definitions(config: OpenClawConfig, provider: str) -> Mapping[str, ModelDefinition]:
    pconf = config.models.providers.get(provider) if config.models else None
    return {m.id: m for m in (pconf.models or [])} if pconf else {}


def _config_facts(defn: ModelDefinition) -> ModelFacts:
    cost = defn.cost
    return ModelFacts(
        id=defn.id,
        name=defn.name,
        context_window=defn.context_tokens or defn.context_window,
        max_output=defn.max_tokens,
        input_modalities=tuple(defn.input),
        reasoning=defn.reasoning,
        supports_tools=defn.supports_tools,
        pricing=None if cost is None else Pricing(cost.input, cost.output, cost.cache_read, cost.cache_write),
        source="config",
    )


def _merge(own: ModelFacts, below: ModelFacts | None) -> ModelFacts:
    if below is None:
        return own
    return replace(
        own,
        name=own.name or below.name,
        context_window=own.context_window or below.context_window,
        max_output=own.max_output or below.max_output,
        supports_tools=own.supports_tools if own.supports_tools is not None else below.supports_tools,
        pricing=own.pricing if own.pricing is not None else below.pricing,
        source=own.source if own.pricing is not None or below.pricing is None else below.source,
    )


class _Index:
    """Entries by exact id and by normalized id."""

    __slots__ = ("by_id", "by_norm", "catalog", "source")

    def __init__(self, catalog: CachedCatalog, source: str) -> None:
        self.catalog = catalog
        self.source = source
        self.by_id = {e.id: e for e in catalog.entries}
        self.by_norm: dict[str, CatalogEntry] = {}
        for entry in catalog.entries:
            self.by_norm.setdefault(normalize_model_id(entry.id), entry)

    def get(self, model_id: str) -> CatalogEntry | None:
        return self.by_id.get(model_id) or self.by_norm.get(normalize_model_id(model_id))


class ModelCatalog:
    """Model facts for routing and pricing; OpenRouter rows for ``models list``/``scan``."""

    def __init__(self, config: OpenClawConfig, cache_path: Path, *, ttl_seconds: float) -> None:
        self._config = config
        self.cache_path = cache_path
        self.ttl_seconds = ttl_seconds
        self.url = catalog_url(config)
        self._cache: _Index | None = None
        self._cache_loaded = False
        self._bundled: _Index | None = None
        self._error: str | None = None

    @classmethod
    def load(
        cls, paths: StatePaths, config: OpenClawConfig, *, ttl_seconds: float | None = None
    ) -> ModelCatalog:
        """Cheap and offline: nothing is read until the first question."""
        refresh = config.models.catalog_refresh if config.models else None
        ttl = ttl_seconds if ttl_seconds is not None else (refresh.ttl_seconds if refresh else None)
        return cls(config, paths.cache_dir / CACHE_FILE, ttl_seconds=float(ttl or DEFAULT_TTL_SECONDS))

    # -- layers ------------------------------------------------------------------------------

    def _cached(self) -> _Index | None:
        if not self._cache_loaded:
            cached = read_cache(self.cache_path)
            self._cache = _Index(cached, "catalog") if cached is not None and cached.entries else None
            self._cache_loaded = True
        return self._cache

    def _snapshot(self) -> _Index:
        if self._bundled is None:
            self._bundled = _Index(bundled_catalog(), "bundled")
        return self._bundled

    def _active(self) -> _Index:
        return self._cached() or self._snapshot()

    def fresh(self, now: float | None = None) -> bool:
        cached = self._cached()
        if cached is None or cached.catalog.fetched_at is None:
            return False
        if cached.catalog.url != self.url:
            return False
        return (time.time() if now is None else now) - cached.catalog.fetched_at < self.ttl_seconds

    def status(self, now: float | None = None) -> CatalogStatus:
        active = self._active()
        cached = active.source == "catalog"
        return CatalogStatus(
            source="cache" if cached else "bundled",
            stale=not self.fresh(now),
            fetched_at=active.catalog.fetched_at,
            url=active.catalog.url or self.url,
            count=len(active.catalog.entries),
            error=self._error,
        )

    # -- questions ---------------------------------------------------------------------------

    def entry(self, model_id: str) -> tuple[CatalogEntry, str] | None:
        """The OpenRouter row for ``model_id`` and its source (``catalog`` or ``bundled``)."""
        for index in (self._cached(), self._snapshot()):
            if index is not None:
                found = index.get(model_id)
                if found is not None:
                    return found, index.source
        return None

    def entries(self) -> list[CatalogEntry]:
        """Every OpenRouter row the active layer has (the cache, else the bundled snapshot)."""
        return list(self._active().catalog.entries)

    def openrouter_facts(self) -> list[ModelFacts]:
        """Facts for every OpenRouter model (ids without the ``openrouter/`` prefix), for
        ``models list --all --provider openrouter``; config-defined models win."""
        source = self._active().source
        defined = _config_definitions(self._config, "openrouter")
        rows = [e.facts(source) for e in self.entries()]
        out = [_merge(_config_facts(defined[f.id]), f) if f.id in defined else f for f in rows]
        known = {f.id for f in out}
        out.extend(_config_facts(d) for mid, d in defined.items() if mid not in known)
        return out

    def list_rows(self) -> list[tuple[str, ModelFacts]]:
        """``(provider id, facts)`` pairs for ``models list --all`` (offline: cache or bundle;
        print :meth:`status` ``.describe()`` on stderr when ``stale``)."""
        return [("openrouter", f) for f in self.openrouter_facts()]

    def _catalog_facts(self, ref: ModelRef) -> ModelFacts | None:
        if ref.provider == "openrouter":
            row = builtin_provider("openrouter")
            prefix = row.bare_model_prefix if row and row.bare_model_prefix else ""
            model_id = ref.model if "/" in ref.model else prefix + ref.model
        elif ref.provider in _FIRST_PARTY:
            model_id = f"{_FIRST_PARTY[ref.provider]}/{ref.model}"
        else:
            return None
        found = self.entry(model_id)
        return None if found is None else found[0].facts(found[1])

    def facts(self, ref: ModelRef | str) -> ModelFacts | None:
        """Everything known about ``ref`` (``provider/model``), or None."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        below = self._catalog_facts(parsed)
        defn = _config_definitions(self._config, parsed.provider).get(parsed.model)
        if defn is not None:
            return _merge(_config_facts(defn), below)
        return below

    # -- network -----------------------------------------------------------------------------

    async def refresh(
        self, http: HttpClient, *, force: bool = False, time_limit: float = 20.0
    ) -> FetchOutcome | None:
        """Fetch ``/models`` when the cache is stale (or ``force``); None when it was fresh.

        On success the cache file is rewritten (0600); on failure the old answers stay, marked
        stale, and :meth:`status` carries the error.
        """
        if not force and self.fresh():
            return None
        cached = self._cached()
        outcome = await fetch_catalog(
            http, self.url, previous=cached.catalog if cached else None, time_limit=time_limit
        )
        if outcome.catalog is not None:
            write_cache(self.cache_path, outcome.catalog)
            self._cache = _Index(outcome.catalog, "catalog")
            self._cache_loaded = True
            self._error = None
        else:
            self._error = outcome.error
        return outcome
