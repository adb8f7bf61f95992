"""OpenRouter's model catalogue (``GET {base}/models``): parse, cache on disk, refresh.

* Parsing turns one OpenRouter ``Model`` object into a :class:`CatalogEntry`. Prices arrive as
  decimal strings in USD **per token**; we keep USD **per 1M tokens** (:class:`Pricing`). A
  negative price (``openrouter/auto`` reports ``"-1"``: variable) or a missing prompt/completion
  price makes the pricing unknown (``None``), never zero.
* The cache is one JSON file under ``<state>/cache`` (mode 0600, written atomically) holding the
  trimmed rows plus ``fetchedAt``, ``etag`` and ``lastModified``. A refresh sends
  ``If-None-Match``/``If-Modified-Since``; a ``304`` only renews ``fetchedAt``.
* Without a usable cache, the small snapshot shipped in ``catalog/data/openrouter-models.json``
  answers (marked ``bundled``), so the CLI works offline.

Nothing here runs at import time, and nothing touches the network except :func:`fetch_catalog`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from ..errors import ProviderError
from ..fsutil import write_atomic
from ..transports.base import HttpClient, Timeouts
from .resolve import ModelFacts, Pricing

__all__ = [
    "CACHE_FILE",
    "DEFAULT_TTL_SECONDS",
    "CachedCatalog",
    "CatalogEntry",
    "FetchOutcome",
    "bundled_catalog",
    "fetch_catalog",
    "parse_entry",
    "parse_params_billions",
    "read_cache",
    "trim_row",
    "write_cache",
]

CACHE_FILE = "openrouter-models.json"
DEFAULT_TTL_SECONDS = 6 * 3600
_PER_MILLION = 1_000_000.0
_CACHE_VERSION = 1
# "70b", "8x7b", "1.5b" in an id or name (parameter count in billions); "a22b" (active) is skipped.
_PARAMS_RE = re.compile(r"(?<![a-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)b(?![a-z0-9])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One OpenRouter model, with only the facts openclaw uses."""

    id: str
    name: str
    created: int | None = None
    context_length: int | None = None
    max_completion_tokens: int | None = None
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    pricing: Pricing | None = None
    supported_parameters: tuple[str, ...] = ()
    hugging_face_id: str | None = None
    expiration_date: str | None = None

    @property
    def free(self) -> bool:
        return self.id.endswith(":free")

    @property
    def supports_tools(self) -> bool | None:
        if not self.supported_parameters:
            return None
        return "tools" in self.supported_parameters

    @property
    def supports_images(self) -> bool:
        return "image" in self.input_modalities

    @property
    def reasoning(self) -> bool:
        return "reasoning" in self.supported_parameters or "include_reasoning" in self.supported_parameters

    @property
    def params_billions(self) -> float | None:
        return parse_params_billions(self.id, self.name, self.hugging_face_id)

    def facts(self, source: str) -> ModelFacts:
        return ModelFacts(
            id=self.id,
            name=self.name,
            context_window=self.context_length,
            max_output=self.max_completion_tokens,
            input_modalities=self.input_modalities,
            reasoning=self.reasoning,
            supports_tools=self.supports_tools,
            pricing=self.pricing,
            source=source,
        )


