"""The documented error codes of one spec version: schema / business / other, and the status of those that have one.

Read from the ``[codes]`` table of the version's overlay. Both spellings of the empty-cart code
(``PRODUCT_CART_EMPTY``, ``PRODUCT_CART_EMTPY``) are business codes in every version; ``empty_cart`` is the one a
faithful server answers (the real server's spelling, ``PRODUCT_CART_EMTPY``). The docs do not map most codes to an
HTTP status: ``status_of`` gives the documented one (``DISCOUNT_CONCURRENT_REDEMPTION`` 503, ``TOO_MANY_REQUESTS``
429) or None, and the engine's settings carry the inferred defaults for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

__all__ = ["EMPTY_CART_CODES", "CodeBook", "code_book"]

EMPTY_CART_CODES = frozenset({"PRODUCT_CART_EMPTY", "PRODUCT_CART_EMTPY"})


@dataclass(frozen=True, slots=True, eq=False)
class CodeBook:
    """The error codes of one version. ``inferred`` maps a code to why it is listed without a source saying so."""

    schema: frozenset[str]
    business: frozenset[str]
    other: frozenset[str]
    status: Mapping[str, int] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    inferred: Mapping[str, str] = field(default_factory=dict)
    empty_cart: str = "PRODUCT_CART_EMTPY"
    source: str = ""

    @property
    def documented(self) -> frozenset[str]:
        """Return every code an error body of this version may carry."""
        return self.schema | self.business | self.other

    def status_of(self, code: str) -> int | None:
        """Return the HTTP status the docs state for ``code``, or None when they state none."""
        return self.status.get(code)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (sorted lists)."""
        return {
            "schema": sorted(self.schema),
            "business": sorted(self.business),
            "other": sorted(self.other),
            "status": dict(sorted(self.status.items())),
            "empty_cart": self.empty_cart,
        }


def code_book(table: Mapping[str, Any], *, where: str, base: CodeBook | None = None) -> CodeBook:
    """Build a ``CodeBook`` from an overlay's ``[codes]`` table; ``ConfigError`` naming ``where`` if malformed.

    With ``base`` (another family's book of the same version), the table's codes, statuses and notes extend it.
    """
    sets: dict[str, frozenset[str]] = {}
    for key in ("schema", "business", "other"):
        values = table.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise ConfigError(f"{where}: codes.{key} must be a list of codes")
        sets[key] = frozenset(values) | (getattr(base, key) if base is not None else frozenset())
    business = sets["business"] | EMPTY_CART_CODES  # every version accepts both spellings
    raw_status = table.get("status", {})
    if not isinstance(raw_status, dict) or not all(isinstance(v, int) and 100 <= v <= 599 for v in raw_status.values()):
        raise ConfigError(f"{where}: codes.status must map codes to HTTP statuses")
    status = {**(base.status if base is not None else {}), **raw_status}
    documented = sets["schema"] | business | sets["other"]
    stray = sorted(set(status) - documented)
    if stray:
        raise ConfigError(f"{where}: codes.status names undocumented codes {stray}")
    empty = table.get("empty_cart", "PRODUCT_CART_EMTPY")
    if empty not in EMPTY_CART_CODES:
        raise ConfigError(f"{where}: codes.empty_cart must be one of {sorted(EMPTY_CART_CODES)}")
    return CodeBook(
        schema=sets["schema"],
        business=business,
        other=sets["other"],
        status=dict(status),
        notes={**(base.notes if base else {}), **{str(k): str(v) for k, v in (table.get("notes") or {}).items()}},
        inferred={
            **(base.inferred if base else {}),
            **{str(k): str(v) for k, v in (table.get("inferred") or {}).items()},
        },
        empty_cart=str(empty),
        source="; ".join(s for s in (str(table.get("source", "")), base.source if base else "") if s),
    )
