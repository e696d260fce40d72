"""Decode one draw into a valid 200 body of a Checkout Sessions operation, per spec version.

``checkouts``: a ``CreateSessionResponse`` (a ``cks_`` id, a checkout URL on the test checkout host, a short link
or null; from 1.113.0 the ``client_secret``/``payment_id``/``publishable_key`` of a confirmed session or nulls).
``checkouts.get``: a ``GetCheckoutSessionsStatus`` (``payment_id`` and ``payment_status`` both null, still at the
details stage, or both set). ``checkouts.preview``: a ``CalculateSessionResponse`` whose numbers agree: each line's
``discounted_price`` at most its ``og_price``, ``current_breakup.subtotal`` the sum of ``og_price x quantity``,
``discount`` the sum of what the discounts take, ``total_amount = subtotal - discount + tax`` (``total_price`` the
same), ``recurring_breakup`` only with a subscription line. A body is built with every field the builder knows and
then cut to the fields the version's schema has, so 1.86.0 bodies lack ``is_byop`` and the other later fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..contract.versions import Contract
from ._pools import _EPOCH_2020, _TIME_STYLES, _TWENTY_YEARS, Payload, _Dice, _email, _name, _timestamp

__all__ = ["CheckoutResponsePlan"]

_TEST_CHECKOUT = "https://test.checkout.dodopayments.com/session/"
_SHORT = "https://checkout.dodopayments.com/buy/"
_STATUSES = ("succeeded", "failed", "cancelled", "processing", "requires_customer_action",
             "requires_merchant_action", "requires_payment_method", "requires_confirmation", "requires_capture",
             "partially_captured", "partially_captured_and_capturable")  # fmt: skip
_CURRENCIES = ("USD", "EUR", "INR", "GBP")
_CATEGORIES = ("digital_products", "saas", "e_book", "edtech", "live_tutoring")
_COUNTRIES = ("US", "IN", "DE", "GB", "FR", "BR", "JP")


def _cut(value: Any, schema: Any) -> Any:
    """Return ``value`` with the object keys ``schema`` does not define left out (recursively)."""
    if not isinstance(schema, Mapping):
        return value
    props = schema.get("properties")
    if isinstance(value, dict) and isinstance(props, Mapping) and "additionalProperties" not in schema:
        return {k: _cut(v, props[k]) for k, v in value.items() if k in props}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_cut(v, schema["items"]) for v in value]
    return value


class CheckoutResponsePlan:
    """Build valid 200 bodies of one Checkout Sessions operation and contract (``build``; ``reflect`` for create)."""

    def __init__(self, contract: Contract) -> None:
        self.operation = contract.operation
        self.schema = contract.schema("response")
        self.props = set(self.schema.get("properties") or ())
        item = ((self.schema.get("properties") or {}).get("product_cart") or {}).get("items") or {}
        enum = ((item.get("properties") or {}).get("tax_category") or {}).get("enum") or _CATEGORIES
        self.categories = tuple(v for v in enum if isinstance(v, str))  # the version's TaxCategory values

    def build(self, draw: bytes) -> Payload:
        d = _Dice(int.from_bytes(draw))
        if self.operation == "checkouts.get":
            body = self._status(d)
        elif self.operation == "checkouts.preview":
            body = self._preview(d)
        else:
            body = self._created(d, confirmed=d.chance(1, 3), saved_method=d.chance(1, 4))
        result: Payload = _cut(body, self.schema)
        return result

    def reflect(self, request_json: str, draw: bytes) -> Payload:
        """Return a ``POST /checkouts`` body a faithful server could answer to the request (JSON text).

        ``checkout_url`` is null exactly when a ``payment_method_id`` was sent; the payment fields are set only
        for ``confirm: true``.
        """
        if self.operation != "checkouts":
            raise ValueError(f"reflect builds POST /checkouts bodies only, not {self.operation}")
        request = json.loads(request_json)
        d = _Dice(int.from_bytes(draw))
        confirmed = isinstance(request, dict) and request.get("confirm") is True
        saved = isinstance(request, dict) and isinstance(request.get("payment_method_id"), str)
        body = self._created(d, confirmed=confirmed, saved_method=saved)
        if isinstance(request, dict) and request.get("short_link") is True and body.get("checkout_url"):
            body["checkout_url"] = _SHORT + d.ident("")[:10]
        result: Payload = _cut(body, self.schema)
        return result

    def _created(self, d: _Dice, *, confirmed: bool, saved_method: bool) -> Payload:
        session = d.ident("cks_")
        body: Payload = {"session_id": session}
        if saved_method:
            body["checkout_url"] = None  # S113: "None when payment_method_id is provided"
        elif d.chance(1, 5):
            body["checkout_url"] = _SHORT + d.ident("")[:10]
        else:
            body["checkout_url"] = _TEST_CHECKOUT + session
        if confirmed:
            body.update(client_secret=d.ident("secret_"), payment_id=d.ident("pay_"), publishable_key=d.ident("pk_"))
        elif d.chance(1, 2):
            body.update(client_secret=None, payment_id=None, publishable_key=None)
        return body

    def _status(self, d: _Dice) -> Payload:
        body: Payload = {"id": d.ident("cks_"), "created_at": self._moment(d)}
        if d.chance(2, 3):
            body["customer_email"] = None if d.chance(1, 4) else _email(d)
            body["customer_name"] = None if d.chance(1, 4) else _name(d)
        if d.chance(1, 2):
            body.update(payment_id=d.ident("pay_"), payment_status=d.pick(_STATUSES))
        elif d.chance(1, 2):
            body.update(payment_id=None, payment_status=None)  # still at the details collection stage
        return body

    @staticmethod
    def _moment(d: _Dice) -> str:
        return _timestamp(d.between(_EPOCH_2020, _EPOCH_2020 + _TWENTY_YEARS), d.pick(_TIME_STYLES))

    def _preview(self, d: _Dice) -> Payload:
        currency = d.pick(_CURRENCIES)
        lines = [self._line(d, currency) for _ in range(d.between(1, 3))]
        priced = [(x, x["quantity"]) for line in lines for x in (line, *(line.get("addons") or ()))]
        subtotal = sum(x["og_price"] * quantity for x, quantity in priced)
        discount = sum((x["og_price"] - x["discounted_price"]) * quantity for x, quantity in priced)
        tax = sum(x.get("tax") or 0 for x, _ in priced)
        breakup = {"subtotal": subtotal, "discount": discount, "tax": tax, "total_amount": subtotal - discount + tax}
        body: Payload = {
            "total_price": breakup["total_amount"],
            "currency": currency,
            "product_cart": lines,
            "current_breakup": breakup,
            "billing_country": d.pick(_COUNTRIES),
            "is_byop": d.chance(1, 6),
            "total_tax": tax if d.chance(3, 4) else None,
            "tax_id_err_msg": None,
        }
        if any(line["is_subscription"] for line in lines):
            body["recurring_breakup"] = dict(breakup) if d.chance(3, 4) else None
            body["next_billing_date"] = self._moment(d)
            trial = d.pick((None, 7, 14, 30))
            body["trial_period_days"] = trial
            body["trial_amount"] = None if trial is None or d.chance(1, 2) else d.between(0, 500)
        else:
            body["recurring_breakup"] = None
            body["next_billing_date"] = None
        if d.chance(1, 3):
            body.update(tax_id_business_name=d.pick(("Acme GmbH", None)),
                        tax_id_format_name=d.pick(("VAT Number", None)))  # fmt: skip
        return body

    def _line(self, d: _Dice, currency: str) -> Payload:
        og = d.between(0, 100_000)
        quantity = d.between(1, 5)
        discounted = og if d.chance(1, 2) else d.between(0, og)
        subscription = d.chance(1, 3)
        tax_rate = d.pick((0, 500, 1800, 2000))
        computed = (discounted * quantity * tax_rate) // 10_000
        tax = computed if d.chance(3, 4) else (0 if d.chance(1, 2) else None)
        line: Payload = {
            "product_id": d.ident("pdt_"),
            "quantity": quantity,
            "discounted_price": discounted,
            "og_price": og,
            "currency": currency,
            "og_currency": currency,
            "tax_rate": tax_rate,
            "tax_category": d.pick(self.categories),
            "tax": tax,
            "meters": [],
            "is_usage_based": False,
            "tax_inclusive": d.chance(1, 4),
            "is_subscription": subscription,
            "credit_entitlements": [],
            "name": _name(d) if d.chance(1, 2) else None,
            "description": None,
            "discount_amount": None if discounted == og else d.pick((None, 1000, 2500)),
            "discount_cycle": None,
        }
        if subscription and d.chance(1, 2):
            line["addons"] = [self._addon(d, currency) for _ in range(d.between(1, 2))]
        if d.chance(1, 4):
            grant = {"credit_entitlement_id": d.ident("cde_"), "credit_entitlement_name": "API calls",
                     "credit_entitlement_unit": "calls", "credits_amount": "1000"}  # fmt: skip
            line["credit_entitlements"] = [grant]
        if d.chance(1, 5):
            line["is_usage_based"] = True
            line["meters"] = [{"price_per_unit": "0.50", "name": "API calls", "measurement_unit": "call",
                               "description": None, "free_threshold": d.pick((None, 0, 1000))}]  # fmt: skip
        return line

    def _addon(self, d: _Dice, currency: str) -> Payload:
        unit = d.between(0, 10_000)
        return {"addon_id": d.ident("adn_"), "quantity": d.between(0, 3), "name": "Extra seat", "og_price": unit,
                "discounted_price": unit, "og_currency": currency, "currency": currency,
                "tax_category": self.categories[0],
                "tax_inclusive": False, "tax_rate": 0, "single_quantity_price": unit, "tax": None,
                "description": None, "discount_amount": None}  # fmt: skip