@dataclass(frozen=True, slots=True)
class CachedCatalog:
    """What the cache file (or the bundled snapshot) holds."""

    entries: tuple[CatalogEntry, ...]
    fetched_at: float | None  # epoch seconds; None for the bundled snapshot
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    rows: tuple[dict[str, Any], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """``status`` is ``updated`` (200), ``not_modified`` (304) or ``failed`` (``error`` says why)."""

    status: str
    catalog: CachedCatalog | None = None
    error: str | None = None


def parse_params_billions(*texts: str | None) -> float | None:
    """The parameter count in billions named in an id or name ("llama-3.3-70b" -> 70.0)."""
    for text in texts:
        if not text:
            continue
        for match in _PARAMS_RE.finditer(text):
            experts, size = match.group(1), float(match.group(2))
            return size * int(experts) if experts else size
    return None


def _price(raw: Any) -> float | None:
    """Per-token decimal string -> USD per 1M tokens; negative or malformed -> None."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value < 0 or math.isnan(value):  # negative: variable pricing; NaN: malformed
        return None
    return round(value * _PER_MILLION, 9)


def _pricing(raw: Any) -> Pricing | None:
    if not isinstance(raw, Mapping):
        return None
    prompt, completion = _price(raw.get("prompt")), _price(raw.get("completion"))
    if prompt is None or completion is None:
        return None
    return Pricing(
        input=prompt,
        output=completion,
        cache_read=_price(raw.get("input_cache_read")),
        cache_write=_price(raw.get("input_cache_write")),
    )


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def _strings(raw: Any, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return default
    return tuple(str(x) for x in raw if isinstance(x, str))


def _mapping(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def parse_entry(row: Mapping[str, Any]) -> CatalogEntry | None:
    """One OpenRouter ``Model`` object -> :class:`CatalogEntry` (None when it has no id)."""
    model_id = row.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    arch = _mapping(row.get("architecture"))
    top = _mapping(row.get("top_provider"))
    name = row.get("name")
    return CatalogEntry(
        id=model_id,
        name=name if isinstance(name, str) and name else model_id,
        created=_int(row.get("created")),
        context_length=_int(row.get("context_length")) or _int(top.get("context_length")),
        max_completion_tokens=_int(top.get("max_completion_tokens")),
        input_modalities=_strings(arch.get("input_modalities"), ("text",)),
        output_modalities=_strings(arch.get("output_modalities"), ("text",)),
        pricing=_pricing(row.get("pricing")),
        supported_parameters=_strings(row.get("supported_parameters")),
        hugging_face_id=row.get("hugging_face_id") if isinstance(row.get("hugging_face_id"), str) else None,
        expiration_date=row.get("expiration_date") if isinstance(row.get("expiration_date"), str) else None,
    )


_KEEP = ("id", "name", "created", "hugging_face_id", "context_length", "expiration_date")
_KEEP_PRICING = ("prompt", "completion", "input_cache_read", "input_cache_write", "request", "image")


def trim_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields we read, in OpenRouter's own shape (what the cache and the snapshot store)."""
    out: dict[str, Any] = {k: row[k] for k in _KEEP if row.get(k) is not None}
    arch = row.get("architecture")
    if isinstance(arch, Mapping):
        out["architecture"] = {k: arch[k] for k in ("input_modalities", "output_modalities") if k in arch}
    pricing = row.get("pricing")
    if isinstance(pricing, Mapping):
        out["pricing"] = {k: pricing[k] for k in _KEEP_PRICING if k in pricing}
    top = row.get("top_provider")
    if isinstance(top, Mapping):
        out["top_provider"] = {k: top[k] for k in ("context_length", "max_completion_tokens") if k in top}
    if isinstance(row.get("supported_parameters"), list):
        out["supported_parameters"] = row["supported_parameters"]
    return out


def _entries(rows: Sequence[Any]) -> tuple[CatalogEntry, ...]:
    parsed = (parse_entry(r) for r in rows if isinstance(r, Mapping))
    return tuple(e for e in parsed if e is not None)


def read_cache(path: Path) -> CachedCatalog | None:
    """The cached catalogue, or None when the file is missing or unreadable."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("version") != _CACHE_VERSION:
        return None
    rows = doc.get("data")
    fetched = doc.get("fetchedAt")
    if not isinstance(rows, list) or not isinstance(fetched, int | float):
        return None
    return CachedCatalog(
        entries=_entries(rows),
        fetched_at=float(fetched),
        url=doc.get("url"),
        etag=doc.get("etag"),
        last_modified=doc.get("lastModified"),
        rows=tuple(rows),
    )


def write_cache(path: Path, catalog: CachedCatalog) -> None:
    doc = {
        "version": _CACHE_VERSION,
        "url": catalog.url,
        "fetchedAt": catalog.fetched_at,
        "etag": catalog.etag,
        "lastModified": catalog.last_modified,
        "data": list(catalog.rows),
    }
    write_atomic(path, orjson.dumps(doc))


def bundled_catalog() -> CachedCatalog:
    """The snapshot shipped with the package (a few dozen real rows)."""
    text = resources.files("openclaw.catalog").joinpath("data", CACHE_FILE).read_bytes()
    doc = orjson.loads(text)
    rows = doc["data"]
    return CachedCatalog(entries=_entries(rows), fetched_at=None, rows=tuple(rows))


def _conditional_headers(previous: CachedCatalog | None, url: str) -> dict[str, str]:
    headers = {"accept": "application/json", "user-agent": "openclaw-py"}
    if previous is not None and previous.url == url:
        if previous.etag:
            headers["if-none-match"] = previous.etag
        if previous.last_modified:
            headers["if-modified-since"] = previous.last_modified
    return headers


def _parse_body(url: str, body: bytes, headers: Mapping[str, str], stamp: float) -> FetchOutcome:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return FetchOutcome("failed", error=f"{url} did not return JSON")
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        return FetchOutcome("failed", error=f"{url} returned no 'data' list")
    rows = tuple(trim_row(r) for r in data if isinstance(r, Mapping))
    fresh = CachedCatalog(
        entries=_entries(rows),
        fetched_at=stamp,
        url=url,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        rows=rows,
    )
    return FetchOutcome("updated", fresh)


def _renewed(previous: CachedCatalog, url: str, headers: Mapping[str, str], stamp: float) -> FetchOutcome:
    renewed = CachedCatalog(
        entries=previous.entries,
        fetched_at=stamp,
        url=url,
        etag=headers.get("etag") or previous.etag,
        last_modified=headers.get("last-modified") or previous.last_modified,
        rows=previous.rows,
    )
    return FetchOutcome("not_modified", renewed)


async def fetch_catalog(
    http: HttpClient,
    url: str,
    *,
    previous: CachedCatalog | None = None,
    time_limit: float = 20.0,
    now: float | None = None,
) -> FetchOutcome:
    """GET the catalogue, conditionally when ``previous`` came from the same URL.

    No key is sent: the catalogue is public. Errors come back as ``status="failed"`` with a
    one-line reason; the caller keeps serving what it had (marked stale).
    """
    stamp = time.time() if now is None else now
    headers = _conditional_headers(previous, url)
    timeouts = Timeouts(connect=min(time_limit, 10.0), read=time_limit, total=time_limit)
    try:
        async with http.request("GET", url, headers=headers, body=None, timeouts=timeouts) as resp:
            body = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except ProviderError as exc:
        return FetchOutcome("failed", error=exc.describe())
    except OSError as exc:
        return FetchOutcome("failed", error=f"connect: {exc}")
    if status == 304 and previous is not None:
        return _renewed(previous, url, resp_headers, stamp)
    if status != 200:
        return FetchOutcome("failed", error=f"HTTP {status} from {url}")
    return _parse_body(url, body, resp_headers, stamp)
