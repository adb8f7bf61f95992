"""The OpenAI Responses front door, request side: a ``POST /v1/responses`` body -> ChatRequest.

Stateless, like OpenRouter's ``/responses``: nothing is stored, so ``previous_response_id``,
``store: true``, ``background``, ``conversation`` and ``item_reference`` items are refused with a
400 that says so (send the whole conversation in ``input`` instead).

Mapping (Responses -> the internal model):

* ``instructions`` -> a ``system`` message at the front; ``input`` as a string -> one user message;
* ``message`` items (``input_text`` / ``output_text`` / ``input_image`` / ``input_file`` /
  ``input_audio`` parts) -> messages; an assistant's plain text parts are joined into a string;
* ``function_call`` items -> ``tool_calls`` of the assistant message they follow (or of a new
  one); ``function_call_output`` -> a ``tool`` message; ``reasoning`` items -> the next assistant
  message's ``reasoning`` (and, from ``encrypted_content``, the ``reasoning_details`` this door
  wrote there: Anthropic thinking signatures survive a round trip through this door);
* ``tools`` (function tools only), ``tool_choice``, ``max_output_tokens``, ``reasoning.effort``,
  ``text.format`` (-> ``response_format``), ``temperature``, ``top_p``, ``parallel_tool_calls``,
  ``user`` / ``safety_identifier``; OpenRouter's ``models``, ``provider``, ``plugins``, ...

:func:`parse_responses_request` also returns the ``echo``: the request fields the Response object
repeats (``instructions``, ``tools``, ``tool_choice``, ...), built once per request.
"""

from __future__ import annotations

import base64
import binascii
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

__all__ = ["decode_details", "encode_details", "parse_responses_request"]

_STATELESS = (
    "this gateway does not store responses (stateless, like OpenRouter): "
    "send the whole conversation in `input`"
)
_ROLES = frozenset({"user", "assistant", "system", "developer"})
_TEXT_PARTS = frozenset({"input_text", "output_text", "text", "refusal"})
_DETAILS_PREFIX = "openclaw:"


def encode_details(details: list[dict[str, Any]]) -> str:
    """``reasoning_details`` as a reasoning item's ``encrypted_content`` (opaque to the client)."""
    return _DETAILS_PREFIX + base64.b64encode(orjson.dumps(details)).decode()


def decode_details(value: str) -> list[dict[str, Any]]:
    """What :func:`encode_details` wrote; any other value is kept as one encrypted detail."""
    if value.startswith(_DETAILS_PREFIX):
        try:
            details = orjson.loads(base64.b64decode(value[len(_DETAILS_PREFIX) :], validate=True))
        except (binascii.Error, orjson.JSONDecodeError):
            details = None
        if isinstance(details, list) and all(isinstance(d, dict) for d in details):
            return details
    return [{"type": "reasoning.encrypted", "data": value}]


def _refuse_state(body: dict[str, Any]) -> None:
    if body.get("previous_response_id") is not None:
        raise fail(f"`previous_response_id` cannot be used: {_STATELESS}.", "previous_response_id")
    if body.get("store") is True:
        raise fail(f"`store: true` is not supported: {_STATELESS}. Omit `store` or send false.", "store")
    for name in ("background", "conversation", "prompt"):
        if body.get(name) not in (None, False):
            raise fail(f"`{name}` is not supported: {_STATELESS}.", name)


# ---------------------------------------------------------------------------------- content


def _image(part: dict[str, Any], where: str) -> ImagePart:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        raise fail(f"`{where}.image_url` is required (file ids need a files API this gateway lacks).", where)
    media = url[5 : url.find(";")] if url.startswith("data:") and ";" in url else None
    detail = part.get("detail")
    return ImagePart(url=url, detail=detail if isinstance(detail, str) else None, media_type=media)


def _file(part: dict[str, Any], where: str) -> RawPart:
    data, name = part.get("file_data"), part.get("filename")
    if not isinstance(data, str) or not data:
        raise fail(f"`{where}.file_data` is required (file ids need a files API this gateway lacks).", where)
    if not data.startswith("data:"):
        data = f"data:application/pdf;base64,{data}"
    return RawPart(
        data={
            "type": "file",
            "file": {"filename": name if isinstance(name, str) else "file", "file_data": data},
        }
    )


