"""Hypothesis strategies for Create Payment requests and 200 responses: valid ones and labelled invalid ones.

Valid requests are schema-valid AND business-valid for a fixtures file: every id, code, currency and
country comes from the fixtures, so a faithful implementation answers 200 (or a documented business refusal).
Independent implementations may reasonably be stricter than the schema, so emails, phone numbers, URLs and
metadata keys look real, and names and addresses have no control characters, surrogates or edge spaces
(metadata values, stored verbatim, may have newlines and edge spaces).

Speed: each Hypothesis draw costs ~30 µs here, so a payload built from nested combinators (~100 draws)
comes out at ~100/s. Each payload is therefore ONE draw of 10 bytes, read as an integer: its low bits are a
*presence mask* (which optional top-level fields appear), its high bits a *seed* from which a small decoder
picks every leaf from precomputed pools. Shrinking minimises the bytes, high ones first, so the seed goes to
0 first, and seed 0 decodes to the simplest choice everywhere (first pool entry, quantity 1, no metadata);
then the mask drops fields. A failing case thus still shrinks to a short request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..contract.fixtures import Customer, Fixtures, Product, default_fixtures, load_fixtures
from ..contract.schemas import payment_method_types
from ._mutations import (
    INVALID_REQUEST_RULES,
    INVALID_RESPONSE_RULES,
    InvalidCase,
    Mutator,
    encode,
    request_mutations,
    response_mutations,
)
from ._pools import (
    _CHECKOUT,
    _EPOCH_2020,
    _TIME_STYLES,
    _TWENTY_YEARS,
    CITIES,
    INT32_MAX,
    INT32_MIN,
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
    _timestamp,
    _url,
)

__all__ = [
    "INVALID_REQUEST_RULES",
    "INVALID_RESPONSE_RULES",
    "InvalidCase",
    "canonical_requests",
    "encode",
    "invalid_requests",
    "invalid_responses",
    "resolve_fixtures",
    "valid_requests",
    "valid_responses",
]

FixturesLike = Fixtures | Mapping[str, Any] | str | Path | None

# Fixed-size bytes, not integers: Hypothesis draws wide integers small a third of the time (seed 0, the
# simplest payload, over and over), while bytes come out uniform and still shrink towards all-zero.
_DRAWS = st.binary(min_size=10, max_size=10)


# --- requests ----------------------------------------------------------------------------------------------
_REQUEST_OPTIONAL = ("allowed_payment_method_types", "billing_currency", "discount_code", "force_3ds", "metadata",
                     "payment_link", "payment_method_id", "redirect_immediately", "return_url", "short_link",
                     "show_saved_payment_methods", "tax_id", "<extras>")  # fmt: skip
_REQUEST_MASK = 2 ** len(_REQUEST_OPTIONAL) - 1


class _RequestPlan:
    """Decode (presence mask, seed) into a business-valid request for one set of fixtures."""

    def __init__(self, fx: Fixtures) -> None:
        groups: dict[str, list[Product]] = {}
        for product in fx.products:
            groups.setdefault(product.currency, []).append(product)
        # One currency per cart: a total over mixed currencies is not something a faithful server must accept.
        self.carts = tuple(tuple(g) for g in groups.values())
        self.customers: tuple[Customer, ...] = fx.customers
        # The simplest request (seed 0) bills to the US when it can: the most ordinary case there is.
        self.countries = tuple(sorted(fx.supported_countries, key=lambda c: c != "US"))
        self.enabled = fx.enabled_payment_methods
        self.methods = payment_method_types()
        self.currencies = fx.billing_currencies
        self.codes = tuple(d.code for d in fx.discounts)
        self.tax_ids = fx.tax_ids
        self.fixtures = fx

    def build(self, draw: bytes) -> Payload:
        number = int.from_bytes(draw)
        mask, d = number & _REQUEST_MASK, _Dice(number >> len(_REQUEST_OPTIONAL))
        out: Payload = _extras(d) if mask >> 12 & 1 else {}
        out["product_cart"] = _fit_total([self._item(d, p) for p in self._cart_products(d)], self.fixtures)
        customer, owned = self._customer(d)
        out["customer"] = customer
        out["billing"] = self._billing(d)
        for bit, name in enumerate(_REQUEST_OPTIONAL[:-1]):
            if mask >> bit & 1:
                out[name] = self._optional(d, name, owned)
        # short_link only means something with a payment link (inferred rule R4): never ask for one without.
        if out.get("short_link") and out.get("payment_link") is not True:
            out["short_link"] = False
        return out

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
        if name in ("force_3ds", "payment_link", "short_link"):
            return d.pick((None, False, True))
        if name in ("redirect_immediately", "show_saved_payment_methods"):
            return d.pick((False, True))
        if name == "metadata":
            return _metadata(d)
        if name == "return_url":
            return _maybe(d, _url)
        if name == "payment_method_id":
            # Only with the attach form and a method of that very customer; null otherwise.
            return None if not owned or d.chance(1, 4) else d.pick(owned)
        if name == "allowed_payment_method_types":
            return self._allowed_methods(d)
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


def resolve_fixtures(fixtures: FixturesLike) -> Fixtures:
    """Return ``Fixtures`` for a path, mapping, ``Fixtures`` or None (the bundled default catalog)."""
    return default_fixtures() if fixtures is None else load_fixtures(fixtures)


@cache
def _valid_requests(fx: Fixtures) -> SearchStrategy[Payload]:
    return st.builds(_RequestPlan(fx).build, _DRAWS)


def valid_requests(fixtures: FixturesLike = None) -> SearchStrategy[Payload]:
    """Return a strategy of schema-valid and business-valid ``POST /payments`` bodies for ``fixtures``.

    Every product, customer, payment method, discount code and tax id comes from the fixtures; countries,
    billing currencies and payment-method lists respect the fixtures' account hints. Over a run: both
    customer forms (and ``{customer_id, email}``, read as attach-existing), every nullable field as null,
    omitted and set, carts of 1..100 items (quantity 0 sometimes), unicode, metadata up to 50 pairs and
    500-character values, unknown top-level keys. Each draw is a fresh dict.
    """
    fx = resolve_fixtures(fixtures)
    if not fx.supported_countries:
        raise ValueError("fixtures: every country is unsupported, so no valid request exists")
    return _valid_requests(fx)


def canonical_requests(fixtures: FixturesLike = None) -> list[tuple[str, Payload]]:
    """Return named, minimal, business-valid requests built only from ``fixtures`` that must always get 200.

    Deterministic: the same fixtures always give the same list (each request a fresh dict).
    """
    fx = resolve_fixtures(fixtures)
    countries = fx.supported_countries
    country = "US" if "US" in countries else countries[0]
    first = fx.products[0]

    def item(p: Product) -> Payload:
        out: Payload = {"product_id": p.id, "quantity": 1}
        if p.pay_what_you_want:
            # A pay-what-you-want amount well above zero: a server may refuse near-zero totals (its minimum charge).
            out["amount"] = max(p.min_amount, p.price, 1000)
        return out

    def request(product: Product = first, **extra: Any) -> Payload:
        return {
            "product_cart": [item(product)],
            "customer": {"email": "canonical@example.com", "name": "Ada"},
            "billing": {"country": country},
            **extra,
        }

    out: list[tuple[str, Payload]] = [(f"product:{p.id}", request(p)) for p in fx.products]
    if fx.customers:
        out.append((f"existing_customer:{fx.customers[0].id}", request(customer={"customer_id": fx.customers[0].id})))
    out.append(
        (
            "new_customer",
            request(
                customer={"email": "new.customer@example.com", "name": "Grace Hopper", "phone_number": "+14155550123"}
            ),
        )
    )
    out.append(("payment_link", request(payment_link=True)))
    out.append(("metadata", request(metadata={"order_id": "ord_123", "note": "Zürich 🦤"})))
    out.extend((f"discount:{d.code}", request(discount_code=d.code)) for d in fx.discounts)
    if fx.tax_ids:
        out.append((f"tax_id:{fx.tax_ids[0]}", request(tax_id=fx.tax_ids[0])))
    owner = next((c for c in fx.customers if c.payment_method_ids), None)
    if owner is not None:
        out.append(
            (
                f"payment_method:{owner.payment_method_ids[0]}",
                request(customer={"customer_id": owner.id}, payment_method_id=owner.payment_method_ids[0]),
            )
        )
    if fx.billing_currencies:
        same = next((p for p in fx.products if p.currency in fx.billing_currencies), first)
        currency = same.currency if same.currency in fx.billing_currencies else fx.billing_currencies[0]
        out.append((f"billing_currency:{currency}", request(same, billing_currency=currency)))
    return out


# --- responses ---------------------------------------------------------------------------------------------
_RESPONSE_OPTIONAL = ("discount_id", "expires_on", "payment_link", "product_cart", "phone_number", "customer_metadata",
                      "<extras>")  # fmt: skip


def _response(draw: bytes) -> Payload:
    number = int.from_bytes(draw)
    mask, d = number & 0x7F, _Dice(number >> len(_RESPONSE_OPTIONAL))
    customer: Payload = {"customer_id": d.ident("cus_"), "name": _name(d), "email": _email(d)}
    if mask >> 4 & 1:
        customer["phone_number"] = _maybe(d, _phone)
    if mask >> 5 & 1:
        customer["metadata"] = _metadata(d)
    out: Payload = _extras(d) if mask >> 6 & 1 else {}
    out.update(payment_id=d.ident("pay_"), client_secret=d.ident("secret_"), customer=customer)
    out["total_amount"] = d.between(0, 100_000) if d.below(4) else d.between(0, INT32_MAX)
    out["metadata"] = _metadata(d)
    if mask & 1:
        out["discount_id"] = _maybe(d, lambda d: d.ident("dsc_"))
    if mask >> 1 & 1:
        out["expires_on"] = _maybe(d, lambda d: _timestamp(d.between(_EPOCH_2020, _EPOCH_2020 + _TWENTY_YEARS),
                                                            d.pick(_TIME_STYLES)))  # fmt: skip
    if mask >> 2 & 1:
        out["payment_link"] = _maybe(d, lambda d: _CHECKOUT + d.ident(""))
    if mask >> 3 & 1:
        out["product_cart"] = _maybe(d, _response_cart)
    return out


def _response_cart(d: _Dice) -> list[Payload]:
    cart: list[Payload] = []
    for _ in range(d.below(6)):
        item: Payload = {"product_id": d.ident("pdt_"), "quantity": d.between(0, INT32_MAX)}
        if roll := d.below(3):
            item["amount"] = None if roll == 1 else d.between(INT32_MIN, INT32_MAX)
        cart.append(item)
    return cart


_VALID_RESPONSES = st.builds(_response, _DRAWS)


def valid_responses(
    *, request: Mapping[str, Any] | None = None, fixtures: FixturesLike = None
) -> SearchStrategy[Payload]:
    """Return a strategy of valid 200 bodies; with ``request``, bodies a faithful server could answer to it.

    A reflecting body echoes the request's customer (id, or email/name/phone), metadata and product_cart,
    carries a payment link and a future ``expires_on`` when one was asked for, and, given ``fixtures``,
    the stored customer's details, the discount id of a fixture discount code and the cart's total.
    """
    if request is None:
        return _VALID_RESPONSES
    fx = None if fixtures is None else resolve_fixtures(fixtures)
    return st.builds(partial(_reflect, json.dumps(dict(request)), fx), _DRAWS)


def _reflect(request_json: str, fx: Fixtures | None, draw: bytes) -> Payload:
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
        customer = {"customer_id": d.ident("cus_"), "email": email, "name": given.get("name") or email.split("@")[0]}
        if isinstance(given.get("phone_number"), str):
            customer["phone_number"] = given["phone_number"]
    payment_id = d.ident("pay_")
    body: Payload = {"payment_id": payment_id, "client_secret": d.ident("secret_"), "customer": customer}
    body["metadata"] = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
    body["total_amount"] = _total(request, fx) if fx is not None else d.between(0, 100_000)
    if isinstance(request.get("product_cart"), list):
        body["product_cart"] = request["product_cart"]
    if request.get("payment_link") is True:
        body["payment_link"] = _CHECKOUT + payment_id
        expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=d.between(3600, 30 * 86_400))
        body["expires_on"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    code = request.get("discount_code")
    discount = fx.discount(code) if fx is not None and isinstance(code, str) else None
    if discount is not None:
        body["discount_id"] = discount.id
    return body


def _fit_total(cart: list[Payload], fx: Fixtures) -> list[Payload]:
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


def _total(request: Payload, fx: Fixtures) -> int:
    total = sum(fx.line_total(item) or 0 for item in request.get("product_cart") or ())
    code = request.get("discount_code")
    discount = fx.discount(code) if isinstance(code, str) else None
    if discount is not None:
        total = discount.apply(total)
    return max(0, min(total, INT32_MAX))


# --- invalid cases -----------------------------------------------------------------------------------------
def invalid_requests(
    fixtures: FixturesLike = None, *, rules: Iterable[str] | None = None
) -> SearchStrategy[InvalidCase]:
    """Return a strategy of labelled requests that each break exactly one contract rule.

    Each case starts from a valid request for ``fixtures`` and breaks one rule; ``rule`` and ``pointer``
    are exactly what ``validate_request`` reports. ``rules`` restricts the draw to some rule ids (any of
    ``INVALID_REQUEST_RULES``; another id raises ``ValueError``).
    """
    fx = resolve_fixtures(fixtures)
    return _combine(request_mutations(fx), valid_requests(fx), rules, "INVALID_REQUEST_RULES")


def invalid_responses(*, rules: Iterable[str] | None = None) -> SearchStrategy[InvalidCase]:
    """Return a strategy of labelled 200 bodies that each break exactly one rule of the response schema."""
    return _combine(response_mutations(), _VALID_RESPONSES, rules, "INVALID_RESPONSE_RULES")


def _combine(
    table: Mapping[str, Mutator], base: SearchStrategy[Payload], rules: Iterable[str] | None, name: str
) -> SearchStrategy[InvalidCase]:
    chosen = list(table) if rules is None else list(dict.fromkeys([rules] if isinstance(rules, str) else rules))
    unknown = [r for r in chosen if r not in table]
    if unknown:
        raise ValueError(f"rules not covered (see {name}): {', '.join(map(repr, unknown))}")
    if not chosen:
        raise ValueError("rules: at least one rule is needed")
    # One 32-bit draw: the low half picks the bad value, the high half the cart item or list slot.
    return st.one_of([st.builds(partial(_apply, table[r]), base, st.integers(0, 2**32 - 1)) for r in chosen])


def _apply(mutate: Mutator, base: Payload, pick: int) -> InvalidCase:
    return mutate(base, pick & 0xFFFF, pick >> 16)
