"""Which transport serves which API kind, and the model id an upstream expects.

``TransportRegistry(http).transport_for(api)`` returns the transport for an API kind (one instance
per kind, sharing the registry's HTTP client); an API kind we cannot call raises
:class:`~openclaw.errors.ConfigError` naming the kinds we can.
"""

from __future__ import annotations

from ..catalog.providers import SUPPORTED_API_KINDS
from ..catalog.resolve import ResolvedProvider
from ..errors import ConfigError
from ..refs import ModelRef
from .base import HttpClient, Transport

__all__ = ["TransportRegistry", "upstream_model"]


def upstream_model(provider: ResolvedProvider, ref: ModelRef) -> str:
    """The ``model`` field for the upstream: the ref without its provider prefix; a bare id gets
    the provider row's ``bare_model_prefix`` (``openrouter/auto`` → ``openrouter/auto``)."""
    prefix = provider.row.bare_model_prefix if provider.row is not None else None
    if prefix and "/" not in ref.model:
        return f"{prefix}{ref.model}"
    return ref.model


class TransportRegistry:
    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self._transports: dict[str, Transport] = {}

    def transport_for(self, api: str) -> Transport:
        transport = self._transports.get(api)
        if transport is None:
            transport = self._create(api)
            self._transports[api] = transport
        return transport

    def _create(self, api: str) -> Transport:
        if api == "openai-completions":
            from .openai_completions import OpenAICompletionsTransport

            return OpenAICompletionsTransport(self.http)
        if api == "anthropic-messages":
            from .anthropic_messages import AnthropicMessagesTransport

            return AnthropicMessagesTransport(self.http)
        supported = ", ".join(SUPPORTED_API_KINDS)
        raise ConfigError(
            f'API kind "{api}" is not supported by openclaw-python yet (supported: {supported}). '
            'Most servers also speak "openai-completions": set models.providers.<id>.api to it.'
        )
