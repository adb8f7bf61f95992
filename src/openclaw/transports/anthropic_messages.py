"""The ``anthropic-messages`` transport: Anthropic, MiniMax, Synthetic, Kimi Coding, ...

``POST {baseUrl}/v1/messages`` (a base URL that already ends in ``/v1`` is not doubled) with
``x-api-key`` (``Authorization: Bearer`` for token credentials or ``authHeader: true``) and
``anthropic-version: 2023-06-01``. The body comes from
:func:`openclaw.wire.anthropic_upstream.messages_body`; answers are decoded by
:mod:`openclaw.wire.anthropic_events`. Anthropic requires ``max_tokens``: the request's, else the
model's known output cap, else the provider's, else 8192.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import orjson

from ..catalog.resolve import DEFAULT_MAX_TOKENS
from ..errors import ProviderError
from ..redact import Redactor
from ..wire.anthropic_events import AnthropicStreamDecoder, message_events
from ..wire.anthropic_upstream import messages_body
from ..wire.sse import SSEDecoder, SSEEvent
from ..wire.types import StreamEvent
from .base import Batch, HttpClient, HttpResponse, UpstreamCall, flatten
from .errors import http_error
from .openai_completions import USER_AGENT, drain_body

__all__ = ["ANTHROPIC_VERSION", "AnthropicMessagesTransport"]

ANTHROPIC_VERSION = "2023-06-01"


def _max_tokens(call: UpstreamCall) -> int:
    if call.request.max_tokens is not None:
        return call.request.max_tokens
    if call.facts is not None and call.facts.max_output:
        return call.facts.max_output
    return call.provider.max_tokens or DEFAULT_MAX_TOKENS


def _url(base_url: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"


def _parse(raw: bytes, what: str) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        snippet = raw[:120].decode("utf-8", "replace")
        raise ProviderError(
            f"the upstream sent {what} that is not JSON: {snippet!r}", kind="malformed"
        ) from None


class AnthropicMessagesTransport:
    api = "anthropic-messages"

    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def build(self, call: UpstreamCall) -> tuple[str, dict[str, str], bytes]:
        body = messages_body(
            call.request, call.model, max_tokens=_max_tokens(call), stream=call.stream, thinking=call.thinking
        )
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "anthropic-version": ANTHROPIC_VERSION,
        }
        if call.credential.kind == "token" or call.provider.auth_header:
            headers["Authorization"] = f"Bearer {call.credential.secret}"
        else:
            headers["x-api-key"] = call.credential.secret
        headers.update(call.provider.headers)
        return _url(call.provider.base_url), headers, orjson.dumps(body)

    def stream(self, call: UpstreamCall) -> AsyncGenerator[StreamEvent, None]:
        return flatten(self.batches(call))

    async def batches(self, call: UpstreamCall) -> AsyncGenerator[Batch, None]:
        url, headers, body = self.build(call)
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
                    batches = _sse_batches(resp)
                    try:
                        async for batch in batches:
                            yield batch
                    finally:
                        await batches.aclose()
                else:
                    yield message_events(_parse(await resp.read(), "an answer"))
        except ProviderError as exc:
            exc.provider = exc.provider or call.provider.id
            exc.model = exc.model or call.model
            if exc.kind != "http":
                exc.message = Redactor([call.credential.secret])(exc.message)
            raise


async def _sse_batches(resp: HttpResponse) -> AsyncGenerator[Batch, None]:
    sse, decoder = SSEDecoder(), AnthropicStreamDecoder()
    pieces = resp.chunks()
    async for piece in pieces:
        batch, error = _decode(decoder, sse.feed(piece))
        if batch:
            yield batch
        if error is not None:
            raise error
        if decoder.stopped:
            break
    if not decoder.stopped:
        batch, error = _decode(decoder, sse.close())
        if batch:
            yield batch
        if error is not None:
            raise error
    final = decoder.end()
    await drain_body(pieces, resp)  # the end of the chunked body, so the connection can be reused
    if final:
        yield final


def _decode(decoder: AnthropicStreamDecoder, events: list[SSEEvent]) -> tuple[Batch, ProviderError | None]:
    """The stream events of the SSE events of one network read, and the error that stopped the
    decoding, if one did (the events before it are delivered first, then it is raised)."""
    batch: Batch = []
    try:
        for event in events:
            batch += decoder.feed(event.event, _parse(event.raw, "a stream event"))
    except ProviderError as exc:
        return batch, exc
    return batch, None
