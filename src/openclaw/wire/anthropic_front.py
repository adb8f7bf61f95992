"""The Anthropic Messages front door, request side: a ``POST /v1/messages`` body -> ChatRequest.

Mapping (Anthropic -> the internal model):

* ``system`` (a string or text blocks) -> one ``system`` message at the front; blocks with
  ``cache_control`` stay parts, otherwise they are joined with a blank line;
* ``text`` / ``image`` blocks -> :class:`TextPart` / :class:`ImagePart` (base64 sources become
  ``data:`` URIs), ``cache_control`` kept; a base64 PDF ``document`` -> an OpenAI ``file`` part
  (both transports take it); other documents and ``search_result`` blocks pass through as
  :class:`RawPart` (the anthropic transport sends them as they are);
* ``tool_use`` -> the assistant's ``tool_calls`` (``input`` as JSON text); ``tool_result`` -> a
  ``tool`` message (string or block content, ``is_error``) placed where the block was;
* ``thinking`` / ``redacted_thinking`` -> ``reasoning_details`` in OpenRouter's shape, so that a
  signature goes back to Anthropic untouched on the next turn;
* ``tools`` (client tools; server tools are refused), ``tool_choice`` (auto/any/tool/none,
  ``disable_parallel_tool_use``), ``thinking`` (enabled + ``budget_tokens`` / adaptive /
  disabled) -> :class:`ReasoningConfig`, ``stop_sequences``, ``metadata.user_id`` -> ``user``;
* OpenRouter's extensions (``models``, ``provider``, ``plugins``, ``transforms``, ``session_id``,
  ``top_k``) pass through; unknown fields are ignored and never forwarded (so never a host or key).

A bad field raises :class:`~openclaw.errors.InputError` naming it (``messages[1].content[0].type``).
"""

from __future__ import annotations

from typing import Any

import orjson

from .anthropic_front_fields import (
    fail,
    load_object,
    model_chain,
    opt_bool,
    opt_int,
    opt_number,
    opt_object,
    opt_string,
    passthrough,
)
from .types import (
    ChatRequest,
    ImagePart,
    Message,
    Part,
    RawPart,
    ReasoningConfig,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolDef,
)

__all__ = ["THINKING_FORMAT", "parse_messages_request"]

THINKING_FORMAT = "anthropic-claude-v1"  # reasoning_details ``format`` of Anthropic thinking
_CHOICES = {"auto": "auto", "any": "required", "none": "none", "tool": "tool"}
_CLIENT_TOOL_TYPES = (None, "custom")
_PASSED_BLOCKS = ("document", "search_result")


# ---------------------------------------------------------------------------------- blocks


def _cache(block: dict[str, Any]) -> dict[str, Any] | None:
    value = block.get("cache_control")
    return value if isinstance(value, dict) else None


def _text(block: dict[str, Any], where: str) -> TextPart:
    text = block.get("text")
    if not isinstance(text, str):
        raise fail(f"`{where}.text` must be a string.", f"{where}.text")
    return TextPart(text=text, cache_control=_cache(block))


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "base64" and isinstance(source, dict):
        media, data = source.get("media_type"), source.get("data")
        if not isinstance(media, str) or not isinstance(data, str) or not data:
            raise fail(f"`{where}.source` needs `media_type` and `data`.", f"{where}.source")
        return ImagePart(url=f"data:{media};base64,{data}", media_type=media, cache_control=_cache(block))
    if kind == "url" and isinstance(source, dict) and isinstance(source.get("url"), str):
        return ImagePart(url=source["url"], cache_control=_cache(block))
    raise fail(f"`{where}.source` must be a base64 or url image source.", f"{where}.source")


def _document(block: dict[str, Any]) -> RawPart:
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    data = source.get("data")
    pdf = source.get("type") == "base64" and source.get("media_type") == "application/pdf"
    if pdf and isinstance(data, str) and set(block) <= {"type", "source"}:
        uri = "data:application/pdf;base64," + data
        return RawPart(data={"type": "file", "file": {"filename": "document.pdf", "file_data": uri}})
    return RawPart(data=dict(block))


def _part(block: Any, where: str) -> Part:
    if not isinstance(block, dict):
        raise fail(f"`{where}` must be an object.", where)
    kind = block.get("type")
    if kind == "text":
        return _text(block, where)
    if kind == "image":
        return _image(block, where)
    if kind == "document":
        return _document(block)
    if kind in _PASSED_BLOCKS:
        return RawPart(data=dict(block))
    raise fail(f"`{where}.type` {kind!r} is not a content block this gateway accepts here.", f"{where}.type")


