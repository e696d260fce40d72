"""The pricing oracle: relations every correct total satisfies, whatever tax a server adds or includes.

An exact expected total would be wrong (tax on top or included, rounding per line or per total), so each rule is
a relation, judged on a 200 to a request built from the fixtures:

* ``pricing.total_at_least_subtotal``: the total is at least the catalog subtotal after the discount (minus
  ``settings.rounding_per_line`` minor units per line, and one more for the total);
* ``pricing.total_within_tax_ceiling``: and at most that subtotal times ``settings.tax_ceiling``; when every
  product's price is tax-``inclusive`` in the fixtures, the total is that subtotal, within the same rounding.

And on the pairs of the pricing phase (``generation._pricing``), the second answer against the first:

* ``pricing.quantity_linear``: twice the quantities cost twice as much;
* ``pricing.percentage_discount_share``: a percentage code takes off that share of the pre-tax amount (between
  the share of the total divided by the ceiling and the share of the total);
* ``pricing.flat_discount_amount``: a flat code takes off at least its amount and at most the amount x ceiling;
* ``pricing.pwyw_amount_used``: a pay-what-you-want line at twice the amount costs twice as much.

Amounts are minor units of the currency (``contract.money``): a server that charges rupees for paise lands far
outside the bounds, and the message says by which power of ten. Not judged, each with a note in the report
(``ctx.notes``): a cart of several currencies, or one whose ``billing_currency`` differs from its products'
(adaptive pricing: another currency, converted); a request with a ``tax_id`` is not held to the lower bound (a
B2B reverse charge may remove the tax from an inclusive price); a cart below the minimum charge is not held to the
upper bound (a server may raise it to the minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract.fixtures import Discount, Fixtures
from ..contract.money import minor_unit_exponent
from ..contract.settings import ContractSettings
from ..errors import Violation
from ._observation import CheckContext, Observation, _v

__all__ = [
    "PAIR_RULES",
    "Bounds",
    "flat_discount_amount",
    "percentage_discount_share",
    "pricing_bounds",
    "pricing_relations_hold",
    "pwyw_amount_used",
    "quantity_linear",
    "total_amount_plausible",
    "total_at_least_subtotal",
    "total_within_tax_ceiling",
]

PAIR_RULES = (
    "pricing.quantity_linear",
    "pricing.percentage_discount_share",
    "pricing.flat_discount_amount",
    "pricing.pwyw_amount_used",
)
_MAX_NOTES = 20


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a 200's ``total_amount`` may be for one request: ``low`` (None: not bounded) .. ``high`` (None too)."""

    subtotal: int  # the catalog subtotal after the discount, in minor units of ``currency``
    low: int | None
    high: int | None
    currency: str
    inclusive: bool
    tolerance: int


def _note(ctx: CheckContext, text: str) -> None:
    notes: list[str] = ctx.notes.setdefault("pricing", [])
    if text not in notes and len(notes) < _MAX_NOTES:
        notes.append(text)


def _money(amount: int, currency: str) -> str:
    exponent = minor_unit_exponent(currency)
    return f"{amount} ({amount / 10**exponent:,.{exponent}f} {currency})"


def _codes(request: dict[str, Any], fx: Fixtures) -> list[Discount]:
    codes = request.get("discount_codes")
    sent = codes if isinstance(codes, list) else [request.get("discount_code")]
    found = [fx.discount(c) for c in dict.fromkeys(c for c in sent if isinstance(c, str))]
    return [d for d in found if d is not None]


def _after_discounts(subtotal: int, discounts: list[Discount]) -> tuple[int, int]:
    """Return the lowest and highest plausible subtotal after the discounts (one: exact; stacked: a range)."""
    if not discounts:
        return subtotal, subtotal
    if len(discounts) == 1:
        after = discounts[0].apply(subtotal)
        return after, after
    # Stacked codes: each off the original (the most taken off) .. only the smallest one applied (the least).
    reductions = [subtotal - d.apply(subtotal) for d in discounts]
    return max(subtotal - sum(reductions), 0), subtotal - min(reductions)


