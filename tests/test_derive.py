"""The derived invalid cases and the boundary cases: every rule x every class of bad value, each breaking one rule."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from dodo_contract.contract.fixtures import default_fixtures, load_fixtures
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.contract.versions import BUNDLED
from dodo_contract.engine._plan import plan_cases
from dodo_contract.generation.strategies import boundary_cases, invalid_cases
from dodo_contract.validation.validator import known_rules, validate_request, validate_response
from tests.test_strategies import CATALOGS, business_problems

SEEDS = (0, 1, 2, 7, 12345)


def _at(payload: Any, pointer: str) -> Any:
    node = payload
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@pytest.mark.parametrize("kind", ["request", "response"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("version", BUNDLED)
def test_every_case_breaks_exactly_its_rule_at_its_pointer(version: str, seed: int, kind: str) -> None:
    validate = validate_request if kind == "request" else validate_response
    for case in invalid_cases(spec_version=version, seed=seed, kind=kind):  # type: ignore[arg-type]
        found = validate(case.body, spec_version=version).violations
        assert [(v.pointer, v.rule) for v in found] == [(case.pointer, case.rule)], (case.description, found)
        if case.payload is not None and not isinstance(case.payload, str):
            assert validate(case.payload, spec_version=version).violations == found


@pytest.mark.parametrize("catalog", list(CATALOGS))
@pytest.mark.parametrize("version", BUNDLED)
def test_every_known_rule_has_a_case(version: str, catalog: str) -> None:
    for kind in ("request", "response"):
        cases = invalid_cases(CATALOGS[catalog], spec_version=version, seed=3, kind=kind)  # type: ignore[arg-type]
        assert {c.rule for c in cases} == set(known_rules(kind, spec_version=version))  # type: ignore[arg-type]


@pytest.mark.parametrize("version", BUNDLED)
def test_the_classes_never_vary_with_the_seed_but_the_bases_do(version: str) -> None:
    runs = [invalid_cases(spec_version=version, seed=seed) for seed in SEEDS]
    classes = [[(c.rule, c.value_class) for c in run] for run in runs]
    assert all(c == classes[0] for c in classes)
    bodies = [{c.body for c in run} for run in runs]
    assert len(bodies[0] & bodies[1]) < len(bodies[0]) // 2  # mostly different requests
    assert invalid_cases(spec_version=version, seed=5) == invalid_cases(spec_version=version, seed=5)


def _values(version: str, seed: int, rule: str) -> list[Any]:
    return [_at(c.payload, c.pointer) for c in invalid_cases(spec_version=version, seed=seed) if c.rule == rule]


def _kind(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return "fraction"
    if isinstance(value, str):
        return "numeric string" if value.strip().lstrip("-").replace(".", "", 1).isdigit() else "string"
    return type(value).__name__


@pytest.mark.parametrize("version", BUNDLED)
def test_each_integer_rule_gets_every_class_of_bad_value(version: str) -> None:
    expected = {"fraction", "numeric string", "bool", "list", "dict", "NoneType"}
    for rule in ("product_cart.items.quantity.type",):
        assert {_kind(v) for v in _values(version, 0, rule)} == expected
    assert {_kind(v) for v in _values(version, 0, "product_cart.items.amount.type")} == expected - {"NoneType"}
    assert {_kind(v) for v in _values(version, 0, "billing.city.type")} == {"int", "bool", "list", "dict"}
    assert {_kind(v) for v in _values(version, 0, "redirect_immediately.type")} == {
        "string", "int", "list", "dict", "NoneType"
    }  # fmt: skip
    assert sorted(_values(version, 0, "billing.country.enum")) == sorted(["us", "Us", "USA", "U", ""])
    assert set(_values(version, 0, "product_cart.items.quantity.maximum")) == {2**31, 2**63}
    assert set(_values(version, 0, "product_cart.items.quantity.minimum")) == {-1, -(2**31) - 1, -(2**63) - 1}
    assert set(_values(version, 0, "product_cart.items.amount.maximum")) == {2**31, 2**63}


def test_metadata_value_classes_follow_the_version() -> None:
    old = {_kind(v) for v in _values("1.86.0", 0, "metadata.value.type")}
    new = {_kind(v) for v in _values("1.113.0", 0, "metadata.value.type")}
    assert old == {"int", "bool", "list", "dict", "NoneType"}
    assert new == {"list", "dict", "NoneType"}  # numbers and booleans are valid metadata values from 1.113.0


@pytest.mark.parametrize("version", BUNDLED)
def test_a_server_accepting_one_class_of_one_rule_is_caught_on_every_seed(version: str) -> None:
    # Such a server answers 422 to every invalid case but the ones whose quantity is a fractional number.
    def accepts(payload: Any) -> bool:
        cart = payload.get("product_cart") if isinstance(payload, dict) else None
        return isinstance(cart, list) and any(
            isinstance(i, dict) and isinstance(i.get("quantity"), float) and not i["quantity"].is_integer()
            for i in cart
        )

    fx = default_fixtures()
    for seed in range(21):
        invalid = plan_cases(fx, seed=seed, max_examples=1, per_rule=2).invalid
        caught = [case for case in invalid if accepts(case.payload)]
        assert caught, seed
        assert all(not validate_request(case.body, spec_version=version).ok for case in caught)


def test_the_invalid_phase_stays_a_few_hundred_requests() -> None:
    sizes = {v: len(invalid_cases(spec_version=v, seed=0)) for v in BUNDLED}
    assert all(150 <= n <= 400 for n in sizes.values()), sizes


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_boundary_cases_are_valid_and_business_valid(catalog: str, version: str) -> None:
    fx = CATALOGS[catalog]
    cases = boundary_cases(fx, spec_version=version)
    assert cases
    for name, payload in cases:
        assert validate_request(payload, spec_version=version).ok, name
        assert business_problems(payload, fx) == [], name


def test_boundary_cases_sit_on_the_inside_of_each_bound() -> None:
    found = defaultdict(list)
    for name, payload in boundary_cases(spec_version="1.113.0"):
        found[name.split(" (")[0]].append(payload)
    assert len(found["boundary: product_cart.maxItems"][0]["product_cart"]) == 100
    assert len(found["boundary: metadata.maxProperties"][0]["metadata"]) == 50
    assert [len(k) for k in found["boundary: metadata.key.maxLength"][0]["metadata"]] == [40]
    assert [len(v) for v in found["boundary: metadata.value.maxLength"][0]["metadata"].values()] == [500]
    assert found["boundary: product_cart.items.amount.maximum"][0]["product_cart"][0]["amount"] == 2**31 - 1
    assert [i["quantity"] for i in found["boundary: product_cart.items.quantity.minimum"][0]["product_cart"]] == [1, 0]
    # No product at a unit price of 1: the largest quantity whose total, with room for tax, still fits int32.
    (large,) = found["boundary: product_cart.items.quantity.maximum"]
    line = large["product_cart"][0]
    price = next(p.price for p in default_fixtures().products if p.id == line["product_id"])
    assert line["quantity"] > 10**5 and price * line["quantity"] * ContractSettings().tax_ceiling <= 2**31 - 1
    # Not business-valid with the default catalog: 20 codes from a catalog of 4.
    assert "boundary: discount_codes.maxItems" not in found
    assert not any("discount_codes" in n or "phone" in n for n, _ in boundary_cases(spec_version="1.86.0"))


def test_bounds_the_default_catalog_cannot_reach_come_with_a_catalog_that_can() -> None:
    fx = load_fixtures(
        {
            "products": [{"id": "p_one", "price": 1}, {"id": "p_ten", "price": 1000}],
            "discount_codes": [{"code": f"C{i:02d}", "percentage": 1} for i in range(20)],
        }
    )
    names = {name.split(" (")[0]: payload for name, payload in boundary_cases(fx, spec_version="1.113.0")}
    assert names["boundary: discount_codes.maxItems"]["discount_codes"] == [f"C{i:02d}" for i in range(20)]
    line = names["boundary: product_cart.items.quantity.maximum"]["product_cart"]
    assert line == [{"product_id": "p_one", "quantity": 2**31 - 1}]


def test_the_engine_sends_the_boundary_cases_as_valid_requests() -> None:
    fx = default_fixtures()
    valid = plan_cases(fx, seed=0, max_examples=5, per_rule=2).valid
    payloads = [case.payload for case in valid]
    assert all(payload in payloads for _, payload in boundary_cases(fx))


@pytest.mark.parametrize("version", BUNDLED)
def test_every_nullable_field_is_sent_as_null_one_at_a_time(version: str) -> None:
    from dodo_contract.contract.versions import get_contract
    from dodo_contract.generation.strategies import null_cases

    schema = get_contract(version).schema("request")
    top = {k for k, v in schema["properties"].items() if "null" in (v.get("type") or [])}
    found = {}
    for name, payload in null_cases(spec_version=version):
        assert validate_request(payload, spec_version=version).ok, name
        nulls = (
            [k for k, v in payload.items() if v is None]
            + [f"{k}/{sub}" for k, v in payload.items() if isinstance(v, dict) for sub, x in v.items() if x is None]
            + [f"product_cart/0/{k}" for k, x in payload["product_cart"][0].items() if x is None]
        )
        assert len(nulls) == 1, (name, nulls)  # one at a time
        found[nulls[0]] = payload
    assert top <= set(found)  # every top-level nullable field of this version's schema
    assert {
        "billing/city",
        "billing/zipcode",
        "customer/name",
        "customer/phone_number",
        "product_cart/0/amount",
    } <= set(found)
    assert ("discount_codes" in found) == (version != "1.86.0")  # read from the version, not hand-listed


def test_the_plan_sends_the_null_cases_and_the_inputs_real_traffic_has() -> None:
    plan = plan_cases(default_fixtures(), seed=1, max_examples=1, per_rule=2)
    labels = [c.label for c in plan.valid]
    assert sum(label.startswith("null: /") for label in labels) >= 15
    bodies = [c.payload for c in plan.valid]
    emails = [b["customer"].get("email", "") for b in bodies]
    assert any(e != e.lower() for e in emails) and any("+" in e for e in emails)
    assert any(len(b["customer"].get("name") or "") >= 100 for b in bodies)
    assert any(str(b.get("return_url", "")).startswith("http://") for b in bodies)
