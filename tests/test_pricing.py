"""The pricing oracle: the bounds of a total and the relations of the pricing pairs, on faithful and broken totals."""

from __future__ import annotations

from typing import Any

import pytest

from dodo_contract.checks._pricing import pricing_bounds, pricing_relations_hold, total_amount_plausible
from dodo_contract.checks.core import CheckContext, Observation
from dodo_contract.contract.fixtures import load_fixtures
from dodo_contract.contract.money import minor_unit_exponent
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.generation.strategies import MAX_PRICING_REQUESTS, pricing_pairs

CATALOG: dict[str, Any] = {
    "products": [
        {"id": "shirt", "price": 2500, "currency": "USD", "tax": "exclusive"},
        {"id": "mug", "price": 999, "currency": "USD"},
        {"id": "ebook", "price": 49900, "currency": "INR", "tax": "inclusive"},
        {"id": "tea", "price": 1500, "currency": "JPY"},
        {"id": "dates", "price": 4250, "currency": "KWD"},
        {"id": "tip", "price": 500, "currency": "USD", "pay_what_you_want": True, "min_amount": 100},
    ],
    "discount_codes": [{"code": "TEN", "percentage": 10}, {"code": "FIVE", "amount": 500}],
    "tax_ids": ["DE123456789"],
}
BASE: dict[str, Any] = {"customer": {"email": "p@example.com", "name": "P"}, "billing": {"country": "US"}}


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(load_fixtures(CATALOG), ContractSettings())


def request(*lines: tuple[str, int], **extra: Any) -> dict[str, Any]:
    cart = [{"product_id": pid, "quantity": q, **({"amount": 700} if pid == "tip" else {})} for pid, q in lines]
    return {**BASE, "product_cart": cart, **extra}


def answer(payload: dict[str, Any], total: Any, kind: str = "valid", **kw: Any) -> Observation:
    body = {"payment_id": "pay_1", "total_amount": total, "client_secret": "s", "customer": {}, "metadata": {}}
    return Observation(kind=kind, request=payload, status=200, body=body, **kw)  # type: ignore[arg-type]


def rules(found: list[Any]) -> list[str]:
    return [v.rule for v in found]


# --- the bounds of one total -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "why"),
    [
        (5000, "no tax"),
        (5900, "18% tax on top"),
        (6250, "25% tax on top"),
        (5901, "tax rounded up per line"),
        (4999, "a rounding of a minor unit below"),
    ],
)
def test_a_faithful_total_with_or_without_tax_is_within_the_bounds(ctx: CheckContext, total: int, why: str) -> None:
    assert total_amount_plausible(answer(request(("shirt", 2)), total), ctx) == [], why


@pytest.mark.parametrize(
    ("payload", "total", "rule"),
    [
        (request(("shirt", 2)), 2500, "pricing.total_at_least_subtotal"),  # ignores the quantity
        (request(("shirt", 2)), 50, "pricing.total_at_least_subtotal"),  # dollars for cents
        (request(("shirt", 2)), 500000, "pricing.total_within_tax_ceiling"),  # cents for dollars
        (request(("shirt", 2)), 6600, "pricing.total_within_tax_ceiling"),  # 32% "tax": over the ceiling
        (request(("shirt", 2), discount_code="TEN"), 4000, "pricing.total_at_least_subtotal"),  # discount doubled
        (request(("tip", 1)), 500, "pricing.total_at_least_subtotal"),  # PWYW (700 sent) at its list price
        (request(("ebook", 1)), 499, "pricing.total_at_least_subtotal"),  # rupees for paise
        (request(("ebook", 1)), 58882, "pricing.total_within_tax_ceiling"),  # tax added to an inclusive price
    ],
)
def test_a_broken_total_is_outside_the_bounds(
    ctx: CheckContext, payload: dict[str, Any], total: int, rule: str
) -> None:
    assert rules(total_amount_plausible(answer(payload, total), ctx)) == [rule]


def test_a_forgotten_discount_is_caught_when_the_tax_room_cannot_hide_it(ctx: CheckContext) -> None:
    # 10% off a tax-inclusive price: the total must be the discounted price, so the full price is caught.
    payload = request(("ebook", 1), discount_code="TEN")
    assert total_amount_plausible(answer(payload, 44910), ctx) == []
    assert rules(total_amount_plausible(answer(payload, 49900), ctx)) == ["pricing.total_within_tax_ceiling"]


