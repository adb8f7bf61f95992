"""Fold stream events into a :class:`ChatResult`.

Tool-call fragments are accumulated by ``index`` (ids and names arrive once, arguments in pieces,
possibly split inside a UTF-8 character's JSON escape); ``finish`` checks that every tool call's
arguments parse as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..errors import ProviderError
from .types import (
    ChatResult,
    ErrorEvent,
    Finish,
    ReasoningDelta,
    ResponseInfo,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageEvent,
)

__all__ = ["Aggregator"]


class _PendingCall:
    __slots__ = ("args", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.args: list[str] = []


class Aggregator:
    """Feed events with :meth:`add`; read the answer with :meth:`result`."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._details: list[dict[str, Any]] = []
        self._calls: dict[int, _PendingCall] = {}
        self.result_ = ChatResult()
        self.error: ProviderError | None = None
        self.finished = False

    def add(self, event: StreamEvent) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _on_text(self, event: TextDelta) -> None:
        self._text.append(event.text)

    def _on_tool(self, event: ToolCallDelta) -> None:
        pending = self._calls.get(event.index)
        if pending is None:
            pending = self._calls[event.index] = _PendingCall()
        if event.id:
            pending.id = event.id
        if event.name:
            pending.name = event.name
        if event.arguments:
            pending.args.append(event.arguments)

    def _on_reasoning(self, event: ReasoningDelta) -> None:
        if event.text:
            self._reasoning.append(event.text)
        if event.details:
            self._details.extend(event.details)

    def _on_info(self, event: ResponseInfo) -> None:
        res = self.result_
        res.id = event.id or res.id
        res.model = event.model or res.model
        res.provider_name = event.provider_name or res.provider_name

    def _on_usage(self, event: UsageEvent) -> None:
        self.result_.usage = event.usage

    def _on_finish(self, event: Finish) -> None:
        self.result_.finish_reason = event.reason
        self.result_.native_finish_reason = event.native
        self.finished = True

    def _on_error(self, event: ErrorEvent) -> None:
        self.error = event.error

    @property
    def text(self) -> str:
        return "".join(self._text)

    def tool_calls(self) -> list[ToolCall]:
        calls = []
        for index in sorted(self._calls):
            pending = self._calls[index]
            args = "".join(pending.args)
            calls.append(
                ToolCall(
                    id=pending.id or f"call_{index}",
                    name=pending.name or "",
                    arguments=args if args else "{}",
                )
            )
        return calls

    def result(self) -> ChatResult:
        res = self.result_
        res.text = self.text
        if self._reasoning:
            res.reasoning = "".join(self._reasoning)
        if self._details:
            res.reasoning_details = self._details
        res.tool_calls = self.tool_calls()
        return res

    def invalid_tool_arguments(self) -> list[str]:
        """Names of tool calls whose arguments are not valid JSON (empty for a good answer)."""
        bad = []
        for call in self.tool_calls():
            try:
                orjson.loads(call.arguments)
            except orjson.JSONDecodeError:
                bad.append(call.name or call.id)
        return bad


_HANDLERS: dict[type, Callable[[Aggregator, Any], None]] = {
    TextDelta: Aggregator._on_text,
    ToolCallDelta: Aggregator._on_tool,
    ReasoningDelta: Aggregator._on_reasoning,
    ResponseInfo: Aggregator._on_info,
    UsageEvent: Aggregator._on_usage,
    Finish: Aggregator._on_finish,
    ErrorEvent: Aggregator._on_error,
}
