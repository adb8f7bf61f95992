"""Usage: the per-attempt ledger (SQLite by default, PostgreSQL as an option) and pricing."""
