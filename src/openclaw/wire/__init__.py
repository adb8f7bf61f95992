"""Wire formats: the internal request/event types, SSE, and per-API encoders and decoders."""
