"""Each contract check on hand-built exchanges: one that passes and one that fails."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from dodo_contract.checks.core import (
    APPLIES_TO,
    CHECKS,
    NOT_JSON,
    CheckContext,
    Observation,
    auth_required,
    business_rules_enforced,
    content_type_json,
    discount_applied,
    error_code_documented,
    error_schema_conformance,
    fixture_request_succeeds,
    invalid_request_rejected,
    latency_budget,
    no_server_error,
    payment_id_unique,
    payment_link_present,
    request_values_reflected,
    response_received,
    response_schema_conformance,
    run_checks,
    status_code_documented,
    valid_request_accepted,
)
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.settings import ContractSettings

JSON = {"content-type": "application/json"}
REQUEST: dict[str, Any] = {
    "product_cart": [{"product_id": "prod_basic", "quantity": 2}],
    "customer": {"email": "new@example.com", "name": "Zoë", "phone_number": "+14155550199"},
    "billing": {"country": "US"},
    "metadata": {"order": "42"},
}


def ok_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_id": "pay_1",
        "total_amount": 2000,
        "client_secret": "secret",
        "customer": {
            "customer_id": "cus_new",
            "email": "new@example.com",
            "name": "Zoë",
            "phone_number": "+14155550199",
        },
        "metadata": {"order": "42"},
        "product_cart": [{"product_id": "prod_basic", "quantity": 2}],
        "unknown_extra": True,
    }
    body.update(changes)
    return body


def obs(
    kind: str = "valid",
    *,
    request: Any = REQUEST,
    status: int | None = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> Observation:
    return Observation(
        kind=kind,
        request=request,
        status=status,
        headers=JSON if headers is None else headers,  # type: ignore[arg-type]
        body=ok_body() if body is None else body,
        received_at=time.time(),
        **kw,
    )


def err(code: str, status: int = 422) -> dict[str, Any]:
    return {"status": status, "body": {"code": code, "message": "nope"}}


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(default_fixtures(), ContractSettings(), 2000.0)


def rules(found: list[Any]) -> list[str]:
    return [v.rule for v in found]


def test_every_check_is_registered_with_its_kinds() -> None:
    assert set(CHECKS) == set(APPLIES_TO)
    assert len(CHECKS) == 25  # 21 for payments + 4 for Checkout Sessions
    assert APPLIES_TO["auth_required"] == {"auth"}
    assert APPLIES_TO["business_rules_enforced"] == {"business"}
    generic = (
        "status_code_documented",
        "content_type_json",
        "error_schema_conformance",
        "error_code_documented",
        "no_server_error",
        "latency_budget",
        "response_received",
    )
    assert all("business" in APPLIES_TO[name] for name in generic)
    success_only = ("valid_request_accepted", "fixture_request_succeeds", "invalid_request_rejected", "auth_required")
    success_only += ("request_values_reflected", "payment_link_present", "discount_applied")
    assert not any("business" in APPLIES_TO[name] for name in success_only)


def test_response_received(ctx: CheckContext) -> None:
    assert response_received(obs(), ctx) == []
    found = response_received(obs(status=None, error="no answer within 1.0 s", error_kind="timeout"), ctx)
    assert rules(found) == ["response.timeout"]
    assert rules(response_received(obs(body=NOT_JSON), ctx)) == ["response.unreadable"]


def test_no_server_error(ctx: CheckContext) -> None:
    assert no_server_error(obs(**err("NOT_FOUND")), ctx) == []
    found = no_server_error(obs(**err("INTERNAL_SERVER_ERROR", 500)), ctx)
    assert rules(found) == ["status.server_error"]
    assert "INTERNAL_SERVER_ERROR" in found[0].message


@pytest.mark.parametrize(("status", "ok"), [(200, True), (422, True), (401, True), (201, False), (400, False)])
def test_status_code_documented(ctx: CheckContext, status: int, ok: bool) -> None:
    assert (status_code_documented(obs(status=status), ctx) == []) is ok


def test_latency_budget(ctx: CheckContext) -> None:
    assert latency_budget(obs(elapsed_ms=1999.0), ctx) == []
    assert rules(latency_budget(obs(elapsed_ms=2500.0), ctx)) == ["latency.budget"]


@pytest.mark.parametrize(
    ("ctype", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("", False),
    ],
)
def test_content_type_json(ctx: CheckContext, ctype: str, ok: bool) -> None:
    headers = {"content-type": ctype} if ctype else {}
    assert (content_type_json(obs(headers=headers), ctx) == []) is ok


def test_response_schema_conformance(ctx: CheckContext) -> None:
    slim = ok_body()
    del slim["product_cart"]  # optional keys may be omitted, unknown keys added
    assert response_schema_conformance(obs(body=slim), ctx) == []
    found = response_schema_conformance(obs(body=ok_body(total_amount="2000")), ctx)
    assert rules(found) == ["response.total_amount.type"]
    missing = ok_body()
    del missing["client_secret"]
    assert rules(response_schema_conformance(obs(body=missing), ctx)) == ["response.client_secret.required"]
    assert response_schema_conformance(obs(**err("NOT_FOUND")), ctx) == []


def test_error_schema_conformance(ctx: CheckContext) -> None:
    assert error_schema_conformance(obs(**err("INVALID_REQUEST_BODY")), ctx) == []
    found = error_schema_conformance(obs(status=422, body={"error": "bad", "status": 422}), ctx)
    assert "error.code.required" in rules(found)
    assert rules(error_schema_conformance(obs(status=401, body=NOT_JSON), ctx)) == ["error.body.json"]


def test_error_code_documented(ctx: CheckContext) -> None:
    assert error_code_documented(obs(**err("UNSUPPORTED_COUNTRY")), ctx) == []
    assert rules(error_code_documented(obs(**err("VALIDATION_ERROR")), ctx)) == ["error.code.documented"]


def test_valid_request_accepted(ctx: CheckContext) -> None:
    assert valid_request_accepted(obs(), ctx) == []
    assert valid_request_accepted(obs(**err("TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT")), ctx) == []
    assert rules(valid_request_accepted(obs(**err("INVALID_REQUEST_BODY")), ctx)) == ["valid.rejected_as_invalid"]
    assert rules(valid_request_accepted(obs(**err("INVALID_REQUEST", 400)), ctx)) == ["valid.status"]
    assert rules(valid_request_accepted(obs(**err("WHATEVER")), ctx)) == ["valid.refusal_code"]
    assert rules(valid_request_accepted(obs(**err("INTERNAL_SERVER_ERROR", 500)), ctx)) == ["valid.status"]


def test_valid_request_refusal_contradicting_fixtures(ctx: CheckContext) -> None:
    assert rules(valid_request_accepted(obs(**err("UNSUPPORTED_COUNTRY")), ctx)) == [
        "valid.refusal_contradicts_fixtures"
    ]
    blocked = {**REQUEST, "billing": {"country": "AI"}}  # unsupported in the default fixtures
    assert valid_request_accepted(obs(request=blocked, **err("UNSUPPORTED_COUNTRY")), ctx) == []
    existing = {**REQUEST, "customer": {"customer_id": "cus_ada"}}
    assert rules(valid_request_accepted(obs(request=existing, **err("NOT_FOUND")), ctx)) == [
        "valid.refusal_contradicts_fixtures"
    ]
    stranger = {**REQUEST, "customer": {"customer_id": "cus_unknown"}}
    assert valid_request_accepted(obs(request=stranger, **err("NOT_FOUND")), ctx) == []


def test_fixture_request_succeeds(ctx: CheckContext) -> None:
    assert fixture_request_succeeds(obs("canonical"), ctx) == []
    found = fixture_request_succeeds(obs("canonical", label="existing_customer", **err("NOT_FOUND")), ctx)
    assert rules(found) == ["fixture.refused"]
    assert "NOT_FOUND" in found[0].message


@pytest.mark.parametrize(("status", "ok"), [(422, True), (400, False), (500, False), (200, False)])
def test_invalid_request_rejected(ctx: CheckContext, status: int, ok: bool) -> None:
    o = obs("invalid", status=status, rule="billing.country.enum", pointer="/billing/country", label='country "us"')
    found = invalid_request_rejected(o, ctx)
    assert (found == []) is ok
    if not ok:
        assert found[0].rule == "billing.country.enum"
        assert found[0].pointer == "/billing/country"


def test_invalid_request_rejected_follows_settings(ctx: CheckContext) -> None:
    ctx.settings = ContractSettings(invalid_status=400, documented_statuses=frozenset({200, 400, 401, 422}))
    assert invalid_request_rejected(obs("invalid", status=400, rule="x"), ctx) == []
    assert rules(invalid_request_rejected(obs("invalid", status=422, rule="x"), ctx)) == ["x"]


def test_request_values_reflected(ctx: CheckContext) -> None:
    assert request_values_reflected(obs(), ctx) == []
    merged = ok_body(product_cart=[{"product_id": "prod_basic", "quantity": 1}] * 2)  # merged lines are fine
    assert request_values_reflected(obs(body=merged), ctx) == []
    wrong_email = ok_body(customer={**ok_body()["customer"], "email": "x@placeholder.invalid"})
    assert rules(request_values_reflected(obs(body=wrong_email), ctx)) == ["reflected.customer.email"]
    assert rules(request_values_reflected(obs(body=ok_body(metadata={})), ctx)) == ["reflected.metadata"]
    assert rules(request_values_reflected(obs(body=ok_body(product_cart=[])), ctx)) == ["reflected.product_cart"]
    no_cart = ok_body()
    del no_cart["product_cart"]
    assert request_values_reflected(obs(body=no_cart), ctx) == []


def test_request_values_reflected_tolerates_a_reused_new_customer(ctx: CheckContext) -> None:
    assert request_values_reflected(obs(), ctx) == []  # first sight of new@example.com as "Zoë"
    renamed = {**REQUEST, "customer": {**REQUEST["customer"], "name": "Another Name"}}
    assert request_values_reflected(obs(request=renamed), ctx) == []  # the stored "Zoë" may come back
    fresh = {**REQUEST, "customer": {"email": "fresh@example.com", "name": "Fresh"}}
    answer = ok_body(customer={"customer_id": "c", "email": "fresh@example.com", "name": "Someone else"})
    assert rules(request_values_reflected(obs(request=fresh, body=answer), ctx)) == ["reflected.customer.name"]


def test_request_values_reflected_existing_customer(ctx: CheckContext) -> None:
    request = {**REQUEST, "customer": {"customer_id": "cus_ada", "email": "someone@else.example"}}
    answer = ok_body(customer={"customer_id": "cus_ada", "email": "ada@example.com", "name": "Ada Lovelace"})
    assert request_values_reflected(obs(request=request, body=answer), ctx) == []
    other = ok_body(customer={"customer_id": "cus_other", "email": "ada@example.com", "name": "A"})
    assert rules(request_values_reflected(obs(request=request, body=other), ctx)) == ["reflected.customer.customer_id"]


def test_payment_link_present(ctx: CheckContext) -> None:
    asked = {**REQUEST, "payment_link": True}
    assert payment_link_present(obs(), ctx) == []  # not asked: nothing required
    good = ok_body(payment_link="https://pay.example/p", expires_on="2999-01-01T00:00:00Z")
    assert payment_link_present(obs(request=asked, body=good), ctx) == []
    assert rules(payment_link_present(obs(request=asked), ctx)) == ["payment_link.missing"]
    past = ok_body(payment_link="https://pay.example/p", expires_on="2001-01-01T00:00:00Z")
    assert rules(payment_link_present(obs(request=asked, body=past), ctx)) == ["payment_link.expires_on.past"]
    no_expiry = ok_body(payment_link="https://pay.example/p")
    assert rules(payment_link_present(obs(request=asked, body=no_expiry), ctx)) == ["payment_link.expires_on.missing"]


def test_discount_applied(ctx: CheckContext) -> None:
    with_code = {**REQUEST, "discount_code": "SAVE10"}
    assert discount_applied(obs(request=with_code, body=ok_body(discount_id="dsc_save10")), ctx) == []
    assert rules(discount_applied(obs(request=with_code), ctx)) == ["discount.missing"]
    unknown_code = {**REQUEST, "discount_code": "NOT_A_FIXTURE"}
    assert discount_applied(obs(request=unknown_code), ctx) == []


def test_payment_id_unique(ctx: CheckContext) -> None:
    assert payment_id_unique(obs(), ctx) == []
    assert payment_id_unique(obs(body=ok_body(payment_id="pay_2")), ctx) == []
    assert rules(payment_id_unique(obs(), ctx)) == ["payment_id.duplicate"]


def test_auth_required(ctx: CheckContext) -> None:
    assert auth_required(obs("auth", **err("UNAUTHORIZED", 401)), ctx) == []
    found = auth_required(obs("auth", rule="auth.wrong_key", label="a wrong API key"), ctx)
    assert rules(found) == ["auth.wrong_key"]
    assert rules(auth_required(obs("auth", rule="auth.missing_key", **err("FORBIDDEN", 403)), ctx)) == [
        "auth.missing_key"
    ]


def test_run_checks_applies_by_kind(ctx: CheckContext) -> None:
    invalid_ok = obs("invalid", rule="billing.country.enum")  # a 200 to an invalid request
    names = [name for name, _ in run_checks(invalid_ok, ctx, tuple(CHECKS))]
    assert names == ["invalid_request_rejected"]
    auth_ok = replace(invalid_ok, kind="auth", rule="auth.missing_key", body=ok_body(payment_id="pay_auth"))
    assert [n for n, _ in run_checks(auth_ok, ctx, tuple(CHECKS))] == ["auth_required"]
    assert run_checks(auth_ok, ctx, ("no_server_error",)) == []


UNKNOWN_PRODUCT = {**REQUEST, "product_cart": [{"product_id": "prod_dodo_contract_unknown_1", "quantity": 1}]}


def business(**kw: Any) -> Observation:
    kw.setdefault("request", UNKNOWN_PRODUCT)
    kw.setdefault("rule", "business.unknown_product")
    kw.setdefault("pointer", "/product_cart/0/product_id")
    kw.setdefault("label", "unknown product_id 'prod_dodo_contract_unknown_1'")
    return obs("business", **kw)


@pytest.mark.parametrize("code", ["NOT_FOUND", "INVALID_REQUEST_PARAMETERS", "PRODUCT_IS_DELETED"])
def test_business_rules_enforced_accepts_any_business_refusal(ctx: CheckContext, code: str) -> None:
    assert business_rules_enforced(business(**err(code)), ctx) == []


def test_business_rules_enforced_flags_an_accepted_request(ctx: CheckContext) -> None:
    found = business_rules_enforced(business(), ctx)
    assert rules(found) == ["business.unknown_product"]
    assert found[0].pointer == "/product_cart/0/product_id"
    assert found[0].message.startswith("accepted a request that breaks a business rule: unknown product_id")


@pytest.mark.parametrize(
    ("answer", "keyword", "text"),
    [
        (err("INVALID_REQUEST_BODY"), "code", "schema-valid request refused as malformed"),
        (err("NOT_FOUND", 404), "status", "got 404 (NOT_FOUND), expected 422"),
        (err("INVALID_REQUEST", 400), "status", "got 400"),
        (err("INTERNAL_SERVER_ERROR", 500), "status", "got 500"),
        (err("UNAUTHORIZED"), "enum", "not a business error code"),
        (err("VALIDATION_ERROR"), "enum", "not a business error code"),
        (err("PRODUCT_CART_EMPTY"), "business", "product_cart has 1 item(s)"),
        (err("MAXIMUM_KEYS_REACHED"), "business", "metadata has 1 keys"),
    ],
)
def test_business_rules_enforced_flags_wrong_refusals(
    ctx: CheckContext, answer: dict[str, Any], keyword: str, text: str
) -> None:
    found = business_rules_enforced(business(**answer), ctx)
    assert rules(found) == ["business.unknown_product"]
    assert found[0].keyword == keyword
    assert text in found[0].message


def test_business_rules_enforced_leaves_other_findings_to_other_checks(ctx: CheckContext) -> None:
    assert business_rules_enforced(business(status=None, error="timed out", error_kind="timeout"), ctx) == []
    assert business_rules_enforced(business(status=422, body=NOT_JSON), ctx) == []  # error_schema_conformance's
    assert business_rules_enforced(business(status=422, body={"error": "x"}), ctx) == []


def test_business_rules_enforced_follows_settings(ctx: CheckContext) -> None:
    ctx.settings = ContractSettings(
        business_status=400,
        documented_statuses=frozenset({200, 400, 401, 422}),
        business_codes=frozenset({"CUSTOM_REFUSAL"}),
    )
    assert business_rules_enforced(business(**err("CUSTOM_REFUSAL", 400)), ctx) == []
    assert rules(business_rules_enforced(business(**err("CUSTOM_REFUSAL")), ctx)) == ["business.unknown_product"]
    assert rules(business_rules_enforced(business(**err("NOT_FOUND", 400)), ctx)) == ["business.unknown_product"]


def test_run_checks_on_a_business_case(ctx: CheckContext) -> None:
    accepted = [name for name, _ in run_checks(business(), ctx, tuple(CHECKS))]
    assert accepted == ["business_rules_enforced"]  # neither valid_request_accepted nor the reflection checks
    as_400 = [name for name, _ in run_checks(business(**err("NOT_FOUND", 400)), ctx, tuple(CHECKS))]
    assert as_400 == ["status_code_documented", "business_rules_enforced"]
    plain = business(**err("NOT_FOUND"), headers={"content-type": "text/plain"})
    assert [name for name, _ in run_checks(plain, ctx, tuple(CHECKS))] == ["content_type_json"]


def test_fixture_request_may_be_refused_below_the_minimum_charge_only() -> None:
    from dodo_contract.checks.core import CheckContext, Observation, fixture_request_succeeds
    from dodo_contract.contract.fixtures import load_fixtures

    fx = load_fixtures({"products": [{"id": "free", "price": 0}, {"id": "paid", "price": 5000}]})
    ctx = CheckContext(fx)
    body = {"code": "TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT", "message": "Minimum amount of $0.50 is required"}

    def refused(product: str) -> list[Any]:
        request = {
            "product_cart": [{"product_id": product, "quantity": 1}],
            "customer": {"email": "a@example.com"},
            "billing": {"country": "US"},
        }
        obs = Observation(kind="canonical", request=request, status=422, headers={}, body=body, elapsed_ms=1.0)
        return fixture_request_succeeds(obs, ctx)

    assert refused("free") == []
    assert [v.rule for v in refused("paid")] == ["fixture.refused"]


# --- business_status, judged cases, one finding per server error, cut bodies, the validator's reason -------------


def test_business_refusals_keep_their_own_status_when_invalid_status_changes(ctx: CheckContext) -> None:
    ctx.settings = ContractSettings(invalid_status=400, documented_statuses=frozenset({200, 400, 401, 422}))
    # A business refusal stays 422 ...
    assert business_rules_enforced(business(**err("NOT_FOUND")), ctx) == []
    assert valid_request_accepted(obs(**err("NO_ELIGIBLE_PAYMENT_METHODS")), ctx) == []
    # ... a schema error of a valid request at the new status is "refused as invalid" ...
    assert rules(valid_request_accepted(obs(**err("INVALID_REQUEST_BODY", 400)), ctx)) == ["valid.rejected_as_invalid"]
    # ... and a prose rule refused with its documented business code is a refusal too.
    assert (
        invalid_request_rejected(obs("invalid", rule="product_cart.minItems", **err("PRODUCT_CART_EMPTY")), ctx) == []
    )
    schema_422 = obs("invalid", rule="billing.country.enum", **err("INVALID_REQUEST_BODY"))
    assert rules(invalid_request_rejected(schema_422, ctx)) == ["billing.country.enum"]


def test_error_body_checks_judge_the_business_status_too(ctx: CheckContext) -> None:
    ctx.settings = ContractSettings(business_status=409, documented_statuses=frozenset({200, 401, 409, 422}))
    wrong_shape = obs(status=409, body={"error": "nope"})
    assert rules(error_schema_conformance(wrong_shape, ctx)) == ["error.code.required", "error.message.required"]
    assert rules(error_code_documented(obs(**err("MADE_UP", 409)), ctx)) == ["error.code.documented"]


def test_invalid_request_message_carries_the_validators_reason(ctx: CheckContext) -> None:
    reason = '/billing/country: not one of the 249 ISO 3166-1 alpha-2 codes (did you mean "US"?) [enum]'
    case = obs("invalid", rule="billing.country.enum", label='set /billing/country to "us"', reason=reason)
    (found,) = invalid_request_rejected(case, ctx)
    assert found.message.startswith('invalid request (set /billing/country to "us") got 200, expected exactly 422')
    assert found.message.endswith(reason)


def test_a_body_cut_at_the_cap_is_a_violation(ctx: CheckContext) -> None:
    assert rules(response_received(obs(body=NOT_JSON, truncated=True), ctx)) == ["response.too_large"]


def test_judges_counts_only_what_a_check_can_see(ctx: CheckContext) -> None:
    from dodo_contract.checks.core import judges

    refused = obs(**err("NOT_FOUND"))
    assert judges("valid_request_accepted", refused, ctx)
    assert not judges("response_schema_conformance", refused, ctx)  # no 200 body to judge
    assert not judges("discount_applied", obs(), ctx)  # no fixture discount code sent
    with_code = {**REQUEST, "discount_code": default_fixtures().discounts[0].code}
    assert judges("discount_applied", obs(request=with_code), ctx)
    assert not judges("no_server_error", obs(status=None, error_kind="timeout"), ctx)
    assert judges("response_received", obs(status=None, error_kind="timeout"), ctx)
    assert not judges("auth_required", obs(), ctx)  # a valid request is not the auth probe
    for name in CHECKS:  # a check never judges a kind it does not apply to
        for kind in ("auth", "canonical", "invalid", "valid", "fuzz", "business"):
            if kind not in APPLIES_TO[name]:
                assert not judges(name, replace(obs(), kind=kind), ctx)  # type: ignore[arg-type]


def test_one_server_error_is_one_finding_naming_what_else_it_broke(ctx: CheckContext) -> None:
    from dodo_contract.checks.core import fold_server_errors

    crash = obs(**err("INTERNAL_SERVER_ERROR", 500))
    found = run_checks(crash, ctx, tuple(CHECKS))
    assert len(found) > 1  # without folding, several checks fire on the same 500
    (folded,) = fold_server_errors(found)
    assert folded[0] == "no_server_error"
    assert "also broke: " in folded[1].message
    assert "valid_request_accepted (valid.status)" in folded[1].message
    others = [(c, v) for c, v in found if c != "no_server_error"]
    assert fold_server_errors(others) == others  # without no_server_error selected, nothing is folded
    assert fold_server_errors(run_checks(obs(), ctx, tuple(CHECKS))) == []


def test_an_integral_float_quantity_is_reflected_as_the_integer(ctx: CheckContext) -> None:
    sent = {**REQUEST, "product_cart": [{"product_id": "prod_basic", "quantity": 2.0}]}
    assert request_values_reflected(obs(request=sent), ctx) == []  # the 200 echoes quantity 2
