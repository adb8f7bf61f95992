"""openclaw: OpenClaw's model-provider layer in Python, and a gateway in front of it.

Importing this package is cheap on purpose (no network, no heavy imports): the CLI starts in
milliseconds. Use :mod:`openclaw.runtime` for the library entry point.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
