"""What a checkout session charges, and the preview answer built from it (pure functions, no web framework).

``quote`` prices a schema-valid, business-valid ``CreateCheckoutSessionRequest`` with the catalog maths of
``POST /payments`` (``_business``): each line at its price (a pay-what-you-want one-time line at its ``amount``,
or at the product's price when the customer will choose it on the page; a subscription line at its recurring
price, whatever ``amount`` says), times its quantity, plus its addons (price x addon quantity); the discount codes
applied one after the other on what the previous left (``Discount.apply``); and, with the mock's ``tax_rate``,
tax on top of the lines that are not tax-``inclusive`` (none with a ``tax_id``), rounded once. A trial
(``subscription_data.trial_period_days`` > 0) is free: the subscription lines and their addons are charged 0
today and appear only in the recurring breakup. ``POST /checkouts`` stores the same ``Quote`` with the session,
so the preview of a request is what that session would charge.

``preview_body`` answers ``POST /checkouts/preview`` (``CalculateSessionResponse``): ``current_breakup`` with
``total_amount = subtotal - discount + tax`` and ``total_price = total_amount``, ``product_cart`` with every
required field, ``recurring_breakup`` for subscription carts, ``is_byop`` false (the mock is merchant of record).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..contract.fixtures import Discount
from ._business import INT32_MAX, Catalog, _int, discount_codes

__all__ = ["BILLING_PERIOD", "Line", "Quote", "preview_body", "quote"]

# The catalog knows no billing frequency: the mock bills every subscription monthly (an estimate, as the spec's own).
BILLING_PERIOD = timedelta(days=30)
DEFAULT_CREDITS = "100"
DEFAULT_COUNTRY = "US"


@dataclass(frozen=True, slots=True)
class Addon:
    """An addon line of a subscription: its id, unit price and quantity."""

    id: str
    price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Line:
    """One priced cart line: ``unit`` is the per-unit price before discounts; ``due_now`` False during a trial."""

    product_id: str
    quantity: int
    unit: int
    currency: str
    tax_inclusive: bool
    subscription: bool
    due_now: bool
    addons: tuple[Addon, ...] = ()
    entitlements: tuple[tuple[str, str], ...] = ()

    @property
    def amount(self) -> int:
        """Return what the line costs before discounts: unit x quantity plus its addons."""
        return self.unit * self.quantity + sum(a.price * a.quantity for a in self.addons)


@dataclass(frozen=True, slots=True)
class Breakup:
    """Amounts of one charge: ``total = subtotal - discount + tax``."""

    subtotal: int
    discount: int
    tax: int

    @property
    def total(self) -> int:
        """Return the amount charged."""
        return self.subtotal - self.discount + self.tax

    def body(self) -> dict[str, int]:
        """Return the breakup as the spec's ``CurrentBreakup`` / ``RecurringBreakup``."""
        return {"total_amount": self.total, "subtotal": self.subtotal, "discount": self.discount, "tax": self.tax}


@dataclass(frozen=True, slots=True)
class Quote:
    """What a session charges today (``current``) and every billing period (``recurring``, None for one-time)."""

    lines: tuple[Line, ...]
    currency: str
    current: Breakup
    recurring: Breakup | None
    discounts: tuple[Discount, ...]
    trial_days: int | None
    tax_rate: float

    def largest(self) -> int:
        """Return the largest amount of the quote (to refuse a cart whose total does not fit int32)."""
        amounts = [self.current.subtotal, self.current.total, *(line.amount for line in self.lines)]
        if self.recurring is not None:
            amounts += [self.recurring.subtotal, self.recurring.total]
        return max(amounts, default=0)


def _trial_days(payload: dict[str, Any]) -> int | None:
    data = payload.get("subscription_data")
    days = _int(data.get("trial_period_days")) if isinstance(data, dict) else None
    return days if days is not None and days > 0 else None


def _lines(payload: dict[str, Any], catalog: Catalog, trial: bool) -> list[Line]:
    lines: list[Line] = []
    checkout = catalog.fixtures.checkout
    for item in payload.get("product_cart") or []:
        product = catalog.products.get(str(item.get("product_id"))) if isinstance(item, dict) else None
        if product is None:
            continue  # a business refusal, or a fault that waived it: an unknown line costs nothing
        subscription = checkout.is_subscription(product.id)
        amount = _int(item.get("amount"))
        unit = amount if product.pay_what_you_want and not subscription and amount is not None else product.price
        addons = tuple(
            Addon(a["addon_id"], found.price, max(_int(a.get("quantity")) or 0, 0))
            for a in item.get("addons") or []
            if isinstance(a, dict) and (found := checkout.addon(product.id, str(a.get("addon_id")))) is not None
        )
        overrides = {
            o.get("credit_entitlement_id"): o.get("credits_amount")
            for o in item.get("credit_entitlements") or []
            if isinstance(o, dict)
        }
        entitlements = tuple((e, str(overrides.get(e, DEFAULT_CREDITS))) for e in checkout.entitlements_of(product.id))
        lines.append(
            Line(
                product.id,
                max(_int(item.get("quantity")) or 0, 0),
                max(unit, 0),
                product.currency,
                product.tax == "inclusive",
                subscription,
                not (subscription and trial),
                addons,
                entitlements,
            )
        )
    return lines


