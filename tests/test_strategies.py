"""The generators: valid payloads pass the validator and the business rules; invalid ones carry true labels."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from dodo_contract.contract.fixtures import Fixtures, default_fixtures, load_fixtures
from dodo_contract.contract.schemas import payment_method_types
from dodo_contract.contract.versions import BUNDLED
from dodo_contract.generation.strategies import (
    INVALID_REQUEST_RULES,
    INVALID_RESPONSE_RULES,
    InvalidCase,
    canonical_requests,
    encode,
    invalid_requests,
    invalid_responses,
    invalid_rules,
    valid_requests,
    valid_responses,
)
from dodo_contract.validation.validator import ValidationResult, known_rules, validate_request, validate_response

INT32_MAX = 2**31 - 1
EMAIL = re.compile(r"^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
META_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

# A catalog unlike the default one: no customers with methods, one currency, blocked countries, a PWYW floor.
SMALL = {
    "products": [
        {"id": "p_fixed", "price": 250, "currency": "EUR"},
        {"id": "p_free", "currency": "EUR", "pay_what_you_want": True, "min_amount": 2_000_000_000},
    ],
    "customers": [{"id": "c_only", "email": "only@example.org", "payment_method_ids": []}],
    "billing_currencies": ["EUR"],
    "unsupported_countries": ["US", "AF", "AX"],
    "enabled_payment_methods": ["sepa"],
}
BARE = {"products": [{"id": "solo", "price": 1}], "billing_currencies": []}
CATALOGS = {"default": default_fixtures(), "small": load_fixtures(SMALL), "bare": load_fixtures(BARE)}


def draw_many(strategy: SearchStrategy[Any], n: int) -> list[Any]:
    """Draw ``n`` examples deterministically (derandomized, generate phase only)."""
    out: list[Any] = []

    @settings(max_examples=n, phases=[Phase.generate], derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def business_problems(req: dict[str, Any], fx: Fixtures) -> list[str]:
    """Say which business rule (or realism rule) a request breaks, judged from the fixtures alone."""
    bad: list[str] = []
    products = {p.id: p for p in fx.products}
    currencies = set()
    for item in req["product_cart"]:
        product = products.get(item["product_id"])
        if product is None:
            bad.append(f"unknown product {item['product_id']}")
            continue
        currencies.add(product.currency)
        quantity, amount = item["quantity"], item.get("amount")
        if type(quantity) is not int or not 0 <= quantity <= INT32_MAX:
            bad.append(f"quantity {quantity!r}")
        if product.pay_what_you_want:
            if type(amount) is not int or not product.min_amount <= amount <= INT32_MAX:
                bad.append(f"PWYW amount {amount!r} for min {product.min_amount}")
        elif amount is not None and (type(amount) is not int or not 0 <= amount <= INT32_MAX):
            bad.append(f"amount {amount!r}")
    if len(currencies) > 1:
        bad.append(f"mixed currencies {currencies}")
    customer = req["customer"]
    owner = None
    if "customer_id" in customer:
        owner = fx.customer(customer["customer_id"])
        if owner is None:
            bad.append(f"unknown customer {customer['customer_id']}")
    else:
        if not EMAIL.match(customer["email"]):
            bad.append(f"email {customer['email']!r}")
        name = customer.get("name")
        if name is not None and (not name or name != name.strip()):
            bad.append(f"name {name!r}")
        phone = customer.get("phone_number")
        if phone is not None and not PHONE.match(phone):
            bad.append(f"phone {phone!r}")
    method = req.get("payment_method_id")
    if method is not None and (owner is None or method not in owner.payment_method_ids):
        bad.append(f"payment_method_id {method!r} for {customer}")
    if req["billing"]["country"] not in fx.supported_countries:
        bad.append(f"country {req['billing']['country']}")
    if req.get("billing_currency") not in (None, *fx.billing_currencies):
        bad.append(f"billing_currency {req['billing_currency']}")
    if req.get("discount_code") not in (None, *(d.code for d in fx.discounts)):
        bad.append(f"discount_code {req['discount_code']}")
    if req.get("tax_id") not in (None, *fx.tax_ids):
        bad.append(f"tax_id {req['tax_id']}")
    allowed = req.get("allowed_payment_method_types")
    if allowed is not None and not set(allowed) & set(fx.enabled_payment_methods):
        bad.append(f"no enabled method in {allowed}")
    for key, value in req.get("metadata", {}).items():
        if not META_KEY.match(key) or (isinstance(value, str) and len(value.encode()) > 500):
            bad.append(f"metadata {key!r}")
        if isinstance(value, float) and json.loads(json.dumps(value)) != value:
            bad.append(f"metadata {key!r} does not survive JSON")
    codes = req.get("discount_codes")
    if codes is not None:
        if req.get("discount_code") is not None:
            bad.append("discount_code and discount_codes together")
        known = {d.code for d in fx.discounts}
        if len(codes) > 20 or len(set(codes)) != len(codes) or not set(codes) <= known:
            bad.append(f"discount_codes {codes}")
    if req.get("require_phone_number") is True and not isinstance(customer.get("phone_number"), str):
        bad.append("require_phone_number without a phone (ambiguous even with a stored customer)")
    url = req.get("return_url")
    if url is not None and (not url.startswith(("https://", "http://")) or re.search(r"\s", url)):
        bad.append(f"return_url {url!r}")
    if req.get("short_link") is True and req.get("payment_link") is not True:
        bad.append("short_link without payment_link")
    return bad


def assert_labelled(case: InvalidCase, result: ValidationResult) -> None:
    rules = {v.rule for v in result.violations}
    pointers = {v.pointer for v in result.violations}
    assert rules == {case.rule}, (case.description, [str(v) for v in result.violations])
    assert case.pointer in pointers, (case.description, case.pointer, pointers)
    if case.rule == "body.json":
        assert case.payload is None
    else:  # JSON null as the body is payload None too, and its body is b"null"
        assert case.body == encode(case.payload)


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_valid_requests_are_schema_and_business_valid(catalog: str, version: str) -> None:
    fx = CATALOGS[catalog]
    for req in draw_many(valid_requests(fx, spec_version=version), 400):
        assert validate_request(req, spec_version=version).ok, (req, validate_request(req, spec_version=version))
        assert validate_request(encode(req), spec_version=version).ok
        assert business_problems(req, fx) == [], req


def test_valid_requests_explore_the_contract() -> None:
    fx = default_fixtures()
    seen: Counter[str] = Counter()
    reqs = draw_many(valid_requests(fx, spec_version="1.86.0"), 1500)
    for req in reqs:
        customer = req["customer"]
        seen["attach" if "customer_id" in customer and "email" not in customer else "new" if "email" in customer
             and "customer_id" not in customer else "both"] += 1  # fmt: skip
        seen[f"cart{min(len(req['product_cart']), 100) // 50}"] += 1
        seen["cart100"] += len(req["product_cart"]) == 100
        seen["quantity0"] += any(i["quantity"] == 0 for i in req["product_cart"])
        seen["extra"] += bool(set(req) - set(json.load(open_request_schema())["properties"]))
        seen["unicode"] += any(ord(ch) > 127 for ch in json.dumps(req, ensure_ascii=False))
        seen["meta50"] += len(req.get("metadata", {})) == 50
        seen["pm_id"] += isinstance(req.get("payment_method_id"), str)
        for field in ("billing_currency", "discount_code", "tax_id", "return_url", "force_3ds", "payment_link",
                      "short_link", "allowed_payment_method_types", "payment_method_id"):  # fmt: skip
            seen[f"{field}:{'omitted' if field not in req else 'null' if req[field] is None else 'set'}"] += 1
    for key in ("attach", "new", "both", "cart0", "cart1", "cart100", "quantity0", "extra", "unicode", "meta50",
                "pm_id"):  # fmt: skip
        assert seen[key] > 0, key
    for field in ("billing_currency", "discount_code", "tax_id", "return_url", "force_3ds", "payment_link",
                  "short_link", "allowed_payment_method_types", "payment_method_id"):  # fmt: skip
        for state in ("omitted", "null", "set"):
            assert seen[f"{field}:{state}"] > 0, (field, state)
    countries = {r["billing"]["country"] for r in reqs}
    methods = {m for r in reqs for m in r.get("allowed_payment_method_types") or ()}
    assert len(countries) > 200
    assert methods == set(payment_method_types("1.86.0"))
    assert not any(set(r) & {"discount_codes", "require_phone_number", "customer_business_name"} for r in reqs)


def test_valid_requests_of_1_113_0_explore_its_new_fields() -> None:
    fx = default_fixtures()
    seen: Counter[str] = Counter()
    reqs = draw_many(valid_requests(fx, spec_version="1.113.0"), 1500)
    for req in reqs:
        for field in ("discount_codes", "adaptive_currency_fees_inclusive", "customer_business_name"):
            seen[f"{field}:{'omitted' if field not in req else 'null' if req[field] is None else 'set'}"] += 1
        seen["require_phone_number:true"] += req.get("require_phone_number") is True
        seen["require_phone_number:false"] += req.get("require_phone_number") is False
        seen["several codes"] += len(req.get("discount_codes") or ()) > 1
        values = list(req.get("metadata", {}).values())
        for kind in (int, float, bool, str):
            seen[f"metadata:{kind.__name__}"] += any(type(v) is kind for v in values)
        seen["satispay"] += "satispay" in (req.get("allowed_payment_method_types") or ())
        if req.get("require_phone_number") is True:
            assert "customer_id" not in req["customer"] and isinstance(req["customer"].get("phone_number"), str)
            assert req.get("payment_method_id") is None
        assert not (req.get("discount_code") is not None and req.get("discount_codes") is not None)
    for field in ("discount_codes", "adaptive_currency_fees_inclusive", "customer_business_name"):
        for state in ("omitted", "null", "set"):
            assert seen[f"{field}:{state}"] > 0, (field, state)
    for key in ("require_phone_number:true", "require_phone_number:false", "several codes", "metadata:int",
                "metadata:float", "metadata:bool", "metadata:str", "satispay"):  # fmt: skip
        assert seen[key] > 0, key


def open_request_schema() -> Any:
    from dodo_contract.contract.schemas import REQUEST, schema_dir

    return (schema_dir("1.86.0") / f"{REQUEST}.json").open(encoding="utf-8")


def test_seed_zero_is_the_simplest_request() -> None:
    # Shrinking drives the single draw to 0: that must decode to a minimal request.
    [first] = draw_many(valid_requests(), 1)
    assert set(first) == {"product_cart", "customer", "billing"}
    assert len(first["product_cart"]) == 1


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_invalid_requests_break_exactly_their_rule(catalog: str, version: str) -> None:
    for case in draw_many(invalid_requests(CATALOGS[catalog], spec_version=version), 400):
        assert_labelled(case, validate_request(case.body, spec_version=version))
        if case.payload is not None and not isinstance(case.payload, str):  # a str is read as JSON text
            assert_labelled(case, validate_request(case.payload, spec_version=version))


@pytest.mark.parametrize(("version", "rule"), [(v, r) for v in BUNDLED for r in known_rules("request", spec_version=v)])
def test_each_request_rule_is_produced(version: str, rule: str) -> None:
    cases = draw_many(invalid_requests(rules=[rule], spec_version=version), 6)
    assert cases
    for case in cases:
        assert case.rule == rule
        assert_labelled(case, validate_request(case.body, spec_version=version))


@pytest.mark.parametrize("version", BUNDLED)
def test_every_breakable_rule_is_covered(version: str) -> None:
    # Every rule the validator knows can be broken in JSON, so none is missing.
    assert set(invalid_rules("request", spec_version=version)) == set(known_rules("request", spec_version=version))
    assert set(invalid_rules("response", spec_version=version)) == set(known_rules("response", spec_version=version))
    assert set(INVALID_REQUEST_RULES) == set(known_rules("request"))
    assert set(INVALID_RESPONSE_RULES) == set(known_rules("response"))


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match=r"product_cart\.nonsense"):
        invalid_requests(rules=["product_cart.nonsense"])
    with pytest.raises(ValueError, match="at least one"):
        invalid_requests(rules=[])


@pytest.mark.parametrize(
    "payload",
    [
        {"customer": {"customer_id": "cus_ada", "email": "ada@example.com"}},
        {"product_cart": [{"product_id": "prod_basic", "quantity": 0}]},
        {"product_cart": [{"product_id": "prod_basic", "quantity": 5.0}]},
    ],
)
def test_accepted_edge_cases_are_never_labelled_invalid(payload: dict[str, Any]) -> None:
    base = {"product_cart": [{"product_id": "prod_basic", "quantity": 1}], "customer": {"customer_id": "cus_ada"},
            "billing": {"country": "US"}}  # fmt: skip
    assert validate_request({**base, **payload}).ok


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_canonical_requests_are_valid_and_deterministic(catalog: str, version: str) -> None:
    fx = CATALOGS[catalog]
    first, second = canonical_requests(fx, spec_version=version), canonical_requests(fx.to_dict(), spec_version=version)
    assert first == second
    names = [name for name, _ in first]
    assert len(names) == len(set(names))
    assert any(n.startswith("discount_codes:") for n in names) == (version == "1.113.0" and bool(fx.discounts))
    for name, req in first:
        assert validate_request(req, spec_version=version).ok, name
        assert business_problems(req, fx) == [], name
        assert all(item["quantity"] == 1 for item in req["product_cart"])
    one_time = fx.checkout.one_time(fx.products)  # subscription products are for Checkout Sessions only
    assert {f"product:{p.id}" for p in one_time} <= set(names)
    assert not {f"product:{p.id}" for p in fx.products if p not in one_time} & set(names)
    assert {f"discount:{d.code}" for d in fx.discounts} <= set(names)
    assert ("payment_link" in names) and ("metadata" in names) and ("new_customer" in names)
    assert any(n.startswith("existing_customer:") for n in names) == bool(fx.customers)
    assert any(n.startswith("tax_id:") for n in names) == bool(fx.tax_ids)
    assert any(n.startswith("billing_currency:") for n in names) == bool(fx.billing_currencies)
    has_method = any(c.payment_method_ids for c in fx.customers)
    assert any(n.startswith("payment_method:") for n in names) == has_method


def test_canonical_pay_what_you_want_amount() -> None:
    reqs = dict(canonical_requests(SMALL))
    assert reqs["product:p_free"]["product_cart"] == [{"product_id": "p_free", "quantity": 1, "amount": 2_000_000_000}]
    assert reqs["product:p_free"]["billing"]["country"] != "US"


@pytest.mark.parametrize("version", BUNDLED)
def test_valid_responses_pass(version: str) -> None:
    bodies = draw_many(valid_responses(spec_version=version), 400)
    for body in bodies:
        assert validate_response(body, spec_version=version).ok, (body, validate_response(body, spec_version=version))
    assert any("discount_ids" in b for b in bodies) is (version == "1.113.0")


@pytest.mark.parametrize("version", BUNDLED)
def test_reflecting_responses_echo_the_request(version: str) -> None:
    fx = default_fixtures()
    for req in draw_many(valid_requests(fx, spec_version=version), 60):
        for body in draw_many(valid_responses(request=req, fixtures=fx, spec_version=version), 3):
            assert validate_response(body, spec_version=version).ok, validate_response(body, spec_version=version)
            assert body["metadata"] == req.get("metadata", {})
            assert body["product_cart"] == req["product_cart"]
            if "customer_id" in req["customer"]:
                assert body["customer"]["customer_id"] == req["customer"]["customer_id"]
            else:
                assert body["customer"]["email"] == req["customer"]["email"]
            assert ("payment_link" in body) == (req.get("payment_link") is True)
            codes = req.get("discount_codes") or [req.get("discount_code")]
            ids = [d.id for d in (fx.discount(c) for c in codes if isinstance(c, str)) if d is not None]
            assert body.get("discount_id") == (ids[0] if ids else None)
            assert body.get("discount_ids") == (ids if ids and version == "1.113.0" else None)


@pytest.mark.parametrize("version", BUNDLED)
def test_invalid_responses_break_exactly_their_rule(version: str) -> None:
    for case in draw_many(invalid_responses(spec_version=version), 400):
        assert_labelled(case, validate_response(case.body, spec_version=version))


@pytest.mark.parametrize(
    ("version", "rule"), [(v, r) for v in BUNDLED for r in known_rules("response", spec_version=v)]
)
def test_each_response_rule_is_produced(version: str, rule: str) -> None:
    for case in draw_many(invalid_responses(rules=[rule], spec_version=version), 4):
        assert case.rule == rule
        assert_labelled(case, validate_response(case.body, spec_version=version))
