"""The HTTP gateway: OpenAI, OpenRouter and Anthropic wire shapes in front of the router."""
