"""Failure classification, retries, cooldowns, the candidate chain and the router."""
