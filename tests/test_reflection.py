"""The echo against the truth: the fixtures' customer record, names whole, metadata exactly, discounts, the cart."""

from __future__ import annotations

from typing import Any

import pytest

from dodo_contract.checks.core import CheckContext, Observation, discount_applied, request_values_reflected
from dodo_contract.contract.fixtures import default_fixtures, load_fixtures

LONG = "Maria Fernanda de los Ángeles Guadalupe Hernández y Rodríguez-Ocampo de la Santísima Trinidad 🦤 Álvarez"
NEW: dict[str, Any] = {
    "product_cart": [{"product_id": "prod_basic", "quantity": 2}, {"product_id": "prod_tip_jar", "quantity": 1,
                                                                    "amount": 700}],
    "customer": {"email": "Long.Name+shop@Example.COM", "name": LONG},
    "billing": {"country": "US"},
    "metadata": {"count": 5, "label": "5", "flag": True, "ratio": 0.5},
}  # fmt: skip


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "payment_id": "pay_1",
        "total_amount": 2700,
        "client_secret": "s",
        "customer": {"customer_id": "cus_1", "email": "long.name+shop@example.com", "name": LONG},
        "metadata": {"count": 5, "label": "5", "flag": True, "ratio": 0.5},
        "product_cart": [
            {"product_id": "prod_basic", "quantity": 2},
            {"product_id": "prod_tip_jar", "quantity": 1, "amount": 700},
        ],
        "discount_id": None,
    }
    out.update(changes)
    return out


def rules(request: Any, answer: dict[str, Any], ctx: CheckContext) -> list[str]:
    obs = Observation(kind="valid", request=request, status=200, body=answer)
    return [v.rule for v in request_values_reflected(obs, ctx)]


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(default_fixtures())


def test_a_faithful_echo_passes_with_its_freedoms(ctx: CheckContext) -> None:
    assert rules(NEW, body(), ctx) == []  # the email folded: the same address
    no_cart = body()
    del no_cart["product_cart"]  # not echoing the cart at all is allowed
    assert rules(NEW, no_cart, ctx) == []
    nameless = {**NEW, "customer": {"email": "nameless@example.com"}}
    filled = body(customer={"customer_id": "c", "email": "nameless@example.com", "name": "nameless"})
    assert rules(nameless, filled, ctx) == []  # a name filled from the email when none was sent
    assert rules(NEW, body(extra_field={"x": 1}, payment_link=None), ctx) == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (
            {"customer": {"customer_id": "c", "email": "long.name+shop@example.com", "name": LONG[:50]}},
            "reflected.customer.name",
        ),
        ({"metadata": {"count": "5", "label": "5", "flag": True, "ratio": 0.5}}, "reflected.metadata"),  # 5 -> "5"
        ({"metadata": {"count": 5, "label": 5, "flag": True, "ratio": 0.5}}, "reflected.metadata"),  # "5" -> 5
        ({"metadata": {"count": 5, "label": "5", "flag": 1, "ratio": 0.5}}, "reflected.metadata"),  # true -> 1
        ({"metadata": {"count": 5.0, "label": "5", "flag": True, "ratio": 0.5}}, "reflected.metadata"),  # 5 -> 5.0
        ({"metadata": {**NEW["metadata"], "order_id": "ord_earlier"}}, "reflected.metadata.extra"),
        ({"discount_id": "dsc_save10"}, "reflected.discount_id"),
        ({"product_cart": [NEW["product_cart"][1], NEW["product_cart"][0]]}, "reflected.product_cart"),  # order
        (
            {"product_cart": [NEW["product_cart"][0], {**NEW["product_cart"][1], "amount": 500}]},
            "reflected.product_cart",
        ),  # pay-what-you-want at the list price
        (
            {"product_cart": [{"product_id": "prod_basic", "quantity": 1}, NEW["product_cart"][1]]},
            "reflected.product_cart",
        ),
    ],
)
def test_a_broken_echo_is_caught(ctx: CheckContext, change: dict[str, Any], rule: str) -> None:
    assert rules(NEW, body(**change), ctx) == [rule]


def test_no_metadata_sent_means_none_answered(ctx: CheckContext) -> None:
    plain = {k: v for k, v in NEW.items() if k != "metadata"}
    assert rules(plain, body(metadata={}), ctx) == []
    assert rules(plain, body(metadata={"previous": "request"}), ctx) == ["reflected.metadata.extra"]


def test_an_existing_customer_comes_back_as_the_fixtures_hold_it(ctx: CheckContext) -> None:
    request = {**NEW, "customer": {"customer_id": "cus_ada", "email": "other@example.com", "name": "Someone"}}
    stored = {"customer_id": "cus_ada", "email": "ADA@example.com", "name": "Ada Lovelace"}
    assert rules(request, body(customer=stored), ctx) == []
    echoed = {**stored, "name": "Someone"}  # the request's name instead of the stored customer's
    assert rules(request, body(customer=echoed), ctx) == ["reflected.customer.name"]
    emailed = {**stored, "email": "other@example.com"}
    assert rules(request, body(customer=emailed), ctx) == ["reflected.customer.email"]


def test_a_customer_without_a_name_in_the_fixtures_may_come_back_with_any(ctx: CheckContext) -> None:
    ctx.fixtures = load_fixtures({"products": [{"id": "p", "price": 1}], "customers": [{"id": "c", "email": "c@x.io"}]})
    request = {**NEW, "product_cart": [{"product_id": "p", "quantity": 1}], "customer": {"customer_id": "c"}}
    answer = body(customer={"customer_id": "c", "email": "c@x.io", "name": "Stored Elsewhere"}, product_cart=None)
    assert rules(request, answer, ctx) == []


def discount(request: dict[str, Any], answer: dict[str, Any], ctx: CheckContext) -> list[str]:
    return [v.rule for v in discount_applied(Observation(kind="valid", request=request, status=200, body=answer), ctx)]


def test_discount_id_is_the_fixtures_id_of_the_code_sent(ctx: CheckContext) -> None:
    coded = {**NEW, "discount_code": "SAVE10"}
    assert discount(coded, body(discount_id="dsc_save10"), ctx) == []
    assert discount(coded, body(discount_id="dsc_half"), ctx) == ["discount.id"]
    ctx.fixtures = load_fixtures({"products": [{"id": "p", "price": 1}], "discount_codes": ["SAVE10"]})
    assert discount(coded, body(discount_id="dsc_server_own"), ctx) == []  # no id in the fixtures: any will do


def test_discount_ids_follow_the_codes_in_the_order_sent(ctx: CheckContext) -> None:
    stacked = {**NEW, "discount_codes": ["HALF", "SAVE10"]}
    good = body(discount_id="dsc_half", discount_ids=["dsc_half", "dsc_save10"])
    assert discount(stacked, good, ctx) == []
    swapped = body(discount_id="dsc_half", discount_ids=["dsc_save10", "dsc_half"])
    assert discount(stacked, swapped, ctx) == ["discount.ids_order"]
    short = body(discount_id="dsc_half", discount_ids=["dsc_half"])
    assert discount(stacked, short, ctx) == ["discount.ids_order"]
    assert discount(stacked, body(discount_id=None), ctx) == ["discount.missing"]
