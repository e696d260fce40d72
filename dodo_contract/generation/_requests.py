"""Decode one draw into a schema-valid and business-valid request for a set of fixtures and a spec version.

Each payload is ONE draw of 10 bytes, read as an integer: its low bits are a *presence mask* (which optional
top-level fields appear), its high bits a *seed* from which ``_Dice`` picks every leaf from precomputed pools.
Seed 0 decodes to the simplest choice everywhere (first pool entry, quantity 1, no metadata), so a failing case
shrinks to a short request. The optional fields are the version's: 1.86.0 keeps the bit layout it always had;
1.113.0 adds ``adaptive_currency_fees_inclusive``, ``customer_business_name``, ``discount_codes`` (never with
``discount_code``) and ``require_phone_number`` (true only with a new customer that carries a phone), numeric
and boolean metadata values, and ``satispay`` among the payment methods.
"""

from __future__ import annotations

from typing import Any

from ..contract.fixtures import Customer, Fixtures, Product
from ..contract.versions import Contract
from ._pools import (
    BUSINESS_NAMES,
    CITIES,
    INT32_MAX,
    STATES,
    STREETS,
    ZIPCODES,
    Payload,
    _Dice,
    _email,
    _extras,
    _maybe,
    _metadata,
    _name,
    _phone,
    _url,
)

__all__ = ["RequestPlan", "fit_total"]

_BASE_OPTIONAL = ("allowed_payment_method_types", "billing_currency", "discount_code", "force_3ds", "metadata",
                  "payment_link", "payment_method_id", "redirect_immediately", "return_url", "short_link",
                  "show_saved_payment_methods", "tax_id")  # fmt: skip
_LATER_OPTIONAL = ("adaptive_currency_fees_inclusive", "customer_business_name", "discount_codes",
                   "require_phone_number")  # fmt: skip


