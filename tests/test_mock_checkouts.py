"""The reference mock's Checkout Sessions: routes, the session store, the preview's pricing and the refusals.

Amounts expected here are worked out by hand from the packaged catalog (``contract/default_catalog.json``):
prod_basic 1000 USD (tax exclusive), prod_ebook_inr 49900 INR (tax inclusive), prod_tip_jar pay-what-you-want
(min 100), prod_sub_monthly 1500 USD subscription with addons adn_extra_seat 500 and adn_priority_support 1000,
SAVE10 10 %, HALF 50 %, FIVE_OFF 500 flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dodo_contract.contract.settings import ContractSettings
from dodo_contract.mock._sessions import Session, SessionStore
from dodo_contract.mock.app import create_app
from dodo_contract.validation.validator import validate_error, validate_response

KEY = "sk_test_mock_checkouts_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
NEW, OLD = "1.113.0", "1.86.0"
VERSIONS = [OLD, NEW]
LINE = {"product_id": "prod_basic", "quantity": 1}
FULL = {"country": "US", "street": "1 Main St", "city": "Springfield", "state": "IL", "zipcode": "62701"}
ID = re.compile(r"^cks_[A-Za-z0-9]{21}$")


def call(
    app: Any, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            return await client.request(method, path, json=body, headers=AUTH if headers is None else headers)

    return asyncio.run(go())


def app_of(version: str | Any = NEW, **kw: Any) -> Any:
    return create_app(api_key=KEY, seed=5, spec_version=version, **kw)


def ok(response: httpx.Response, version: Any, operation: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    result = validate_response(body, spec_version=version, operation=operation)
    assert result.ok, result.violations
    return body


def refused(response: httpx.Response, code: str, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert validate_error(body).ok, body
    assert body["code"] == code, body
    return body


def session(**extra: Any) -> dict[str, Any]:
    return {"product_cart": [dict(LINE)], **extra}


# --- routes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_the_three_operations_answer_their_documented_schemas(version: str) -> None:
    app = app_of(version)
    created = ok(call(app, "POST", "/checkouts", session()), version, "checkouts")
    ok(call(app, "POST", "/checkouts/preview", session()), version, "checkouts.preview")
    status = ok(call(app, "GET", f"/checkouts/{created['session_id']}"), version, "checkouts.get")
    assert status["id"] == created["session_id"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", "/checkouts", "POST"), ("PUT", "/checkouts/preview", "POST"), ("GET", "/checkouts/preview", "POST"),
     ("POST", "/checkouts/cks_abc", "GET"), ("DELETE", "/checkouts/cks_abc", "GET")],
)  # fmt: skip
def test_a_wrong_method_on_a_known_path_is_405_with_allow(method: str, path: str, allow: str) -> None:
    response = call(app_of(), method, path, session() if method != "GET" else None)
    refused(response, "METHOD_NOT_ALLOWED", 405)
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/checkouts/", "/checkouts/a/b", "/checkout", "/checkouts-x", "/checkouts/preview/x"])
def test_other_paths_are_404_json(path: str) -> None:
    refused(call(app_of(), "GET", path), "NOT_FOUND", 404)


@pytest.mark.parametrize(("method", "path"), [("POST", "/checkouts"), ("POST", "/checkouts/preview"),
                                              ("GET", "/checkouts/cks_x"), ("GET", "/checkouts/a/b")])  # fmt: skip
def test_auth_is_judged_before_routing(method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer sk_test_wrong"}):
        response = call(app_of(), method, path, session() if method == "POST" else None, headers=headers)
        refused(response, "UNAUTHORIZED", 401)


def test_an_unknown_session_id_is_404_not_found() -> None:
    app = app_of()
    call(app, "POST", "/checkouts", session())
    body = refused(call(app, "GET", "/checkouts/cks_n010SZaY4NXc7F1ck3Tq1"), "NOT_FOUND", 404)
    assert "cks_n010SZaY4NXc7F1ck3Tq1" in body["message"]
    long = "cks_" + "x" * 500
    assert len(refused(call(app, "GET", f"/checkouts/{long}"), "NOT_FOUND", 404)["message"]) < 200


# --- sessions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_session_has_a_cks_id_and_a_checkout_url_on_the_test_checkout_host(version: str) -> None:
    app = app_of(version)
    first = ok(call(app, "POST", "/checkouts", session()), version, "checkouts")
    second = ok(call(app, "POST", "/checkouts", session()), version, "checkouts")
    assert ID.match(first["session_id"]) and ID.match(second["session_id"])
    assert first["session_id"] != second["session_id"]
    assert first["checkout_url"] == f"https://test.checkout.dodopayments.com/session/{first['session_id']}"


def test_short_link_gives_the_guides_short_form() -> None:
    body = ok(call(app_of(), "POST", "/checkouts", session(short_link=True)), NEW, "checkouts")
    assert re.match(r"^https://checkout\.dodopayments\.com/buy/[A-Za-z0-9]{10}$", body["checkout_url"])


def test_without_confirm_no_payment_exists_and_get_says_so() -> None:
    app = app_of()
    before = datetime.now(UTC)
    created = ok(call(app, "POST", "/checkouts", session(customer={"email": "new@example.com", "name": "New"})),
                 NEW, "checkouts")  # fmt: skip
    assert created["payment_id"] is None and created["client_secret"] is None and created["publishable_key"] is None
    status = ok(call(app, "GET", f"/checkouts/{created['session_id']}"), NEW, "checkouts.get")
    after = datetime.now(UTC)
    assert status["payment_id"] is None and status["payment_status"] is None
    created_at = datetime.fromisoformat(status["created_at"])
    assert before - timedelta(milliseconds=1) <= created_at <= after
    assert (status["customer_email"], status["customer_name"]) == ("new@example.com", "New")


def test_confirm_creates_the_payment_intent_at_once() -> None:
    app = app_of()
    sent = session(confirm=True, customer={"email": "c@example.com"}, billing_address=FULL)
    created = ok(call(app, "POST", "/checkouts", sent), NEW, "checkouts")
    assert created["payment_id"].startswith("pay_")
    assert created["client_secret"].startswith(created["payment_id"])
    assert created["publishable_key"].startswith("pk_test_")
    assert created["checkout_url"].endswith(created["session_id"])  # the customer still pays on the page
    status = ok(call(app, "GET", f"/checkouts/{created['session_id']}"), NEW, "checkouts.get")
    assert status["payment_id"] == created["payment_id"]
    assert status["payment_status"] == "requires_payment_method"
    assert status["customer_name"] is None  # none was given


def test_a_saved_payment_method_is_charged_at_once_and_has_no_checkout_url() -> None:
    app = app_of()
    sent = session(confirm=True, customer={"customer_id": "cus_ada"}, billing_address=FULL,
                   payment_method_id="pm_ada_card")  # fmt: skip
    created = ok(call(app, "POST", "/checkouts", sent), NEW, "checkouts")
    assert created["checkout_url"] is None
    assert created["payment_id"] is not None
    status = ok(call(app, "GET", f"/checkouts/{created['session_id']}"), NEW, "checkouts.get")
    assert status["payment_status"] == "processing"
    assert (status["customer_email"], status["customer_name"]) == ("ada@example.com", "Ada Lovelace")


def test_a_1_86_0_session_knows_only_its_fields() -> None:
    sent = session(confirm=True, customer={"customer_id": "cus_ada"}, billing_address=FULL,
                   payment_method_id="pm_ada_card")  # fmt: skip
    created = ok(call(app_of(OLD), "POST", "/checkouts", sent), OLD, "checkouts")
    assert set(created) == {"session_id", "checkout_url"}
    assert created["checkout_url"] is None


def test_sessions_live_24_hours_or_15_minutes_with_confirm_and_stay_readable_after() -> None:
    app = app_of()
    long = ok(call(app, "POST", "/checkouts", session()), NEW, "checkouts")
    sent = session(confirm=True, customer={"email": "c@example.com"}, billing_address=FULL)
    short = ok(call(app, "POST", "/checkouts", sent), NEW, "checkouts")
    store = app.state.mock.checkouts.store
    lived = {k: store.get(s["session_id"]) for k, s in (("long", long), ("short", short))}
    assert lived["long"].expires_at - lived["long"].created_at == timedelta(hours=24)
    assert lived["short"].expires_at - lived["short"].created_at == timedelta(minutes=15)
    assert lived["short"].expired(lived["short"].created_at + timedelta(minutes=16))
    assert not lived["long"].expired(lived["long"].created_at + timedelta(hours=23))
    stale = app.state.mock.checkouts.create(session(), None, now=datetime.now(UTC) - timedelta(days=2))
    status = ok(call(app, "GET", f"/checkouts/{stale.body['session_id']}"), NEW, "checkouts.get")
    assert status["payment_id"] is None


def _session(n: int) -> Session:
    now = datetime.now(UTC)
    return Session(f"cks_{n}", now, now, None, None)


def test_the_store_evicts_the_oldest_beyond_its_limit() -> None:
    store = SessionStore(limit=3)
    for n in range(5):
        store.add(_session(n))
    assert len(store) == 3
    assert store.get("cks_0") is None and store.get("cks_1") is None
    assert store.get("cks_4") is not None
    assert store.newest().id == "cks_4" and store.newest(2).id == "cks_2" and store.newest(3) is None


def test_the_store_is_safe_to_share_between_threads() -> None:
    store = SessionStore(limit=500)

    def fill(base: int) -> None:
        for n in range(400):
            store.add(_session(base + n))

    threads = [threading.Thread(target=fill, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 500


def test_the_default_store_is_bounded() -> None:
    assert app_of().state.mock.checkouts.store.limit == 10_000


# --- preview pricing -----------------------------------------------------------------------------------------


def preview(app: Any, body: dict[str, Any], version: str = NEW) -> dict[str, Any]:
    return ok(call(app, "POST", "/checkouts/preview", body), version, "checkouts.preview")


def breakup(body: dict[str, Any]) -> tuple[int, int, int, int]:
    b = body["current_breakup"]
    assert b["total_amount"] == b["subtotal"] - b["discount"] + b["tax"]
    assert body["total_price"] == b["total_amount"]
    return b["subtotal"], b["discount"], b["tax"], b["total_amount"]


@pytest.mark.parametrize(
    ("cart", "codes", "expected"),
    [
        ([{"product_id": "prod_basic", "quantity": 3}], [], (3000, 0, 0, 3000)),
        ([{"product_id": "prod_basic", "quantity": 3}], ["SAVE10"], (3000, 300, 0, 2700)),
        ([{"product_id": "prod_basic", "quantity": 3}], ["FIVE_OFF"], (3000, 500, 0, 2500)),
        ([{"product_id": "prod_basic", "quantity": 3}], ["HALF", "FIVE_OFF"], (3000, 2000, 0, 1000)),
        ([{"product_id": "prod_basic", "quantity": 3}], ["FIVE_OFF", "HALF"], (3000, 1750, 0, 1250)),
        ([{"product_id": "prod_tip_jar", "quantity": 2, "amount": 700}], [], (1400, 0, 0, 1400)),
        ([{"product_id": "prod_basic", "quantity": 1}, {"product_id": "prod_pro", "quantity": 2}], [],
         (10800, 0, 0, 10800)),
    ],
)  # fmt: skip
def test_the_preview_charges_the_catalog_prices(cart: list[Any], codes: list[str], expected: tuple[int, ...]) -> None:
    assert breakup(preview(app_of(), {"product_cart": cart, "discount_codes": codes})) == expected


def test_the_1_86_0_preview_applies_the_single_discount_code() -> None:
    body = preview(app_of(OLD), {"product_cart": [{"product_id": "prod_basic", "quantity": 3}],
                                 "discount_code": "SAVE10"}, OLD)  # fmt: skip
    assert breakup(body) == (3000, 300, 0, 2700)


def test_tax_on_top_of_exclusive_prices_only_and_none_with_a_tax_id() -> None:
    app = app_of(tax_rate=0.2)
    cart = [{"product_id": "prod_basic", "quantity": 2}]
    assert breakup(preview(app, {"product_cart": cart})) == (2000, 0, 400, 2400)
    assert breakup(preview(app, {"product_cart": cart, "discount_codes": ["HALF"]})) == (2000, 1000, 200, 1200)
    inclusive = [{"product_id": "prod_ebook_inr", "quantity": 1}]
    assert breakup(preview(app, {"product_cart": inclusive})) == (49900, 0, 0, 49900)
    with_tax_id = {"product_cart": cart, "tax_id": "DE123456789", "billing_address": {"country": "DE"}}
    assert breakup(preview(app, with_tax_id)) == (2000, 0, 0, 2000)


def test_a_subscription_is_priced_at_its_recurring_price_with_its_addons() -> None:
    line = {"product_id": "prod_sub_monthly", "quantity": 2, "addons": [{"addon_id": "adn_extra_seat", "quantity": 3}]}
    body = preview(app_of(), {"product_cart": [line]})
    assert breakup(body) == (4500, 0, 0, 4500)  # 2 x 1500 + 3 x 500
    assert body["recurring_breakup"]["total_amount"] == 4500
    assert body["next_billing_date"] is not None and body["trial_period_days"] is None
    item = body["product_cart"][0]
    assert item["is_subscription"] is True and item["addons"][0]["single_quantity_price"] == 500
    assert body["payment_method_required"] is True


def test_a_free_trial_charges_nothing_today_and_the_full_price_after() -> None:
    line = {"product_id": "prod_sub_monthly", "quantity": 1}
    body = preview(app_of(), {"product_cart": [line, dict(LINE)], "subscription_data": {"trial_period_days": 14}})
    assert breakup(body) == (1000, 0, 0, 1000)  # only the one-time line is due today
    assert body["recurring_breakup"]["total_amount"] == 1500
    assert body["trial_period_days"] == 14 and body["trial_amount"] is None
    billed = datetime.fromisoformat(body["next_billing_date"])
    assert timedelta(days=13, hours=23) < billed - datetime.now(UTC) <= timedelta(days=14)


def test_a_one_time_cart_has_no_recurring_breakup_and_the_preview_shape() -> None:
    body = preview(app_of(), {"product_cart": [dict(LINE)], "billing_address": {"country": "DE"}})
    assert body["recurring_breakup"] is None and body["next_billing_date"] is None
    assert body["billing_country"] == "DE" and body["is_byop"] is False and body["currency"] == "USD"


def test_an_empty_collection_cart_previews_at_zero() -> None:
    body = preview(app_of(), {"product_cart": [], "product_collection_id": "pcol_starter"})
    assert breakup(body) == (0, 0, 0, 0)
    assert body["product_cart"] == [] and body["payment_method_required"] is False


def test_the_session_stores_what_the_preview_charges() -> None:
    app = app_of(tax_rate=0.1)
    sent = {"product_cart": [{"product_id": "prod_basic", "quantity": 4}], "discount_codes": ["SAVE10"]}
    charged = breakup(preview(app, sent))[3]
    created = ok(call(app, "POST", "/checkouts", sent), NEW, "checkouts")
    assert app.state.mock.checkouts.store.get(created["session_id"]).total_amount == charged == 3960


# --- refusals ------------------------------------------------------------------------------------------------


BUSINESS = [
    ("unknown product", session(product_cart=[{"product_id": "prod_nope", "quantity": 1}]), "NOT_FOUND"),
    ("unknown customer", session(customer={"customer_id": "cus_nope"}), "NOT_FOUND"),
    ("unknown discount", session(discount_codes=["NOPE"]), "INVALID_DISCOUNT_CODE"),
    ("unsupported country", session(billing_address={"country": "KP"}), "UNSUPPORTED_COUNTRY"),
    ("no eligible method", session(allowed_payment_method_types=["sepa"]), "NO_ELIGIBLE_PAYMENT_METHODS"),
    ("unknown tax id", session(tax_id="XX1", billing_address={"country": "DE"}), "INVALID_TAX_ID"),
    ("unsupported currency", session(billing_currency="EUR"), "UNSUPPORTED_CURRENCY"),
    ("addons on a one-time product",
     session(product_cart=[{**LINE, "addons": [{"addon_id": "adn_extra_seat", "quantity": 1}]}]),
     "INVALID_REQUEST_PARAMETERS"),
    ("unknown addon",
     session(product_cart=[{"product_id": "prod_sub_monthly", "quantity": 1,
                            "addons": [{"addon_id": "adn_nope", "quantity": 1}]}]), "NOT_FOUND"),
    ("duplicate addon",
     session(product_cart=[{"product_id": "prod_sub_monthly", "quantity": 1,
                            "addons": [{"addon_id": "adn_extra_seat", "quantity": 1}] * 2}]),
     "DUPLICATE_ADDON_IDS_IN_REQUEST"),
    ("unattached entitlement",
     session(product_cart=[{**LINE, "credit_entitlements": [{"credit_entitlement_id": "cde_x",
                                                             "credits_amount": "5"}]}]),
     "INVALID_REQUEST_PARAMETERS"),
    ("zero credits",
     session(product_cart=[{"product_id": "prod_sub_monthly", "quantity": 1,
                            "credit_entitlements": [{"credit_entitlement_id": "cde_api_calls",
                                                     "credits_amount": "0"}]}]),
     "INVALID_REQUEST_PARAMETERS"),
    ("foreign payment method",
     session(confirm=True, customer={"customer_id": "cus_grace"}, billing_address=FULL,
             payment_method_id="pm_ada_card"),
     "INVALID_REQUEST_PARAMETERS"),
    ("unknown collection", {"product_cart": [], "product_collection_id": "pcol_nope"}, "NOT_FOUND"),
    ("non-USD subscription",
     session(product_cart=[{"product_id": "prod_sub_monthly", "quantity": 1}], billing_currency="INR"),
     "UNSUPPORTED_BILLING_CURRENCY"),
    ("total past int32", session(product_cart=[{"product_id": "prod_basic", "quantity": 2_147_484}]),
     "INVALID_QUANTITY"),
    ("pwyw amount below minimum", session(product_cart=[{"product_id": "prod_tip_jar", "quantity": 1, "amount": 5}]),
     "REQUEST_AMOUNT_BELOW_MINIMUM"),
    ("pwyw amount missing with confirm",
     session(product_cart=[{"product_id": "prod_tip_jar", "quantity": 1}], confirm=True,
             customer={"email": "c@example.com"}, billing_address=FULL), "PAY_AS_YOU_WANT_AMOUNT_REQUIRED"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "sent", "code"), BUSINESS, ids=[b[0] for b in BUSINESS])
@pytest.mark.parametrize("path", ["/checkouts", "/checkouts/preview"])
def test_catalog_rules_are_refused_with_their_codes(name: str, sent: dict[str, Any], code: str, path: str) -> None:
    refused(call(app_of(), "POST", path, sent), code)


def test_a_pay_what_you_want_line_without_amount_is_fine_until_confirm() -> None:
    body = preview(app_of(), session(product_cart=[{"product_id": "prod_tip_jar", "quantity": 1}]))
    assert breakup(body)[0] == 500  # the product's price, until the customer picks an amount


PROSE = [
    ("confirm without billing", session(confirm=True, customer={"email": "c@example.com"}),
     "INVALID_REQUEST_PARAMETERS"),
    ("confirm minimal without zipcode",
     session(confirm=True, minimal_address=True, customer={"email": "c@example.com"},
             billing_address={"country": "US"}),
     "INVALID_REQUEST_PARAMETERS"),
    ("payment method without confirm", session(customer={"customer_id": "cus_ada"}, payment_method_id="pm_ada_card"),
     "INVALID_REQUEST_PARAMETERS"),
    ("tax id without billing", session(tax_id="DE123456789"), "INVALID_REQUEST_PARAMETERS"),
    ("six custom fields",
     session(custom_fields=[{"key": f"k{i}", "label": "L", "field_type": "text"} for i in range(6)]),
     "INVALID_REQUEST_PARAMETERS"),
    ("dropdown without options", session(custom_fields=[{"key": "k", "label": "L", "field_type": "dropdown"}]),
     "INVALID_REQUEST_PARAMETERS"),
    ("empty cart without collection", {"product_cart": []}, "PRODUCT_CART_EMTPY"),
    ("51 metadata pairs", session(metadata={f"k{i}": "v" for i in range(51)}), "MAXIMUM_KEYS_REACHED"),
    ("21 lines", {"product_cart": [dict(LINE)] * 21}, "INVALID_REQUEST_BODY"),
    ("quantity 0", {"product_cart": [{**LINE, "quantity": 0}]}, "INVALID_REQUEST_BODY"),
    ("trial days 10001",
     session(product_cart=[{"product_id": "prod_sub_monthly", "quantity": 1}],
             subscription_data={"trial_period_days": 10001}), "INVALID_REQUEST_BODY"),
    ("phone required without collection",
     session(feature_flags={"require_phone_number": True, "allow_phone_number_collection": False}),
     "INVALID_REQUEST_PARAMETERS"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "sent", "code"), PROSE, ids=[p[0] for p in PROSE])
def test_prose_rules_are_refused_with_the_overlays_codes(name: str, sent: dict[str, Any], code: str) -> None:
    body = refused(call(app_of(), "POST", "/checkouts", sent), code)
    assert body["violations"], body


def test_the_mock_follows_the_contracts_readings() -> None:
    zero = ContractSettings(checkouts_min_quantity=0, checkouts_cart="schema").contract(NEW, operation="checkouts")
    app = app_of(zero)
    ok(call(app, "POST", "/checkouts", {"product_cart": [{**LINE, "quantity": 0}]}), zero, "checkouts")
    ok(call(app, "POST", "/checkouts", {"product_cart": [dict(LINE)] * 21}), zero, "checkouts")
    refused(call(app_of(NEW), "POST", "/checkouts", {"product_cart": [dict(LINE)] * 21}), "INVALID_REQUEST_BODY")


def test_bad_json_is_422_invalid_request_body() -> None:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_of()), base_url="http://mock") as client:
            return await client.post("/checkouts", content=b"{nope", headers=AUTH)

    refused(asyncio.run(go()), "INVALID_REQUEST_BODY")
    refused(call(app_of(), "POST", "/checkouts/preview", [1]), "INVALID_REQUEST_BODY")


def test_a_payments_fault_leaves_checkouts_faithful_and_payments_still_served() -> None:
    app = app_of(fault="wrong_content_type")
    ok(call(app, "POST", "/checkouts", session()), NEW, "checkouts")
    paid = call(app, "POST", "/payments", {"billing": {"country": "US"}, "customer": {"email": "a@example.com"},
                                           "product_cart": [dict(LINE)]})  # fmt: skip
    assert paid.status_code == 200 and paid.headers["content-type"].startswith("text/plain")


def test_the_readmes_checkout_sessions_example_prints_what_it_says() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if '"/checkouts/preview"' in b]
    claimed = re.search(r"\n\s*# (.+)\n$", block)
    assert claimed is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert printed.getvalue().strip() == claimed.group(1).strip()
