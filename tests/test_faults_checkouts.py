"""The ``checkouts_*`` fault modes: well-formed, one family, and each changes the mock in its documented way.

Each probe sends a few Checkout Sessions requests to a mock and returns an observation; the faithful mock must
observe otherwise than the faulty one, and the faulty one exactly the documented deviation. No engine needed (the
engine's selftest proves the named checks catch them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dodo_contract.contract.versions import get_contract
from dodo_contract.errors import ConfigError
from dodo_contract.mock import app as mock_module
from dodo_contract.mock.app import create_app
from dodo_contract.mock.faults import FAULTS, faults_for
from dodo_contract.validation.validator import validate_error, validate_response

KEY = "sk_test_checkout_faults_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
LINE = {"product_id": "prod_basic", "quantity": 2}
BASE: dict[str, Any] = {"product_cart": [LINE]}
FULL = {"country": "US", "street": "1 Main St", "city": "Springfield", "state": "IL", "zipcode": "62701"}
SAVED = {**BASE, "confirm": True, "customer": {"customer_id": "cus_ada"}, "billing_address": FULL,
         "payment_method_id": "pm_ada_card"}  # fmt: skip
# The checks of the lead's note (ARCHITECTURE): the Checkout Sessions checks and the shared ones.
CHECKS = frozenset({
    "session_shape", "checkout_url_null_iff_payment_method", "session_round_trip", "preview_arithmetic",
    "response_received", "no_server_error", "status_code_documented", "content_type_json", "error_schema_conformance",
    "error_code_documented", "valid_request_accepted", "fixture_request_succeeds", "invalid_request_rejected",
    "business_rules_enforced", "auth_required", "latency_budget",
})  # fmt: skip
CHECKOUTS = {name: fault for name, fault in FAULTS.items() if fault.family == "checkouts"}
Step = tuple[str, str, Any, dict[str, str]]


def send(app: Any, steps: list[Step]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            out = []
            for method, path, body, headers in steps:
                if path.endswith("{last}"):
                    path = path.replace("{last}", out[-1].json().get("session_id", "none"))
                out.append(await client.request(method, path, json=body, headers=headers))
            return out

    return asyncio.run(go())


def post(body: Any, path: str = "/checkouts", headers: dict[str, str] = AUTH) -> Step:
    return ("POST", path, body, headers)


def get(path: str = "/checkouts/{last}") -> Step:
    return ("GET", path, None, AUTH)


def last(*steps: Step) -> Callable[[Any], httpx.Response]:
    return lambda app: send(app, list(steps))[-1]


def status_of(*steps: Step) -> Callable[[Any], Any]:
    return lambda app: last(*steps)(app).status_code


def code_of(*steps: Step) -> Callable[[Any], Any]:
    return lambda app: (lambda r: (r.status_code, r.json().get("code")))(last(*steps)(app))


def field(path: tuple[str, ...], *steps: Step) -> Callable[[Any], Any]:
    def probe(app: Any) -> Any:
        node: Any = last(*steps)(app).json()
        for key in path:
            node = node.get(key, "<absent>") if isinstance(node, dict) else "<absent>"
        return node

    return probe


def _round_trip_id(app: Any) -> Any:
    _, second, status = send(app, [post(BASE), post(BASE), get()])
    return status.json()["id"] == second.json()["session_id"]


def _created_in_future(app: Any) -> Any:
    status = last(post(BASE), get())(app).json()
    return datetime.fromisoformat(status["created_at"]) > datetime.now(UTC)


def _breakup_agrees(app: Any, body: dict[str, Any]) -> Any:
    b = last(post(body, "/checkouts/preview"))(app).json().get("current_breakup")
    return None if b is None else b["total_amount"] == b["subtotal"] - b["discount"] + (b.get("tax") or 0)


def _content_type(app: Any) -> Any:
    return last(post(BASE))(app).headers["content-type"].split(";")[0]


def _truncated(app: Any) -> Any:
    answers = send(app, [post(BASE)] * 6)
    return answers[-1].content.endswith(b"}")


def _intermittent(app: Any) -> Any:
    return [r.status_code for r in send(app, [post(BASE)] * 7)][-1]


THEME = {"customization": {"theme_config": {"font_primary_url": "http://fonts.example.com/a.woff2"}}}
CUSTOM = [{"key": "k", "label": "Label", "field_type": "text"}]
PROBES: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "checkouts_missing_session_id": (field(("session_id",), post(BASE)), "<absent>"),
    "checkouts_checkout_url_with_payment_method": (lambda app: isinstance(last(post(SAVED))(app).json()
                                                                          ["checkout_url"], str), True),
    "checkouts_checkout_url_null": (field(("checkout_url",), post(BASE)), None),
    "checkouts_get_404": (status_of(post(BASE), get()), 404),
    "checkouts_get_other_session": (_round_trip_id, False),
    "checkouts_payment_before_payment": (field(("payment_status",), post(BASE), get()), "succeeded"),
    "checkouts_created_at_future": (_created_in_future, True),
    "checkouts_created_at_not_datetime": (lambda app: field(("created_at",), post(BASE), get())(app).isdigit(), True),
    "checkouts_unknown_session_found": (status_of(get("/checkouts/cks_unknown")), 200),
    "checkouts_preview_discount_not_subtracted": (lambda app: _breakup_agrees(app, {**BASE, "discount_codes":
                                                                                    ["SAVE10"]}), False),
    "checkouts_preview_hidden_fee": (lambda app: _breakup_agrees(app, BASE), False),
    "checkouts_preview_total_price_stale": (field(("total_price",), post({**BASE, "discount_codes": ["SAVE10"]},
                                                                         "/checkouts/preview")), 2000),
    "checkouts_preview_ignores_quantity": (field(("current_breakup", "subtotal"), post(BASE, "/checkouts/preview")),
                                           1000),
    "checkouts_preview_missing_breakup": (field(("current_breakup",), post(BASE, "/checkouts/preview")), "<absent>"),
    "checkouts_confirm_without_billing": (status_of(post({**BASE, "confirm": True,
                                                          "customer": {"email": "a@example.com"}})), 200),
    "checkouts_accept_6_custom_fields": (status_of(post({**BASE, "custom_fields": [
        {"key": f"k{i}", "label": "L", "field_type": "text"} for i in range(6)]})), 200),
    "checkouts_dropdown_without_options": (status_of(post({**BASE, "custom_fields": [
        {"key": "k", "label": "L", "field_type": "dropdown"}]})), 200),
    "checkouts_trial_days_unbounded": (status_of(post({"product_cart": [{"product_id": "prod_sub_monthly",
        "quantity": 1}], "subscription_data": {"trial_period_days": 10001}})), 200),
    "checkouts_quantity_below_minimum": (status_of(post({"product_cart": [{**LINE, "quantity": 0}]})), 200),
    "checkouts_cart_of_21": (status_of(post({"product_cart": [LINE] * 21})), 200),
    "checkouts_empty_cart_without_collection": (status_of(post({"product_cart": []})), 200),
    "checkouts_payment_method_without_confirm": (status_of(post({**BASE, "customer": {"customer_id": "cus_ada"},
                                                                "payment_method_id": "pm_ada_card"})), 200),
    "checkouts_tax_id_without_country": (status_of(post({**BASE, "tax_id": "DE123456789"})), 200),
    "checkouts_bad_theme_accepted": (status_of(post({**BASE, **THEME})), 200),
    "checkouts_discount_code_with_codes": (status_of(post({**BASE, "discount_code": "HALF",
                                                          "discount_codes": ["SAVE10"]})), 200),
    "checkouts_phone_required_without_collection": (status_of(post({**BASE, "feature_flags": {
        "require_phone_number": True, "allow_phone_number_collection": False}})), 200),
    "checkouts_accept_wrong_types": (status_of(post({"product_cart": [{**LINE, "quantity": "2"}]})), 200),
    "checkouts_refuse_confirm": (code_of(post({**BASE, "confirm": True, "customer": {"email": "a@example.com"},
                                              "billing_address": FULL})), (422, "INVALID_REQUEST_BODY")),
    "checkouts_refuse_subscription_data": (code_of(post({"product_cart": [{"product_id": "prod_sub_monthly",
        "quantity": 1}], "subscription_data": {"trial_period_days": 7}})), (422, "INVALID_REQUEST_BODY")),
    "checkouts_refuse_collection_flow": (code_of(post({"product_cart": [], "product_collection_id": "pcol_starter"})),
                                         (422, "PRODUCT_CART_EMTPY")),
    "checkouts_crash_on_custom_fields": (status_of(post({**BASE, "custom_fields": CUSTOM})), 500),
    "checkouts_accept_unknown_product": (status_of(post({"product_cart": [{"product_id": "prod_nope",
                                                                          "quantity": 1}]})), 200),
    "checkouts_accept_any_discount_code": (status_of(post({**BASE, "discount_codes": ["NOPE"]})), 200),
    "checkouts_accept_foreign_payment_method": (status_of(post({**SAVED, "customer": {"customer_id": "cus_grace"}})),
                                                200),
    "checkouts_accept_unsupported_country": (status_of(post({**BASE, "billing_address": {"country": "KP"}})), 200),
    "checkouts_business_errors_as_invalid_body": (code_of(post({**BASE, "discount_codes": ["NOPE"]})),
                                                  (422, "INVALID_REQUEST_BODY")),
    "checkouts_invalid_as_400": (status_of(post({"product_cart": [{**LINE, "quantity": "x"}]})), 400),
    "checkouts_error_body_wrong_shape": (lambda app: sorted(last(post({"product_cart": "x"}))(app).json()),
                                         ["error", "status"]),
    "checkouts_undocumented_error_code": (code_of(post({"product_cart": "x"})), (422, "VALIDATION_ERROR")),
    "checkouts_status_201": (status_of(post(BASE)), 201),
    "checkouts_wrong_content_type": (_content_type, "text/plain"),
    "checkouts_truncated_json": (_truncated, False),
    "checkouts_auth_ignored": (status_of(post(BASE, headers={})), 200),
    "checkouts_intermittent_500": (_intermittent, 500),
}  # fmt: skip


def app_of(fault: str | None = None, version: str = "1.113.0") -> Any:
    return create_app(api_key=KEY, seed=1, fault=fault, spec_version=version)


def test_the_checkouts_faults_are_well_formed_and_cover_every_check_of_the_family() -> None:
    covered: set[str] = set()
    for name, fault in CHECKOUTS.items():
        assert name.startswith("checkouts_"), name
        assert fault.description and "\n" not in fault.description and len(fault.description) <= 110, name
        assert fault.caught_by and set(fault.caught_by) <= CHECKS, name
        covered.update(fault.caught_by)
    assert covered == CHECKS


def test_every_checkouts_fault_has_a_probe() -> None:
    assert set(PROBES) | {"checkouts_slow"} == set(CHECKOUTS)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_checkouts_fault_changes_behaviour(name: str) -> None:
    probe, expected = PROBES[name]
    faithful, faulty = probe(app_of()), probe(app_of(name))
    assert (faulty, faithful != expected) == (expected, True)
    assert probe(app_of(name)) == faulty  # deterministic


def test_checkouts_slow_stalls_every_fifth_checkouts_request_only(monkeypatch: pytest.MonkeyPatch) -> None:
    stalls: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        stalls.append(seconds)

    monkeypatch.setattr(mock_module, "_sleep", fake_sleep)
    send(app_of("checkouts_slow"), [post(BASE)] * 10)
    assert stalls == [3.0, 3.0]


@pytest.mark.parametrize("name", sorted(CHECKOUTS))
def test_a_checkouts_fault_leaves_payments_faithful(name: str) -> None:
    payment = {"billing": {"country": "US"}, "customer": {"email": "a@example.com"}, "product_cart": [LINE]}
    answers = send(app_of(name), [post(payment, "/payments")] * 7 + [post(payment, "/payments", headers={})])
    assert [r.status_code for r in answers] == [200] * 7 + [401]
    assert all(validate_response(r.json()).ok for r in answers[:-1])


@pytest.mark.parametrize("name", sorted(n for n, f in CHECKOUTS.items() if f.skips or f.waives))
def test_accepting_checkouts_faults_still_answer_schema_valid_bodies(name: str) -> None:
    garbage = {"product_cart": [{"product_id": 3, "quantity": "x", "addons": "y"}, "z"], "customer": {"email": 5},
               "billing_address": [], "metadata": {"a": ["b"]},
               "custom_fields": [{"field_type": "dropdown"}]}  # fmt: skip
    for request in (BASE, garbage, {"product_cart": [{"product_id": "prod_nope", "quantity": -3}]}):
        for path, operation in (("/checkouts", "checkouts"), ("/checkouts/preview", "checkouts.preview")):
            response = last(post(request, path))(app_of(name))
            assert response.status_code in (200, 422), (request, response.text)
            body = response.json()
            ok = validate_response(body, operation=operation) if response.status_code == 200 else validate_error(body)
            assert ok.ok, body


def test_faults_for_picks_one_family() -> None:
    payments, checkouts = faults_for("1.113.0"), faults_for(get_contract("1.113.0", operation="checkouts"))
    assert set(checkouts) == set(faults_for("1.113.0", family="checkouts"))
    assert all(f.family == "payments" for f in payments.values()) and "missing_client_secret" in payments
    assert all(name.startswith("checkouts_") for name in checkouts)
    old = faults_for("1.86.0", family="checkouts")
    assert "checkouts_discount_code_with_codes" in checkouts and "checkouts_discount_code_with_codes" not in old
    cart = get_contract("1.113.0", operation="checkouts", readings={"checkouts-cart": "schema"})
    assert "checkouts_cart_of_21" not in faults_for(cart) and "checkouts_cart_of_21" in checkouts


def test_a_checkouts_fault_that_means_nothing_in_the_version_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"means nothing in spec version 1\.86\.0"):
        app_of("checkouts_discount_code_with_codes", "1.86.0")
