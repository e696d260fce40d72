"""The paired requests of the pricing oracle: two carts whose totals a correct server must relate.

An exact expected total is wrong (Dodo may add tax on top of a price or include it, and rounds), but relations
between two answers hold whatever the tax: twice the quantities cost twice as much; a percentage code takes that
share off; a flat code takes off at least its amount (and at most the amount with tax); a pay-what-you-want line
costs what was sent, so twice the amount costs twice as much. Each pair is (base, variant), sent one after the
other and judged together (``checks._pricing``). At most ``MAX_PRICING_REQUESTS`` requests a run: one quantity
pair per catalog currency (at most three: the currencies with another minor-unit exponent first, then in catalog
order), one pair per kind of discount, one pay-what-you-want pair. Deterministic: the same fixtures give the same
pairs. A relation the fixtures give nothing to judge with is listed in the notes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract.fixtures import Fixtures, Product
from ..contract.money import minor_unit_exponent
from ._pools import INT32_MAX, Payload

__all__ = ["MAX_PRICING_REQUESTS", "PricingCase", "pricing_pairs"]

MAX_PRICING_REQUESTS = 12
_MAX_CURRENCIES = 3
_CEILING_GUARD = 2  # keep twice a total, with tax on top, far inside int32
_MIN_REDUCTION = 200  # minor units a discount must take off at least, to stand clear of rounding


@dataclass(frozen=True, slots=True)
class PricingCase:
    """One request of a pricing pair: ``pair`` names the pair, ``role`` is ``base`` or ``variant``."""

    pair: str
    role: str
    rule: str
    label: str
    payload: Payload


def _request(base: Payload, cart: list[Payload], **extra: Any) -> Payload:
    plain = {k: v for k, v in base.items() if k in ("customer", "billing")}
    return {"product_cart": cart, **plain, **extra}


def _quantity_for(product: Product, at_least: int) -> int | None:
    """Return the smallest quantity whose subtotal reaches ``at_least`` and whose double stays inside int32."""
    if product.price <= 0:
        return None
    quantity = max(1, -(-at_least // product.price))
    if product.price * quantity * 2 * _CEILING_GUARD > INT32_MAX:
        return None
    return quantity


def pricing_pairs(fixtures: Fixtures, base: Payload) -> tuple[list[PricingCase], list[str]]:
    """Return the pricing pairs for ``fixtures``, built on a canonical request ``base``, and notes on what is not."""
    fx = fixtures
    out: list[PricingCase] = []
    notes: list[str] = []
    fixed = [p for p in fx.products if not p.pay_what_you_want and p.price > 0]

    def pair(rule: str, name: str, first: Payload, second: Payload, what: str) -> None:
        if len(out) + 2 > MAX_PRICING_REQUESTS:
            notes.append(f"{rule} ({name}): not sent, the pricing phase is capped at {MAX_PRICING_REQUESTS} requests")
            return
        out.append(PricingCase(name, "base", rule, f"pricing {name}: base", first))
        out.append(PricingCase(name, "variant", rule, f"pricing {name}: {what}", second))

    by_currency: dict[str, Product] = {}
    for product in fixed:
        by_currency.setdefault(product.currency, product)
    # The currencies whose exponent is not 2 (JPY 0, KWD 3) are where minor units go wrong: first.
    chosen = sorted(by_currency.values(), key=lambda p: minor_unit_exponent(p.currency) == 2)[:_MAX_CURRENCIES]
    for product in chosen:
        quantity = _quantity_for(product, 1)
        if quantity is None:
            notes.append(f"pricing.quantity_linear ({product.id}): its price is too high to double inside int32")
            continue
        line = {"product_id": product.id, "quantity": quantity}
        pair(
            "pricing.quantity_linear",
            f"quantity:{product.id}",
            _request(base, [line]),
            _request(base, [{**line, "quantity": 2 * quantity}]),
            f"twice the quantity of {product.id}",
        )
    if not fixed:
        notes.append("pricing.quantity_linear: no fixed-price product in the fixtures")
    main = fixed[0] if fixed else None
    percentage = next((d for d in fx.discounts if not d.flat and 0 < d.percentage < 100), None)
    if percentage is None or main is None:
        notes.append("pricing.percentage_discount_share: no percentage discount (or fixed-price product) to judge")
    else:
        quantity = _quantity_for(main, int(_MIN_REDUCTION * 100 / percentage.percentage) + 1)
        if quantity is not None:
            cart = [{"product_id": main.id, "quantity": quantity}]
            pair(
                "pricing.percentage_discount_share",
                f"percentage:{percentage.code}",
                _request(base, cart),
                _request(base, cart, discount_code=percentage.code),
                f"the same cart with {percentage.code} ({percentage.percentage:g}% off)",
            )
    flat = next((d for d in fx.discounts if d.flat and (d.amount or 0) > 0), None)
    if flat is None or main is None or flat.amount is None:
        notes.append("pricing.flat_discount_amount: no flat discount (or fixed-price product) to judge")
    else:
        # Well above the amount, so the code's whole amount comes off (no clamp at zero, no minimum charge).
        quantity = _quantity_for(main, 3 * flat.amount + _MIN_REDUCTION)
        if quantity is not None:
            cart = [{"product_id": main.id, "quantity": quantity}]
            pair(
                "pricing.flat_discount_amount",
                f"flat:{flat.code}",
                _request(base, cart),
                _request(base, cart, discount_code=flat.code),
                f"the same cart with {flat.code} ({flat.amount} off, in {main.currency} minor units)",
            )
    pwyw = next((p for p in fx.products if p.pay_what_you_want), None)
    if pwyw is None:
        notes.append("pricing.pwyw_amount_used: no pay-what-you-want product in the fixtures")
    else:
        amount = max(pwyw.min_amount, 1000) + 37  # an odd amount, unlike any list price
        if amount in (pwyw.price, 2 * pwyw.price):
            amount += 1
        line = {"product_id": pwyw.id, "quantity": 1, "amount": amount}
        pair(
            "pricing.pwyw_amount_used",
            f"pwyw:{pwyw.id}",
            _request(base, [line]),
            _request(base, [{**line, "amount": 2 * amount}]),
            f"{pwyw.id} at twice the amount ({2 * amount})",
        )
    return out, notes
