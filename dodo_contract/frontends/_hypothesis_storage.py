"""Keep Hypothesis' on-disk cache out of the user's working directory while a contract run draws its requests.

The engine draws with ``database=None``, but Hypothesis (6.13x and later) still caches the constants it
collects from local source files under ``<cwd>/.hypothesis/constants``, whatever the database setting: a gate
run would leave a ``.hypothesis/`` folder in whatever folder it was started from. During the run the storage
directory points at a private temporary folder, deleted afterwards; a user who set
``HYPOTHESIS_STORAGE_DIRECTORY`` keeps their choice.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["hypothesis_storage_outside_cwd"]


@contextlib.contextmanager
def hypothesis_storage_outside_cwd() -> Iterator[None]:
    """Point Hypothesis' storage directory at a temporary folder for the duration of the block."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    from hypothesis import configuration

    home: Any = configuration.storage_directory()
    # Recent Hypothesis returns a StorageDirectory, older versions the home Path itself.
    previous: Path = getattr(home, "home_directory", home)
    with tempfile.TemporaryDirectory(prefix="dodo-contract-hypothesis-") as scratch:
        configuration.set_hypothesis_home_dir(scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(previous)
