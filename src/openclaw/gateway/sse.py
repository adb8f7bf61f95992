"""The streaming response writer: the router's events relayed as Server-Sent Events.

The contract (the router's commit point, seen from the client):

* Nothing is sent until ``Router.open`` returns, that is until one candidate has produced its first
  piece of content. Failover before that is invisible; if every candidate fails the client gets an
  ordinary JSON error with the right status (401, 429 + Retry-After, 502, ...), not a 200 stream.
* Then the headers go out (``text/event-stream``, the ``x-openclaw-*`` headers of the candidate
  that committed), a role chunk, and one chunk per event, written as they arrive.
* A failure after the commit (upstream cut, in-stream error, the request's deadline) ends the
  stream with one explicit error chunk in OpenRouter's shape (``error`` + ``finish_reason:
  "error"``) and ``data: [DONE]``; never a clean finish.
* A client that disconnects cancels the handler; ``Run.aclose()`` closes the upstream connection
  at once.

Every door uses this writer with its own encoder (OpenAI chunks, Anthropic events, Responses
events). An encoder that has ``end(usage)`` and ``fail(error)`` (see :class:`Ending`) frames the
end of its stream itself; otherwise OpenAI's framing applies (usage chunk when asked, then
``data: [DONE]``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

from aiohttp import web

from ..errors import InputError, ProviderError
from ..routing.types import RequestContext, Run
from ..wire.openai_front import DONE
from ..wire.types import (
    ChatRequest,
    ErrorEvent,
    Finish,
    ReasoningDelta,
    ResponseInfo,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageEvent,
)
from .accesslog import RequestRecord
from .app import SECURITY_HEADERS, Gateway
from .coalesce import CoalescingWriter
from .errors import HttpError, provider_error_json
from .targets import ResolvedTarget, display_model

__all__ = ["SSE_HEADERS", "Encoder", "Ending", "SSEResponse", "relay_stream"]

SSE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


class Encoder(Protocol):
    def role(self) -> bytes: ...
    def text(self, text: str) -> bytes: ...
    def reasoning(self, text: str, details: list[dict[str, object]] | None = None) -> bytes: ...
    def tool(self, event: ToolCallDelta) -> bytes: ...
    def finish(self, reason: str, native: str | None = None) -> bytes: ...
    def usage(self, usage: Usage) -> bytes: ...
    def error(self, error: dict[str, object]) -> bytes: ...


EncoderFactory = Callable[..., Encoder]


@runtime_checkable
class Ending(Protocol):
    """How a stream ends: ``end`` after a finish (the usage seen, if any), ``fail`` after a
    failure (the error event and whatever closes the stream); both return the last bytes."""

    def end(self, usage: Usage | None) -> bytes: ...
    def fail(self, error: dict[str, Any]) -> bytes: ...


class _ChunkEnding:
    """OpenAI's framing: the usage chunk when the caller asked for it, then ``data: [DONE]``."""

    __slots__ = ("enc", "include_usage")

    def __init__(self, enc: Encoder, include_usage: bool) -> None:
        self.enc, self.include_usage = enc, include_usage

    def end(self, usage: Usage | None) -> bytes:
        return self.enc.usage(usage) + DONE if self.include_usage and usage is not None else DONE

    def fail(self, error: dict[str, Any]) -> bytes:
        return self.enc.error(error) + DONE


def _ending(enc: Encoder, include_usage: bool) -> Ending:
    """The encoder itself when it frames its own end (has ``end`` and ``fail``), else OpenAI's
    framing. Checked by attribute: ``isinstance`` against a runtime-checkable Protocol costs
    about 7 µs, on every streamed request."""
    if callable(getattr(enc, "end", None)) and callable(getattr(enc, "fail", None)):
        return cast(Ending, enc)
    return _ChunkEnding(enc, include_usage)