def pricing_bounds(request: Any, fx: Fixtures, settings: ContractSettings) -> Bounds | str | None:
    """Return the bounds of a request's total, a note saying why it is not judged, or None (not a catalog cart)."""
    cart = request.get("product_cart") if isinstance(request, dict) else None
    if not isinstance(cart, list) or not cart:
        return None
    totals = [fx.line_total(item) for item in cart]
    if None in totals:
        return None
    currency = fx.cart_currency(cart)
    if currency is None:
        return "a cart of products in several currencies is not judged by the single-currency pricing relations"
    billing = request.get("billing_currency")
    if isinstance(billing, str) and billing != currency:
        return (
            f"billing_currency {billing} differs from the catalog currency {currency} of the cart (adaptive "
            "pricing converts it): not judged by the single-currency pricing relations"
        )
    subtotal = sum(t for t in totals if t is not None)
    low_after, high_after = _after_discounts(subtotal, _codes(request, fx))
    lines = sum(1 for item in cart if isinstance(item, dict) and item.get("quantity"))
    tolerance = settings.rounding_per_line * (lines + 1)
    products = [fx.product(str(item.get("product_id"))) for item in cart if isinstance(item, dict)]
    inclusive = all(p is not None and p.tax == "inclusive" for p in products)
    high: int | None = int(high_after * (1.0 if inclusive else settings.tax_ceiling)) + tolerance
    low: int | None = max(low_after - tolerance, 0)
    if request.get("tax_id") is not None:
        low = None
    if low_after < fx.minimum_charge(currency, settings.minimum_charge):
        high = None
    return Bounds(low_after, low, high, currency, inclusive, tolerance)


def _unit_hint(total: int, bounds: Bounds) -> str:
    """Say which power of ten would put ``total`` inside the bounds (minor and major units confused)."""
    for power in (1, 2, 3, -1, -2, -3):
        scaled = total * 10**power if power > 0 else total / 10**-power
        if (bounds.low is None or scaled >= bounds.low) and (bounds.high is None or scaled <= bounds.high):
            exponent = minor_unit_exponent(bounds.currency)
            return (
                f"; {'times' if power > 0 else 'divided by'} {10 ** abs(power)} it would fit: are major and minor "
                f"units confused? ({bounds.currency} has {exponent} decimal{'s' if exponent != 1 else ''})"
            )
    return ""


