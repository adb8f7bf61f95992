"""Test support shipped with the package: a fake OpenRouter upstream."""