def loop_deadline(ctx: RequestContext) -> float:
    """``ctx.deadline`` (monotonic) on the running loop's clock."""
    return asyncio.get_running_loop().time() + (ctx.deadline - time.monotonic())


def _no_answer_in_time() -> HttpError:
    return HttpError(504, "No model answered within the request's time limit.", code="request_timeout")


class SSEResponse(web.StreamResponse):
    """A stream whose headers leave with its first bytes: the relay prepares the response only
    once it has content to send, so holding the headers back delays nothing and saves a
    ``send`` (aiohttp's ``StreamResponse`` otherwise writes them on their own at ``prepare``)."""

    _send_headers_immediately = False


def _info(batch: list[StreamEvent]) -> ResponseInfo | None:
    """The last ``ResponseInfo`` before the first content event."""
    info: ResponseInfo | None = None
    for event in batch:
        if type(event) is not ResponseInfo:
            break
        info = event
    return info


def _timeout_error(gw: Gateway) -> dict[str, object]:
    error = ProviderError(
        "The request did not finish within its time limit.", kind="timeout", reason="timeout"
    )
    return provider_error_json(error, gw.redact)


class _Pump:
    """Writes one committed stream (through ``out``: the events that arrive together leave in
    one write); ``finished``/``errored`` say how it ended."""

    def __init__(
        self,
        gw: Gateway,
        enc: Encoder,
        rec: RequestRecord,
        run: Run,
        *,
        resp: web.StreamResponse,
        ending: Ending,
    ) -> None:
        self.gw, self.enc, self.ending, self.rec, self.run = gw, enc, ending, rec, run
        self.resp = resp
        self.out = CoalescingWriter(resp)
        self.usage: Usage | None = None
        self.finished = False
        self.errored = False

    def encode(self, event: StreamEvent) -> bytes | None:
        kind = type(event)
        if kind is TextDelta:  # the hot path: one check
            return self.enc.text(event.text)  # type: ignore[union-attr]
        handler = _ENCODE.get(kind)
        return handler(self, event) if handler is not None else None

    def _tool(self, event: ToolCallDelta) -> bytes:
        return self.enc.tool(event)

    def _reasoning(self, event: ReasoningDelta) -> bytes:
        return self.enc.reasoning(event.text, event.details)

    def _finish(self, event: Finish) -> bytes:
        self.finished = True
        return self.enc.finish(event.reason, event.native)

    def _error(self, event: ErrorEvent) -> bytes:
        self.errored = True
        self.rec.error = event.error.describe()
        return self.ending.fail(provider_error_json(event.error, self.gw.redact))

    def _on_usage(self, event: UsageEvent) -> None:
        self._usage(event.usage)

    def _usage(self, usage: Usage) -> None:
        self.usage = usage
        self.rec.input_tokens, self.rec.output_tokens = usage.input, usage.output
        ref = self.run.served.ref
        self.gw.metrics.usage(ref.key, ref.provider, usage)

    async def write(self, batch: list[StreamEvent]) -> bool:
        """Queue the events of one read; False once the stream is over (a finish or an error)."""
        out = self.out
        add, text = out.add, self.enc.text
        for event in batch:
            if type(event) is TextDelta:  # the hot path, inlined
                if add(text(event.text)):  # true only when the client is far behind
                    await out.drain()
                continue
            data = self.encode(event)
            if data is not None and add(data):
                await out.drain()
            if self.errored or self.finished:
                return False  # an error event closed the stream; nothing follows a finish
        return True

    async def pump(self, batches: AsyncIterator[list[StreamEvent]]) -> None:
        """The rest of the stream, then its end (unless an error event already ended it)."""
        if not (self.errored or self.finished):
            async for batch in batches:
                if not await self.write(batch):
                    break
        if self.errored:
            return
        if self.finished:
            tail = self.ending.end(self.usage)
        else:
            error = ProviderError("The upstream stream ended without a finish.", kind="cut", reason="timeout")
            self.rec.error = error.message
            tail = self.ending.fail(provider_error_json(error, self.gw.redact))
        if self.out.add(tail):
            await self.out.drain()


