"""Run-level checks (``checks/_floor.py``): a server that refuses most valid requests, or one whole class, fails."""

from __future__ import annotations

from typing import Any

import pytest

from dodo_contract.checks._floor import request_classes, valid_class_never_succeeds, valid_success_ratio
from dodo_contract.checks.core import RUN_CHECKS, CheckContext, Observation, refused_example
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.settings import ContractSettings

FX = default_fixtures()
P1, P2 = FX.products[0].id, FX.products[1].id
REFUSED = {"code": "NO_ELIGIBLE_PAYMENT_METHODS", "message": "no"}


def request(*products: str, customer: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "product_cart": [{"product_id": p, "quantity": 1} for p in products],
        "customer": customer or {"email": "a@example.com"},
        "billing": {"country": "US"},
    }


def answer(req: dict[str, Any], status: int = 200, kind: str = "valid") -> Observation:
    body = {"payment_id": "pay_1"} if status == 200 else REFUSED
    return Observation(kind=kind, request=req, status=status, body=body)  # type: ignore[arg-type]


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(FX, ContractSettings(), 2000.0)


def test_request_classes() -> None:
    assert request_classes(request(P1), FX) == [f"carts with product {P1}", "a new customer"]
    two = request(P1, P2, customer={"customer_id": FX.customers[0].id})
    assert request_classes(two, FX) == [
        "carts of two or more lines",
        f"carts with product {P1}",
        f"carts with product {P2}",
        "an existing customer_id",
    ]
    both = request("prod_not_in_fixtures", customer={"customer_id": "cus_x", "email": "x@example.com"})
    assert request_classes(both, FX) == ["customer_id with email"]


def test_mostly_refused_valid_requests_break_the_success_floor(ctx: CheckContext) -> None:
    mostly = [answer(request(P1), 422) for _ in range(6)] + [answer(request(P1)) for _ in range(4)]
    (found,) = valid_success_ratio(mostly, ctx)
    assert found.rule == "valid.success_ratio"
    assert "only 4 of 10" in found.message and "NO_ELIGIBLE_PAYMENT_METHODS" in found.message
    assert valid_success_ratio(mostly[2:], ctx) == []  # 4 of 8: exactly the floor of 50%


def test_a_class_that_never_succeeds_is_one_violation_naming_it(ctx: CheckContext) -> None:
    singles = [answer(request(P1)) for _ in range(10)]
    multi = [answer(request(P1, P2), 422) for _ in range(3)]
    (found,) = valid_class_never_succeeds(singles + multi, ctx)
    assert found.rule == "valid.class_never_succeeds"
    assert "carts of two or more lines (0 of 3" in found.message
    assert f"carts with product {P2} (0 of 3" in found.message
    assert valid_class_never_succeeds(singles + multi[:2], ctx) == []  # sent fewer than class_min_cases times
    assert valid_class_never_succeeds(singles + multi + [answer(request(P1, P2))], ctx) == []
    assert refused_example("valid.class_never_succeeds", singles + multi, ctx) == len(singles)


def test_answers_other_checks_own_do_not_count(ctx: CheckContext) -> None:
    crashes = [answer(request(P1), 500) for _ in range(9)] + [answer(request(P1))]
    timeouts = [Observation(kind="valid", request=request(P1), status=None) for _ in range(9)]  # type: ignore[arg-type]
    schema = [
        Observation(
            kind="valid", request=request(P1), status=422, body={"code": "INVALID_REQUEST_BODY", "message": "x"}
        )  # type: ignore[arg-type]
        for _ in range(9)
    ]
    for observations in (crashes, timeouts + crashes[-1:], schema + crashes[-1:]):
        assert all(check(observations, ctx) == [] for check in RUN_CHECKS.values())
    invalid = [answer(request(P1), 422, kind="invalid") for _ in range(9)]  # refusals of invalid requests: right
    assert all(check(invalid, ctx) == [] for check in RUN_CHECKS.values())


def test_the_floor_is_a_setting(ctx: CheckContext) -> None:
    half = [answer(request(P1), 422) for _ in range(5)] + [answer(request(P1)) for _ in range(5)]
    assert valid_success_ratio(half, ctx) == []
    ctx.settings = ContractSettings(success_floor=0.9)
    assert [v.rule for v in valid_success_ratio(half, ctx)] == ["valid.success_ratio"]
