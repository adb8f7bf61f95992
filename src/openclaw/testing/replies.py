"""What the fake upstream answers: :class:`Reply` values, built with the class methods.

A reply is data: the server renders it in OpenRouter's chat-completions shape or in Anthropic's
messages shape (streaming or not) depending on the request it answers. Rendered bytes are cached
on the reply, so serving the same reply again costs a dictionary lookup.

Counting for ``cut``/``stream_error``: a streamed answer is a list of SSE events (role chunk,
content chunks, finish chunk, usage chunk, ``[DONE]`` for OpenAI; ``message_start``,
``content_block_*``, ``message_delta``, ``message_stop`` for Anthropic). ``after_chunks=N`` sends
the first N of them (comment lines are not counted; for Anthropic, ``message_start`` and ``ping``
are not counted either, so that N stops at the same point of the answer: ``cut(2)`` of "OK"
ends after "O" in both shapes).

Replies can also be written as JSON specs (for ``--script`` files and ``POST /__fake/script``):
``"ok"``, ``"429"`` (any status code), ``"break"`` (cut after the first content chunk),
``"break0"`` (cut after the role chunk), ``"reset"``, ``"hang"``, ``"malformed"``,
``"stream_error"``, or an object ``{"kind": "text", "content": "Hi"}`` whose keys are the
keyword arguments of the class method of the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_USAGE", "Reply", "reply_from_spec"]

DEFAULT_USAGE: dict[str, Any] = {
    "prompt_tokens": 12,
    "completion_tokens": 1,
    "total_tokens": 13,
    "cost": 0.000051,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}

STATUS_MESSAGES = {
    400: "Bad Request",
    401: "No auth credentials found",
    402: "Insufficient credits",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    429: "Rate limit exceeded: free-models-per-min.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Provider overloaded",
}


class Reply:
    """One scripted answer. Build with :meth:`text`, :meth:`tool_call`, :meth:`status`, ..."""

    __slots__ = ("_cache", "kind", "opts")

    def __init__(self, kind: str, **opts: Any) -> None:
        self.kind = kind
        self.opts: dict[str, Any] = opts
        self._cache: dict[tuple[Any, ...], Any] = {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.opts.items())
        return f"Reply.{self.kind}({args})"

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def text(
        cls,
        content: str = "OK",
        chunks: Sequence[str] | None = None,
        usage: Mapping[str, Any] | None = None,
        model: str | None = None,
        *,
        finish: str = "stop",
        interval: float = 0.0,
        processing: bool = True,
    ) -> Reply:
        """A text answer. ``chunks`` are the streamed pieces (default: the whole content in one
        chunk); ``interval`` seconds pass between streamed events; ``processing`` sends
        OpenRouter's ``: OPENROUTER PROCESSING`` comment first."""
        pieces = list(chunks) if chunks is not None else [content]
        return cls(
            "text",
            content="".join(pieces),
            chunks=pieces,
            usage=dict(usage) if usage is not None else dict(DEFAULT_USAGE),
            model=model,
            finish=finish,
            interval=interval,
            processing=processing,
        )

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: str = "{}",
        split: int = 1,
        *,
        id: str = "call_fake_1",
        content: str | None = None,
        usage: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> Reply:
        """A tool call; streamed ``arguments`` arrive in pieces of ``split`` characters."""
        return cls(
            "tool_call",
            name=name,
            arguments=arguments,
            split=max(1, split),
            id=id,
            content=content,
            usage=dict(usage) if usage is not None else dict(DEFAULT_USAGE),
            model=model,
        )

    @classmethod
    def reasoning(
        cls,
        reasoning: str = "Let me think.",
        content: str = "OK",
        chunks: Sequence[str] | None = None,
        *,
        signature: str = "sig-fake",
        usage: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> Reply:
        """Reasoning text (streamed in ``chunks`` when given) followed by the answer."""
        pieces = list(chunks) if chunks is not None else [reasoning]
        return cls(
            "reasoning",
            reasoning="".join(pieces),
            chunks=pieces,
            content=content,
            signature=signature,
            usage=dict(usage) if usage is not None else dict(DEFAULT_USAGE),
            model=model,
        )

    @classmethod
    def status(
        cls,
        code: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | Mapping[str, Any] | None = None,
    ) -> Reply:
        """An HTTP error. ``body`` replaces the provider-shaped error JSON when given."""
        return cls(
            "status",
            code=code,
            message=message if message is not None else STATUS_MESSAGES.get(code, "Error"),
            headers=dict(headers or {}),
            body=body,
        )

    @classmethod
    def delay(cls, seconds: float, then: Reply | None = None) -> Reply:
        return cls("delay", seconds=seconds, then=then if then is not None else cls.text())

    @classmethod
    def reset(cls) -> Reply:
        """Close the connection before sending any response bytes."""
        return cls("reset")

    @classmethod
    def hang(cls) -> Reply:
        """Never answer; the connection stays open until the client goes away."""
        return cls("hang")

    @classmethod
    def cut(cls, after_chunks: int = 2, content: str = "OK", chunks: Sequence[str] | None = None) -> Reply:
        """Stream the first ``after_chunks`` events of a text answer, then close the connection
        (no finish reason, no ``[DONE]``). Non-streaming: half of the body, then close."""
        pieces = list(chunks) if chunks is not None else list(content)
        return cls("cut", after_chunks=after_chunks, inner=cls.text("".join(pieces), chunks=pieces))

    @classmethod
    def stream_error(
        cls,
        after_chunks: int = 2,
        code: int | str = 502,
        message: str = "Provider returned error",
        *,
        content: str = "OK",
        chunks: Sequence[str] | None = None,
        done: bool = False,
        error_type: str = "provider_unavailable",
    ) -> Reply:
        """An error inside a 200 answer: OpenRouter's error chunk (``finish_reason: "error"``)
        after ``after_chunks`` events; Anthropic's ``event: error``. ``done`` adds ``[DONE]``.
        Non-streaming: a 200 body whose ``choices[0].finish_reason`` is ``"error"``."""
        pieces = list(chunks) if chunks is not None else list(content)
        return cls(
            "stream_error",
            after_chunks=after_chunks,
            code=code,
            message=message,
            done=done,
            error_type=error_type,
            inner=cls.text("".join(pieces), chunks=pieces),
        )

    @classmethod
    def malformed(cls) -> Reply:
        """A 200 whose body (or one SSE event) is not valid JSON."""
        return cls("malformed")


_SHORTHANDS: dict[str, Callable[[], Reply]] = {
    "ok": Reply.text,
    "break": lambda: Reply.cut(after_chunks=2),
    "cut": lambda: Reply.cut(after_chunks=2),
    "break0": lambda: Reply.cut(after_chunks=1),
    "reset": Reply.reset,
    "hang": Reply.hang,
    "malformed": Reply.malformed,
    "stream_error": Reply.stream_error,
}

_KINDS: dict[str, Callable[..., Reply]] = {
    "text": Reply.text,
    "tool_call": Reply.tool_call,
    "reasoning": Reply.reasoning,
    "status": Reply.status,
    "reset": Reply.reset,
    "hang": Reply.hang,
    "cut": Reply.cut,
    "stream_error": Reply.stream_error,
    "malformed": Reply.malformed,
}


def reply_from_spec(spec: Any) -> Reply:
    """A :class:`Reply` from its JSON spec (see the module docstring)."""
    if isinstance(spec, Reply):
        return spec
    if isinstance(spec, int):
        return Reply.status(spec)
    if isinstance(spec, str):
        if spec.isdigit():
            return Reply.status(int(spec))
        factory = _SHORTHANDS.get(spec)
        if factory is None:
            raise ValueError(f"unknown reply spec {spec!r}")
        return factory()
    if isinstance(spec, dict):
        args = dict(spec)
        kind = args.pop("kind", "text")
        if kind == "delay":
            then = args.pop("then", "ok")
            return Reply.delay(float(args.pop("seconds", 0)), reply_from_spec(then))
        builder = _KINDS.get(kind)
        if builder is None:
            raise ValueError(f"unknown reply kind {kind!r}")
        result: Reply = builder(**args)
        return result
    raise ValueError(f"unsupported reply spec {spec!r}")