def _joined(parts: list[Part]) -> str | list[Part] | None:
    """Plain text parts as one string (what every provider takes); anything else as parts."""
    if not parts:
        return None
    if all(type(p) is TextPart and p.cache_control is None for p in parts):
        return "".join(p.text for p in parts)  # type: ignore[union-attr]
    return parts


# --------------------------------------------------------------------------------- messages


def _tool_result(block: dict[str, Any], where: str) -> Message:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise fail(f"`{where}.tool_use_id` is required.", f"{where}.tool_use_id")
    raw = block.get("content")
    content: str | list[Part] | None
    if raw is None or isinstance(raw, str):
        content = raw or ""
    elif isinstance(raw, list):
        parts = [_part(b, f"{where}.content[{i}]") for i, b in enumerate(raw)]
        content = parts if len(parts) != 1 else _joined(parts)
    else:
        raise fail(f"`{where}.content` must be a string or a list of blocks.", f"{where}.content")
    is_error = opt_bool(block, "is_error")
    return Message(role="tool", content=content, tool_call_id=call_id, is_error=is_error or None)


def _user(content: list[Any], where: str) -> list[Message]:
    out: list[Message] = []
    parts: list[Part] = []
    for i, block in enumerate(content):
        here = f"{where}[{i}]"
        if isinstance(block, dict) and block.get("type") == "tool_result":
            if parts:
                out.append(Message(role="user", content=parts))
                parts = []
            out.append(_tool_result(block, here))
        else:
            parts.append(_part(block, here))
    if parts:
        out.append(Message(role="user", content=parts))
    return out


def _tool_use(block: dict[str, Any], where: str) -> ToolCall:
    call_id, name = block.get("id"), block.get("name")
    if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
        raise fail(f"`{where}` needs `id` and `name`.", where)
    tool_input = block.get("input", {})
    if not isinstance(tool_input, dict):
        raise fail(f"`{where}.input` must be an object.", f"{where}.input")
    return ToolCall(id=call_id, name=name, arguments=orjson.dumps(tool_input).decode())


def _thinking(block: dict[str, Any], where: str) -> dict[str, Any]:
    if block.get("type") == "redacted_thinking":
        data = block.get("data")
        if not isinstance(data, str):
            raise fail(f"`{where}.data` must be a string.", f"{where}.data")
        return {"type": "reasoning.encrypted", "data": data, "format": THINKING_FORMAT}
    text = block.get("thinking")
    if not isinstance(text, str):
        raise fail(f"`{where}.thinking` must be a string.", f"{where}.thinking")
    detail: dict[str, Any] = {"type": "reasoning.text", "text": text, "format": THINKING_FORMAT}
    if isinstance(block.get("signature"), str) and block["signature"]:
        detail["signature"] = block["signature"]
    return detail


def _assistant(content: list[Any], where: str) -> Message:
    parts: list[Part] = []
    calls: list[ToolCall] = []
    details: list[dict[str, Any]] = []
    for i, block in enumerate(content):
        here = f"{where}[{i}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_use":
            calls.append(_tool_use(block, here))
        elif kind in ("thinking", "redacted_thinking"):
            details.append(_thinking(block, here))
        else:
            parts.append(_part(block, here))
    reasoning = "".join(d.get("text", "") for d in details) or None
    return Message(
        role="assistant",
        content=_joined(parts),
        tool_calls=calls or None,
        reasoning=reasoning,
        reasoning_details=details or None,
    )


def _message(raw: Any, i: int) -> list[Message]:
    where = f"messages[{i}]"
    if not isinstance(raw, dict):
        raise fail(f"`{where}` must be an object.", where)
    role = raw.get("role")
    if role not in ("user", "assistant"):
        raise fail(f"`{where}.role` must be user or assistant.", f"{where}.role")
    content = raw.get("content")
    if isinstance(content, str):
        return [Message(role=role, content=content)]
    if not isinstance(content, list):
        raise fail(f"`{where}.content` must be a string or a list of blocks.", f"{where}.content")
    if role == "user":
        return _user(content, f"{where}.content")
    return [_assistant(content, f"{where}.content")]


def _messages(raw: Any, max_messages: int) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise fail("`messages` must be a non-empty list of messages.", "messages")
    if len(raw) > max_messages:
        raise fail(
            f"Too many messages: {len(raw)} (this gateway accepts at most {max_messages}).", "messages"
        )
    out: list[Message] = []
    for i, message in enumerate(raw):
        out.extend(_message(message, i))
    return out


