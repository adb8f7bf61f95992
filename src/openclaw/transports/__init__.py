"""One transport per API kind (openai-completions, anthropic-messages) over an HTTP seam."""
