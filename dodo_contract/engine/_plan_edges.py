"""Plan the valid edge requests of a payments run: named variants at the contract's edges, always sent.

Nulls, limits, unicode, what real traffic has, and what the version allows beyond the oldest (read from the
contract, not listed by version).
"""

from __future__ import annotations

from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract, get_contract
from ..generation._pools import LONG_NAMES
from ..validation.validator import validate_request

__all__ = ["edge_requests"]


def _nullable_top(contract: Contract) -> tuple[str, ...]:
    """Return the request's top-level fields that may be ``null``, read from the schema (not restated here)."""
    props = contract.schema("request")["properties"]
    return tuple(k for k, v in props.items() if isinstance(v.get("type"), list) and "null" in v["type"])


def edge_requests(base: Any, fixtures: Fixtures, *, contract: Contract | None = None) -> list[tuple[str, Any]]:
    """Return named valid variants of a canonical request at the contract's edges (nulls, limits, unicode).

    Random generation reaches these only sometimes; a run must always try them, whatever ``max_examples``.
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    contract = get_contract(contract)
    item = dict(base["product_cart"][0])
    out: list[tuple[str, Any]] = [
        ("quantity 0 next to quantity 1", {**base, "product_cart": [item, {**item, "quantity": 0}]}),
        (
            "every nullable field null",
            {
                **base,
                **dict.fromkeys(_nullable_top(contract)),
                "customer": {"email": "nulls@example.com", "name": None, "phone_number": None},
                "billing": {**base["billing"], "city": None, "state": None, "street": None, "zipcode": None},
            },
        ),
        ("100-item cart", {**base, "product_cart": [dict(item) for _ in range(100)]}),
        (
            "50 metadata pairs at the length limits",
            {**base, "metadata": {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(50)}},
        ),
        (
            "unicode text",
            {
                **base,
                "customer": {"email": "zoe@example.com", "name": "Zoë Ünlü 小龍 🦤", "phone_number": "+4915112345678"},
                "billing": {**base["billing"], "city": "Zürich", "street": "Øster Allé 5"},
                "metadata": {"note": "注文 #42 — emoji 🦤"},
            },
        ),
        (
            "customer_id and email together (read as an existing customer)",
            {**base, "customer": {"customer_id": fixtures.customers[0].id, "email": fixtures.customers[0].email}}
            if fixtures.customers
            else None,
        ),
        ("unknown extra keys", {**base, "x_unknown": {"nested": [1, 2]}, "another_unknown": None}),
        # What real traffic has: upper-case and plus-addressed emails, a long multi-byte name, plain http.
        ("upper-case email", {**base, "customer": {"email": "Ada.LOVELACE@Example.COM", "name": "Ada Lovelace"}}),
        ("plus-addressed email", {**base, "customer": {"email": "grace+billing@example.com", "name": "Grace"}}),
        (
            "a long multi-byte name",
            {**base, "customer": {"email": "long.name@example.com", "name": LONG_NAMES[0]}},
        ),
        ("a plain http:// return_url", {**base, "return_url": "http://shop.example.com/thanks?order=42"}),
        (
            "booleans set",
            {
                **base,
                "show_saved_payment_methods": True,
                "redirect_immediately": False,
                "force_3ds": True,
                "short_link": False,
            },
        ),
    ]
    out += _version_edges(base, fixtures, contract)
    return [(name, p) for name, p in out if p is not None and validate_request(p, spec_version=contract).ok]


def _version_edges(base: dict[str, Any], fixtures: Fixtures, contract: Contract) -> list[tuple[str, Any]]:
    """Return valid requests that use what the version allows beyond the oldest: every payment method type, a
    metadata value of each allowed type, stacked discount codes (read from the contract, not listed by version).

    A server built to another version refuses some of them; the server of this version must accept them all.
    """
    out: list[tuple[str, Any]] = []
    methods = contract.payment_method_types
    if any(m in methods for m in fixtures.enabled_payment_methods):
        out.append(("every payment method type of the spec", {**base, "allowed_payment_method_types": list(methods)}))
    value = next((r for r in contract.rules("request") if r.id == "metadata.value.type"), None)
    samples = {"string": "text", "integer": 5, "number": 5.5, "boolean": True}
    types = [t for t in (value.limit if value is not None and isinstance(value.limit, tuple) else ()) if t in samples]
    if len(types) > 1:
        out.append(("a metadata value of every allowed type", {**base, "metadata": {t: samples[t] for t in types}}))
    codes = list(dict.fromkeys(d.code for d in fixtures.discounts))[:20]
    if "discount_codes" in (contract.schema("request").get("properties") or {}) and len(codes) >= 2:
        out.append((f"{len(codes)} stacked discount codes, in order", {**base, "discount_codes": codes}))
    return out