class RequestPlan:
    """Decode (presence mask, seed) into a business-valid request for one set of fixtures and one contract."""

    def __init__(self, fx: Fixtures, contract: Contract) -> None:
        props = set(contract.schema("request").get("properties") or {})
        # The bit of each field stays where it was when the field appeared, so older versions decode as before.
        later = tuple(f for f in _LATER_OPTIONAL if f in props)
        self.optional = (*(f for f in _BASE_OPTIONAL if f in props), "<extras>", *later)
        self.mask = 2 ** len(self.optional) - 1
        groups: dict[str, list[Product]] = {}
        for product in fx.checkout.one_time(fx.products):  # POST /payments sells one-time products only
            groups.setdefault(product.currency, []).append(product)
        # One currency per cart: a total over mixed currencies is not something a faithful server must accept.
        self.carts = tuple(tuple(g) for g in groups.values())
        self.customers: tuple[Customer, ...] = fx.customers
        # The simplest request (seed 0) bills to the US when it can: the most ordinary case there is.
        countries = set(contract.countries)
        self.countries = tuple(sorted((c for c in fx.supported_countries if c in countries), key=lambda c: c != "US"))
        self.methods = contract.payment_method_types
        self.enabled = tuple(m for m in fx.enabled_payment_methods if m in self.methods)
        self.currencies = tuple(c for c in fx.billing_currencies if c in contract.currencies)
        self.codes = tuple(d.code for d in fx.discounts)
        self.tax_ids = fx.tax_ids
        self.numbers_in_metadata = _metadata_takes_numbers(contract)
        self.fixtures = fx

    def build(self, draw: bytes) -> Payload:
        number = int.from_bytes(draw)
        mask, d = number & self.mask, _Dice(number >> len(self.optional))
        present = {name for bit, name in enumerate(self.optional) if mask >> bit & 1}
        out: Payload = _extras(d) if "<extras>" in present else {}
        out["product_cart"] = fit_total([self._item(d, p) for p in self._cart_products(d)], self.fixtures)
        customer, owned = self._customer(d)
        out["customer"] = customer
        out["billing"] = self._billing(d)
        for name in self.optional:
            if name in present and name != "<extras>":
                out[name] = self._optional(d, name, owned)
        # short_link only means something with a payment link (inferred rule R4): never ask for one without.
        if out.get("short_link") and out.get("payment_link") is not True:
            out["short_link"] = False
        if isinstance(out.get("discount_code"), str) and isinstance(out.get("discount_codes"), list):
            out.pop("discount_code" if d.chance(1, 2) else "discount_codes")  # never both (1.113.0 prose)
        if out.get("require_phone_number") is True:
            self._with_phone(d, out)
        return out

    def _with_phone(self, d: _Dice, out: Payload) -> None:
        # A valid request that requires a phone always carries one: the new-customer form with a phone_number
        # (an existing customer's stored phone is not visible to us, so that reading is never staked).
        customer = out["customer"]
        if "customer_id" in customer or not isinstance(customer.get("phone_number"), str):
            out["customer"] = {"email": customer.get("email") or _email(d), "phone_number": _phone(d)}
            if isinstance(customer.get("name"), str):
                out["customer"]["name"] = customer["name"]
        if isinstance(out.get("payment_method_id"), str):
            out["payment_method_id"] = None  # a saved method needs the attach form

    def _cart_products(self, d: _Dice) -> list[Product]:
        group = d.pick(self.carts)
        roll = d.below(20)
        size = d.between(1, 3) if roll < 17 else (d.between(1, 100) if roll < 19 else 100)
        return [d.pick(group) for _ in range(size)]

    def _item(self, d: _Dice, product: Product) -> Payload:
        roll = d.below(10)
        quantity = d.between(1, 3) if roll < 7 else (d.between(0, 10) if roll < 9 else d.between(0, 100_000))
        item: Payload = {"product_id": product.id, "quantity": quantity}
        low = product.min_amount
        if product.pay_what_you_want:
            high = min(low + 10_000, INT32_MAX) if d.below(4) else max(low, min(low * 100, INT32_MAX), 1_000_000)
            item["amount"] = d.between(low, min(high, INT32_MAX))
        elif roll := d.below(3):  # ignored for fixed prices; sent sometimes to check that it is
            item["amount"] = None if roll == 1 else d.between(0, INT32_MAX)
        return item

    def _customer(self, d: _Dice) -> tuple[Payload, tuple[str, ...]]:
        form = d.below(4) if self.customers else 0
        if form < 2:
            new: Payload = {"email": _email(d)}
            for key, make in (("name", _name), ("phone_number", _phone)):
                if roll := d.below(3):
                    new[key] = None if roll == 1 else make(d)
            return new, ()
        known = d.pick(self.customers)
        # {customer_id, email} fits both forms; Dodo takes the first (attach existing), so it is valid.
        attach = {"customer_id": known.id, "email": known.email} if form == 3 else {"customer_id": known.id}
        return attach, known.payment_method_ids

    def _billing(self, d: _Dice) -> Payload:
        out: Payload = {"country": d.pick(self.countries)}
        for key, pool in (("street", STREETS), ("city", CITIES), ("state", STATES), ("zipcode", ZIPCODES)):
            if d.chance(1, 2):
                out[key] = None if d.chance(1, 4) else (d.pick(pool) if not d.chance(1, 5) else _name(d))
        return out

    def _optional(self, d: _Dice, name: str, owned: tuple[str, ...]) -> Any:
        if name in ("force_3ds", "payment_link", "short_link", "adaptive_currency_fees_inclusive"):
            return d.pick((None, False, True))
        if name in ("redirect_immediately", "show_saved_payment_methods", "require_phone_number"):
            return d.pick((False, True))
        if name == "metadata":
            return _metadata(d, numbers=self.numbers_in_metadata)
        if name == "return_url":
            return _maybe(d, _url)
        if name == "customer_business_name":
            return _maybe(d, lambda d: d.pick(BUSINESS_NAMES))
        if name == "payment_method_id":
            # Only with the attach form and a method of that very customer; null otherwise.
            return None if not owned or d.chance(1, 4) else d.pick(owned)
        if name == "allowed_payment_method_types":
            return self._allowed_methods(d)
        if name == "discount_codes":
            roll = d.below(8)
            if roll == 0 or not self.codes:
                return None if roll < 4 else []
            return d.sample(self.codes, d.between(1, min(20, len(self.codes))))
        pool = {"billing_currency": self.currencies, "discount_code": self.codes, "tax_id": self.tax_ids}[name]
        return None if not pool or d.chance(1, 3) else d.pick(pool)

    def _allowed_methods(self, d: _Dice) -> list[str] | None:
        roll = d.below(8)
        if roll == 0 or not self.enabled:
            return None
        if roll == 7:
            return d.sample(self.methods, len(self.methods))
        must = d.pick(self.enabled)
        rest = [m for m in d.sample(self.methods, d.below(5)) if m != must]
        rest.insert(d.below(len(rest) + 1), must)
        return rest


def _metadata_takes_numbers(contract: Contract) -> bool:
    value = ((contract.schema("request").get("properties") or {}).get("metadata") or {}).get("additionalProperties")
    types = value.get("type") if isinstance(value, dict) else None
    return isinstance(types, list) and "number" in types


def fit_total(cart: list[Payload], fx: Fixtures) -> list[Payload]:
    """Bring quantities down until the cart's total fits in int32 (``total_amount`` is int32 in the response).

    A request whose total cannot be represented is one a faithful server may refuse however it likes, so a
    valid request the contract says must be accepted keeps its total representable.
    """

    def total() -> int:
        return sum(fx.line_total(item) or 0 for item in cart)

    while total() > INT32_MAX:
        biggest = max(cart, key=lambda i: i["quantity"])
        biggest["quantity"] = max(1, biggest["quantity"] // 10) if biggest["quantity"] > 1 else 0
        if all(i["quantity"] <= 1 for i in cart) and total() > INT32_MAX:
            for item in cart:
                item["quantity"] = 0 if total() > INT32_MAX else item["quantity"]
    return cart