def _total(obs: Observation) -> int | None:
    total = obs.body.get("total_amount") if isinstance(obs.body, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def total_at_least_subtotal(total: int, bounds: Bounds, ctx: CheckContext) -> list[Violation]:
    """The total is at least the catalog subtotal after discount, less the rounding tolerance."""
    if bounds.low is None or total >= bounds.low:
        return []
    return _v(
        "/total_amount",
        "pricing.total_at_least_subtotal",
        "minimum",
        f"total_amount {_money(total, bounds.currency)} is below the catalog subtotal after discount "
        f"{_money(bounds.subtotal, bounds.currency)}{_unit_hint(total, bounds)}",
    )


def total_within_tax_ceiling(total: int, bounds: Bounds, ctx: CheckContext) -> list[Violation]:
    """The total is at most the subtotal after discount x the tax ceiling (x 1 for tax-inclusive prices)."""
    if bounds.high is None or total <= bounds.high:
        return []
    sub, cur = bounds.subtotal, bounds.currency
    what = (
        f"the tax-inclusive catalog subtotal after discount {_money(sub, cur)}"
        if bounds.inclusive
        else f"the catalog subtotal after discount {_money(sub, cur)} x the tax ceiling {ctx.settings.tax_ceiling:g}"
    )
    return _v(
        "/total_amount",
        "pricing.total_within_tax_ceiling",
        "maximum",
        f"total_amount {_money(total, cur)} is above {what} (at most {bounds.high}){_unit_hint(total, bounds)}",
    )


def total_amount_plausible(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200's ``total_amount`` lies between the catalog subtotal after discount and that times the tax ceiling."""
    total = _total(obs)
    if obs.status != 200 or total is None:
        return []  # a missing or non-integer total is response_schema_conformance's finding
    bounds = pricing_bounds(obs.request, ctx.fixtures, ctx.settings)
    if bounds is None:
        return []
    if isinstance(bounds, str):
        _note(ctx, bounds)
        return []
    if bounds.low is None:
        _note(ctx, "a request with a tax_id is not held to the lower bound (a reverse charge may remove the tax)")
    if bounds.high is None:
        _note(ctx, "a cart below the minimum charge is not held to the upper bound (it may be raised to it)")
    return total_at_least_subtotal(total, bounds, ctx) or total_within_tax_ceiling(total, bounds, ctx)


@dataclass(frozen=True, slots=True)
class _Pair:
    first: int  # the base answer's total
    second: int  # the variant's
    currency: str
    tolerance: int
    discount: Discount | None
    ceiling: float


def _doubles(pair: _Pair, rule: str, what: str) -> list[Violation]:
    if abs(pair.second - 2 * pair.first) <= pair.tolerance:
        return []
    cur = pair.currency
    return _v(
        "/total_amount",
        rule,
        "const",
        f"{what} costs {_money(pair.second, cur)}, but the same cart once cost {_money(pair.first, cur)}: "
        f"expected twice that, {_money(2 * pair.first, cur)}, within {pair.tolerance}",
    )


def quantity_linear(pair: _Pair) -> list[Violation]:
    """The same cart with twice the quantities costs twice as much, within rounding."""
    return _doubles(pair, "pricing.quantity_linear", "twice the quantity")


def pwyw_amount_used(pair: _Pair) -> list[Violation]:
    """A pay-what-you-want line at twice the amount costs twice as much: the amount sent is what is charged."""
    return _doubles(pair, "pricing.pwyw_amount_used", "twice the pay-what-you-want amount")


def _reduction(pair: _Pair, rule: str, low: float, high: float, what: str) -> list[Violation]:
    off, cur = pair.first - pair.second, pair.currency
    if low <= off <= high or pair.discount is None:
        return []
    return _v(
        "/total_amount",
        rule,
        "const",
        f"code {pair.discount.code!r} took {_money(off, cur)} off ({_money(pair.first, cur)} -> "
        f"{_money(pair.second, cur)}); expected {what}: {max(low, 0):.0f}..{high:.0f}",
    )


def percentage_discount_share(pair: _Pair) -> list[Violation]:
    """A percentage code takes that share of the pre-tax amount off (the total / ceiling .. the total)."""
    share = (pair.discount.percentage if pair.discount else 0) / 100
    low, high = share * pair.first / pair.ceiling - pair.tolerance, share * pair.first + pair.tolerance
    what = f"{share:.0%} of the pre-tax amount"
    return _reduction(pair, "pricing.percentage_discount_share", low, high, what)


def flat_discount_amount(pair: _Pair) -> list[Violation]:
    """A flat code takes off at least its amount and at most the amount x the tax ceiling."""
    amount = (pair.discount.amount or 0) if pair.discount else 0
    low, high = amount - pair.tolerance, amount * pair.ceiling + pair.tolerance
    what = f"its amount {_money(amount, pair.currency)}, at most with tax on top"
    return _reduction(pair, "pricing.flat_discount_amount", low, high, what)


_RELATIONS = {
    "pricing.quantity_linear": quantity_linear,
    "pricing.percentage_discount_share": percentage_discount_share,
    "pricing.flat_discount_amount": flat_discount_amount,
    "pricing.pwyw_amount_used": pwyw_amount_used,
}
assert tuple(_RELATIONS) == PAIR_RULES


def pricing_relations_hold(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """The second answer of a pricing pair relates to the first as its rule says (quantity, discount, PWYW).

    The first answer of a pair is kept in ``ctx.pricing`` until the second is judged (answers are judged in
    plan order, so this holds whatever the concurrency).
    """
    if obs.kind != "pricing" or not obs.pair or obs.rule not in _RELATIONS:
        return []
    if obs.role == "base":
        if obs.status == 200 and _total(obs) is not None:
            ctx.pricing[obs.pair] = obs
        return []
    base = ctx.pricing.pop(obs.pair, None)
    first, second = (_total(base) if base is not None else None), _total(obs)
    if obs.status != 200 or first is None or second is None:
        _note(ctx, f"{obs.rule} ({obs.pair}): not judged, one of its two requests did not get a 200 with a total")
        return []
    bounds = pricing_bounds(obs.request, ctx.fixtures, ctx.settings)
    if not isinstance(bounds, Bounds):
        return []
    discounts = _codes(obs.request, ctx.fixtures)
    pair = _Pair(first, second, bounds.currency, 2 * bounds.tolerance, discounts[0] if discounts else None,
                 ctx.settings.tax_ceiling)  # fmt: skip
    return _RELATIONS[obs.rule](pair)
