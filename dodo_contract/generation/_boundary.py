"""The valid requests on the inside of each bound: the last value a faithful server must still accept.

For every size or range rule derived from the contract, one request sits exactly at the limit (100 cart items,
50 metadata pairs, a 40-character key, a 500-character value, 20 discount codes, ``amount`` = int32 max on a
pay-what-you-want line, quantity 0) and for each cross-field rule one sits right beside it (a phone with
``require_phone_number``, ``discount_codes`` with a null ``discount_code``). A bound is skipped when no request at
it is business-valid for the fixtures: a cart whose total overflows int32 (``quantity`` = int32 max at any price
above 1), 20 codes from a catalog with fewer distinct ones (the same code twice is not something a faithful
server must accept), a negative ``amount`` (the docs say it is ignored on a fixed-price line, too weak a
reading to stake a verdict on). Every request returned passes the validator of its version.
"""

from __future__ import annotations

import copy
from typing import Any

from ..contract.fixtures import Fixtures, Product
from ..contract.rules import ITEM, KEY, VALUE
from ..contract.versions import Contract
from ..validation.validator import validate_request
from ._pools import INT32_MAX, Payload

__all__ = ["boundary_requests", "null_requests"]

_TAX_ROOM = 2  # a large quantity leaves room for tax on top: quantity x price x 2 still fits int32


def boundary_requests(base: Payload, fx: Fixtures, contract: Contract) -> list[tuple[str, Payload]]:
    """Return (name, request) pairs at the inside of each bound of ``contract``, built on a canonical ``base``."""
    out: list[tuple[str, Payload]] = []
    item = dict(base["product_cart"][0])

    def add(name: str, **changes: Any) -> None:
        out.append((f"boundary: {name}", {**base, **changes}))

    for rule in contract.rules("request"):
        limit, path = rule.limit, rule.path
        if rule.keyword == "maxItems" and path == ("product_cart",):
            cheapest = _cheapest(fx)
            line = {"product_id": cheapest.id, "quantity": 1} if cheapest else item
            if (fx.line_total(line) or 0) * limit <= INT32_MAX:
                add(f"{rule.id} ({limit} items)", product_cart=[dict(line) for _ in range(limit)])
        elif rule.keyword == "maxItems" and path == ("discount_codes",):
            codes = list(dict.fromkeys(d.code for d in fx.discounts))
            if len(codes) >= limit:
                add(f"{rule.id} ({limit} distinct codes)", discount_codes=codes[:limit])
        elif rule.keyword == "maxProperties" and path == ("metadata",):
            add(f"{rule.id} ({limit} pairs)", metadata={f"key_{i:02d}": str(i) for i in range(limit)})
        elif rule.keyword == "maxLength" and path == ("metadata", KEY):
            add(f"{rule.id} (a key of {limit} characters)", metadata={"k" * limit: "v"})
        elif rule.keyword == "maxLength" and path == ("metadata", VALUE):
            add(f"{rule.id} (a value of {limit} characters)", metadata={"note": "v" * limit})
        elif rule.keyword == "minimum" and path == ("product_cart", ITEM, "quantity"):
            add(f"{rule.id} (quantity {limit} beside quantity 1)", product_cart=[item, {**item, "quantity": limit}])
        elif rule.keyword == "maximum" and path == ("product_cart", ITEM, "quantity"):
            unit = next((p for p in fx.checkout.one_time(fx.products) if _unit_price(p) == 1), None)
            if unit is not None:
                line = {"product_id": unit.id, "quantity": limit, **({"amount": 1} if unit.pay_what_you_want else {})}
                add(f"{rule.id} (quantity {limit} at a unit price of 1)", product_cart=[line])
            cheapest = _cheapest(fx)
            if cheapest is not None and cheapest.price > 1:
                # No product at 1: the largest quantity whose total, even with tax on top, still fits int32.
                quantity = min(limit, INT32_MAX // (cheapest.price * _TAX_ROOM))
                line = {"product_id": cheapest.id, "quantity": quantity}
                add(f"{rule.id} (quantity {quantity}: the total still fits int32)", product_cart=[line])
        elif rule.keyword == "maximum" and path == ("product_cart", ITEM, "amount"):
            pwyw = next((p for p in fx.products if p.pay_what_you_want and p.min_amount <= limit), None)
            if pwyw is not None:
                line = {"product_id": pwyw.id, "quantity": 1, "amount": limit}
                add(f"{rule.id} (amount {limit} on a pay-what-you-want line)", product_cart=[line])
        elif rule.kind == "cross_field" and rule.limit == "phone_number_required":
            phone = {"email": "phone.required@example.com", "name": "Ada", "phone_number": "+14155550123"}
            add("require_phone_number with a new customer's phone", require_phone_number=True, customer=phone)
            add("require_phone_number with a payment link and a phone", require_phone_number=True,
                payment_link=True, customer=phone)  # fmt: skip
        elif rule.kind == "cross_field" and rule.limit == "discount_codes_exclusive" and fx.discounts:
            add("discount_codes beside a null discount_code", discount_codes=[fx.discounts[0].code], discount_code=None)
    return [(name, p) for name, p in out if validate_request(p, spec_version=contract).ok]


def _unit_price(product: Product) -> int:
    return max(product.min_amount, 1) if product.pay_what_you_want else product.price


def _cheapest(fx: Fixtures) -> Product | None:
    fixed = [p for p in fx.checkout.one_time(fx.products) if not p.pay_what_you_want and p.price > 0]
    return min(fixed, key=lambda p: p.price) if fixed else None


def _nullable(node: Any) -> bool:
    kinds = node.get("type") if isinstance(node, dict) else None
    return (isinstance(kinds, list) and "null" in kinds) or kinds == "null"


def _nullable_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Return the path of every property of ``node`` whose schema allows ``null`` (array items at index 0)."""
    if not isinstance(node, dict):
        return []
    out: list[tuple[str | int, ...]] = []
    for name, sub in (node.get("properties") or {}).items():
        if _nullable(sub):
            out.append((*path, name))
        out += _nullable_paths(sub, (*path, name))
    if isinstance(node.get("items"), dict):
        out += _nullable_paths(node["items"], (*path, 0))
    for branch in node.get("anyOf") or node.get("oneOf") or ():
        out += [p for p in _nullable_paths(branch, path) if p not in out]
    return out


def _with_null(base: Payload, path: tuple[str | int, ...]) -> Payload:
    out = copy.deepcopy(base)
    node: Any = out
    for part in path[:-1]:
        nxt = node[int(part)] if isinstance(node, list) else node.get(part)
        if not isinstance(nxt, (dict, list)):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[path[-1]] = None
    return out


def null_requests(base: Payload, contract: Contract) -> list[tuple[str, Payload]]:
    """Return one valid request per nullable field of ``contract``'s request schema, that field ``null``, one at a time.

    The fields are read from the schema of the version (never hand-listed), nested ones too (``billing.city``,
    ``customer.name`` on a new customer, a cart line's ``amount``); a request that the null would make invalid
    (a field whose null a cross-field rule forbids) is left out.
    """
    out = []
    for path in _nullable_paths(contract.schema("request")):
        payload = _with_null(base, path)
        if validate_request(payload, spec_version=contract).ok:
            out.append(("null: /" + "/".join(map(str, path)), payload))
    return out
