"""The operations a contract can be about, as data: a name, the family of files it shares, its method and path.

An operation is picked like a spec version: by name. ``payments`` (``POST /payments``) is the default everywhere;
``checkouts`` (``POST /checkouts``), ``checkouts.preview`` (``POST /checkouts/preview``, the same request schema)
and ``checkouts.get`` (``GET /checkouts/{id}``, no request body) form the ``checkouts`` family: one folder of
schema files per version and family (``schemas/<version>/checkouts/``) and one overlay
(``overlays/<version>.checkouts.toml``), so that an operation's overlay never changes another family's shared
components. Everything else an operation has (its schemas, statuses, prose rules, error codes) is derived from
Dodo's document and the overlay, and hangs off its ``Contract``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = [
    "DEFAULT_OPERATION",
    "ENDPOINTS",
    "FAMILIES",
    "OPERATIONS",
    "Endpoint",
    "resolve_operation",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation: its ``name``, the ``family`` whose files and overlay it uses, ``method`` and ``path``.

    ``has_request``: whether it takes a JSON request body (``checkouts.get`` does not; its path parameter ``id``
    is the session id).
    """

    name: str
    family: str
    method: str
    path: str
    has_request: bool = True

    @property
    def label(self) -> str:
        """Return ``METHOD /path`` (``POST /checkouts/preview``)."""
        return f"{self.method} {self.path}"


DEFAULT_OPERATION = "payments"
ENDPOINTS: Mapping[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("payments", "payments", "POST", "/payments"),
        Endpoint("checkouts", "checkouts", "POST", "/checkouts"),
        Endpoint("checkouts.preview", "checkouts", "POST", "/checkouts/preview"),
        Endpoint("checkouts.get", "checkouts", "GET", "/checkouts/{id}", has_request=False),
    )
}
OPERATIONS: tuple[str, ...] = tuple(ENDPOINTS)
FAMILIES: Mapping[str, tuple[str, ...]] = {
    family: tuple(e.name for e in ENDPOINTS.values() if e.family == family)
    for family in dict.fromkeys(e.family for e in ENDPOINTS.values())
}


def resolve_operation(name: str | None) -> Endpoint:
    """Return the operation ``name`` (None: ``payments``); ``ConfigError`` listing the known ones otherwise."""
    found = ENDPOINTS.get(DEFAULT_OPERATION if name is None else str(name).strip())
    if found is None:
        raise ConfigError(f"unknown operation {name!r}; known: {', '.join(OPERATIONS)}")
    return found
