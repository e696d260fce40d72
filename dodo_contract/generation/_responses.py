"""Decode one draw into a valid 200 body of ``POST /payments``, free or reflecting a given request.

Version-aware like the requests: from 1.113.0 metadata values may be numbers or booleans and a body may carry
``discount_ids`` (its first id is then ``discount_id``, the deprecated alias).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract
from ._pools import (
    _CHECKOUT,
    _EPOCH_2020,
    _TIME_STYLES,
    _TWENTY_YEARS,
    INT32_MAX,
    INT32_MIN,
    Payload,
    _Dice,
    _email,
    _extras,
    _maybe,
    _metadata,
    _name,
    _phone,
    _timestamp,
)

__all__ = ["ResponsePlan", "cart_total"]

_OPTIONAL = ("discount_id", "expires_on", "payment_link", "product_cart", "phone_number", "customer_metadata",
             "<extras>")  # fmt: skip


class ResponsePlan:
    """Build valid 200 bodies for one contract: free ones (``build``) and ones reflecting a request."""

    def __init__(self, contract: Contract) -> None:
        props = contract.schema("response").get("properties") or {}
        self.discount_ids = "discount_ids" in props
        meta = (props.get("metadata") or {}).get("additionalProperties") or {}
        self.numbers = isinstance(meta.get("type"), list) and "number" in meta["type"]
        self.optional = (*_OPTIONAL, "discount_ids") if self.discount_ids else _OPTIONAL

    def build(self, draw: bytes) -> Payload:
        number = int.from_bytes(draw)
        mask, d = number & (2 ** len(self.optional) - 1), _Dice(number >> len(self.optional))
        customer: Payload = {"customer_id": d.ident("cus_"), "name": _name(d), "email": _email(d)}
        if mask >> 4 & 1:
            customer["phone_number"] = _maybe(d, _phone)
        if mask >> 5 & 1:
            customer["metadata"] = _metadata(d, numbers=self.numbers)
        out: Payload = _extras(d) if mask >> 6 & 1 else {}
        out.update(payment_id=d.ident("pay_"), client_secret=d.ident("secret_"), customer=customer)
        out["total_amount"] = d.between(0, 100_000) if d.below(4) else d.between(0, INT32_MAX)
        out["metadata"] = _metadata(d, numbers=self.numbers)
        if mask & 1:
            out["discount_id"] = _maybe(d, lambda d: d.ident("dsc_"))
        if mask >> 1 & 1:
            out["expires_on"] = _maybe(d, lambda d: _timestamp(d.between(_EPOCH_2020, _EPOCH_2020 + _TWENTY_YEARS),
                                                                d.pick(_TIME_STYLES)))  # fmt: skip
        if mask >> 2 & 1:
            out["payment_link"] = _maybe(d, lambda d: _CHECKOUT + d.ident(""))
        if mask >> 3 & 1:
            out["product_cart"] = _maybe(d, _response_cart)
        if self.discount_ids and mask >> 7 & 1:
            ids = None if d.chance(1, 4) else [d.ident("dsc_") for _ in range(d.below(4))]
            out["discount_ids"] = ids
            if ids:
                out["discount_id"] = ids[0]  # the deprecated alias is the first id
            elif isinstance(out.get("discount_id"), str) and ids == []:
                out["discount_id"] = None
        return out

    def reflect(self, request_json: str, fx: Fixtures | None, draw: bytes) -> Payload:
        """Return a body a faithful server could answer to the request (JSON text), given ``fixtures``."""
        request: Payload = json.loads(request_json)
        d = _Dice(int.from_bytes(draw))
        raw = request.get("customer")
        given: Payload = raw if isinstance(raw, dict) else {}
        if isinstance(given.get("customer_id"), str):
            stored = fx.customer(given["customer_id"]) if fx is not None else None
            customer: Payload = {"customer_id": given["customer_id"], "name": stored.name if stored else _name(d),
                                 "email": stored.email if stored else _email(d)}  # fmt: skip
            if stored is not None and stored.phone_number:
                customer["phone_number"] = stored.phone_number
        else:
            email: str = given["email"] if isinstance(given.get("email"), str) else _email(d)
            customer = {"customer_id": d.ident("cus_"), "email": email,
                        "name": given.get("name") or email.split("@")[0]}  # fmt: skip
            if isinstance(given.get("phone_number"), str):
                customer["phone_number"] = given["phone_number"]
        payment_id = d.ident("pay_")
        body: Payload = {"payment_id": payment_id, "client_secret": d.ident("secret_"), "customer": customer}
        body["metadata"] = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
        body["total_amount"] = cart_total(request, fx) if fx is not None else d.between(0, 100_000)
        if isinstance(request.get("product_cart"), list):
            body["product_cart"] = request["product_cart"]
        if request.get("payment_link") is True:
            body["payment_link"] = _CHECKOUT + payment_id
            expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=d.between(3600, 30 * 86_400))
            body["expires_on"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = [x.id for x in _discounts(request, fx)]
        if ids:
            body["discount_id"] = ids[0]
            if self.discount_ids:
                body["discount_ids"] = ids
        return body


def _response_cart(d: _Dice) -> list[Payload]:
    cart: list[Payload] = []
    for _ in range(d.below(6)):
        item: Payload = {"product_id": d.ident("pdt_"), "quantity": d.between(0, INT32_MAX)}
        if roll := d.below(3):
            item["amount"] = None if roll == 1 else d.between(INT32_MIN, INT32_MAX)
        cart.append(item)
    return cart


def _discounts(request: Payload, fx: Fixtures | None) -> list[Any]:
    if fx is None:
        return []
    codes = request.get("discount_codes")
    wanted = codes if isinstance(codes, list) else [request.get("discount_code")]
    found = [fx.discount(code) for code in wanted if isinstance(code, str)]
    return [x for x in found if x is not None]


def cart_total(request: Payload, fx: Fixtures) -> int:
    """Return what a faithful server charges: catalog prices (PWYW amounts) x quantities, less each discount."""
    total = sum(fx.line_total(item) or 0 for item in request.get("product_cart") or ())
    for discount in _discounts(request, fx):
        total = discount.apply(total)
    return max(0, min(total, INT32_MAX))
