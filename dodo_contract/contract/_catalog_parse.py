"""Read the plain parts of a catalog file: lists, non-empty strings, unique ids (shared by both catalog readers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError


def _list(data: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    if key not in data:
        if required:
            raise ConfigError(f"{key}: missing (it is the one required key)")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: must be a list, not {type(value).__name__}")
    return value


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    values = _list(data, key)
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{key}[{i}]: must be a non-empty string, got {v!r}")
    return values


def _unique(name: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ConfigError(f"{name}[{i}]: duplicate id {x!r}")
        seen.add(x)
