"""The reference mock's catalog rules and the 200 body it builds (pure functions, no web framework).

Business rules run only on schema-valid requests, in this order (the first failure wins; each answers 422):

1. each ``product_cart`` item, in cart order: unknown ``product_id`` -> ``NOT_FOUND``; pay-what-you-want
   product without ``amount`` (missing or null) -> ``PAY_AS_YOU_WANT_AMOUNT_REQUIRED``; ``amount`` below the
   product's ``min_amount`` -> ``REQUEST_AMOUNT_BELOW_MINIMUM``;
2. ``customer.customer_id`` not in the catalog -> ``NOT_FOUND``;
3. ``payment_method_id`` not among that customer's ``payment_method_ids`` -> ``INVALID_REQUEST_PARAMETERS``;
4. ``billing.country`` in ``unsupported_countries`` -> ``UNSUPPORTED_COUNTRY``;
5. ``billing_currency`` (non-null) not in ``billing_currencies`` -> ``UNSUPPORTED_CURRENCY``;
6. ``allowed_payment_method_types`` (non-null) sharing nothing with ``enabled_payment_methods``
   -> ``NO_ELIGIBLE_PAYMENT_METHODS`` (an empty list shares nothing);
7. ``discount_code`` (non-null) not in the catalog -> ``INVALID_DISCOUNT_CODE``; from 1.113.0 each of the
   stacked ``discount_codes`` too (a version without the field ignores it, as an unknown key);
8. ``tax_id`` (non-null) not in the catalog -> ``INVALID_TAX_ID``.

Stacked discounts apply in order of application (each to what the previous left); the 200 carries
``discount_id`` = the first applied and, in a version whose response has it, ``discount_ids`` in that order.

The order follows what a server must resolve first (what is bought, by whom) before account settings and
optional extras. Each rule has the id ``business_rules_enforced`` reports (``business.unknown_product``...),
so a fault mode can waive one. ``build_success`` tolerates malformed input, because some fault modes skip
validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..contract.fixtures import Discount, Fixtures
from ..contract.versions import SpecVersion, get_contract

__all__ = ["INT32_MAX", "Catalog", "build_success", "business_error", "business_errors", "discount_codes"]

INT32_MAX = 2**31 - 1
LINK_BASE = "https://test.checkout.dodopayments.com"
LINK_LIFETIME = timedelta(hours=24)
_SHOWN = 60

NewId = Callable[[str, int], str]


class Catalog:
    """The fixtures indexed for constant-time lookups, and what of them the mock's spec version reads.

    ``stacked_codes``: the request has ``discount_codes``; ``discount_ids``: the 200 has ``discount_ids``.
    """

    def __init__(self, fixtures: Fixtures, spec_version: SpecVersion = None) -> None:
        contract = get_contract(spec_version)
        self.stacked_codes = "discount_codes" in (contract.schema("request").get("properties") or {})
        self.discount_ids = "discount_ids" in (contract.schema("response").get("properties") or {})
        self.fixtures = fixtures
        self.products = {p.id: p for p in fixtures.products}
        self.customers = {c.id: c for c in fixtures.customers}
        self.discounts = {d.code: d for d in fixtures.discounts}
        self.tax_ids = frozenset(fixtures.tax_ids)
        self.currencies = frozenset(fixtures.billing_currencies)
        self.unsupported = frozenset(fixtures.unsupported_countries)
        self.methods = frozenset(fixtures.enabled_payment_methods)


def _show(value: str) -> str:
    return value if len(value) <= _SHOWN else value[: _SHOWN - 3] + "..."


def business_error(
    payload: dict[str, Any], catalog: Catalog, *, waived: Callable[[str], bool] | None = None
) -> tuple[str, str] | None:
    """Return ``(code, message)`` for the first catalog rule a schema-valid request breaks, else None.

    ``waived(rule)`` names rules to ignore (fault modes that forget one business rule); the rule ids are those
    ``business_rules_enforced`` reports (``business.unknown_product``...).
    """
    for rule, code, message in business_errors(payload, catalog):
        if waived is None or not waived(rule):
            return code, message
    return None


def business_errors(payload: dict[str, Any], catalog: Catalog) -> Iterator[tuple[str, str, str]]:
    """Yield ``(rule, code, message)`` for each catalog rule a schema-valid request breaks, in rule order."""
    for index, item in enumerate(payload["product_cart"]):
        product = catalog.products.get(item["product_id"])
        if product is None:
            yield (
                "business.unknown_product",
                "NOT_FOUND",
                f"Product {_show(item['product_id'])} not found (product_cart[{index}])",
            )
        elif product.pay_what_you_want:
            amount = _int(item.get("amount"))
            if amount is None:
                yield (
                    "business.pwyw_amount_missing",
                    "PAY_AS_YOU_WANT_AMOUNT_REQUIRED",
                    f"Amount is mandatory for pay as you want product {product.id}",
                )
            elif amount < product.min_amount:
                yield (
                    "business.pwyw_amount_below_minimum",
                    "REQUEST_AMOUNT_BELOW_MINIMUM",
                    f"Amount cannot be less than minimum amount specified for the product ({product.min_amount})",
                )
    customer_id = payload["customer"].get("customer_id")
    known = None
    if isinstance(customer_id, str):
        known = catalog.customers.get(customer_id)
        if known is None:
            yield "business.unknown_customer", "NOT_FOUND", f"Customer {_show(customer_id)} not found"
    method = payload.get("payment_method_id")
    if method is not None and (known is None or method not in known.payment_method_ids):
        yield (
            "business.foreign_payment_method",
            "INVALID_REQUEST_PARAMETERS",
            f"Payment method {_show(method)} does not belong to the customer",
        )
    country = payload["billing"]["country"]
    if country in catalog.unsupported:
        yield "business.unsupported_country", "UNSUPPORTED_COUNTRY", f"Country {country} currently not supported"
    currency = payload.get("billing_currency")
    if currency is not None and currency not in catalog.currencies:
        allowed = " or ".join(sorted(catalog.currencies)) or "no currency"
        yield (
            "business.unsupported_currency",
            "UNSUPPORTED_CURRENCY",
            f"Can only request {allowed} for billing_currency",
        )
    yield from shared_business_errors(payload, catalog)


def shared_business_errors(payload: dict[str, Any], catalog: Catalog) -> Iterator[tuple[str, str, str]]:
    """Yield the catalog rules Create Payment and Checkout Sessions share: payment methods, discount codes, tax id."""
    allowed_types = payload.get("allowed_payment_method_types")
    if allowed_types is not None and catalog.methods.isdisjoint(allowed_types):
        yield "business.no_eligible_payment_method", "NO_ELIGIBLE_PAYMENT_METHODS", "No eligible payment methods found"
    for code in discount_codes(payload, catalog):
        if code not in catalog.discounts:
            yield "business.unknown_discount_code", "INVALID_DISCOUNT_CODE", f"Discount code {_show(code)} is invalid"
            break
    tax_id = payload.get("tax_id")
    if tax_id is not None and tax_id not in catalog.tax_ids:
        yield "business.unknown_tax_id", "INVALID_TAX_ID", "Tax Id is invalid"


def discount_codes(payload: dict[str, Any], catalog: Catalog) -> list[str]:
    """Return the codes a request applies, in order: ``discount_code``, or the stacked ``discount_codes``."""
    single = payload.get("discount_code")
    stacked = payload.get("discount_codes") if catalog.stacked_codes else None
    if isinstance(stacked, list):
        return list(dict.fromkeys(c for c in stacked if isinstance(c, str)))  # a code repeated applies once
    return [single] if isinstance(single, str) else []


def _int(value: Any) -> int | None:
    """Return ``value`` as an int when JSON Schema calls it an integer (``1.0`` is the integer 1), else None."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cart(raw: Any) -> list[dict[str, Any]]:
    """Echo the cart as sent; items a sloppy (fault-mode) server could not have stored are left out."""
    if not isinstance(raw, list):
        return []
    cart: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("product_id"), str):
            continue
        quantity = _int(item.get("quantity"))
        echoed: dict[str, Any] = {"product_id": item["product_id"], "quantity": min(max(quantity or 0, 0), INT32_MAX)}
        if "amount" in item:
            amount = _int(item["amount"])
            echoed["amount"] = amount if amount is not None and -INT32_MAX - 1 <= amount <= INT32_MAX else None
        cart.append(echoed)
    return cart


