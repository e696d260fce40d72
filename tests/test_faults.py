"""Fault modes: the registry is well-formed, and each fault changes the mock's behaviour in its specific way.

Each probe sends a few requests and returns an observation; the faithful mock and the faulty one must
observe differently, and the faulty one must show exactly the documented deviation. No engine needed.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dodo_contract.errors import ConfigError
from dodo_contract.mock import app as mock_module
from dodo_contract.mock.app import create_app
from dodo_contract.mock.faults import FAULTS, Fault, get_fault
from dodo_contract.validation.validator import validate_error, validate_response

KEY = "sk_test_fault_key_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CATALOG = Path(__file__).parent / "cases" / "mock" / "catalog.json"
BASE: dict[str, Any] = {
    "billing": {"country": "US"},
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "product_cart": [{"product_id": "prod_basic", "quantity": 2}],
}
CHECKS = frozenset(
    {
        "status_code_documented",
        "content_type_json",
        "response_schema_conformance",
        "error_schema_conformance",
        "error_code_documented",
        "valid_request_accepted",
        "fixture_request_succeeds",
        "invalid_request_rejected",
        "request_values_reflected",
        "payment_link_present",
        "discount_applied",
        "payment_id_unique",
        "auth_required",
        "no_server_error",
        "latency_budget",
        "response_received",
        "business_rules_enforced",
        "response_json_strict",
        "error_code_matches_cause",
        "total_amount_plausible",
        "pricing_relations_hold",
    }
)


def send(app: Any, requests: list[tuple[dict[str, Any] | None, dict[str, str]]]) -> list[httpx.Response]:
    """POST each (body, headers) in order to the app in-process."""

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            return [await client.post("/payments", json=body, headers=headers) for body, headers in requests]

    return asyncio.run(go())


def one(app: Any, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return send(app, [(BASE if body is None else body, AUTH if headers is None else headers)])[0]


def with_(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None and key in ("billing",):
            request.pop(key)
        else:
            request[key] = value
    return request


def status(body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Callable[[Any], int]:
    return lambda app: one(app, body, headers).status_code


def field(get: Callable[[dict[str, Any]], Any], body: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    return lambda app: get(one(app, body).json())


def _expires_in_future(body: dict[str, Any]) -> bool:
    return datetime.fromisoformat(body["expires_on"].replace("Z", "+00:00")) > datetime.now(UTC)


def _statuses(count: int) -> Callable[[Any], list[int]]:
    return lambda app: [r.status_code for r in send(app, [(BASE, AUTH)] * count)]


def _parses(count: int) -> Callable[[Any], list[bool]]:
    def probe(app: Any) -> list[bool]:
        results = []
        for response in send(app, [(BASE, AUTH)] * count):
            try:
                json.loads(response.content)
                results.append(True)
            except ValueError:
                results.append(False)
        return results

    return probe


def _stalls(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], list[tuple[int, float]]]:
    def probe(app: Any) -> list[tuple[int, float]]:
        seen: list[tuple[int, float]] = []
        count = [0]

        async def fake_sleep(seconds: float) -> None:
            seen.append((count[0], seconds))

        monkeypatch.setattr(mock_module, "_sleep", fake_sleep)
        for _ in range(10):
            count[0] += 1
            one(app)
        return seen

    return probe


UNKNOWN_PRODUCT = with_(product_cart=[{"product_id": "prod_nope", "quantity": 1}])
UNKNOWN_CODE = with_(discount_code="NOPE")
FOREIGN_METHOD = with_(customer={"customer_id": "cus_grace"}, payment_method_id="pm_ada_card")
TIP_WITHOUT_AMOUNT = with_(product_cart=[{"product_id": "prod_tip", "quantity": 1}])


def _statuses_of(*requests: dict[str, Any]) -> Callable[[Any], list[int]]:
    return lambda app: [one(app, r).status_code for r in requests]


def _codes_of(*requests: dict[str, Any]) -> Callable[[Any], list[tuple[int, Any]]]:
    return lambda app: [(r.status_code, r.json().get("code")) for r in (one(app, req) for req in requests)]


def TOTAL(body: dict[str, Any]) -> Any:
    return body["total_amount"]


NOT_UTF_ASCII = with_(customer={"email": "zoë@example.com", "name": "Zoë"})
LINK = with_(payment_link=True)
# name -> (probe, what the faulty mock must show); the faithful mock must show something else.
PROBES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "missing_client_secret": (field(lambda b: "client_secret" in b), False),
    "total_amount_string": (field(lambda b: b["total_amount"]), "2000"),
    "negative_total_amount": (field(lambda b: b["total_amount"] < 0), True),
    "expires_on_not_datetime": (
        field(lambda b: [v.rule for v in validate_response(b).violations], LINK),
        ["expires_on.format"],
    ),
    "customer_missing_email": (field(lambda b: "email" in b["customer"]), False),
    "customer_name_null": (field(lambda b: b["customer"]["name"]), None),
    "accept_missing_billing": (status(with_(billing=None)), 200),
    "accept_bad_country_case": (
        lambda app: [status(with_(billing={"country": c}))(app) for c in ("us", "XX")],
        [200, 422],
    ),
    "accept_bad_enum": (status(with_(billing_currency="usd")), 200),
    "accept_negative_quantity": (status(with_(product_cart=[{"product_id": "prod_basic", "quantity": -1}])), 200),
    "accept_empty_cart": (status(with_(product_cart=[])), 200),
    "accept_oversized_metadata": (status(with_(metadata={f"k{i}": "v" for i in range(51)})), 200),
    "accept_bad_return_url": (status(with_(return_url="return_url")), 200),
    "accept_payment_method_without_customer_id": (status(with_(payment_method_id="pm_ada_card")), 200),
    "accept_wrong_types": (status(with_(product_cart=[{"product_id": "prod_basic", "quantity": "2"}])), 200),
    "reject_valid_with_400": (status(with_(tax_id=None)), 400),
    "valid_refused_on_quantity_zero": (
        field(lambda b: b.get("code"), with_(product_cart=[{"product_id": "prod_basic", "quantity": 0}])),
        "INVALID_REQUEST_BODY",
    ),
    "crash_on_unicode": (
        lambda app: (one(app, NOT_UTF_ASCII).status_code, one(app, NOT_UTF_ASCII).json().get("code")),
        (500, "INTERNAL_SERVER_ERROR"),
    ),
    "refuse_multi_line_carts": (
        field(
            lambda b: b.get("code"),
            with_(
                product_cart=[{"product_id": "prod_basic", "quantity": 1}, {"product_id": "prod_pro", "quantity": 1}]
            ),
        ),
        "NO_ELIGIBLE_PAYMENT_METHODS",
    ),
    "existing_customer_not_found": (
        field(lambda b: b.get("code"), with_(customer={"customer_id": "cus_ada"})),
        "NOT_FOUND",
    ),
    "invalid_as_400": (status(with_(billing={"country": "us"})), 400),
    "invalid_as_500": (status(with_(billing={"country": "us"})), 500),
    "error_body_wrong_shape": (lambda app: validate_error(one(app, headers={}).json()).ok, False),
    "undocumented_error_code": (field(lambda b: b.get("code"), with_(billing={"country": "us"})), "VALIDATION_ERROR"),
    "status_201": (status(), 201),
    "wrong_content_type": (lambda app: one(app).headers["content-type"], "text/plain; charset=utf-8"),
    "truncated_json": (_parses(12), [True] * 5 + [False] + [True] * 5 + [False]),
    "metadata_not_echoed": (field(lambda b: b["metadata"], with_(metadata={"order": "7"})), {}),
    "customer_email_not_reflected": (field(lambda b: b["customer"]["email"] == "ada@example.com"), False),
    "product_cart_not_echoed": (
        field(lambda b: len(b["product_cart"]), with_(product_cart=[{"product_id": "prod_basic", "quantity": 1}] * 3)),
        2,
    ),
    "no_payment_link": (field(lambda b: "payment_link" in b, LINK), False),
    "expires_on_in_past": (field(_expires_in_future, LINK), False),
    "discount_ignored": (
        field(lambda b: {"discount_id", "discount_ids"} & set(b), with_(discount_code="SAVE10")),
        set(),
    ),
    "duplicate_payment_id": (lambda app: len({r.json()["payment_id"] for r in send(app, [(BASE, AUTH)] * 3)}), 1),
    "auth_ignored": (status(headers={}), 200),
    "auth_wrong_status_403": (
        lambda app: [status(headers=h)(app) for h in ({}, {"Authorization": "Bearer x"})],
        [403, 403],
    ),
    "intermittent_500": (_statuses(14), [200] * 6 + [500] + [200] * 6 + [500]),
    # Each waiver forgets exactly one business rule: the others are still enforced.
    "accept_unknown_product": (_statuses_of(UNKNOWN_PRODUCT, UNKNOWN_CODE, FOREIGN_METHOD), [200, 422, 422]),
    "accept_any_discount_code": (_statuses_of(UNKNOWN_PRODUCT, UNKNOWN_CODE, FOREIGN_METHOD), [422, 200, 422]),
    "accept_foreign_payment_method": (_statuses_of(UNKNOWN_PRODUCT, UNKNOWN_CODE, FOREIGN_METHOD), [422, 422, 200]),
    "pwyw_amount_optional": (
        _statuses_of(TIP_WITHOUT_AMOUNT, with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 5}])),
        [200, 422],
    ),
    "business_errors_as_invalid_body": (
        _codes_of(UNKNOWN_CODE, with_(billing={"country": "us"}), BASE),
        [(422, "INVALID_REQUEST_BODY"), (422, "INVALID_REQUEST_BODY"), (200, None)],
    ),
    "unknown_ids_as_404": (
        _codes_of(UNKNOWN_PRODUCT, UNKNOWN_CODE),
        [(404, "NOT_FOUND"), (422, "INVALID_DISCOUNT_CODE")],
    ),
    # 1.113.0's rules (the mock's default version, the latest)
    "accept_21_discount_codes": (status(with_(discount_codes=["SAVE10"] * 21)), 200),
    "accept_discount_code_with_codes": (status(with_(discount_code="SAVE10", discount_codes=["FREE"])), 200),
    "ignore_require_phone_number": (status(with_(require_phone_number=True)), 200),
    "refuse_numeric_metadata": (
        _codes_of(with_(metadata={"n": 5}), with_(metadata={"s": "5"})),
        [(422, "INVALID_REQUEST_BODY"), (200, None)],
    ),
    "refuse_satispay": (
        _codes_of(
            with_(allowed_payment_method_types=["credit", "satispay"]), with_(allowed_payment_method_types=["credit"])
        ),
        [(422, "INVALID_REQUEST_BODY"), (200, None)],
    ),
    "discount_id_not_first": (
        field(lambda b: (b["discount_id"], b["discount_ids"]), with_(discount_codes=["SAVE10", "FREE"])),
        ("dsc_free", ["dsc_save10", "dsc_free"]),
    ),
    # issue 10: the meaning of a well-shaped answer (BASE is 2 x prod_basic at 1000)
    "total_ignores_quantity": (field(TOTAL), 1000),
    "discount_forgotten": (field(TOTAL, with_(discount_code="SAVE10")), 2000),
    "pwyw_at_list_price": (
        field(TOTAL, with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 500}])),
        0,
    ),
    "minor_units_confused": (field(TOTAL), 20),
    "discount_on_one_unit": (field(TOTAL, with_(discount_code="SAVE10")), 1900),
    "handling_fee": (field(TOTAL), 2025),
    "existing_customer_name_not_stored": (
        field(lambda b: b["customer"]["name"], with_(customer={"customer_id": "cus_ada"})),
        "ada",
    ),
    "names_truncated": (
        field(lambda b: len(b["customer"]["name"]), with_(customer={"email": "l@example.com", "name": "é" * 80})),
        50,
    ),
    "metadata_leaks_between_requests": (field(lambda b: b["metadata"]), {"order_id": "ord_from_an_earlier_request"}),
    "discount_id_without_code": (field(lambda b: b.get("discount_id")), "dsc_default_campaign"),
    "only_first_unsupported_country_blocked": (
        _statuses_of(with_(billing={"country": "AI"}), with_(billing={"country": "KP"})),
        [422, 200],
    ),
    "any_tax_id_accepted": (_statuses_of(with_(tax_id="DE000000000"), with_(tax_id="DE123456789")), [200, 200]),
    "unknown_customer_wrong_code": (
        _codes_of(with_(customer={"customer_id": "cus_nobody"}), UNKNOWN_PRODUCT),
        [(422, "INVALID_REQUEST_PARAMETERS"), (422, "NOT_FOUND")],
    ),
    "schema_error_business_code": (
        _codes_of(with_(billing={"country": "us"}), UNKNOWN_CODE),
        [(422, "NOT_FOUND"), (422, "INVALID_DISCOUNT_CODE")],
    ),
    "auth_prefix_only": (
        lambda app: [
            status(headers={"Authorization": f"Bearer {k}"})(app) for k in (KEY[:-1] + "0", KEY[:12], "x" * 20)
        ],
        [200, 200, 401],
    ),
    "auth_case_insensitive": (
        lambda app: [status(headers={"Authorization": f"Bearer {k}"})(app) for k in (KEY.swapcase(), KEY[:-1])],
        [200, 401],
    ),
    "bom_before_body": (lambda app: one(app).content[:3], b"\xef\xbb\xbf"),
    "trailing_data_after_body": (lambda app: one(app).content[-3:], b"\n{}"),
    "duplicate_key_in_body": (lambda app: one(app).content.count(b'"total_amount"'), 2),
}
# Faults whose deviation needs a catalog entry the shared one lacks (which stays as old catalogs are).
INCLUSIVE = {"products": [{"id": "prod_vat", "price": 1000, "currency": "EUR", "tax": "inclusive"}]}
CATALOG_PROBES: dict[str, tuple[dict[str, Any], Callable[[Any], Any], Any]] = {
    "tax_on_inclusive_prices": (
        INCLUSIVE,
        field(TOTAL, with_(product_cart=[{"product_id": "prod_vat", "quantity": 1}])),
        1180,
    ),
}


PAYMENTS = {name: fault for name, fault in FAULTS.items() if fault.family == "payments"}


def test_registry_is_well_formed() -> None:
    assert len(PAYMENTS) >= 22
    covered: set[str] = set()
    for name, fault in PAYMENTS.items():
        assert fault.name == name
        assert fault.description
        assert "\n" not in fault.description
        assert len(fault.description) <= 110
        assert fault.caught_by, fault
        assert set(fault.caught_by) <= CHECKS, fault
        covered.update(fault.caught_by)
    assert covered == CHECKS  # every check has at least one fault that it must catch


def test_every_fault_has_a_probe() -> None:
    assert set(PROBES) | set(CATALOG_PROBES) | {"slow"} == set(PAYMENTS)  # checkouts_*: test_faults_checkouts


@pytest.mark.parametrize("name", sorted(CATALOG_PROBES))
def test_fault_changes_behaviour_with_its_catalog(name: str) -> None:
    catalog, probe, expected = CATALOG_PROBES[name]
    faithful = probe(create_app(fixtures=catalog, api_key=KEY, seed=1))
    faulty = probe(create_app(fixtures=catalog, api_key=KEY, seed=1, fault=name))
    assert (faulty, faithful != expected) == (expected, True)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_fault_changes_behaviour(name: str) -> None:
    probe, expected = PROBES[name]
    faithful = probe(create_app(fixtures=CATALOG, api_key=KEY, seed=1))
    faulty = probe(create_app(fixtures=CATALOG, api_key=KEY, seed=1, fault=name))
    assert faulty == expected
    assert faithful != expected
    assert probe(create_app(fixtures=CATALOG, api_key=KEY, seed=1, fault=name)) == faulty  # deterministic


def test_slow_stalls_every_fifth_request(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = _stalls(monkeypatch)
    assert probe(create_app(fixtures=CATALOG, api_key=KEY)) == []
    assert probe(create_app(fixtures=CATALOG, api_key=KEY, fault="slow")) == [(5, 3.0), (10, 3.0)]
    shortened = FAULTS["slow"].with_delay(0.01)
    assert probe(create_app(fixtures=CATALOG, api_key=KEY, fault=shortened)) == [(5, 0.01), (10, 0.01)]


@pytest.mark.parametrize("name", sorted(n for n, f in PAYMENTS.items() if f.skips or f.normalise or f.waives))
def test_accepting_faults_still_answer_schema_valid_200s(name: str) -> None:
    garbage = with_(
        billing=None,
        customer={"email": 5},
        product_cart=[{"product_id": "prod_basic", "quantity": "x"}, {"product_id": 3}],
        metadata={"a": ["b"]},
    )
    for request in (BASE, garbage, with_(product_cart=[{"product_id": "prod_nope", "quantity": -3}]), UNKNOWN_PRODUCT):
        response = one(create_app(fixtures=CATALOG, api_key=KEY, fault=name), request)
        assert response.status_code in (200, 422)
        body = response.json()
        assert (validate_response(body) if response.status_code == 200 else validate_error(body)).ok, body


def test_error_faults_keep_the_other_answers_faithful() -> None:
    app = create_app(fixtures=CATALOG, api_key=KEY, fault="invalid_as_500")
    assert one(app).status_code == 200
    assert one(app, with_(discount_code="NOPE")).json()["code"] == "INVALID_DISCOUNT_CODE"
    assert one(app, headers={}).status_code == 401


def test_get_fault() -> None:
    assert get_fault(None) is None
    assert get_fault("slow") is FAULTS["slow"]
    custom = Fault("custom", "a custom fault", ("no_server_error",))
    assert get_fault(custom) is custom
    with pytest.raises(ConfigError, match="known faults: accept_"):
        get_fault("nope")
