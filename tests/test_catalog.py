"""The OpenRouter catalogue: disk cache with TTL, ETag/Last-Modified refresh, offline answers
(stale cache, bundled snapshot), and ModelCatalog.facts layering (config > catalog > bundled)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from openclaw.catalog.models import ModelCatalog, catalog_url, normalize_model_id
from openclaw.catalog.openrouter_catalog import (
    bundled_catalog,
    parse_entry,
    parse_params_billions,
    read_cache,
)
from openclaw.catalog.resolve import Pricing
from openclaw.config.validate import validate
from openclaw.paths import StatePaths, resolve_paths
from openclaw.testing import FakeUpstream
from openclaw.transports.http_lean import LeanHttpClient


def paths_for(home: Path) -> StatePaths:
    return resolve_paths({"HOME": str(home)})


def config_for(base_url: str, **refresh: Any) -> Any:
    raw: dict[str, Any] = {"models": {"providers": {"openrouter": {"baseUrl": base_url}}}}
    if refresh:
        raw["models"]["catalogRefresh"] = refresh
    return validate(raw)


def test_bundled_snapshot_has_the_rows_we_promise() -> None:
    ids = {e.id for e in bundled_catalog().entries}
    assert {"openrouter/auto", "anthropic/claude-sonnet-4.5", "openai/gpt-4o-mini"} <= ids
    assert {"moonshotai/kimi-k2.5", "moonshotai/kimi-k2.6"} <= ids
    assert sum(1 for i in ids if i.endswith(":free")) >= 8
    assert len(ids) >= 30


def test_load_is_offline_and_lazy(home: Path) -> None:
    paths = paths_for(home)
    catalog = ModelCatalog.load(paths, validate({}))
    assert not paths.cache_dir.exists()
    status = catalog.status()
    assert (status.source, status.stale) == ("bundled", True)
    assert status.url == "https://openrouter.ai/api/v1/models"
    facts = catalog.facts("openrouter/moonshotai/kimi-k2.5")
    assert facts is not None and facts.source == "bundled"
    assert facts.context_window == 262_144 and "image" in facts.input_modalities
    assert not paths.cache_dir.exists()  # asking questions never writes


async def test_refresh_from_fake_upstream_caches_0600_and_respects_ttl(home: Path) -> None:
    paths = paths_for(home)
    async with FakeUpstream() as up:
        config = config_for(up.base_url)
        catalog = ModelCatalog.load(paths, config)
        assert catalog.url == f"{up.base_url}/models"
        http = LeanHttpClient()
        try:
            outcome = await catalog.refresh(http)
            assert outcome is not None and outcome.status == "updated", outcome
            assert await catalog.refresh(http) is None  # fresh: no request
            models_gets = [r for r in up.requests if r.path.endswith("/models")]
            assert len(models_gets) == 1
            assert "authorization" not in models_gets[0].headers  # the catalogue is public
            again = await catalog.refresh(http, force=True)
            assert again is not None and again.status == "updated"
        finally:
            await http.close()
    cache = paths.cache_dir / "openrouter-models.json"
    assert (cache.stat().st_mode & 0o777) == 0o600
    status = catalog.status()
    assert (status.source, status.stale, status.count) == ("cache", False, 5)
    facts = catalog.facts("openrouter/anthropic/claude-sonnet-4-5")
    assert facts is not None and facts.source == "catalog"
    assert facts.pricing == Pricing(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)
    assert facts.max_output == 64000
    # a new process reads the same cache, and sees it as fresh
    reloaded = ModelCatalog.load(paths, config)
    assert reloaded.fresh() and reloaded.status().source == "cache"
    # a TTL of 1 s makes it stale a little later
    short = ModelCatalog.load(paths, config, ttl_seconds=1)
    assert not short.fresh(now=(status.fetched_at or 0) + 5)


class _EtagServer:
    """A loopback /models endpoint with ETag and Last-Modified validators."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                etag, modified = '"v1"', "Wed, 25 Nov 2026 10:00:00 GMT"
                if self.headers.get("If-None-Match") == etag or (
                    self.path.endswith("/lm/models") and self.headers.get("If-Modified-Since") == modified
                ):
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = orjson.dumps({"data": outer.rows})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if self.path.endswith("/lm/models"):
                    self.send_header("Last-Modified", modified)
                else:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def etag_server() -> Iterator[_EtagServer]:
    from openclaw.testing.catalog_data import default_models

    server = _EtagServer(default_models())
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.mark.parametrize(("prefix", "validator"), [("/et", "if-none-match"), ("/lm", "if-modified-since")])
async def test_conditional_refresh_gets_304_and_keeps_rows(
    home: Path, etag_server: _EtagServer, prefix: str, validator: str
) -> None:
    paths = paths_for(home)
    config = config_for(etag_server.base + prefix)
    http = LeanHttpClient()
    try:
        first = await ModelCatalog.load(paths, config).refresh(http)
        assert first is not None and first.status == "updated"
        before = read_cache(paths.cache_dir / "openrouter-models.json")
        assert before is not None
        second = await ModelCatalog.load(paths, config).refresh(http, force=True)
    finally:
        await http.close()
    assert second is not None and second.status == "not_modified", second
    assert validator not in etag_server.seen[0]
    assert validator in etag_server.seen[1]
    after = read_cache(paths.cache_dir / "openrouter-models.json")
    assert after is not None and after.entries == before.entries
    assert (after.fetched_at or 0) >= (before.fetched_at or 0)


