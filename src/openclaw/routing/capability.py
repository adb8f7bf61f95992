"""Can a candidate serve this request at all? Checked before anything is sent.

Three questions, answered from :class:`~openclaw.catalog.resolve.ModelFacts` (the catalog when
the runtime has one, else the provider's configured models; no facts means "assume yes"):

* **context**: the prompt, estimated at ~4 characters per token (text, tool definitions, tool
  call arguments; ~800 tokens per image), plus the requested ``max_tokens``, must fit in the
  model's context window;
* **modalities**: a request with image parts needs ``image`` among the model's inputs;
* **tools**: a request that offers tools needs a model that is not known to lack tool support.

A candidate that fails is skipped with reason ``capability`` and the message says why, so the
attempt list shows "skipped: needs ~250k tokens, context window is 128k" instead of a 400 from
the upstream.
"""

from __future__ import annotations

from ..catalog.resolve import ModelFacts
from ..wire.types import ChatRequest, ImagePart, TextPart

__all__ = ["CAPABILITY", "check", "estimate_tokens"]

CAPABILITY = "capability"
CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 800
_MESSAGE_OVERHEAD = 4  # role and separators, per message
_MESSAGE_CHARS = _MESSAGE_OVERHEAD * CHARS_PER_TOKEN


def _counts(request: ChatRequest) -> tuple[int, int]:
    """(characters, images) in the request's messages and tool definitions."""
    messages = request.messages
    chars = len(messages) * _MESSAGE_CHARS
    images = 0
    for message in messages:
        content = message.content
        if type(content) is str:
            chars += len(content)
        elif content is not None:
            for part in content:
                if isinstance(part, TextPart):
                    chars += len(part.text)
                elif isinstance(part, ImagePart):
                    images += 1
        if message.tool_calls:
            for call in message.tool_calls:
                chars += len(call.name) + len(call.arguments)
    tools = request.tools
    if tools:
        for tool in tools:
            chars += len(tool.name) + len(tool.description or "") + 200  # schema, roughly
    return chars, images


def estimate_tokens(request: ChatRequest) -> int:
    """A deliberately simple estimate of the prompt size in tokens."""
    chars, images = _counts(request)
    return chars // CHARS_PER_TOKEN + images * IMAGE_TOKENS


def _k(tokens: int) -> str:
    return f"{tokens / 1000:.0f}k" if tokens >= 10_000 else str(tokens)


def check(request: ChatRequest, facts: ModelFacts | None) -> str | None:
    """None when the model can serve ``request``; otherwise why it cannot."""
    if facts is None:
        return None
    chars = 0
    for message in request.messages:  # the common case here: text content, no tool calls
        content = message.content
        if type(content) is not str or message.tool_calls:
            return _check_counted(request, facts)
        chars += len(content) + _MESSAGE_CHARS
    window = facts.context_window
    if request.tools or (window and chars // CHARS_PER_TOKEN + (request.max_tokens or 0) > window):
        return _check_counted(request, facts)
    return None


def _check_counted(request: ChatRequest, facts: ModelFacts) -> str | None:
    """:func:`check` in full: tools, images and every kind of content counted."""
    if request.tools and facts.supports_tools is False:
        return "the model does not support tool calls"
    chars, images = _counts(request)
    if images and "image" not in facts.input_modalities:
        return f"the model does not accept images (input: {'+'.join(facts.input_modalities)})"
    window = facts.context_window
    if window:
        prompt = chars // CHARS_PER_TOKEN + images * IMAGE_TOKENS
        wanted = prompt + (request.max_tokens or 0)
        if wanted > window:
            extra = f" + max_tokens {_k(request.max_tokens)}" if request.max_tokens else ""
            return f"needs ~{_k(wanted)} tokens (prompt ~{_k(prompt)}{extra}), context window is {_k(window)}"
    return None