def total_amount(
    cart: list[dict[str, Any]],
    catalog: Catalog,
    discount: Discount | Sequence[Discount] | None = (),
    *,
    tax_rate: float = 0.0,
) -> int:
    """Sum (amount for pay-what-you-want, else price) x quantity, less the discounts; clamp to 0..int32 max.

    Stacked discounts apply one after the other, in the order sent. ``tax_rate`` (the mock's tax-exclusive mode)
    adds tax on top of the lines whose product is not tax-``inclusive``, rounded once on the total.
    """
    discounts = [] if discount is None else [discount] if isinstance(discount, Discount) else list(discount)
    total = 0
    taxable = 0
    for item in cart:
        product = catalog.products.get(item["product_id"])
        if product is None:
            continue
        amount = item.get("amount")
        unit = amount if product.pay_what_you_want and isinstance(amount, int) else product.price
        total += unit * item["quantity"]
        taxable += unit * item["quantity"] if product.tax != "inclusive" else 0
    before = total
    for each in discounts:
        total = each.apply(total)
    if tax_rate and before:
        total += round(taxable * total / before * tax_rate)  # tax on the discounted share of the taxable lines
    return min(max(total, 0), INT32_MAX)


def _customer(raw: Any, catalog: Catalog, new_id: NewId) -> dict[str, Any]:
    customer = raw if isinstance(raw, dict) else {}
    customer_id = customer.get("customer_id")
    if isinstance(customer_id, str):
        # Dodo takes the first form that fits: a customer_id means an existing customer, even next to an email.
        known = catalog.customers.get(customer_id)
        if known is not None:
            return {
                "customer_id": known.id,
                "email": known.email,
                "name": known.name,
                "phone_number": known.phone_number,
            }
    email = customer.get("email")
    email = email if isinstance(email, str) else ""
    name = customer.get("name")
    phone = customer.get("phone_number")
    return {
        "customer_id": customer_id if isinstance(customer_id, str) else new_id("cus_", 20),
        "email": email,
        # The response needs a string name; Dodo derives one when none is given.
        "name": name if isinstance(name, str) else email.split("@")[0],
        "phone_number": phone if isinstance(phone, str) else None,
    }


