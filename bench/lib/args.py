"""Command-line helpers shared by the benchmark scripts."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def names_arg(known: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    """An argparse ``type``: a comma-separated, non-empty subset of ``known``, in the order
    given (``--modes plain,stream``); anything else is a usage error that lists the choices."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in text.split(",") if name.strip())
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(known)} (got {text!r})")
        return names

    return parse