def _system(raw: Any) -> list[Message]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [Message(role="system", content=raw)]
    if not isinstance(raw, list):
        raise fail("`system` must be a string or a list of text blocks.", "system")
    parts: list[Part] = []
    for i, block in enumerate(raw):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise fail(f"`system[{i}]` must be a text block.", f"system[{i}]")
        parts.append(_text(block, f"system[{i}]"))
    if not parts:
        return []
    if all(type(p) is TextPart and p.cache_control is None for p in parts):
        return [Message(role="system", content="\n\n".join(p.text for p in parts))]  # type: ignore[union-attr]
    return [Message(role="system", content=parts)]


# ------------------------------------------------------------------------------------ tools


def _tools(raw: Any) -> list[ToolDef] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise fail("`tools` must be a list of tools.", "tools")
    tools = []
    for i, tool in enumerate(raw):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise fail(f"`{where}` must be an object.", where)
        if tool.get("type") not in _CLIENT_TOOL_TYPES:
            raise fail(
                f"`{where}`: server tools ({tool.get('type')}) are not supported by this gateway; "
                "define client tools with `name` and `input_schema`.",
                f"{where}.type",
            )
        name, schema = tool.get("name"), tool.get("input_schema")
        if not isinstance(name, str) or not name:
            raise fail(f"`{where}.name` is required.", f"{where}.name")
        if not isinstance(schema, dict):
            raise fail(f"`{where}.input_schema` must be an object.", f"{where}.input_schema")
        tools.append(
            ToolDef(
                name=name,
                description=opt_string(tool, "description", f"{where}.description"),
                parameters=schema,
                cache_control=_cache(tool),
            )
        )
    return tools


def _tool_choice(raw: Any, tools: list[ToolDef] | None) -> tuple[ToolChoice | None, bool | None]:
    """(tool choice, parallel_tool_calls) from Anthropic's ``tool_choice``."""
    if raw is None:
        return None, None
    kind = raw.get("type") if isinstance(raw, dict) else None
    mode = _CHOICES.get(kind) if isinstance(kind, str) else None
    if mode is None or not isinstance(raw, dict):
        raise fail("`tool_choice.type` must be auto, any, tool or none.", "tool_choice")
    name = raw.get("name")
    if mode == "tool":
        if not isinstance(name, str) or not name:
            raise fail("`tool_choice.name` is required when `type` is tool.", "tool_choice.name")
        if not tools or all(t.name != name for t in tools):
            raise fail(f"`tool_choice` names the tool {name!r}, which is not in `tools`.", "tool_choice.name")
    disable = opt_bool(raw, "disable_parallel_tool_use")
    choice = ToolChoice(mode=mode, name=name if mode == "tool" else None)  # type: ignore[arg-type]
    return choice, (False if disable else None)


def _thinking_config(raw: Any) -> ReasoningConfig | None:
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "disabled":
        return ReasoningConfig(enabled=False)
    if kind == "adaptive":
        return ReasoningConfig(enabled=True)
    if kind != "enabled" or not isinstance(raw, dict):
        raise fail("`thinking.type` must be enabled, adaptive or disabled.", "thinking.type")
    budget = opt_int(raw, "budget_tokens", 1)
    if budget is None:
        raise fail("`thinking.budget_tokens` is required when thinking is enabled.", "thinking.budget_tokens")
    return ReasoningConfig(enabled=True, max_tokens=budget)


# ------------------------------------------------------------------------------ the request


def _stop(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(s, str) and s for s in raw):
        raise fail("`stop_sequences` must be a list of non-empty strings.", "stop_sequences")
    return list(raw) or None


def _user_id(body: dict[str, Any]) -> str | None:
    metadata = opt_object(body, "metadata")
    if metadata is None:
        return None
    return opt_string(metadata, "user_id", "metadata.user_id")


def parse_messages_request(
    data: bytes | dict[str, Any], *, max_messages: int = 2048, count_only: bool = False
) -> ChatRequest:
    """Validate a Messages body (``count_only``: a ``count_tokens`` body, no ``max_tokens``)."""
    body = load_object(data)
    model, fallbacks = model_chain(body)
    max_tokens = opt_int(body, "max_tokens", 1)
    if max_tokens is None and not count_only:
        raise fail("`max_tokens` is required.", "max_tokens")
    messages = _system(body.get("system")) + _messages(body.get("messages"), max_messages)
    tools = _tools(body.get("tools"))
    choice, parallel = _tool_choice(body.get("tool_choice"), tools)
    return ChatRequest(
        messages=messages,
        model=model,
        stream=bool(opt_bool(body, "stream")),
        max_tokens=max_tokens,
        temperature=opt_number(body, "temperature", 0, 1),
        top_p=opt_number(body, "top_p", 0, 1),
        stop=_stop(body.get("stop_sequences")),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        reasoning=_thinking_config(body.get("thinking")),
        user=_user_id(body),
        fallbacks=fallbacks,
        extra=passthrough(body),
    )
