"""The checks judge by the run's spec version: its schemas, its codes, the documented status of a code."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dodo_contract.checks.core import (
    CheckContext,
    Observation,
    content_type_json,
    discount_applied,
    error_code_documented,
    error_schema_conformance,
    fixture_request_succeeds,
    judges,
    no_server_error,
    response_schema_conformance,
    status_code_documented,
    valid_request_accepted,
)
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.contract.versions import get_contract

JSON = {"content-type": "application/json"}
REQUEST: dict[str, Any] = {
    "product_cart": [{"product_id": "prod_basic", "quantity": 1}],
    "customer": {"email": "new@example.com", "name": "Zoë"},
    "billing": {"country": "US"},
}
WITH_CODE = {**REQUEST, "discount_code": "SAVE10"}


def ctx_of(version: str) -> CheckContext:
    contract = get_contract(version)
    return CheckContext(default_fixtures(), ContractSettings().for_contract(contract), 2000.0, contract=contract)


def answer(status: int, body: Any, *, request: Any = REQUEST, kind: str = "valid", headers: Any = None) -> Observation:
    return Observation(
        kind=kind,  # type: ignore[arg-type]
        request=request,
        status=status,
        headers=JSON if headers is None else headers,
        body=body,
        received_at=time.time(),
    )


def ok_body(**changes: Any) -> dict[str, Any]:
    body = {
        "payment_id": "pay_1",
        "total_amount": 900,
        "client_secret": "secret",
        "customer": {"customer_id": "cus_1", "email": "new@example.com", "name": "Zoë"},
        "metadata": {},
    }
    return {**body, **changes}


def rules(found: list[Any]) -> list[str]:
    return [v.rule for v in found]


CONCURRENT = {"code": "DISCOUNT_CONCURRENT_REDEMPTION", "message": "Another redemption is in progress; retry"}


def test_a_503_with_the_code_documented_as_503_is_a_transient_refusal_not_a_fault() -> None:
    ctx = ctx_of("1.113.0")
    seen = answer(503, CONCURRENT, request=WITH_CODE)
    assert no_server_error(seen, ctx) == []
    assert status_code_documented(seen, ctx) == []
    assert valid_request_accepted(seen, ctx) == []
    assert fixture_request_succeeds(answer(503, CONCURRENT, request=WITH_CODE, kind="canonical"), ctx) == []
    # ... but still a documented answer: JSON, an error body
    assert rules(content_type_json(answer(503, CONCURRENT, headers={"content-type": "text/html"}), ctx)) == [
        "content_type.json"
    ]
    assert judges("error_schema_conformance", seen, ctx)
    assert rules(error_schema_conformance(answer(503, {"code": "DISCOUNT_CONCURRENT_REDEMPTION"}), ctx)) == [
        "error.message.required"
    ]


def test_the_transient_refusal_of_a_request_without_a_discount_contradicts_it() -> None:
    found = valid_request_accepted(answer(503, CONCURRENT), ctx_of("1.113.0"))
    assert rules(found) == ["valid.refusal_contradicts_fixtures"]
    assert "applies no discount code" in found[0].message
    assert rules(fixture_request_succeeds(answer(503, CONCURRENT, kind="canonical"), ctx_of("1.113.0"))) == [
        "fixture.refused"
    ]


def test_the_documented_status_belongs_to_the_version_and_to_its_code() -> None:
    seen = answer(503, CONCURRENT, request=WITH_CODE)
    assert rules(no_server_error(seen, ctx_of("1.86.0"))) == ["status.server_error"]  # not documented in 1.86.0
    other = answer(503, {"code": "NOT_FOUND", "message": "no"}, request=WITH_CODE)
    assert rules(no_server_error(other, ctx_of("1.113.0"))) == ["status.server_error"]
    crash = answer(500, {"code": "INTERNAL_SERVER_ERROR", "message": "boom"})  # documented as 500, still a crash
    assert rules(no_server_error(crash, ctx_of("1.113.0"))) == ["status.server_error"]


@pytest.mark.parametrize("version", ["1.86.0", "1.113.0"])
@pytest.mark.parametrize("code", ["PRODUCT_CART_EMPTY", "PRODUCT_CART_EMTPY"])
def test_both_empty_cart_spellings_are_documented_and_contradicted_by_a_full_cart(version: str, code: str) -> None:
    ctx = ctx_of(version)
    refusal = answer(422, {"code": code, "message": "empty"})
    assert error_code_documented(refusal, ctx) == []
    assert rules(valid_request_accepted(refusal, ctx)) == ["valid.refusal_contradicts_fixtures"]
    empty = answer(422, {"code": code, "message": "empty"}, request={**REQUEST, "product_cart": []}, kind="invalid")
    assert error_code_documented(empty, ctx) == []


def test_the_new_refusal_codes_are_documented_in_1_113_0_only() -> None:
    refusal = answer(422, {"code": "DISCOUNT_NOT_YET_ACTIVE", "message": "later"}, request=WITH_CODE)
    assert error_code_documented(refusal, ctx_of("1.113.0")) == []
    assert valid_request_accepted(refusal, ctx_of("1.113.0")) == []
    assert rules(error_code_documented(refusal, ctx_of("1.86.0"))) == ["error.code.documented"]


def test_the_response_schema_is_the_versions() -> None:
    numeric = answer(200, ok_body(metadata={"count": 5, "flag": True}))
    assert response_schema_conformance(numeric, ctx_of("1.113.0")) == []
    assert rules(response_schema_conformance(numeric, ctx_of("1.86.0"))) == ["response.metadata.value.type"] * 2
    joined = answer(200, ok_body(discount_id="dsc_a", discount_ids="dsc_a,dsc_b"))
    assert rules(response_schema_conformance(joined, ctx_of("1.113.0"))) == ["response.discount_ids.type"]
    assert response_schema_conformance(joined, ctx_of("1.86.0")) == []  # an unknown key there
    not_first = answer(200, ok_body(discount_id="dsc_b", discount_ids=["dsc_a", "dsc_b"]))
    assert rules(response_schema_conformance(not_first, ctx_of("1.113.0"))) == [
        "response.discount_id.first_of_discount_ids"
    ]


def test_a_discount_shows_in_discount_id_or_discount_ids_for_either_input() -> None:
    ctx = ctx_of("1.113.0")
    stacked = {**REQUEST, "discount_codes": ["SAVE10", "HALF"]}
    for request, ids in ((WITH_CODE, ["dsc_save10"]), (stacked, ["dsc_save10", "dsc_half"])):
        assert discount_applied(answer(200, ok_body(discount_id="dsc_save10"), request=request), ctx) == []
        assert discount_applied(answer(200, ok_body(discount_ids=ids), request=request), ctx) == []
        assert rules(discount_applied(answer(200, ok_body(), request=request), ctx)) == ["discount.missing"]
        assert judges("discount_applied", answer(200, ok_body(), request=request), ctx)
    unknown = {**REQUEST, "discount_codes": ["SAVE10", "NOT_A_FIXTURE"]}
    assert not judges("discount_applied", answer(200, ok_body(), request=unknown), ctx)
    assert rules(discount_applied(answer(200, ok_body(discount_ids=[]), request=stacked), ctx)) == ["discount.missing"]
