"""The Checkout Sessions generators: valid ones are schema- and business-valid, invalid ones carry true labels.

For both versions and both readings of each disagreement, several seeds and catalogs: the valid requests pass the
validator and the catalog's rules (judged here from the fixtures alone), reach every part of the contract, and
stay where every reading of the docs accepts them; the invalid cases each break exactly their rule, together
cover every rule the validator can report, with every class of bad value; the responses of all three operations
are valid and their numbers add up.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from dodo_contract.contract.fixtures import Fixtures, default_fixtures, load_fixtures
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.contract.versions import BUNDLED, Contract
from dodo_contract.errors import ConfigError
from dodo_contract.generation.strategies import (
    boundary_cases,
    canonical_requests,
    invalid_cases,
    invalid_requests,
    invalid_responses,
    invalid_rules,
    valid_requests,
    valid_responses,
)
from dodo_contract.validation.validator import known_rules, validate_request, validate_response
from tests.test_strategies import assert_labelled, draw_many

INT32_MAX = 2**31 - 1
EMAIL = re.compile(r"^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
RADIUS = re.compile(r"^(\d+(\.\d+)?|\.\d+)(px|rem|em)$")
# A catalog unlike the built-in one: EUR only, a subscription without addons, no collections, no saved methods.
OTHER = {
    "products": [
        {"id": "eu_plan", "price": 900, "currency": "EUR", "kind": "subscription", "credit_entitlements": ["ce_1"]},
        {"id": "eu_book", "price": 1250, "currency": "EUR"},
    ],
    "customers": [{"id": "c_only", "email": "only@example.org"}],
    "discount_codes": ["EU5"],
    "billing_currencies": ["EUR"],
    "unsupported_countries": ["US"],
    "enabled_payment_methods": ["sepa", "credit"],
}
CATALOGS = {"default": default_fixtures(), "other": load_fixtures(OTHER)}
READINGS = {
    "docs": ContractSettings(),
    "schema": ContractSettings(checkouts_min_quantity=0, checkouts_cart="schema"),
}


def contract_of(version: str, reading: str, operation: str = "checkouts") -> Contract:
    return READINGS[reading].contract(version, operation=operation)


def business_problems(req: dict[str, Any], fx: Fixtures, *, least: int) -> list[str]:
    """Say which business or realism rule a session request breaks, judged from the fixtures alone."""
    bad: list[str] = []
    catalog = fx.checkout
    cart = req["product_cart"]
    collection = req.get("product_collection_id")
    if collection is not None and catalog.collection(collection) is None:
        bad.append(f"unknown collection {collection}")
    if not cart and collection is None:
        bad.append("an empty cart without a collection")
    if len(cart) > 20:
        bad.append(f"{len(cart)} lines")
    currencies = set()
    total = 0
    for line in cart:
        product = fx.product(line["product_id"])
        if product is None:
            bad.append(f"unknown product {line['product_id']}")
            continue
        if collection is not None and product.id not in catalog.collection(collection).product_ids:  # type: ignore[union-attr]
            bad.append(f"{product.id} not in collection {collection}")
        currencies.add(product.currency)
        if type(line["quantity"]) is not int or not least <= line["quantity"] <= INT32_MAX:
            bad.append(f"quantity {line['quantity']!r}")
        total += (line.get("amount") or 0 if product.pay_what_you_want else product.price) * line["quantity"]
        addons = line.get("addons") or []
        if addons and not catalog.is_subscription(product.id):
            bad.append(f"addons on the one-time product {product.id}")
        ids = [a["addon_id"] for a in addons]
        if len(set(ids)) != len(ids) or any(catalog.addon(product.id, i) is None for i in ids):
            bad.append(f"addons {ids} of {product.id}")
        for grant in line.get("credit_entitlements") or ():
            if grant["credit_entitlement_id"] not in catalog.entitlements_of(product.id):
                bad.append(f"entitlement {grant['credit_entitlement_id']} not attached to {product.id}")
            if not grant["credits_amount"].isdigit() or int(grant["credits_amount"]) <= 0:
                bad.append(f"credits_amount {grant['credits_amount']!r}")
        if product.pay_what_you_want and not catalog.is_subscription(product.id):
            amount = line.get("amount")
            if type(amount) is not int or not max(product.min_amount, 1) <= amount <= INT32_MAX:
                bad.append(f"PWYW amount {amount!r}")
        elif line.get("amount") is not None:
            bad.append(f"amount {line['amount']!r} on a fixed-price line")
    if len(currencies) > 1:
        bad.append(f"mixed currencies {currencies}")
    if total > INT32_MAX:
        bad.append(f"total {total}")
    customer = req.get("customer")
    owner = None
    if isinstance(customer, dict) and "customer_id" in customer:
        owner = fx.customer(customer["customer_id"])
        if owner is None or customer.get("email", owner.email) != owner.email:
            bad.append(f"customer {customer}")
    elif isinstance(customer, dict) and not EMAIL.match(customer["email"]):
        bad.append(f"email {customer['email']!r}")
    if req.get("confirm") is True:
        address = req.get("billing_address") or {}
        full = all(isinstance(address.get(k), str) for k in ("street", "city", "state", "zipcode"))
        minimal = req.get("minimal_address") is True and isinstance(address.get("zipcode"), str)
        if not isinstance(customer, dict) or not (full or minimal):
            bad.append("confirm without a customer and a full (or explicitly minimal) address")
        flags = req.get("feature_flags") or {}
        if flags.get("require_phone_number") is True:
            bad.append("require_phone_number beside confirm (the phone may have to be given at creation)")
    method = req.get("payment_method_id")
    if method is not None and (
        owner is None or method not in owner.payment_method_ids or req.get("confirm") is not True
    ):
        bad.append(f"payment_method_id {method!r}")
    address = req.get("billing_address")
    if isinstance(address, dict) and address["country"] not in fx.supported_countries:
        bad.append(f"country {address['country']}")
    if req.get("tax_id") is not None and (req["tax_id"] not in fx.tax_ids or not isinstance(address, dict)):
        bad.append(f"tax_id {req['tax_id']}")
    codes = req.get("discount_codes")
    known = {d.code for d in fx.discounts}
    if req.get("discount_code") is not None and (req["discount_code"] not in known or codes is not None):
        bad.append(f"discount_code {req['discount_code']}")
    if codes is not None and (len(codes) > 20 or len(set(codes)) != len(codes) or not set(codes) <= known):
        bad.append(f"discount_codes {codes}")
    subscription = any(catalog.is_subscription(line["product_id"]) for line in cart)
    if req.get("subscription_data") is not None and not subscription:
        bad.append("subscription_data for a one-time cart")
    if req.get("billing_currency") not in (None, *(c for c in fx.billing_currencies if not subscription or c == "USD")):
        bad.append(f"billing_currency {req['billing_currency']}")
    allowed = req.get("allowed_payment_method_types")
    if (
        allowed is not None
        and not {"credit", "debit"} & set(fx.enabled_payment_methods) & set(allowed)
        and not (set(allowed) & set(fx.enabled_payment_methods))
    ):
        bad.append(f"no enabled method in {allowed}")
    fields = req.get("custom_fields") or []
    if len(fields) > 5 or len({f["key"] for f in fields}) != len(fields):
        bad.append("custom fields")
    if any(f["field_type"] == "dropdown" and not f.get("options") for f in fields):
        bad.append("a dropdown without options")
    flags = req.get("feature_flags") or {}
    if flags.get("require_phone_number") is True and flags.get("allow_phone_number_collection") is False:
        bad.append("require_phone_number without phone collection")
    theme = (req.get("customization") or {}).get("theme_config") or {}
    if theme.get("radius") is not None and not RADIUS.match(theme["radius"]):
        bad.append(f"radius {theme['radius']!r}")
    for key in ("font_primary_url", "font_secondary_url"):
        if theme.get(key) is not None and not theme[key].lower().startswith("https://"):
            bad.append(f"{key} {theme[key]!r}")
    for key in ("return_url", "cancel_url"):
        if req.get(key) is not None and not req[key].lower().startswith(("https://", "http://")):  # "a valid URL"
            bad.append(f"{key} {req[key]!r}")
    return bad


@pytest.mark.parametrize("reading", list(READINGS))
@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_valid_requests_are_schema_and_business_valid(catalog: str, version: str, reading: str) -> None:
    fx, contract = CATALOGS[catalog], contract_of(version, reading)
    least = READINGS[reading].checkouts_min_quantity
    for req in draw_many(valid_requests(fx, spec_version=contract), 300):
        result = validate_request(req, spec_version=contract)
        assert result.ok, (req, result.violations)
        assert business_problems(req, fx, least=least) == [], req
    # Within every reading: what the docs' reading accepts, the schema's does too.
    if reading == "docs":
        lax = contract_of(version, "schema")
        assert all(
            validate_request(r, spec_version=lax).ok for r in draw_many(valid_requests(fx, spec_version=contract), 50)
        )


def _state(req: dict[str, Any], field: str) -> str:
    return "omitted" if field not in req else "null" if req[field] is None else "set"


@pytest.mark.parametrize("version", BUNDLED)
def test_valid_requests_explore_the_contract(version: str) -> None:
    fx = default_fixtures()
    contract = contract_of(version, "docs")
    props = set(contract.schema("request")["properties"])
    seen: Counter[str] = Counter()
    for req in draw_many(valid_requests(fx, spec_version=contract), 1500):
        cart = req["product_cart"]
        seen["empty cart"] += not cart
        seen["20 lines"] += len(cart) == 20
        seen["mixed kinds"] += len({fx.checkout.is_subscription(i["product_id"]) for i in cart}) == 2
        seen["addons"] += any(i.get("addons") for i in cart)
        seen["entitlements"] += any(i.get("credit_entitlements") for i in cart)
        seen["pwyw"] += any("amount" in i and i["amount"] is not None for i in cart)
        seen["confirm full"] += req.get("confirm") is True and req.get("minimal_address") is not True
        seen["confirm minimal"] += req.get("confirm") is True and req.get("minimal_address") is True
        seen["saved method"] += isinstance(req.get("payment_method_id"), str)
        seen["5 fields"] += len(req.get("custom_fields") or ()) == 5
        seen["dropdown"] += any(f["field_type"] == "dropdown" for f in req.get("custom_fields") or ())
        seen["theme colours"] += bool(((req.get("customization") or {}).get("theme_config") or {}).get("dark"))
        seen["trial"] += isinstance((req.get("subscription_data") or {}).get("trial_period_days"), int)
        seen["phone required"] += (req.get("feature_flags") or {}).get("require_phone_number") is True
        seen["unknown keys"] += bool(set(req) - props)
        for field in props - {"product_cart", "payment_method_id"}:
            seen[f"{field}:{_state(req, field)}"] += 1
    reached = ("empty cart", "20 lines", "mixed kinds", "addons", "entitlements", "pwyw", "confirm full",
               "confirm minimal", "saved method", "5 fields", "dropdown", "theme colours", "trial",
               "unknown keys")  # fmt: skip
    for key in reached:
        assert seen[key] > 0, key
    assert bool(seen["phone required"]) is (version == "1.113.0")  # the flag is new in 1.113.0
    nullable = {k for k, v in contract.schema("request")["properties"].items() if "null" in v.get("type", ())}
    for field in props - {"product_cart", "payment_method_id"}:
        assert seen[f"{field}:omitted"] and seen[f"{field}:set"], field
        assert bool(seen[f"{field}:null"]) is (field in nullable), field


def test_a_quantity_of_zero_is_drawn_only_under_the_schemas_reading() -> None:
    for reading, expected in (("docs", False), ("schema", True)):
        contract = contract_of("1.113.0", reading)
        reqs = draw_many(valid_requests(spec_version=contract), 800)
        assert any(i["quantity"] == 0 for r in reqs for i in r["product_cart"]) is expected, reading


@pytest.mark.parametrize("reading", list(READINGS))
@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_canonical_requests_are_valid_named_and_deterministic(catalog: str, version: str, reading: str) -> None:
    fx, contract = CATALOGS[catalog], contract_of(version, reading)
    first = canonical_requests(fx, spec_version=contract)
    assert first == canonical_requests(fx.to_dict(), spec_version=contract)
    names = [name for name, _ in first]
    assert len(names) == len(set(names))
    for name, req in first:
        assert validate_request(req, spec_version=contract).ok, name
        assert business_problems(req, fx, least=1) == [], name
    assert {f"product:{p.id}" for p in fx.products} <= set(names)
    assert {"new_customer", "confirm", "confirm_minimal_address", "metadata", "customized"} <= set(names)
    assert {f"discount:{d.code}" for d in fx.discounts} <= set(names)
    assert {f"collection:{c.id}" for c in fx.checkout.collections} <= set(names)
    assert any(n.startswith("existing_customer:") for n in names) == bool(fx.customers)
    assert any(n.startswith("payment_method:") for n in names) == any(c.payment_method_ids for c in fx.customers)
    subscription = [n for n in names if n.startswith("subscription:")]
    assert len(subscription) == 1 and subscription[0].endswith("+trial")
    assert ("+addon:" in subscription[0]) is any(fx.checkout.addons_of(p.id) for p in fx.products)
    by_name = dict(first)
    codes = by_name[f"discount:{fx.discounts[0].code}"]
    assert ("discount_codes" in codes) is (version == "1.113.0")
    assert by_name["confirm_minimal_address"]["billing_address"].keys() == {"country", "zipcode"}


@pytest.mark.parametrize("reading", list(READINGS))
@pytest.mark.parametrize("version", BUNDLED)
def test_boundary_cases_sit_inside_each_bound(version: str, reading: str) -> None:
    contract = contract_of(version, reading)
    cases = boundary_cases(spec_version=contract)
    names = [n for n, _ in cases]
    for name, req in cases:
        assert validate_request(req, spec_version=contract).ok, name
    expected = {"custom_fields.maxItems (5 fields)", "subscription_data.trial_period_days.maximum (10000 days)",
                "subscription_data.trial_period_days.minimum (0 days)", "metadata.maxProperties (50 pairs)",
                "customization.theme_config.pay_button_text.maxLength (100 characters)"}  # fmt: skip
    assert {f"boundary: {e}" for e in expected} <= set(names)
    assert ("boundary: product_cart.maxItems (20 lines)" in names) is (reading == "docs")
    least = READINGS[reading].checkouts_min_quantity
    assert f"boundary: product_cart.items.quantity.minimum (quantity {least} beside quantity 1)" in names
    assert ("boundary: require_phone_number with allow_phone_number_collection left to its default" in names) is (
        version == "1.113.0"
    )


KINDS = [("request", "checkouts"), ("response", "checkouts"), ("response", "checkouts.preview"),
         ("response", "checkouts.get")]  # fmt: skip


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("kind_operation", KINDS)
def test_invalid_cases_cover_every_rule_once_per_class_for_several_seeds(
    version: str, kind_operation: tuple[str, str]
) -> None:
    kind, operation = kind_operation
    for reading in READINGS:
        contract = contract_of(version, reading, operation)
        known = set(known_rules(kind, spec_version=contract))  # type: ignore[arg-type]
        assert set(invalid_rules(kind, spec_version=contract)) == known  # type: ignore[arg-type]
        validate = validate_request if kind == "request" else validate_response
        labels: list[list[tuple[str, str]]] = []
        for seed in (0, 7, 2026):
            cases = invalid_cases(spec_version=contract, kind=kind, seed=seed)  # type: ignore[arg-type]
            for case in cases:
                assert_labelled(case, validate(case.body, spec_version=contract))
            assert {c.rule for c in cases} == known
            labels.append([(c.rule, c.value_class) for c in cases])
        assert labels[0] == labels[1] == labels[2]  # the rules and classes do not vary with the seed
        assert len(labels[0]) == len(set(labels[0]))


def test_every_class_of_bad_value_of_a_typed_rule_is_sent() -> None:
    contract = contract_of("1.113.0", "docs")
    cases = invalid_cases(spec_version=contract)
    classes = {c.value_class for c in cases if c.rule == "subscription_data.trial_period_days.type"}
    assert classes == {"a fractional number", "a numeric string", "a boolean", "an array", "an object"}
    radius = {c.payload["customization"]["theme_config"]["radius"] for c in cases
              if c.rule == "customization.theme_config.radius.pattern"}  # fmt: skip
    assert radius == {"4", "4pt", "4 px", "px", "auto", "10%", "4px 2px", ""}  # the overlay's bad values
    confirm = {c.value_class for c in cases if c.rule == "billing_address.confirm_requires_zipcode"}
    assert "single_page default" in confirm
    dropdown = [c.pointer for c in cases if c.rule == "custom_fields.items.options.required_for_dropdown"]
    assert all(re.fullmatch(r"/custom_fields/\d", p) for p in dropdown)


@pytest.mark.parametrize("version", BUNDLED)
def test_invalid_request_strategy_draws_labelled_cases(version: str) -> None:
    contract = contract_of(version, "docs")
    for case in draw_many(invalid_requests(spec_version=contract), 150):
        assert_labelled(case, validate_request(case.body, spec_version=contract))
    chosen = draw_many(invalid_requests(rules="tax_id.requires_billing_country", spec_version=contract), 20)
    assert {c.rule for c in chosen} == {"tax_id.requires_billing_country"}
    with pytest.raises(ValueError, match="rules not covered"):
        invalid_requests(rules=["product_cart.minItems"], spec_version=contract)


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("operation", ["checkouts", "checkouts.preview", "checkouts.get"])
def test_valid_and_invalid_responses(version: str, operation: str) -> None:
    contract = contract_of(version, "docs", operation)
    bodies = draw_many(valid_responses(spec_version=contract), 300)
    for body in bodies:
        assert validate_response(body, spec_version=contract).ok, body
    for case in draw_many(invalid_responses(spec_version=contract), 100):
        assert_labelled(case, validate_response(case.body, spec_version=contract))
    if operation == "checkouts.get":
        states = {(b.get("payment_id") is None, b.get("payment_status") is None) for b in bodies}
        assert states == {(True, True), (False, False)}  # both null before payment, both set after
    if operation == "checkouts.preview":
        for body in bodies:
            breakup = body["current_breakup"]
            assert breakup["total_amount"] == breakup["subtotal"] - breakup["discount"] + (breakup.get("tax") or 0)
            assert body["total_price"] == breakup["total_amount"]
            assert all(i["discounted_price"] <= i["og_price"] for i in body["product_cart"])
            assert ("is_byop" in body) is (version == "1.113.0")


def test_a_reflected_create_answer_has_no_checkout_url_exactly_with_a_saved_method() -> None:
    for request, has_url, confirmed in (
        ({"product_cart": []}, True, False),
        ({"product_cart": [], "confirm": True, "payment_method_id": "pm_1"}, False, True),
    ):
        for body in draw_many(valid_responses(request=request, operation="checkouts"), 30):
            assert validate_response(body, operation="checkouts").ok
            assert (body["checkout_url"] is not None) is has_url
            assert (body.get("payment_id") is not None) is confirmed
    with pytest.raises(ValueError, match="POST /checkouts bodies only"):
        draw_many(valid_responses(request={"product_cart": []}, operation="checkouts.get"), 1)


def test_the_get_operation_has_no_requests_to_draw() -> None:
    for make in (valid_requests, canonical_requests, boundary_cases):
        with pytest.raises(ConfigError, match="has no request body"):
            make(operation="checkouts.get")  # type: ignore[operator]


def test_a_payments_catalog_of_subscriptions_only_is_refused_for_payments_but_serves_checkouts() -> None:
    only = {"products": [{"id": "sub", "price": 100, "kind": "subscription"}]}
    with pytest.raises(ConfigError, match="needs a one-time product"):
        valid_requests(only)
    assert draw_many(valid_requests(only, operation="checkouts"), 5)
    assert json.dumps(canonical_requests(only, operation="checkouts"))
