"""Test support shipped with the package: a fake OpenRouter (and Anthropic) upstream.

``from openclaw.testing import FakeUpstream, Reply``; see :mod:`openclaw.testing.fake_upstream`.
Names are imported on first use, so ``python -m openclaw.testing.fake_upstream`` runs cleanly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake_upstream import FakeUpstream
    from .replies import Reply, reply_from_spec
    from .routes import RecordedRequest

__all__ = ["FakeUpstream", "RecordedRequest", "Reply", "reply_from_spec"]

_WHERE = {
    "FakeUpstream": "fake_upstream",
    "RecordedRequest": "routes",
    "Reply": "replies",
    "reply_from_spec": "replies",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'openclaw.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