@pytest.mark.parametrize(("product", "price"), [("tea", 1500), ("dates", 4250)])
def test_minor_units_follow_the_currency(ctx: CheckContext, product: str, price: int) -> None:
    exponent = minor_unit_exponent(CATALOG["products"][3 if product == "tea" else 4]["currency"])
    assert exponent in (0, 3)
    assert total_amount_plausible(answer(request((product, 1)), price), ctx) == []
    # A server that assumes two decimals everywhere: off by a power of ten, and the message says so.
    wrong = price * 100 if exponent == 0 else price // 10
    found = total_amount_plausible(answer(request((product, 1)), wrong), ctx)
    assert len(found) == 1 and "are major and minor units confused" in found[0].message
    assert f"has {exponent} decimal" in found[0].message


def test_a_flat_discount_lowers_the_bounds_by_its_amount(ctx: CheckContext) -> None:
    payload = request(("shirt", 2), discount_code="FIVE")
    assert pricing_bounds(payload, ctx.fixtures, ctx.settings).subtotal == 4500  # type: ignore[union-attr]
    assert total_amount_plausible(answer(payload, 4500), ctx) == []
    assert rules(total_amount_plausible(answer(payload, 4000), ctx)) == ["pricing.total_at_least_subtotal"]


def test_a_tax_id_frees_the_lower_bound_and_says_so(ctx: CheckContext) -> None:
    payload = request(("ebook", 1), tax_id="DE123456789")
    assert total_amount_plausible(answer(payload, 42288), ctx) == []  # reverse charge: the tax taken out
    assert any("tax_id" in n for n in ctx.notes["pricing"])
    assert rules(total_amount_plausible(answer(payload, 60000), ctx)) == ["pricing.total_within_tax_ceiling"]


def test_another_billing_currency_is_not_judged_and_says_so(ctx: CheckContext) -> None:
    payload = request(("shirt", 1), billing_currency="INR")
    assert total_amount_plausible(answer(payload, 207500), ctx) == []  # converted to INR: adaptive pricing
    assert any("adaptive pricing" in n for n in ctx.notes["pricing"])
    mixed = request(("shirt", 1), ("ebook", 1))
    assert total_amount_plausible(answer(mixed, 1), ctx) == []
    assert any("several currencies" in n for n in ctx.notes["pricing"])


def test_the_tax_ceiling_is_a_setting(ctx: CheckContext) -> None:
    payload = request(("shirt", 2))
    assert rules(total_amount_plausible(answer(payload, 6600), ctx)) == ["pricing.total_within_tax_ceiling"]
    ctx.settings = ContractSettings(tax_ceiling=1.40)
    assert total_amount_plausible(answer(payload, 6600), ctx) == []


# --- the pairs -----------------------------------------------------------------------------------------------


def pair(ctx: CheckContext, rule: str, base: dict[str, Any], variant: dict[str, Any], first: int, second: int) -> Any:
    assert pricing_relations_hold(answer(base, first, "pricing", pair="p", role="base", rule=rule), ctx) == []
    return rules(pricing_relations_hold(answer(variant, second, "pricing", pair="p", role="variant", rule=rule), ctx))


@pytest.mark.parametrize(
    ("tax", "first", "second"), [("none", 999, 1998), ("18% per total", 1179, 2358), ("18% per line", 1179, 2357)]
)
def test_quantity_linear_holds_for_a_faithful_server(ctx: CheckContext, tax: str, first: int, second: int) -> None:
    rule = "pricing.quantity_linear"
    assert pair(ctx, rule, request(("mug", 1)), request(("mug", 2)), first, second) == [], tax


def test_quantity_linear_catches_a_server_that_ignores_the_quantity(ctx: CheckContext) -> None:
    rule = "pricing.quantity_linear"
    assert pair(ctx, rule, request(("mug", 1)), request(("mug", 2)), 999, 999) == [rule]
    assert pair(ctx, rule, request(("mug", 1)), request(("mug", 2)), 1024, 2023) == [rule]  # a fixed fee


def test_percentage_share_holds_with_tax_on_top_or_included_and_catches_the_rest(ctx: CheckContext) -> None:
    rule = "pricing.percentage_discount_share"
    cart, coded = request(("shirt", 1)), request(("shirt", 1), discount_code="TEN")
    assert pair(ctx, rule, cart, coded, 2500, 2250) == []  # no tax
    assert pair(ctx, rule, cart, coded, 2950, 2655) == []  # 18% on the discounted price
    assert pair(ctx, rule, cart, coded, 2950, 2700) == []  # 18% on the price before the discount
    assert pair(ctx, rule, cart, coded, 2950, 2950) == [rule]  # the discount forgotten
    assert pair(ctx, rule, cart, coded, 2950, 2360) == [rule]  # the discount doubled