def build_success(
    payload: dict[str, Any], catalog: Catalog, new_id: NewId, *, now: datetime, tax_rate: float = 0.0
) -> dict[str, Any]:
    """Build the 200 body for an accepted request: new ids, the customer, echoes, total, link, discount.

    ``tax_rate`` > 0 adds that tax on top of tax-exclusive (and unknown) prices, unless a ``tax_id`` was sent.
    """
    payment_id = new_id("pay_", 22)
    cart = _cart(payload.get("product_cart"))
    discounts = [catalog.discounts[c] for c in discount_codes(payload, catalog) if c in catalog.discounts]
    metadata = payload.get("metadata")
    rate = tax_rate if payload.get("tax_id") is None else 0.0
    body: dict[str, Any] = {
        "payment_id": payment_id,
        "total_amount": total_amount(cart, catalog, discounts, tax_rate=rate),
        "client_secret": f"{payment_id}_secret_{new_id('', 24)}",
        "customer": _customer(payload.get("customer"), catalog, new_id),
        # Scalar values only, types kept (1.113.0: string, integer, number, boolean), whatever a fault let through.
        "metadata": {k: v for k, v in metadata.items() if isinstance(v, (str, int, float))}
        if isinstance(metadata, dict)
        else {},
        "product_cart": cart,
    }
    if payload.get("payment_link") is True:
        short = payload.get("short_link") is True
        body["payment_link"] = f"{LINK_BASE}/s/{new_id('', 10)}" if short else f"{LINK_BASE}/{payment_id}"
        body["expires_on"] = (now + LINK_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    if discounts:
        body["discount_id"] = discounts[0].id  # 1.113.0: deprecated, "the first discount's ID"
        if catalog.discount_ids:
            body["discount_ids"] = [d.id for d in discounts]
    return body
