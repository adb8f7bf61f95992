"""Providers as data rows, merged with ``models.providers`` from the config; model facts."""