def test_flat_discount_takes_off_its_amount(ctx: CheckContext) -> None:
    rule = "pricing.flat_discount_amount"
    cart, coded = request(("shirt", 2)), request(("shirt", 2), discount_code="FIVE")
    assert pair(ctx, rule, cart, coded, 5000, 4500) == []
    assert pair(ctx, rule, cart, coded, 5900, 5310) == []  # 18% on top of the discounted price
    assert pair(ctx, rule, cart, coded, 5900, 5900) == [rule]
    assert pair(ctx, rule, cart, coded, 5000, 4995) == [rule]  # 500 read as cents of a cent: 5 off


def test_pwyw_amount_used(ctx: CheckContext) -> None:
    rule = "pricing.pwyw_amount_used"
    once = request(("tip", 1))
    twice = {**once, "product_cart": [{"product_id": "tip", "quantity": 1, "amount": 1400}]}
    assert pair(ctx, rule, once, twice, 700, 1400) == []
    assert pair(ctx, rule, once, twice, 500, 500) == [rule]  # the list price, whatever was sent


def test_a_pair_with_a_refused_half_is_not_judged_but_noted(ctx: CheckContext) -> None:
    rule = "pricing.quantity_linear"
    refused = Observation(kind="pricing", request=request(("mug", 1)), status=422, pair="p", role="base", rule=rule)
    assert pricing_relations_hold(refused, ctx) == []
    variant = answer(request(("mug", 2)), 5, "pricing", pair="p", role="variant", rule=rule)
    assert pricing_relations_hold(variant, ctx) == []
    assert any("not judged" in n for n in ctx.notes["pricing"])


# --- the plan of pairs -----------------------------------------------------------------------------------------


def test_the_pairs_are_bounded_deterministic_and_start_with_the_odd_exponents() -> None:
    fx = load_fixtures(CATALOG)
    cases, notes = pricing_pairs(fx, BASE)
    assert (cases, notes) == pricing_pairs(fx, BASE)
    assert len(cases) <= MAX_PRICING_REQUESTS and len(cases) % 2 == 0
    quantity = [c for c in cases if c.rule == "pricing.quantity_linear" and c.role == "base"]
    currencies = [fx.product(c.payload["product_cart"][0]["product_id"]).currency for c in quantity]  # type: ignore[union-attr]
    assert set(currencies[:2]) == {"JPY", "KWD"}
    assert {c.rule for c in cases} >= {"pricing.percentage_discount_share", "pricing.flat_discount_amount"}
    for base, variant in zip(cases[::2], cases[1::2], strict=True):
        assert (base.role, variant.role, base.pair) == ("base", "variant", variant.pair)


def test_a_catalog_without_discounts_or_pwyw_gets_notes_instead_of_pairs() -> None:
    fx = load_fixtures({"products": [{"id": "a", "price": 100}]})
    cases, notes = pricing_pairs(fx, BASE)
    assert {c.rule for c in cases} == {"pricing.quantity_linear"}
    assert len(notes) == 3 and all("no " in n for n in notes)


# --- through the engine and the front ends ---------------------------------------------------------------------


def test_a_run_reports_its_exemptions_and_a_pair_finding_is_not_replayed_alone(tmp_path: Any) -> None:
    import io
    import json

    from dodo_contract.frontends.cli import main
    from dodo_contract.mock.app import serve_mock
    from dodo_contract.reports._summary import format_summary

    key = "sk_test_pricing_0123456789"
    with serve_mock(api_key=key, fault="handling_fee", seed=1) as mock:
        out = io.StringIO()
        argv = ["gate", "--base-url", mock.url, "--api-key", key, "--report-dir", str(tmp_path), "--seed", "1"]
        assert main([*argv, "--max-examples", "10"], stdout=out, stderr=io.StringIO()) == 1
        report = json.loads((tmp_path / "dodo-contract.json").read_text())
        pair_findings = [v for v in report["violations"] if v["check"] == "pricing_relations_hold"]
        assert pair_findings and {v["rule"] for v in pair_findings} <= {
            "pricing.quantity_linear",
            "pricing.pwyw_amount_used",
        }
        assert any("tax_id" in n for n in report["stats"]["notes"]["pricing"])
        assert "pricing exemptions:" in format_summary(report) and "pricing exemptions:" in out.getvalue()
        index = report["violations"].index(pair_findings[0]) + 1
        r_out, r_err = io.StringIO(), io.StringIO()
        code = main(["replay", str(tmp_path), "--case", str(index), "--api-key", key], stdout=r_out, stderr=r_err)
    assert code == 2 and "pair of requests" in r_out.getvalue() + r_err.getvalue()
