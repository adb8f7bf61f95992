"""The ``openai-completions`` transport: OpenRouter, OpenAI and every OpenAI-compatible server.

``POST {baseUrl}/chat/completions`` with ``Authorization: Bearer <key>``. The body comes from
:func:`openclaw.wire.openai_upstream.chat_body`; provider differences come from hooks, not
branches: OpenRouter's (:mod:`openclaw.catalog.openrouter`) adds routing params, reasoning from a
thinking level, and, on the verified openrouter.ai route only, attribution headers, response-cache
headers and Anthropic cache markers. ``stream_options.include_usage`` is sent on every streamed
request except the verified OpenRouter route (which always reports usage), as observed.

Precedence of body fields, low to high: the request (including its ``extra``), the per-model
``params`` (operator policy: ``provider`` preferences merge key by key over the client's), then
``params.extraBody`` / ``params.extra_body`` (wins on collision); ``store`` is dropped on any host
but api.openai.com.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
import orjson

from .. import __version__
from ..catalog.openrouter import (
    ATTRIBUTION_HEADERS,
    BODY_PARAMS,
    add_cache_markers,
    is_openrouter_route,
    reasoning_for,
    response_cache_headers,
    wants_cache_markers,
)
from ..errors import ProviderError
from ..redact import Redactor
from ..wire.openai_upstream import BodyOptions, ChunkDecoder, chat_body, completion_events, plain_events
from ..wire.sse import SSEDecoder, SSEEvent
from ..wire.types import StreamEvent
from .base import Batch, Credential, HttpClient, HttpResponse, UpstreamCall, flatten
from .errors import http_error

if TYPE_CHECKING:
    from ..catalog.resolve import ResolvedProvider

__all__ = ["USER_AGENT", "OpenAICompletionsTransport", "Prepared", "drain_body"]

USER_AGENT = f"openclaw-python/{__version__}"
_DONE = b"[DONE]"


def _native_openai(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "").lower() == "api.openai.com"


def _reasoning(call: UpstreamCall, openrouter: bool) -> dict[str, Any] | None:
    requested = call.request.reasoning
    if requested is not None:
        if openrouter and call.model in ("openrouter/auto",):
            return None
        converted: dict[str, Any] = msgspec.to_builtins(requested)
        return converted
    if openrouter:
        configured = call.params.get("reasoning")
        if isinstance(configured, dict):
            return None if call.model == "openrouter/auto" else dict(configured)
        return reasoning_for(call.model, call.thinking, call.facts)
    return None


def _openrouter_params(body: dict[str, Any], call: UpstreamCall, present: tuple[str, ...]) -> None:
    params = call.params
    for key in present:
        value = params[key]
        if key == "provider" and isinstance(value, dict) and isinstance(body.get("provider"), dict):
            body["provider"] = {**body["provider"], **value}
        else:
            body[key] = value
    reasoning = _reasoning(call, openrouter=True)
    if reasoning is not None:
        body["reasoning"] = reasoning


def _apply_params(body: dict[str, Any], call: UpstreamCall, fixed: Prepared) -> None:
    params = call.params
    if fixed.openrouter:
        _openrouter_params(body, call, fixed.body_params)
    else:
        requested = call.request.reasoning
        if requested is not None and requested.effort and "reasoning_effort" not in body:
            body["reasoning_effort"] = requested.effort
    for key in ("temperature", "top_p"):
        if key in params and key not in body:
            body[key] = params[key]
    if isinstance(params.get("chat_template_kwargs"), dict):
        body["chat_template_kwargs"] = params["chat_template_kwargs"]
    for key in ("extraBody", "extra_body"):
        extra = params.get(key)
        if isinstance(extra, dict):
            body.update(extra)
    if not fixed.native:
        body.pop("store", None)


@dataclass(slots=True)  # not frozen: made per call when unprepared, and frozen init costs more
class Prepared:
    """What every request to one provider, model, key and params carries: the URL, the headers
    and the facts about the route (parsed from the base URL, which costs a few microseconds).
    Read-only once made."""

    url: str
    headers: Mapping[str, str]
    openrouter: bool  # the OpenRouter API (any base URL)
    verified: bool  # the real openrouter.ai
    native: bool  # api.openai.com
    cache_markers: bool  # openclaw adds Anthropic cache markers (verified route, anthropic/*)
    body_params: tuple[str, ...]  # the OpenRouter body fields (BODY_PARAMS) set in params
    options: Mapping[bool, BodyOptions]  # by ``stream``


def prepare(
    provider: ResolvedProvider,
    model: str,
    params: Mapping[str, Any],
    credential: Credential,
    *,
    streams: tuple[bool, ...] = (False, True),
) -> Prepared:
    verified = provider.verified_openrouter
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {credential.secret}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    if verified:
        headers.update(ATTRIBUTION_HEADERS)
        headers.update(response_cache_headers(params))
    headers.update(provider.headers)
    field = params.get("maxTokensField")
    tokens_field = field if field in ("max_tokens", "max_completion_tokens") else "max_completion_tokens"
    openrouter = is_openrouter_route(provider)
    native = _native_openai(provider.base_url)
    options = {
        stream: BodyOptions(
            stream=stream,
            include_usage=stream and not verified,
            developer_role=native,
            max_tokens_field=tokens_field,
            openrouter=openrouter,
            cache_control=openrouter,  # the caller's markers; openclaw's own: ``cache_markers``
        )
        for stream in streams
    }
    return Prepared(
        url=f"{provider.base_url}/chat/completions",
        headers=headers,
        openrouter=openrouter,
        verified=verified,
        native=native,
        cache_markers=wants_cache_markers(provider, model),
        body_params=tuple(key for key in BODY_PARAMS if key in params),
        options=options,
    )


class OpenAICompletionsTransport:
    api = "openai-completions"

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    # -- request -----------------------------------------------------------------------------

    def prepare(
        self, provider: ResolvedProvider, model: str, params: Mapping[str, Any], credential: Credential
    ) -> Prepared:
        """The static part of every call with these arguments (see ``UpstreamCall.prepared``)."""
        return prepare(provider, model, params, credential)

    def build(self, call: UpstreamCall) -> tuple[str, dict[str, str], bytes]:
        url, headers, body = self._request(call)
        return url, dict(headers), body

    def _request(self, call: UpstreamCall) -> tuple[str, Mapping[str, str], bytes]:
        """URL, headers (shared with other calls: read-only) and body."""
        fixed = call.prepared
        if not isinstance(fixed, Prepared):
            fixed = prepare(call.provider, call.model, call.params, call.credential, streams=(call.stream,))
        body = chat_body(call.request, call.model, fixed.options[call.stream])
        _apply_params(body, call, fixed)
        if fixed.cache_markers:
            add_cache_markers(body["messages"], body.get("tools"))
        return fixed.url, fixed.headers, orjson.dumps(body)

    # -- response ----------------------------------------------------------------------------

    def stream(self, call: UpstreamCall) -> AsyncGenerator[StreamEvent, None]:
        return flatten(self.batches(call))

    async def batches(self, call: UpstreamCall) -> AsyncGenerator[Batch, None]:
        url, headers, body = self._request(call)
        try:
            async with self._http.request(
                "POST", url, headers=headers, body=body, timeouts=call.timeouts
            ) as resp:
                if resp.status >= 300:
                    raise http_error(
                        resp.status,
                        resp.headers,
                        await resp.read(),
                        provider=call.provider.id,
                        model=call.model,
                        redactor=Redactor([call.credential.secret]),
                    )
                if call.stream and "json" not in resp.headers.get("content-type", ""):
                    # inlined (not a nested generator): every read passes one frame less
                    chunks = _ChunkStream()
                    pieces = resp.chunks()
                    async for piece in pieces:
                        batch = chunks.feed(piece)
                        if batch:
                            yield batch
                        if chunks.stop():
                            break
                    else:  # the body ended without [DONE]
                        batch = chunks.close()
                        if batch:
                            yield batch
                        chunks.stop()
                    final = chunks.decoder.end(done=chunks.done)
                    if chunks.done:
                        await drain_body(pieces, resp)
                    yield final  # last: a caller who stops at Finish leaves a reusable connection
                else:
                    yield _json_events(await resp.read())
        except ProviderError as exc:
            _stamp(exc, call)
            raise


def _stamp(exc: ProviderError, call: UpstreamCall) -> None:
    exc.provider = exc.provider or call.provider.id
    exc.model = exc.model or call.model
    if exc.kind != "http":
        exc.message = Redactor([call.credential.secret])(exc.message)


def _json_events(raw: bytes) -> list[StreamEvent]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        snippet = raw[:120].decode("utf-8", "replace")
        raise ProviderError(f"the upstream answer is not JSON: {snippet!r}", kind="malformed") from None
    return completion_events(data)


def _parse_chunk(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        snippet = raw[:120].decode("utf-8", "replace")
        raise ProviderError(
            f"the upstream sent a stream chunk that is not JSON: {snippet!r}", kind="malformed"
        ) from None


class _ChunkStream:
    """The SSE body of a streamed answer, decoded one network read at a time (no I/O):
    ``feed(piece)`` returns the events of the complete SSE events in it. ``[DONE]`` sets
    ``done``; a chunk that fails to decode sets ``error`` after the events before it, so the
    caller delivers those first and then raises, as if each event had been yielded at once."""

    __slots__ = ("decoder", "done", "error", "sse")

    def __init__(self) -> None:
        self.sse = SSEDecoder()
        self.decoder = ChunkDecoder()
        self.done = False
        self.error: ProviderError | None = None

    def feed(self, piece: bytes) -> list[StreamEvent]:
        return self._decode(self.sse.feed(piece))

    def close(self) -> list[StreamEvent]:
        """The end of the body: an event not followed by a blank line still counts."""
        return self._decode(self.sse.close())

    def stop(self) -> bool:
        """After the events of a read were delivered: raise the error that followed them, if
        any; True once ``[DONE]`` was seen."""
        if self.error is not None:
            raise self.error
        return self.done

    def _decode(self, events: list[SSEEvent]) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        decoder = self.decoder
        try:
            for event in events:
                raw = event.raw
                if raw == _DONE:
                    self.done = True
                    break
                if decoder.info_sent:  # after the first chunk, text-only ones take the short path
                    plain = plain_events(raw)
                    if plain is not None:
                        out += plain
                        continue
                out += decoder.feed(_parse_chunk(raw))
        except ProviderError as exc:
            self.error = exc
        return out


async def drain_body(
    body: AsyncIterator[bytes], resp: HttpResponse, limit: int = 64, time_limit: float = 1.0
) -> None:
    """Read what follows the end of the answer (``[DONE]``, ``message_stop``: normally only the
    chunked terminator, already received) so the connection can be reused. Bounded in pieces and
    time; an upstream that keeps the body open gets its connection closed instead. A response
    that already knows its body is complete (the lean client, when the terminator came with the
    last event) needs no read at all: the body iterator is just closed."""
    if resp.complete:
        closer = getattr(body, "aclose", None)
        if closer is not None:
            await closer()
        return
    count = 0
    try:
        async with asyncio.timeout(time_limit):
            async for _ in body:
                count += 1
                if count >= limit:
                    return
    except (TimeoutError, ProviderError):
        return
