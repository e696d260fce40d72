"""Business rules covered, not sampled: every unsupported country and currency across seeds, an invalid tax id,
and refusal codes that name their cause (``checks._codes``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from dodo_contract.checks.core import CheckContext, Observation, error_code_matches_cause
from dodo_contract.contract.fixtures import default_fixtures, load_fixtures
from dodo_contract.contract.schemas import country_codes, currency_codes
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.engine._plan import BUSINESS_SAMPLE, CURRENCY_SAMPLE, business_requests
from dodo_contract.generation.strategies import canonical_requests

MANY = {
    "products": [{"id": "p", "price": 1000}],
    "unsupported_countries": list(country_codes()[:20]),
    "billing_currencies": ["USD"],
    "tax_ids": ["GB123456789", "GB223456789"],
}
KEY = "sk_test_business_coverage_0123456789"


def cases(catalog: Any, seed: int, **kw: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    fx = load_fixtures(catalog)
    return business_requests(canonical_requests(fx)[0][1], fx, seed=seed, **kw)


def sent(rule: str, field: tuple[str, ...], catalog: Any, seed: int) -> list[str]:
    out = []
    for got, _pointer, _label, request in cases(catalog, seed):
        if got == rule:
            value: Any = request
            for key in field:
                value = value[key]
            out.append(value)
    return out


def test_a_few_unsupported_countries_are_all_sent_in_every_run() -> None:
    assert sent("business.unsupported_country", ("billing", "country"), default_fixtures().to_dict(), 0) == ["AI", "KP"]


def test_many_unsupported_countries_are_a_window_that_covers_them_all_across_seeds() -> None:
    n = len(MANY["unsupported_countries"])
    seeds = math.ceil(n / BUSINESS_SAMPLE)
    seen: set[str] = set()
    for seed in range(seeds):
        window = sent("business.unsupported_country", ("billing", "country"), MANY, seed)
        assert len(window) == BUSINESS_SAMPLE and len(set(window)) == BUSINESS_SAMPLE
        seen.update(window)
    assert seen == set(MANY["unsupported_countries"])
    assert sent("business.unsupported_country", ("billing", "country"), MANY, 3) == sent(
        "business.unsupported_country", ("billing", "country"), MANY, 3
    )


def test_unsupported_currencies_rotate_with_the_seed_and_cover_every_one() -> None:
    unsupported = [c for c in currency_codes() if c != "USD"]
    seen: set[str] = set()
    for seed in range(math.ceil(len(unsupported) / CURRENCY_SAMPLE)):
        window = sent("business.unsupported_currency", ("billing_currency",), MANY, seed)
        assert len(window) == CURRENCY_SAMPLE and "USD" not in window
        seen.update(window)
    assert seen == set(unsupported)
    assert sent("business.unsupported_currency", ("billing_currency",), MANY, 0) == ["EUR", "GBP", "JPY"]


def test_an_invalid_tax_id_looks_like_the_declared_ones_and_can_be_switched_off() -> None:
    (tax_id,) = sent("business.unknown_tax_id", ("tax_id",), MANY, 0)
    assert tax_id not in MANY["tax_ids"] and tax_id.startswith("GB") and len(tax_id) == 11
    assert not [c for c in cases(MANY, 0, tax_ids_validated=False) if c[0] == "business.unknown_tax_id"]
    undeclared = {k: v for k, v in MANY.items() if k != "tax_ids"}
    assert not [c for c in cases(undeclared, 0) if c[0] == "business.unknown_tax_id"]


def test_an_unknown_discount_code_is_sent_unless_the_setting_says_codes_are_judged_later() -> None:
    assert [c[0] for c in cases(MANY, 0)].count("business.unknown_discount_code") == 1
    assert not [c for c in cases(MANY, 0, codes_validated=False) if c[0] == "business.unknown_discount_code"]


@pytest.mark.parametrize(("operation", "fault"), [("payments", "accept_any_discount_code"),
                                                  ("checkouts", "checkouts_accept_any_discount_code")])  # fmt: skip
def test_a_server_taking_any_code_passes_when_codes_are_not_validated_and_fails_otherwise(
    operation: str, fault: str
) -> None:
    from dodo_contract import check_implementation
    from dodo_contract.mock.app import create_app

    def run(settings: ContractSettings) -> Any:
        app = create_app(api_key=KEY, fault=fault)
        return check_implementation(app=app, api_key=KEY, seed=2, max_examples=5, operation=operation,
                                    checks=["business_rules_enforced"], settings=settings)  # fmt: skip

    caught = run(ContractSettings())
    assert caught.verdict == "failed"
    assert {f.rule for f in caught.violations} == {"business.unknown_discount_code"}
    waived = run(ContractSettings(discount_codes_validated=False))
    assert waived.verdict == "passed", list(waived.errors) + [str(f) for f in waived.violations]


# --- the code of a refusal names its cause -----------------------------------------------------------------


def refusal(kind: str, rule: str, code: str, status: int = 422) -> Observation:
    return Observation(kind=kind, request={}, status=status, body={"code": code, "message": "no"}, rule=rule)  # type: ignore[arg-type]


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(default_fixtures())


def test_a_schema_error_carries_a_schema_code(ctx: CheckContext) -> None:
    assert error_code_matches_cause(refusal("invalid", "billing.country.enum", "INVALID_REQUEST_BODY"), ctx) == []
    found = error_code_matches_cause(refusal("invalid", "billing.country.enum", "UNSUPPORTED_COUNTRY"), ctx)
    assert [v.rule for v in found] == ["error.code.schema_expected"]
    body_json = error_code_matches_cause(refusal("invalid", "body.json", "NOT_FOUND"), ctx)
    assert [v.rule for v in body_json] == ["error.code.schema_expected"]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("product_cart.minItems", "PRODUCT_CART_EMTPY"),
        ("metadata.maxProperties", "MAXIMUM_KEYS_REACHED"),
        ("customer.payment_method_requires_customer_id", "INVALID_REQUEST_PARAMETERS"),
        ("metadata.key.maxLength", "INVALID_REQUEST_PARAMETERS"),
    ],
)
def test_a_prose_or_cross_field_rule_may_carry_its_documented_business_code(
    ctx: CheckContext, rule: str, code: str
) -> None:
    assert error_code_matches_cause(refusal("invalid", rule, code), ctx) == []


def test_a_business_refusal_carries_its_documented_code(ctx: CheckContext) -> None:
    assert error_code_matches_cause(refusal("business", "business.unknown_customer", "NOT_FOUND"), ctx) == []
    wrong = error_code_matches_cause(
        refusal("business", "business.unknown_customer", "INVALID_REQUEST_PARAMETERS"), ctx
    )
    assert [v.rule for v in wrong] == ["error.code.expected"]
    # No documented code for this rule: any business code will do (business_rules_enforced judges the rest).
    assert error_code_matches_cause(refusal("business", "business.unsupported_country", "NOT_FOUND"), ctx) == []


def test_the_expected_codes_and_schema_codes_are_settings(ctx: CheckContext) -> None:
    ctx.settings = ContractSettings(expected_codes={"business.unknown_customer": "CUSTOMER_NOT_FOUND"})  # type: ignore[arg-type]
    assert ctx.settings.expected_code("business.unknown_product") is None
    assert error_code_matches_cause(refusal("business", "business.unknown_customer", "NOT_FOUND"), ctx) != []
    ctx.settings = ContractSettings(schema_codes=frozenset({"VALIDATION_FAILED"}))
    assert error_code_matches_cause(refusal("invalid", "billing.country.enum", "VALIDATION_FAILED"), ctx) == []


def test_a_body_breaking_several_rules_may_be_answered_with_the_code_of_any(ctx: CheckContext) -> None:
    # A fuzzer's body (Schemathesis): no billing (a spec rule) and payment_method_id without customer_id (prose).
    body = {"product_cart": [{"product_id": "p", "quantity": 1}], "customer": {}, "payment_method_id": "pm"}
    obs = Observation(
        kind="invalid", request=body, status=422, rule="billing.required",
        body={"code": "INVALID_REQUEST_PARAMETERS", "message": "payment_method_id needs customer_id"},
    )  # fmt: skip
    assert error_code_matches_cause(obs, ctx) == []
    alone = {**body, "billing": {"country": "US"}, "customer": {"email": "a@example.com"}, "payment_method_id": None}
    only_spec = Observation(
        kind="invalid", request={**alone, "billing": {"country": "us"}}, status=422, rule="billing.country.enum",
        body={"code": "INVALID_REQUEST_PARAMETERS", "message": "no"},
    )  # fmt: skip
    assert [v.rule for v in error_code_matches_cause(only_spec, ctx)] == ["error.code.schema_expected"]
