"""The one internal request type and the one stream-event type.

Every front door (OpenAI chat completions, Anthropic messages, OpenAI responses, the CLI) decodes
into :class:`ChatRequest`; every transport turns upstream bytes into :data:`StreamEvent` values;
every encoder turns events into the caller's wire shape. The router sees only these types.

Conventions:

* ``Message.content`` is a string or a list of parts; the system prompt is one or more messages
  with role ``system`` at the front (``developer`` is kept as its own role and mapped per provider).
* Tool-call arguments are JSON *text* (as OpenAI sends them), never parsed dicts, so that nothing
  is lost or reordered on the way through.
* Reasoning that must round-trip (Anthropic thinking signatures, Gemini thought signatures) rides
  in ``reasoning_details`` in OpenRouter's shape: ``{type, text|summary|data, signature?, format?}``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ..errors import ProviderError

__all__ = [
    "ChatRequest",
    "ChatResult",
    "ErrorEvent",
    "Finish",
    "ImagePart",
    "Message",
    "Part",
    "RawPart",
    "ReasoningConfig",
    "ReasoningDelta",
    "ResponseInfo",
    "Role",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolChoice",
    "ToolDef",
    "Usage",
    "UsageEvent",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


# ------------------------------------------------------------------------------ request parts


class TextPart(msgspec.Struct, kw_only=True, omit_defaults=True):
    text: str
    cache_control: dict[str, Any] | None = None


class ImagePart(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An image by URL or ``data:`` URI. ``media_type`` is set for base64 data."""

    url: str
    detail: str | None = None
    media_type: str | None = None
    cache_control: dict[str, Any] | None = None


class RawPart(msgspec.Struct, kw_only=True):
    """A content part we do not model (audio, file, video): passed through in OpenAI shape to
    OpenAI-compatible upstreams; a provider that cannot take it refuses with a clear error."""

    data: dict[str, Any]


Part = TextPart | ImagePart | RawPart


class ToolCall(msgspec.Struct, kw_only=True):
    id: str
    name: str
    arguments: str  # JSON text


class Message(msgspec.Struct, kw_only=True, omit_defaults=True):
    role: Role
    content: str | list[Part] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    reasoning: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    is_error: bool | None = None  # tool results: the tool failed (Anthropic ``is_error``)

    def text(self) -> str:
        """The message's text parts joined (for logs, token estimates, tests)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


class ToolDef(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    cache_control: dict[str, Any] | None = None


class ToolChoice(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``auto`` | ``none`` | ``required`` | ``tool`` (with ``name``: call exactly that tool)."""

    mode: Literal["auto", "none", "required", "tool"]
    name: str | None = None


class ReasoningConfig(msgspec.Struct, kw_only=True, omit_defaults=True):
    effort: str | None = None  # none|minimal|low|medium|high|xhigh|max
    max_tokens: int | None = None  # budget-style providers (Anthropic thinking.budget_tokens)
    exclude: bool | None = None
    enabled: bool | None = None


class ChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    messages: list[Message]
    model: str = ""  # the target as the caller named it (agent, ref, alias, bare id)
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    tools: list[ToolDef] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    reasoning: ReasoningConfig | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    include_usage: bool = False  # the caller asked for a usage chunk in the stream
    fallbacks: list[str] | None = None  # a per-request model chain (OpenRouter ``models``)
    # Fields passed through verbatim to OpenAI-compatible upstreams (OpenRouter ``provider``,
    # ``transforms``, ``plugins``, ``top_k``, ...). Never host or credential fields: the front
    # doors drop those before they get here.
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


# ----------------------------------------------------------------------------- stream events


class ResponseInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Metadata from the upstream: its response id, the concrete model, the provider name."""

    id: str | None = None
    model: str | None = None
    provider_name: str | None = None


class TextDelta(msgspec.Struct):
    text: str


class ReasoningDelta(msgspec.Struct, omit_defaults=True):
    text: str
    details: list[dict[str, Any]] | None = None


class ToolCallDelta(msgspec.Struct, omit_defaults=True):
    """A fragment of tool call ``index``; ``id``/``name`` arrive on the first fragment."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class Usage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Normalized token usage. ``input`` includes cached tokens (as OpenAI/OpenRouter count);
    ``cost`` is USD, ``cost_source`` says where it came from: ``provider`` (reported by the
    upstream), ``catalog`` (priced from the model catalog) or ``config`` (configured prices)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    total: int = 0
    cost: float | None = None
    cost_source: str | None = None


class UsageEvent(msgspec.Struct):
    usage: Usage


class Finish(msgspec.Struct, omit_defaults=True):
    reason: str  # stop | length | tool_calls | content_filter | error
    native: str | None = None


class ErrorEvent(msgspec.Struct):
    """The stream failed after it was committed to the caller: end it with this error."""

    error: ProviderError


StreamEvent = ResponseInfo | TextDelta | ReasoningDelta | ToolCallDelta | UsageEvent | Finish | ErrorEvent


class ChatResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A whole answer, folded from the events by :class:`openclaw.wire.aggregate.Aggregator`."""

    id: str | None = None
    model: str | None = None  # concrete upstream model that answered
    provider_name: str | None = None
    text: str = ""
    reasoning: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    tool_calls: list[ToolCall] = msgspec.field(default_factory=list)
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    usage: Usage | None = None
