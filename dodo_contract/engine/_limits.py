"""The engine's documented bounds and defaults, in a module light enough for option resolution to import."""

from __future__ import annotations

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_MAX_EXAMPLES", "MAX_CONCURRENCY", "MAX_EXAMPLES"]

DEFAULT_MAX_EXAMPLES = 100
# Planning grows with it (about 3 requests per example) and every request is sent: past this a run cannot end
# within any sane time budget, and planning alone would take minutes and hundreds of MB.
MAX_EXAMPLES = 10_000
# Requests in flight at once. Ten keeps a target 300 ms away at about 30 requests/s before the rate limit
# (20/s by default for remote hosts, half of Dodo's documented 40/s burst) paces them; 1 sends one at a time.
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64
