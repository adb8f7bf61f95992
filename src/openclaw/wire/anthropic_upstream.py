"""Anthropic Messages wire format, upstream side: ChatRequest -> ``POST /v1/messages`` body.

* system and developer messages become the top-level ``system`` (a string, or text blocks when
  any carries ``cache_control``);
* consecutive messages of one role merge (Anthropic wants user/assistant alternation); tool
  results become ``tool_result`` blocks in a user turn, tool calls ``tool_use`` blocks;
* images become ``base64`` sources (``data:`` URIs) or ``url`` sources; a PDF ``file`` part becomes
  a ``document``; a part Anthropic cannot take (audio, video, ...) raises
  :class:`~openclaw.errors.InputError` naming it;
* assistant ``reasoning_details`` with an Anthropic signature are replayed as ``thinking`` blocks;
* a reasoning config or thinking level becomes ``thinking: {type: enabled, budget_tokens}``.

Decoding of the answers lives in :mod:`openclaw.wire.anthropic_events`.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import InputError
from .types import ChatRequest, ImagePart, Message, Part, ReasoningConfig, TextPart, ToolChoice, ToolDef

__all__ = ["ANTHROPIC_EXTRA_KEYS", "messages_body", "thinking_budget"]

# ChatRequest.extra keys Anthropic understands; the rest are OpenAI/OpenRouter-only.
ANTHROPIC_EXTRA_KEYS = ("top_k", "service_tier", "container", "context_management", "mcp_servers")
_RATIOS = {"minimal": 0.1, "low": 0.2, "medium": 0.5, "high": 0.8, "xhigh": 0.95, "max": 0.95}
_MIN_BUDGET = 1024


def thinking_budget(max_tokens: int, reasoning: ReasoningConfig | None, thinking: str | None) -> int | None:
    """Budget tokens for extended thinking, or None for no thinking. It must stay below
    ``max_tokens``; a cap too small for Anthropic's 1024-token minimum disables thinking."""
    budget: int | None = None
    if reasoning is not None and reasoning.enabled is not False:
        if reasoning.max_tokens:
            budget = reasoning.max_tokens
        elif reasoning.effort and reasoning.effort != "none":
            budget = int(max_tokens * _RATIOS.get(reasoning.effort, 0.5))
        elif reasoning.enabled:
            budget = int(max_tokens * 0.5)
    elif thinking and thinking not in ("off", "none"):
        level = {"adaptive": "medium", "ultra": "max"}.get(thinking, thinking)
        budget = int(max_tokens * _RATIOS.get(level, 0.5))
    if budget is None:
        return None
    budget = max(_MIN_BUDGET, min(budget, 128_000))
    return budget if budget < max_tokens else None


def _image(part: ImagePart) -> dict[str, Any]:
    url = part.url
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = part.media_type or header[5:].split(";", 1)[0] or "image/png"
        source: dict[str, Any] = {"type": "base64", "media_type": media_type, "data": data}
    else:
        source = {"type": "url", "url": url}
    block: dict[str, Any] = {"type": "image", "source": source}
    if part.cache_control is not None:
        block["cache_control"] = part.cache_control
    return block


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("type")
    if kind == "file":
        file = data.get("file") or {}
        uri = file.get("file_data") if isinstance(file, dict) else None
        if isinstance(uri, str) and uri.startswith("data:application/pdf"):
            return {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": uri.partition(",")[2]},
            }
    if kind in ("document", "search_result"):  # already Anthropic-shaped
        return dict(data)
    raise InputError(f'the anthropic-messages API cannot take "{kind}" content parts', param="messages")


def _block(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        block: dict[str, Any] = {"type": "text", "text": part.text}
        if part.cache_control is not None:
            block["cache_control"] = part.cache_control
        return block
    if isinstance(part, ImagePart):
        return _image(part)
    return _raw(part.data)


def _blocks(content: str | list[Part] | None) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [_block(p) for p in content]


def _thinking_blocks(message: Message) -> list[dict[str, Any]]:
    blocks = []
    for detail in message.reasoning_details or ():
        kind = detail.get("type")
        if kind == "reasoning.text" and detail.get("signature"):
            blocks.append(
                {"type": "thinking", "thinking": detail.get("text", ""), "signature": detail["signature"]}
            )
        elif kind == "reasoning.encrypted" and detail.get("data"):
            blocks.append({"type": "redacted_thinking", "data": detail["data"]})
    return blocks


def _assistant(message: Message) -> list[dict[str, Any]]:
    blocks = _thinking_blocks(message) + _blocks(message.content)
    for call in message.tool_calls or ():
        try:
            arguments = orjson.loads(call.arguments or "{}")
        except orjson.JSONDecodeError:
            raise InputError(
                f'tool call "{call.name}" has arguments that are not JSON', param="messages"
            ) from None
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments})
    return blocks


def _tool_result(message: Message) -> dict[str, Any]:
    content = message.content
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or ""}
    block["content"] = content if isinstance(content, str) else _blocks(content)
    if message.is_error:
        block["is_error"] = True
    return block


def _system(messages: list[Message]) -> str | list[dict[str, Any]] | None:
    blocks: list[dict[str, Any]] = []
    for message in messages:
        blocks.extend(_blocks(message.content))
    if not blocks:
        return None
    if all(b.get("type") == "text" and "cache_control" not in b for b in blocks):
        return "\n\n".join(b["text"] for b in blocks)
    return blocks


def _turns(messages: list[Message]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant":
            role, blocks = "assistant", _assistant(message)
        elif message.role == "tool":
            role, blocks = "user", [_tool_result(message)]
        else:
            role, blocks = "user", _blocks(message.content)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # a lone plain text block is sent as a string, as most clients do
        content = turn["content"]
        if len(content) == 1 and content[0].get("type") == "text" and len(content[0]) == 2:
            turn["content"] = content[0]["text"]
    return turns


def _tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    result = []
    for tool in tools:
        item: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            item["description"] = tool.description
        item["input_schema"] = tool.parameters if tool.parameters is not None else {"type": "object"}
        if tool.cache_control is not None:
            item["cache_control"] = tool.cache_control
        result.append(item)
    return result


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any] | None:
    if choice is None and parallel is not False:
        return None
    mode = choice.mode if choice is not None else "auto"
    out: dict[str, Any] = {"type": {"required": "any"}.get(mode, mode)}
    if mode == "tool":
        out["name"] = choice.name if choice is not None and choice.name else ""
    if parallel is False and mode != "none":
        out["disable_parallel_tool_use"] = True
    return out


def messages_body(
    request: ChatRequest, model: str, *, max_tokens: int, stream: bool, thinking: str | None = None
) -> dict[str, Any]:
    """The Messages API body. ``max_tokens`` is required by Anthropic (the caller's cap, or a
    default from the model facts when the request has none)."""
    system_msgs = [m for m in request.messages if m.role in ("system", "developer")]
    rest = [m for m in request.messages if m.role not in ("system", "developer")]
    body: dict[str, Any] = {"model": model}
    system = _system(system_msgs)
    if system is not None:
        body["system"] = system
    body["messages"] = _turns(rest)
    body["max_tokens"] = max_tokens
    if stream:
        body["stream"] = True
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    for name in ("temperature", "top_p"):
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    if request.tools:
        body["tools"] = _tools(request.tools)
    choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
    if choice is not None and request.tools:
        body["tool_choice"] = choice
    budget = thinking_budget(max_tokens, request.reasoning, thinking)
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if request.user:
        body["metadata"] = {"user_id": request.user}
    for key in ANTHROPIC_EXTRA_KEYS:
        if key in request.extra:
            body[key] = request.extra[key]
    return body