def _part(part: Any, where: str) -> Part:
    if not isinstance(part, dict):
        raise fail(f"`{where}` must be an object.", where)
    kind = part.get("type")
    if kind in _TEXT_PARTS:
        text = part.get("refusal" if kind == "refusal" else "text")
        if not isinstance(text, str):
            raise fail(f"`{where}.text` must be a string.", f"{where}.text")
        return TextPart(text=text)
    if kind == "input_image":
        return _image(part, where)
    if kind == "input_file":
        return _file(part, where)
    if kind == "input_audio" and isinstance(part.get("input_audio"), dict):
        return RawPart(data={"type": "input_audio", "input_audio": part["input_audio"]})
    raise fail(f"`{where}.type` {kind!r} is not a content part this gateway accepts.", f"{where}.type")


def _content(raw: Any, where: str, role: str) -> str | list[Part]:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise fail(f"`{where}` must be a string or a list of content parts.", where)
    parts = [_part(p, f"{where}[{i}]") for i, p in enumerate(raw)]
    if role == "assistant" and all(type(p) is TextPart for p in parts):
        return "".join(p.text for p in parts)  # type: ignore[union-attr]
    return parts


# ------------------------------------------------------------------------------------ items


class _Conversation:
    """Folds ``input`` items into messages (function calls join the assistant turn they follow)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reasoning: list[str] = []
        self.details: list[dict[str, Any]] = []

    def _assistant(self) -> Message:
        last = self.messages[-1] if self.messages else None
        if last is not None and last.role == "assistant" and not self.reasoning and not self.details:
            return last
        message = Message(role="assistant")
        self._take_reasoning(message)
        self.messages.append(message)
        return message

    def _take_reasoning(self, message: Message) -> None:
        if self.reasoning:
            message.reasoning = "".join(self.reasoning)
        if self.details:
            message.reasoning_details = self.details
        self.reasoning, self.details = [], []

    def message(self, item: dict[str, Any], where: str) -> None:
        role = item.get("role")
        if role not in _ROLES:
            raise fail(f"`{where}.role` must be user, assistant, system or developer.", f"{where}.role")
        content = _content(item.get("content"), f"{where}.content", role)
        message = Message(role=role, content=content)
        if role == "assistant":
            self._take_reasoning(message)
        self.messages.append(message)

    def function_call(self, item: dict[str, Any], where: str) -> None:
        call_id, name, args = item.get("call_id"), item.get("name"), item.get("arguments", "{}")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
            raise fail(f"`{where}` needs `call_id` and `name`.", where)
        if not isinstance(args, str):
            raise fail(f"`{where}.arguments` must be a JSON string.", f"{where}.arguments")
        message = self._assistant()
        message.tool_calls = [*(message.tool_calls or []), ToolCall(id=call_id, name=name, arguments=args)]

    def function_output(self, item: dict[str, Any], where: str) -> None:
        call_id, output = item.get("call_id"), item.get("output")
        if not isinstance(call_id, str) or not call_id:
            raise fail(f"`{where}.call_id` is required.", f"{where}.call_id")
        if output is None:
            raise fail(f"`{where}.output` is required.", f"{where}.output")
        content = _content(output, f"{where}.output", "tool")
        self.messages.append(Message(role="tool", content=content, tool_call_id=call_id))

    def reasoning_item(self, item: dict[str, Any], where: str) -> None:
        texts = [c.get("text") for c in item.get("content") or () if isinstance(c, dict)]
        if not texts:
            texts = [s.get("text") for s in item.get("summary") or () if isinstance(s, dict)]
        self.reasoning.extend(t for t in texts if isinstance(t, str))
        encrypted = opt_string(item, "encrypted_content", f"{where}.encrypted_content")
        if encrypted:
            self.details.extend(decode_details(encrypted))

    def add(self, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            raise fail(f"`{where}` must be an object.", where)
        kind = item.get("type", "message")
        if kind == "message":
            self.message(item, where)
        elif kind == "function_call":
            self.function_call(item, where)
        elif kind == "function_call_output":
            self.function_output(item, where)
        elif kind == "reasoning":
            self.reasoning_item(item, where)
        elif kind == "item_reference":
            raise fail(f"`{where}`: item references cannot be used: {_STATELESS}.", f"{where}.type")
        else:
            raise fail(f"`{where}.type` {kind!r} is not an input item this gateway accepts.", f"{where}.type")


def _input(raw: Any, instructions: str | None, max_messages: int) -> list[Message]:
    conversation = _Conversation()
    if instructions:
        conversation.messages.append(Message(role="system", content=instructions))
    if isinstance(raw, str) and raw:
        conversation.messages.append(Message(role="user", content=raw))
    elif isinstance(raw, list) and raw:
        if len(raw) > max_messages:
            raise fail(
                f"Too many input items: {len(raw)} (this gateway accepts at most {max_messages}).", "input"
            )
        for i, item in enumerate(raw):
            conversation.add(item, f"input[{i}]")
    else:
        raise fail("`input` must be a non-empty string or a non-empty list of items.", "input")
    return conversation.messages


# ------------------------------------------------------------------------------------ tools


def _tools(raw: Any) -> list[ToolDef] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise fail("`tools` must be a list of function tools.", "tools")
    tools = []
    for i, tool in enumerate(raw):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function" or not isinstance(tool, dict):
            raise fail(
                f"`{where}`: only function tools are supported by this gateway (got {kind!r}); "
                "hosted tools (web search, file search, computer use, MCP, ...) are not.",
                f"{where}.type",
            )
        name, params = tool.get("name"), tool.get("parameters")
        if not isinstance(name, str) or not name:
            raise fail(f"`{where}.name` is required.", f"{where}.name")
        if params is not None and not isinstance(params, dict):
            raise fail(f"`{where}.parameters` must be an object.", f"{where}.parameters")
        strict = opt_bool(tool, "strict")
        tools.append(
            ToolDef(
                name=name,
                description=opt_string(tool, "description", f"{where}.description"),
                parameters=params,
                strict=strict,
            )
        )
    return tools


def _tool_choice(raw: Any, tools: list[ToolDef] | None) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(mode=raw)
    name = raw.get("name") if isinstance(raw, dict) and raw.get("type") == "function" else None
    if not isinstance(name, str) or not name:
        raise fail(
            "`tool_choice` must be auto, none, required or {type: function, name}; hosted tool choices "
            "and allowed_tools are not supported.",
            "tool_choice",
        )
    if not tools or all(t.name != name for t in tools):
        raise fail(f"`tool_choice` names the function {name!r}, which is not in `tools`.", "tool_choice")
    return ToolChoice(mode="tool", name=name)


# ------------------------------------------------------------------------------ the request


def _text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    text = opt_object(body, "text")
    fmt = opt_object(text, "format", "text.format") if text else None
    if fmt is None or fmt.get("type") == "text":
        return None
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), dict):
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    raise fail("`text.format.type` must be text, json_object or json_schema (with `schema`).", "text.format")


def _reasoning(body: dict[str, Any]) -> ReasoningConfig | None:
    raw = opt_object(body, "reasoning")
    if not raw:
        return None
    effort = opt_string(raw, "effort", "reasoning.effort")
    return ReasoningConfig(effort=effort) if effort else None


def _echo(body: dict[str, Any], tools: list[ToolDef] | None) -> dict[str, Any]:
    """The request fields a Response object repeats."""
    reasoning = opt_object(body, "reasoning") or {}
    text = opt_object(body, "text") or {}
    return {
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "store": False,
        "temperature": body.get("temperature"),
        "text": {"format": text.get("format") or {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") if tools else [],
        "top_p": body.get("top_p"),
        "truncation": body.get("truncation") or "disabled",
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def parse_responses_request(
    data: bytes | dict[str, Any], *, max_messages: int = 2048
) -> tuple[ChatRequest, dict[str, Any]]:
    """Validate a Responses body: the request, and the fields its Response object echoes."""
    body = load_object(data)
    _refuse_state(body)
    model, fallbacks = model_chain(body)
    instructions = opt_string(body, "instructions")
    messages = _input(body.get("input"), instructions, max_messages)
    tools = _tools(body.get("tools"))
    user = opt_string(body, "user") or opt_string(body, "safety_identifier")
    opt_object(body, "metadata")
    request = ChatRequest(
        messages=messages,
        model=model,
        stream=bool(opt_bool(body, "stream")),
        max_tokens=opt_int(body, "max_output_tokens", 1),
        temperature=opt_number(body, "temperature", 0, 2),
        top_p=opt_number(body, "top_p", 0, 1),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools),
        parallel_tool_calls=opt_bool(body, "parallel_tool_calls"),
        response_format=_text_format(body),
        reasoning=_reasoning(body),
        user=user,
        fallbacks=fallbacks,
        extra=passthrough(body),
    )
    return request, _echo(body, tools)
