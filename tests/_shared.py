"""Locate the read-only reference material (``shared/``: Dodo's spec subset and published examples)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    """Return ``shared/``: ``$DODO_SHARED_DIR``, else beside the checkout (as CI lays it out), else /work/shared."""
    candidates = [os.environ.get("DODO_SHARED_DIR"), Path(__file__).resolve().parents[2] / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "dodo" / "openapi").is_dir():
            return Path(candidate)
    raise FileNotFoundError("shared/ (Dodo's spec and examples) not found: set DODO_SHARED_DIR to its path")


SHARED = shared_dir()
SUBSET = SHARED / "dodo" / "openapi" / "dodo_payments_create_subset_v1.86.0.json"
EXAMPLES = SHARED / "dodo" / "examples"
