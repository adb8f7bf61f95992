"""Shared run-time state (cooldowns, rate-limit buckets): in-process by default, Redis to share
it between gateway processes."""