_ENCODE: dict[type, Callable[[_Pump, Any], bytes | None]] = {
    ToolCallDelta: _Pump._tool,
    ReasoningDelta: _Pump._reasoning,
    UsageEvent: _Pump._on_usage,
    Finish: _Pump._finish,
    ErrorEvent: _Pump._error,
}


async def relay_stream(
    gw: Gateway,
    http: web.Request,
    *,
    request: ChatRequest,
    resolved: ResolvedTarget,
    ctx: RequestContext,
    rec: RequestRecord,
    make_encoder: EncoderFactory,
    id_prefix: str = "chatcmpl-",
    headers: Mapping[str, str] | None = None,
) -> web.StreamResponse:
    """Open the run, then write the committed stream with the door's encoder (``make_encoder`` is
    called with ``completion_id`` (``id_prefix`` + the request id), ``created``, ``model`` and
    ``provider``); ``headers`` are added to the response's.

    One deadline covers it all: before the commit it is a 504 (nothing was sent), after it the
    stream ends with the door's timeout error. ``FailoverError`` propagates (nothing sent)."""
    run: Run | None = None
    pump: _Pump | None = None
    try:
        try:
            async with asyncio.timeout_at(loop_deadline(ctx)):
                try:
                    run = await gw.router.open(request, resolved.target, ctx)
                except InputError as exc:  # a feature the provider's API cannot carry: say which
                    raise gw.not_carried(resolved, exc) from None
                batches = run.batches().__aiter__()
                pump = await _commit(
                    gw,
                    http,
                    run,
                    batches,
                    request=request,
                    resolved=resolved,
                    rec=rec,
                    make_encoder=make_encoder,
                    id_prefix=id_prefix,
                    headers=headers,
                )
                await pump.pump(batches)
                await pump.out.close()
                async for _ in batches:  # after a finish nothing is left to relay: the run and the
                    pass  # transport wind down (connection back to the pool) once the client has it all
        except TimeoutError:
            if pump is None:
                raise _no_answer_in_time() from None
            rec.error = "deadline reached mid-stream"
            pump.out.add(pump.ending.fail(_timeout_error(gw)))
            await pump.out.close()
        return pump.resp
    except ConnectionResetError:
        if pump is None:
            raise
        rec.status = 499  # the client went away mid-stream
        return pump.resp
    finally:
        if pump is not None:
            pump.out.cancel()
        if run is not None:
            await run.aclose()


async def _commit(
    gw: Gateway,
    http: web.Request,
    run: Run,
    batches: AsyncIterator[list[StreamEvent]],
    *,
    request: ChatRequest,
    resolved: ResolvedTarget,
    rec: RequestRecord,
    make_encoder: EncoderFactory,
    id_prefix: str,
    headers: Mapping[str, str] | None,
) -> _Pump:
    """The commit: the first read in hand (it holds the first content), the response prepared
    and the first bytes queued."""
    first: list[StreamEvent] = await anext(batches, [])
    info = _info(first)
    served = run.served
    extra = gw.served_headers(served, rec)
    if headers is not None:
        extra = {**extra, **headers}
    resp = SSEResponse(status=200, headers={**SSE_HEADERS, **extra})
    await resp.prepare(http)
    rec.status = 200
    gw.observe_served(served)
    enc = make_encoder(
        completion_id=id_prefix + rec.request_id.removeprefix("req_"),
        created=int(time.time()),
        model=display_model(resolved, served, info.model if info else served.model),
        provider=(info.provider_name if info else None) or served.ref.provider,
    )
    pump = _Pump(gw, enc, rec, run, resp=resp, ending=_ending(enc, request.include_usage))
    pump.out.add(enc.role())
    await pump.write(first)
    rec.ttft = asyncio.get_running_loop().time() - rec.started
    return pump