def _breakup(lines: Sequence[Line], discounts: Sequence[Discount], rate: float) -> Breakup:
    subtotal = sum(line.amount for line in lines)
    taxable = sum(line.amount for line in lines if not line.tax_inclusive)
    after = subtotal
    for each in discounts:
        after = each.apply(after)
    # Tax on the discounted share of the taxable lines, rounded once on the total (as _business.total_amount).
    tax = round(taxable * after / subtotal * rate) if rate and subtotal else 0
    return Breakup(subtotal, subtotal - after, tax)


def _currency(payload: dict[str, Any], lines: Sequence[Line], catalog: Catalog) -> str:
    if lines:
        return lines[0].currency
    collection = payload.get("product_collection_id")
    found = catalog.fixtures.checkout.collection(collection) if isinstance(collection, str) else None
    first = catalog.products.get(found.product_ids[0]) if found is not None and found.product_ids else None
    return first.currency if first is not None else "USD"


def quote(payload: dict[str, Any], catalog: Catalog, *, tax_rate: float = 0.0) -> Quote:
    """Price a checkout session request (see the module docstring); unknown products and addons cost nothing."""
    trial = _trial_days(payload)
    lines = _lines(payload, catalog, trial is not None)
    discounts = tuple(catalog.discounts[c] for c in discount_codes(payload, catalog) if c in catalog.discounts)
    rate = tax_rate if payload.get("tax_id") is None else 0.0
    current = _breakup([line for line in lines if line.due_now], discounts, rate)
    subscriptions = [line for line in lines if line.subscription]
    recurring = _breakup(subscriptions, discounts, rate) if subscriptions else None
    has_trial = trial if subscriptions else None
    return Quote(tuple(lines), _currency(payload, lines, catalog), current, recurring, discounts, has_trial, rate)


def _share(amount: int, breakup: Breakup) -> int:
    """Return ``amount`` after the breakup's discount share (never below 0)."""
    if not breakup.subtotal:
        return amount
    return max(round(amount * (breakup.subtotal - breakup.discount) / breakup.subtotal), 0)


def _discount_amount(discounts: Sequence[Discount]) -> int | None:
    # Basis points of the applicable percentage code; null for flat codes (and when none applies).
    first = discounts[0] if discounts else None
    if first is None or first.amount is not None:
        return None
    return int(first.percentage * 100)


def _cart_item(line: Line, q: Quote) -> dict[str, Any]:
    breakup = q.current if line.due_now else (q.recurring or q.current)
    taxed = bool(q.tax_rate) and not line.tax_inclusive
    rate = round(q.tax_rate * 10_000) if taxed else 0
    category = "saas" if line.subscription else "digital_products"
    item: dict[str, Any] = {
        "product_id": line.product_id,
        "quantity": line.quantity,
        "og_price": line.unit,
        "discounted_price": _share(line.unit, breakup) if q.discounts else line.unit,
        "currency": q.currency,
        "og_currency": line.currency,
        "tax_rate": rate,
        "tax_category": category,
        "tax_inclusive": line.tax_inclusive,
        "is_subscription": line.subscription,
        "is_usage_based": False,
        "meters": [],
        "credit_entitlements": [
            {
                "credit_entitlement_id": e,
                "credit_entitlement_name": e,
                "credit_entitlement_unit": "credits",
                "credits_amount": amount,
            }
            for e, amount in line.entitlements
        ],
        "discount_amount": _discount_amount(q.discounts),
        "discount_cycle": None,
        "name": line.product_id,
        "description": None,
        "tax": None,  # the tax is stated once, in the breakup (rounded on the total, not per line)
    }
    if line.subscription:
        item["addons"] = [
            {"addon_id": a.id, "quantity": a.quantity, "name": a.id, "og_price": a.price,
             "discounted_price": _share(a.price, breakup) if q.discounts else a.price,
             "single_quantity_price": a.price, "og_currency": line.currency, "currency": q.currency,
             "tax_category": category, "tax_inclusive": line.tax_inclusive, "tax_rate": rate,
             "discount_amount": _discount_amount(q.discounts), "description": None, "tax": None}
            for a in line.addons
        ]  # fmt: skip
    return item


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def preview_body(payload: dict[str, Any], q: Quote, *, now: datetime) -> dict[str, Any]:
    """Return the ``CalculateSessionResponse`` of a priced request (every field of 1.113.0; see the module)."""
    address = payload.get("billing_address")
    country = address.get("country") if isinstance(address, dict) else None
    current = q.current
    body: dict[str, Any] = {
        "total_price": min(current.total, INT32_MAX),
        "currency": q.currency,
        "product_cart": [_cart_item(line, q) for line in q.lines],
        "current_breakup": current.body(),
        "billing_country": country if isinstance(country, str) else DEFAULT_COUNTRY,
        "is_byop": False,
        "total_tax": current.tax,
        "recurring_breakup": q.recurring.body() if q.recurring is not None else None,
        "next_billing_date": None,
        "trial_amount": None,  # trials are free: a paid trial amount cannot be set per session (GUIDE)
        "trial_period_days": q.trial_days,
        "tax_id_err_msg": None,
        "tax_id_business_name": None,
        "tax_id_format_name": None,
    }
    if q.recurring is not None:
        ahead = timedelta(days=q.trial_days) if q.trial_days else BILLING_PERIOD
        body["next_billing_date"] = _stamp(now + ahead)
    return body
