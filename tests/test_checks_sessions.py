"""The Checkout Sessions checks, one observation at a time (``checks/_sessions.py``), and where they apply."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dodo_contract.checks.core import (
    CheckContext,
    Observation,
    checkout_url_null_iff_payment_method,
    checks_for,
    judges,
    preview_arithmetic,
    run_checks,
    session_round_trip,
    session_shape,
    status_code_documented,
)
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.versions import get_contract

CTX = CheckContext(default_fixtures(), contract=get_contract(None, operation="checkouts"))
CART = {"product_cart": [{"product_id": "prod_basic", "quantity": 2}]}  # 2 x 1000 USD, tax exclusive


def obs(operation: str, body: Any, *, status: int = 200, request: Any = None, **kw: Any) -> Observation:
    kind = kw.pop("kind", "roundtrip" if operation == "checkouts.get" else "canonical")
    return Observation(kind=kind, request=request, status=status, body=body, operation=operation, **kw)


def rules(found: list[Any]) -> list[str]:
    return [v.rule for v in found]


def test_session_shape_judges_each_operation_by_its_own_schema() -> None:
    assert session_shape(obs("checkouts", {"session_id": "cks_1", "checkout_url": "https://x/y"}), CTX) == []
    assert rules(session_shape(obs("checkouts", {"checkout_url": None}), CTX)) == ["session.session_id.required"]
    assert rules(session_shape(obs("checkouts.get", {"id": 5, "created_at": "2026-01-01T00:00:00Z"}), CTX)) == [
        "session_status.id.type"
    ]
    assert "preview.total_price.required" in rules(session_shape(obs("checkouts.preview", {}), CTX))
    assert session_shape(obs("payments", {}), CTX) == []  # a payment is response_schema_conformance's


@pytest.mark.parametrize(
    ("saved", "url", "expected"),
    [
        (None, "https://test.checkout.dodopayments.com/session/cks_1", []),
        ("pm_ada_card", None, []),
        ("pm_ada_card", "https://test.checkout.dodopayments.com/session/cks_1",
         ["session.checkout_url_null_with_payment_method"]),
        (None, None, ["session.checkout_url_present"]),
    ],
)  # fmt: skip
def test_checkout_url_is_null_exactly_with_a_payment_method(saved: str | None, url: str | None, expected: Any) -> None:
    request = {**CART, **({"payment_method_id": saved} if saved else {})}
    found = checkout_url_null_iff_payment_method(obs("checkouts", {"session_id": "cks_1", "checkout_url": url},
                                                     request=request), CTX)  # fmt: skip
    assert rules(found) == expected


def _status(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"id": "cks_1", "created_at": now, "customer_email": None, "payment_id": None, "payment_status": None,
            **changes}  # fmt: skip


def _trip(body: Any, *, status: int = 200, request: Any = None, role: str = "created") -> list[str]:
    found = session_round_trip(
        obs("checkouts.get", body, status=status, request=request or CART, role=role, session="cks_1",
            received_at=time.time()),
        CTX,
    )  # fmt: skip
    return rules(found)


def test_a_round_trip_finds_the_session_as_it_was_created() -> None:
    assert _trip(_status()) == []
    assert _trip({"code": "NOT_FOUND", "message": "x"}, status=404) == ["round_trip.id_resolves"]
    assert _trip(_status(id="cks_2")) == ["round_trip.id"]
    assert _trip(_status(payment_status="processing")) == ["round_trip.payment_status_null_before_payment"]
    assert _trip(_status(payment_id="pay_1"), request={**CART, "confirm": True}) == []  # confirmed: may have one
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _trip(_status(created_at=future)) == ["round_trip.created_at_not_in_future"]
    skewed = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    assert _trip(_status(created_at=skewed)) == []  # within the clock-skew tolerance
    sent = {**CART, "customer": {"email": "Ada@Example.com", "name": "Ada"}}
    assert _trip(_status(customer_email="ada@example.com"), request=sent) == []
    assert _trip(_status(customer_email="eve@example.com"), request=sent) == ["round_trip.customer_email"]
    assert _trip(_status(), request=sent) == ["round_trip.customer_email"]


def test_an_id_never_issued_is_404() -> None:
    assert _trip({"code": "NOT_FOUND", "message": "no"}, status=404, role="unknown") == []
    assert _trip(_status(), role="unknown") == ["round_trip.unknown_id_not_found"]


def _preview(total: int, subtotal: int, discount: int, tax: int | None, **extra: Any) -> dict[str, Any]:
    breakup = {"total_amount": total, "subtotal": subtotal, "discount": discount, "tax": tax}
    return {"total_price": total, "currency": "USD", "product_cart": [], "current_breakup": breakup,
            "billing_country": "US", "is_byop": False, **extra}  # fmt: skip


def _arith(body: Any, request: Any = None) -> list[str]:
    return rules(preview_arithmetic(obs("checkouts.preview", body, request=request or CART), CTX))


def test_preview_arithmetic() -> None:
    assert _arith(_preview(2200, 2000, 0, 200)) == []
    assert _arith(_preview(2000, 2000, 0, None)) == []  # no tax line: 0
    assert _arith(_preview(2000, 2000, 0, 200)) == []  # tax already inside the subtotal, shown, not added
    assert _arith(_preview(2100, 2000, 0, 200)) == ["preview.breakup_adds_up"]  # neither reading
    assert "preview.breakup_adds_up" in _arith(_preview(1600, 2000, 200, 200))  # the discount taken off twice
    assert _arith(_preview(2200, 2000, 0, 200, total_price=2500)) == ["preview.total_price_agrees"]
    # The same tax-robust bounds as a payment's total: 2 x 1000 at most x 1.30 (+ rounding), at least 2000.
    assert _arith(_preview(4000, 2000, 0, 2000)) == ["preview.total_within_tax_ceiling"]
    assert _arith(_preview(200, 200, 0, 0)) == ["preview.total_at_least_subtotal"]


def test_one_discount_code_takes_off_what_it_says() -> None:
    percent = {**CART, "discount_codes": ["SAVE10"]}  # 10% of whatever subtotal the preview states
    assert _arith(_preview(1980, 2000, 200, 180), percent) == []
    assert _arith(_preview(2200, 2000, 0, 200), percent) == ["preview.discount_amount"]
    # A price that includes its tax may be discounted with its tax: up to the tax ceiling times the share.
    assert _arith(_preview(2164, 2000, 236, 400), percent) == []
    assert "preview.discount_amount" in _arith(_preview(1600, 2000, 400, 0), percent)  # doubled
    flat = {**CART, "discount_code": "FIVE_OFF"}  # a flat 500
    assert _arith(_preview(1650, 2000, 500, 150), flat) == []
    assert _arith(_preview(1950, 2000, 50, 0), flat) == ["preview.discount_amount"]


def test_a_subscription_line_is_priced_at_its_catalog_price() -> None:
    request = {"product_cart": [{"product_id": "prod_sub_monthly", "quantity": 1}]}
    line = {"product_id": "prod_sub_monthly", "quantity": 1, "is_subscription": True, "og_currency": "USD"}
    assert _arith(_preview(1500, 1500, 0, 0, product_cart=[{**line, "og_price": 1500}]), request) == []
    found = _arith(_preview(1500, 1500, 0, 0, product_cart=[{**line, "og_price": 150}]), request)
    assert found == ["preview.subscription_price"]


def test_checks_judge_only_the_families_they_fit() -> None:
    assert "session_shape" in checks_for("checkouts") and "session_shape" not in checks_for("payments")
    assert "response_schema_conformance" not in checks_for("checkouts")
    assert "auth_required" in checks_for("checkouts") and "auth_required" in checks_for("payments")
    answer = obs("checkouts", {"session_id": "cks_1"}, request=CART)
    assert not judges("response_schema_conformance", answer, CTX)
    assert judges("session_shape", answer, CTX)
    names = tuple(checks_for("payments"))
    assert run_checks(obs("checkouts", {}, request=CART), CTX, names) != []  # the generic ones still apply
    assert all(name in checks_for("checkouts") for name, _ in run_checks(obs("checkouts", {}, request=CART),
                                                                         CTX, names))  # fmt: skip


def test_the_get_documents_404_and_the_creates_do_not() -> None:
    missing = {"code": "NOT_FOUND", "message": "no such session"}
    assert status_code_documented(obs("checkouts.get", missing, status=404), CTX) == []
    assert rules(status_code_documented(obs("checkouts", missing, status=404), CTX)) == ["status.documented"]