async def test_offline_answers_come_from_the_stale_cache_then_the_bundle(home: Path) -> None:
    paths = paths_for(home)
    http = LeanHttpClient()
    try:
        async with FakeUpstream() as up:
            online = ModelCatalog.load(paths, config_for(up.base_url), ttl_seconds=0.001)
            await online.refresh(http)
        # the upstream is gone now (its port is closed)
        offline = ModelCatalog.load(paths, config_for(up.base_url), ttl_seconds=0.001)
        outcome = await offline.refresh(http, time_limit=2)
        assert outcome is not None and outcome.status == "failed" and outcome.error
        status = offline.status()
        assert (status.source, status.stale) == ("cache", True)
        assert status.error == outcome.error
        facts = offline.facts("openrouter/openai/gpt-4o-mini")
        assert facts is not None and facts.source == "catalog"
        # an unreadable cache falls back to the bundled snapshot
        (paths.cache_dir / "openrouter-models.json").write_text("{not json")
        bundled = ModelCatalog.load(paths, config_for(up.base_url))
        assert bundled.status().source == "bundled"
        facts = bundled.facts("openrouter/openai/gpt-4o-mini")
        assert facts is not None and facts.source == "bundled"
    finally:
        await http.close()


def test_config_facts_win_and_borrow_what_they_lack(home: Path) -> None:
    config = validate(
        {
            "models": {
                "providers": {
                    "openrouter": {
                        "models": [
                            {"id": "openai/gpt-4o-mini", "contextWindow": 64000},
                            {"id": "acme/private-model", "cost": {"input": 1, "output": 2}},
                        ]
                    },
                    "vllm": {"baseUrl": "http://127.0.0.1:8000/v1", "models": [{"id": "llama-3-8b"}]},
                }
            }
        }
    )
    catalog = ModelCatalog.load(paths_for(home), config)
    mini = catalog.facts("openrouter/openai/gpt-4o-mini")
    assert mini is not None
    assert mini.context_window == 64000  # the config's value
    assert mini.pricing is not None and mini.pricing.input == pytest.approx(0.15)  # the bundle's price
    assert mini.source == "bundled"  # where the price came from
    private = catalog.facts("openrouter/acme/private-model")
    assert private is not None and private.source == "config" and private.pricing == Pricing(1, 2, 0.0, 0.0)
    local = catalog.facts("vllm/llama-3-8b")
    assert local is not None and local.pricing is None  # no catalogue for a local server
    assert catalog.facts("vllm/unknown") is None
    ids = {f.id for f in catalog.openrouter_facts()}
    assert {"acme/private-model", "openai/gpt-4o-mini", "openrouter/auto"} <= ids
    rows = catalog.list_rows()
    assert {pid for pid, _ in rows} == {"openrouter"} and len(rows) == len(ids)


def test_lookup_rules(home: Path) -> None:
    catalog = ModelCatalog.load(paths_for(home), validate({}))
    dashed = catalog.facts("openrouter/anthropic/claude-sonnet-4-5")
    assert dashed is not None and dashed.id == "anthropic/claude-sonnet-4.5"
    direct = catalog.facts("anthropic/claude-sonnet-4-5")  # first-party provider: same list price
    assert direct is not None and direct.pricing is not None and direct.pricing.input == 3.0
    auto = catalog.facts("openrouter/auto")
    assert auto is not None and auto.pricing is None  # variable price: unknown
    free = catalog.facts("openrouter/meta-llama/llama-3.3-70b-instruct:free")
    paid = catalog.facts("openrouter/meta-llama/llama-3.3-70b-instruct")
    assert free is not None and paid is not None and free.pricing != paid.pricing
    assert catalog.facts("openrouter/meta-llama/llama-3.2-3b-instruct") is None  # no free->paid folding
    assert normalize_model_id("Anthropic/Claude-Sonnet-4-5") == "anthropic/claude-sonnet-4.5"
    assert catalog_url(validate({"models": {"catalogRefresh": {"url": "http://127.0.0.1:9/m"}}})) == (
        "http://127.0.0.1:9/m"
    )


def test_parse_entry_reads_every_field() -> None:
    entry = parse_entry(
        json.loads(
            """{"id": "qwen/qwen3-235b-a22b:free", "name": "Qwen3 235B", "created": 1745875757,
            "context_length": 131072, "architecture": {"input_modalities": ["text", "image"],
            "output_modalities": ["text"]}, "pricing": {"prompt": "0", "completion": "0"},
            "top_provider": {"context_length": 131072, "max_completion_tokens": 8192},
            "supported_parameters": ["tools", "reasoning"]}"""
        )
    )
    assert entry is not None
    assert entry.free and entry.supports_tools and entry.reasoning and entry.supports_images
    assert entry.max_completion_tokens == 8192 and entry.pricing == Pricing(0.0, 0.0, None, None)
    assert entry.params_billions == 235.0
    assert parse_params_billions("mistralai/mixtral-8x7b-instruct") == 56.0
    assert parse_params_billions("openai/gpt-4o") is None
    assert parse_entry({"name": "no id"}) is None
