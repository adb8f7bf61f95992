"""Helpers shared by the door tests (Anthropic Messages, OpenAI Responses, round trips)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from test_gateway_support import TOKEN, GatewayHarness

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import ToolParam

__all__ = ["WEATHER", "anthropic_client", "event_names", "post", "sse_blocks", "text_of"]

# One tool in Anthropic's shape (the OpenAI shapes are derived in the tests that need them).
WEATHER: ToolParam = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def anthropic_client(gw: GatewayHarness, *, api_key: str = TOKEN, **kwargs: Any) -> AsyncAnthropic:
    import anthropic  # imported on use, like the openai SDK in test_gateway_support

    return anthropic.AsyncAnthropic(base_url=gw.url, api_key=api_key, max_retries=0, **kwargs)


def text_of(block: object) -> str:
    """The text of a content block the SDK returned, which must be a text block."""
    from anthropic.types import TextBlock

    assert isinstance(block, TextBlock), block
    return block.text


def sse_blocks(raw: bytes) -> list[tuple[str, Any]]:
    """``(event name, parsed data)`` for every block of an ``event:``/``data:`` stream."""
    blocks = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ") and len(lines) == 2, block
        blocks.append((lines[0][7:], orjson.loads(lines[1][6:])))
    return blocks


def event_names(blocks: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in blocks]


async def post(
    gw: GatewayHarness,
    body: Any,
    *,
    path: str,
    headers: dict[str, str] | None = None,
    auth: str = "x-api-key",
) -> tuple[int, Any, bytes]:
    """A raw POST; ``auth`` is ``x-api-key``, ``bearer`` or ``none``. Headers: case-insensitive."""
    sent = {"x-api-key": TOKEN} if auth == "x-api-key" else gw.auth() if auth == "bearer" else {}
    async with aiohttp.ClientSession() as session:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        async with session.post(gw.url + path, data=data, headers={**sent, **(headers or {})}) as resp:
            return resp.status, resp.headers.copy(), await resp.read()
