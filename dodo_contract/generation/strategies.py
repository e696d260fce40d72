"""Hypothesis strategies and planning functions for requests and 200 responses, per spec version and operation.

``operation`` picks the API as everywhere (None: ``payments``, or the operation of a ``Contract`` given as
``spec_version``): ``checkouts`` / ``checkouts.preview`` draw Checkout Sessions requests (``_checkout_requests``)
and their 200 bodies (``_checkout_responses``), ``checkouts.get`` has 200 bodies only.

Valid requests are schema-valid AND business-valid for a fixtures file: every id, code, currency and country comes
from the fixtures, so a faithful implementation answers 200 (or a documented business refusal). Independent
implementations may reasonably be stricter than the schema, so emails, phone numbers, URLs and metadata keys look
real, and names and addresses have no control characters, surrogates or edge spaces (metadata values, stored
verbatim, may have newlines and edge spaces).

Invalid cases are derived from the contract (``_derive``): one per rule and class of bad value, each breaking
exactly that rule. ``invalid_cases`` and ``boundary_cases`` are the engine's deterministic plan; the strategies
draw the same cases for property-based tests.

Speed: each Hypothesis draw costs ~30 µs here, so a payload built from nested combinators (~100 draws) comes out at
~100/s. Each payload is therefore ONE draw of 10 bytes that a small decoder turns into the whole payload
(``_requests``), which also shrinks well: the bytes go to 0 first, and 0 decodes to the simplest request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cache, partial
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..contract.fixtures import Fixtures, Product, default_fixtures, load_fixtures
from ..contract.versions import Contract, Kind, SpecVersion, get_contract
from ..errors import ConfigError
from ._boundary import boundary_requests, null_requests
from ._checkout_canonical import canonical_checkout_requests, checkout_boundary_requests
from ._checkout_requests import CheckoutRequestPlan
from ._checkout_responses import CheckoutResponsePlan
from ._derive import CaseBook, Template
from ._mutators import InvalidCase, encode
from ._pools import Payload
from ._pricing import MAX_PRICING_REQUESTS, PricingCase
from ._pricing import pricing_pairs as _pricing_pairs
from ._requests import RequestPlan
from ._responses import ResponsePlan

__all__ = [
    "INVALID_REQUEST_RULES",
    "INVALID_RESPONSE_RULES",
    "MAX_PRICING_REQUESTS",
    "InvalidCase",
    "PricingCase",
    "boundary_cases",
    "canonical_requests",
    "encode",
    "invalid_cases",
    "invalid_requests",
    "invalid_responses",
    "invalid_rules",
    "null_cases",
    "pricing_pairs",
    "resolve_fixtures",
    "valid_requests",
    "valid_responses",
]

FixturesLike = Fixtures | Mapping[str, Any] | str | Path | None

# Fixed-size bytes, not integers: Hypothesis draws wide integers small a third of the time (seed 0, the
# simplest payload, over and over), while bytes come out uniform and still shrink towards all-zero.
_DRAWS = st.binary(min_size=10, max_size=10)


def resolve_fixtures(fixtures: FixturesLike) -> Fixtures:
    """Return ``Fixtures`` for a path, mapping, ``Fixtures`` or None (the bundled default catalog)."""
    return default_fixtures() if fixtures is None else load_fixtures(fixtures)


def _payments(contract: Contract) -> bool:
    return contract.endpoint.family == "payments"


@cache
def _request_plan(fx: Fixtures, contract: Contract) -> RequestPlan | CheckoutRequestPlan:
    contract.schema("request")  # an operation without a request body (GET /checkouts/{id}): a ConfigError
    return RequestPlan(fx, contract) if _payments(contract) else CheckoutRequestPlan(fx, contract)


@cache
def _response_plan(contract: Contract) -> ResponsePlan | CheckoutResponsePlan:
    return ResponsePlan(contract) if _payments(contract) else CheckoutResponsePlan(contract)


@cache
def _book(contract: Contract, kind: Kind, fx: Fixtures) -> CaseBook:
    if _payments(contract):
        return CaseBook(contract, kind, fx)
    # The schema's least request (an empty cart) is invalid without a collection: prove templates on one line.
    if kind == "request":
        minimal: Payload = {"product_cart": [{"product_id": fx.products[0].id, "quantity": 1}]}
    else:
        minimal = _response_plan(contract).build(bytes(10))
    return CaseBook(contract, kind, fx, minimal=minimal)


@cache
def _valid_requests(fx: Fixtures, contract: Contract) -> SearchStrategy[Payload]:
    return st.builds(_request_plan(fx, contract).build, _DRAWS)


def valid_requests(
    fixtures: FixturesLike = None, *, spec_version: SpecVersion = None, operation: str | None = None
) -> SearchStrategy[Payload]:
    """Return a strategy of schema-valid and business-valid request bodies of the operation for ``fixtures``.

    For ``checkouts`` / ``checkouts.preview``: sessions built from the fixtures' products (one-time and
    subscription, addons, credit entitlements), customers and their payment methods, discount codes and
    collections, within every reading of the docs (see ``_checkout_requests``). For ``payments`` (the default):
    every product, customer, payment method, discount code and tax id comes from the fixtures; countries,
    billing currencies and payment-method lists respect the fixtures' account hints. Over a run: both
    customer forms (and ``{customer_id, email}``, read as attach-existing), every nullable field as null,
    omitted and set, carts of 1..100 items (quantity 0 sometimes), unicode, metadata up to 50 pairs and
    500-character values, unknown top-level keys; from 1.113.0 also ``discount_codes`` (never with
    ``discount_code``), ``require_phone_number`` (true only with a phone), the other new fields and numeric
    metadata. Each draw is a fresh dict.
    """
    fx = resolve_fixtures(fixtures)
    if not fx.supported_countries:
        raise ValueError("fixtures: every country is unsupported, so no valid request exists")
    contract = get_contract(spec_version, operation=operation)
    if _payments(contract):
        _one_time(fx)
    return _valid_requests(fx, contract)


def _one_time(fx: Fixtures) -> tuple[Product, ...]:
    products = fx.checkout.one_time(fx.products)
    if not products:
        raise ConfigError("fixtures: every product is a subscription; POST /payments needs a one-time product")
    return products


def canonical_requests(
    fixtures: FixturesLike = None, *, spec_version: SpecVersion = None, operation: str | None = None
) -> list[tuple[str, Payload]]:
    """Return named, minimal, business-valid requests built only from ``fixtures`` that must always get 200.

    Deterministic: the same fixtures, version and operation always give the same list (each request a fresh
    dict). Checkout Sessions: see ``_checkout_canonical`` (each product, both customer forms, each code, confirm
    with a full and a minimal address, a saved method, each collection, a subscription with an addon and a trial).
    """
    fx = resolve_fixtures(fixtures)
    contract = get_contract(spec_version, operation=operation)
    if not _payments(contract):
        contract.schema("request")
        return canonical_checkout_requests(fx, contract)
    countries = fx.supported_countries
    country = "US" if "US" in countries else countries[0]
    products = _one_time(fx)  # POST /payments sells one-time products only
    first = products[0]
    props = contract.schema("request").get("properties") or {}

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

    out: list[tuple[str, Payload]] = [(f"product:{p.id}", request(p)) for p in products]
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
    if "discount_codes" in props and fx.discounts:
        code = fx.discounts[0].code
        out.append((f"discount_codes:{code}", request(discount_codes=[code])))
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
    currencies = [c for c in fx.billing_currencies if c in contract.currencies]
    if currencies:
        same = next((p for p in products if p.currency in currencies), first)
        currency = same.currency if same.currency in currencies else currencies[0]
        out.append((f"billing_currency:{currency}", request(same, billing_currency=currency)))
    return out


# --- responses ---------------------------------------------------------------------------------------------
def valid_responses(
    *,
    request: Mapping[str, Any] | None = None,
    fixtures: FixturesLike = None,
    spec_version: SpecVersion = None,
    operation: str | None = None,
) -> SearchStrategy[Payload]:
    """Return a strategy of valid 200 bodies; with ``request``, bodies a faithful server could answer to it.

    A reflecting body of ``POST /payments`` echoes the request's customer (id, or email/name/phone), metadata and
    product_cart, carries a payment link and a future ``expires_on`` when one was asked for, and, given
    ``fixtures``, the stored customer's details, the discount id(s) of fixture discount codes and the cart's total.
    Checkout Sessions: free bodies of each operation's 200 (``_checkout_responses``); a reflecting
    ``POST /checkouts`` body has ``checkout_url`` null exactly when ``payment_method_id`` was sent.
    """
    plan = _response_plan(get_contract(spec_version, operation=operation))
    if request is None:
        return st.builds(plan.build, _DRAWS)
    if isinstance(plan, CheckoutResponsePlan):
        return st.builds(partial(plan.reflect, json.dumps(dict(request))), _DRAWS)
    fx = None if fixtures is None else resolve_fixtures(fixtures)
    return st.builds(partial(plan.reflect, json.dumps(dict(request)), fx), _DRAWS)


# --- invalid cases -----------------------------------------------------------------------------------------
def invalid_rules(
    kind: Kind = "request", *, spec_version: SpecVersion = None, operation: str | None = None
) -> tuple[str, ...]:
    """Return the rule ids the invalid cases of ``kind`` cover: every rule of ``known_rules(kind)``."""
    contract = get_contract(spec_version, operation=operation)
    return tuple(dict.fromkeys(t.rule for t in _book(contract, kind, default_fixtures()).templates))


def _templates(book: CaseBook, rules: Iterable[str] | None, name: str) -> list[Template]:
    if rules is None:
        return list(book.templates)
    chosen = list(dict.fromkeys([rules] if isinstance(rules, str) else rules))
    known = {t.rule for t in book.templates}
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise ValueError(f"rules not covered (see {name}): {', '.join(map(repr, unknown))}")
    if not chosen:
        raise ValueError("rules: at least one rule is needed")
    return [t for t in book.templates if t.rule in chosen]


def invalid_requests(
    fixtures: FixturesLike = None,
    *,
    rules: Iterable[str] | None = None,
    spec_version: SpecVersion = None,
    operation: str | None = None,
) -> SearchStrategy[InvalidCase]:
    """Return a strategy of labelled requests that each break exactly one contract rule.

    Each case starts from a valid request for ``fixtures`` and breaks one rule with one class of bad value;
    ``rule`` and ``pointer`` are exactly what ``validate_request`` reports. ``rules`` restricts the draw to
    some rule ids (any of ``invalid_rules("request")``; another id raises ``ValueError``).
    """
    fx = resolve_fixtures(fixtures)
    contract = get_contract(spec_version, operation=operation)
    book = _book(contract, "request", fx)
    templates = _templates(book, rules, "INVALID_REQUEST_RULES")
    return st.builds(book.case, st.sampled_from(templates), _valid_requests(fx, contract), st.integers(0, 2**16 - 1))


def invalid_responses(
    *, rules: Iterable[str] | None = None, spec_version: SpecVersion = None, operation: str | None = None
) -> SearchStrategy[InvalidCase]:
    """Return a strategy of labelled 200 bodies that each break exactly one rule of the response schema."""
    contract = get_contract(spec_version, operation=operation)
    book = _book(contract, "response", default_fixtures())
    templates = _templates(book, rules, "INVALID_RESPONSE_RULES")
    base = st.builds(_response_plan(contract).build, _DRAWS)
    return st.builds(book.case, st.sampled_from(templates), base, st.integers(0, 2**16 - 1))


def invalid_cases(
    fixtures: FixturesLike = None,
    *,
    spec_version: SpecVersion = None,
    seed: int = 0,
    kind: Kind = "request",
    operation: str | None = None,
) -> list[InvalidCase]:
    """Return every rule x every class of bad value once, each case breaking exactly its rule (the engine's plan).

    Deterministic: the base payload of each case varies with ``seed`` (a valid request for ``fixtures``, or a
    valid 200 body for ``kind="response"``), the rules and classes do not; so a server that accepts one class of
    one rule is caught on every seed.
    """
    fx = resolve_fixtures(fixtures)
    contract = get_contract(spec_version, operation=operation)
    book = _book(contract, kind, fx)
    build = _request_plan(fx, contract).build if kind == "request" else _response_plan(contract).build
    out: list[InvalidCase] = []
    for index, template in enumerate(book.templates):
        digest = hashlib.sha256(f"dodo-contract:{seed}:{index}".encode()).digest()
        out.append(book.case(template, build(digest[:10]), int.from_bytes(digest[10:14])))
    return out


def boundary_cases(
    fixtures: FixturesLike = None, *, spec_version: SpecVersion = None, operation: str | None = None
) -> list[tuple[str, Payload]]:
    """Return (name, request) pairs that sit on the inside of each bound and cross-field rule: all must get 200.

    Deterministic; built on the first canonical request. Bounds where no business-valid request exists for the
    fixtures are left out (see ``_boundary``, ``_checkout_canonical``).
    """
    fx = resolve_fixtures(fixtures)
    contract = get_contract(spec_version, operation=operation)
    canonical = canonical_requests(fx, spec_version=contract)
    if not canonical:
        return []
    if _payments(contract):
        return boundary_requests(canonical[0][1], fx, contract)
    return checkout_boundary_requests(canonical[0][1], fx, contract)


def null_cases(fixtures: FixturesLike = None, *, spec_version: SpecVersion = None) -> list[tuple[str, Payload]]:
    """Return (name, request) pairs: each nullable field of the version's schema sent as ``null``, one at a time.

    Deterministic; built on the first canonical request (see ``_boundary.null_requests``). All must get 200.
    """
    fx = resolve_fixtures(fixtures)
    contract = get_contract(spec_version)
    canonical = canonical_requests(fx, spec_version=contract)
    return null_requests(canonical[0][1], contract) if canonical else []


def pricing_pairs(fixtures: FixturesLike = None, base: Payload | None = None) -> tuple[list[PricingCase], list[str]]:
    """Return the pricing oracle's paired requests (at most ``MAX_PRICING_REQUESTS``) and notes on what is not sent.

    Deterministic; built on ``base`` (default: the first canonical request), see ``_pricing``.
    """
    fx = resolve_fixtures(fixtures)
    if base is None:
        canonical = canonical_requests(fx)
        if not canonical:
            return [], []
        base = canonical[0][1]
    return _pricing_pairs(fx, base)


INVALID_REQUEST_RULES: tuple[str, ...] = get_contract().known_rules("request")
INVALID_RESPONSE_RULES: tuple[str, ...] = get_contract().known_rules("response")
