"""The hooks of the fault modes that get the meaning wrong: the money, the echo, the key, the bytes of a 200.

Each is a realistic bug whose answer still has the right shape: a total that ignores the quantity or forgets the
discount, rupees for paise, a name cut short, metadata of another request, a key compared by its prefix, a byte
order mark before the JSON. The pricing ones are ``reprice(payload, catalog)`` hooks: they compute the total the
way the bug would, from the mock's own catalog.
"""

from __future__ import annotations

import json
from typing import Any

from ..contract.fixtures import Discount
from ._business import Catalog, _cart, discount_codes, total_amount
from ._fault_hooks import Reply, error_reply

__all__ = [
    "accept_prefix",
    "bom_before_200",
    "case_insensitive_key",
    "discount_forgotten",
    "discount_on_one_unit",
    "duplicate_key_in_200",
    "handling_fee",
    "ignore_quantity",
    "leak_metadata",
    "minor_units_confused",
    "pwyw_at_list_price",
    "stored_name_replaced",
    "stray_discount_id",
    "tax_on_inclusive_prices",
    "trailing_data_after_200",
    "truncate_names",
    "unknown_customer_code",
    "waive_all_but_first_country",
]

BOM = b"\xef\xbb\xbf"
NAME_LIMIT = 50
PREFIX_CHARS = 12
INCLUSIVE_TAX = 0.18
HANDLING_FEE, HANDLING_FROM = 25, 1000


def _discounts(payload: dict[str, Any], catalog: Catalog) -> list[Discount]:
    return [catalog.discounts[c] for c in discount_codes(payload, catalog) if c in catalog.discounts]


# --- pricing: reprice(payload, catalog) -> total ----------------------------------------------------------


def ignore_quantity(payload: dict[str, Any], catalog: Catalog) -> int:
    cart = [{**item, "quantity": 1 if item["quantity"] else 0} for item in _cart(payload.get("product_cart"))]
    return total_amount(cart, catalog, _discounts(payload, catalog))


def discount_forgotten(payload: dict[str, Any], catalog: Catalog) -> int:
    return total_amount(_cart(payload.get("product_cart")), catalog, None)


def pwyw_at_list_price(payload: dict[str, Any], catalog: Catalog) -> int:
    cart = [{k: v for k, v in item.items() if k != "amount"} for item in _cart(payload.get("product_cart"))]
    return total_amount(cart, catalog, _discounts(payload, catalog))


def minor_units_confused(payload: dict[str, Any], catalog: Catalog) -> int:
    # The price read as major units and divided again on the way out: rupees charged for paise.
    return total_amount(_cart(payload.get("product_cart")), catalog, _discounts(payload, catalog)) // 100


def tax_on_inclusive_prices(payload: dict[str, Any], catalog: Catalog) -> int:
    total = total_amount(_cart(payload.get("product_cart")), catalog, _discounts(payload, catalog))
    cart = _cart(payload.get("product_cart"))
    inclusive = any(getattr(catalog.products.get(i["product_id"]), "tax", "") == "inclusive" for i in cart)
    return total + round(total * INCLUSIVE_TAX) if inclusive else total


def discount_on_one_unit(payload: dict[str, Any], catalog: Catalog) -> int:
    # A percentage code taken off one unit of the first line instead of the whole cart.
    cart = _cart(payload.get("product_cart"))
    discounts: list[Discount] = _discounts(payload, catalog)
    full = total_amount(cart, catalog, None)
    if not discounts or not cart or discounts[0].flat:
        return total_amount(cart, catalog, discounts)
    one = total_amount([{**cart[0], "quantity": 1}], catalog, None)
    return full - (one - discounts[0].apply(one))


def handling_fee(payload: dict[str, Any], catalog: Catalog) -> int:
    # A fixed fee on orders of 10.00 to 100,000.00 of tax-exclusive goods: inside the tax ceiling (and int32), but
    # twice the cart is no longer twice the total.
    cart = _cart(payload.get("product_cart"))
    total = total_amount(cart, catalog, _discounts(payload, catalog))
    inclusive = any(getattr(catalog.products.get(i["product_id"]), "tax", "") == "inclusive" for i in cart)
    return total + HANDLING_FEE if HANDLING_FROM <= total <= 10**7 and not inclusive else total


# --- echoes: on_success(body, payload) -> body ------------------------------------------------------------


def stored_name_replaced(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    customer = payload.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("customer_id"), str):
        email = str(body["customer"].get("email") or "")
        body["customer"]["name"] = str(customer.get("name") or email.split("@")[0])  # what was sent, not the record
    return body


def truncate_names(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    name = body["customer"].get("name")
    if isinstance(name, str):
        body["customer"]["name"] = name[:NAME_LIMIT]
    return body


def leak_metadata(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    # A metadata dict shared between requests: a key of an earlier payment comes back with this one.
    body["metadata"] = {"order_id": "ord_from_an_earlier_request", **body.get("metadata", {})}
    return body


def stray_discount_id(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    body.setdefault("discount_id", "dsc_default_campaign")
    if body["discount_id"] is None:
        body["discount_id"] = "dsc_default_campaign"
    return body


# --- business rules and codes -----------------------------------------------------------------------------


def waive_all_but_first_country(rule: str, payload: dict[str, Any], catalog: Catalog) -> bool:
    """Waive the unsupported-country rule for every unsupported country but the catalog's first."""
    blocked = catalog.fixtures.unsupported_countries
    country = payload.get("billing", {}).get("country") if isinstance(payload.get("billing"), dict) else None
    return rule == "business.unsupported_country" and bool(blocked) and country != blocked[0]


def unknown_customer_code(reply: Reply) -> Reply:
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.status == 422 and body.get("code") == "NOT_FOUND" and str(body.get("message", "")).startswith("Customer"):
        return error_reply(422, "INVALID_REQUEST_PARAMETERS", "customer_id is invalid", headers=reply.headers)
    return reply


# --- the key: accepts_key(presented, real) ----------------------------------------------------------------


def accept_prefix(presented: str, real: str) -> bool:
    return presented[:PREFIX_CHARS] == real[:PREFIX_CHARS]


def case_insensitive_key(presented: str, real: str) -> bool:
    return presented.casefold() == real.casefold()


# --- the bytes of a 200: on_reply(reply, n) -> reply ------------------------------------------------------


def _encoded(reply: Reply) -> bytes:
    return reply.raw if reply.raw is not None else json.dumps(reply.body, separators=(",", ":")).encode()


def bom_before_200(reply: Reply, n: int) -> Reply:
    if reply.status != 200:
        return reply
    return Reply(reply.status, reply.body, reply.headers, reply.content_type, raw=BOM + _encoded(reply))


def trailing_data_after_200(reply: Reply, n: int) -> Reply:
    if reply.status != 200:
        return reply
    return Reply(reply.status, reply.body, reply.headers, reply.content_type, raw=_encoded(reply) + b"\n{}")


def duplicate_key_in_200(reply: Reply, n: int) -> Reply:
    if reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    text = _encoded(reply)
    # The total written twice, an old value first: a client reading the first one sees another payment.
    raw = b'{"total_amount":0,' + text[1:]
    return Reply(reply.status, reply.body, reply.headers, reply.content_type, raw=raw)
