"""Hand-written breakers of the cross-field prose rules: the only invalid cases not derived from schema keywords.

Each named rule of ``contract/crossfield.py`` that binds a request or response gets its classes here: a small
function that turns a (cleaned) valid payload into one that breaks just that rule. ``TRIGGERS`` lists the fields
each rule reads, which the case builder drops from a base before breaking any other rule (a leftover
``payment_method_id`` would otherwise add the attach-form rule to anything done to the customer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ._mutators import Payload

__all__ = ["CROSS_FIELD_CASES", "TRIGGERS", "Breaker", "Stock"]


@dataclass(frozen=True, slots=True)
class Stock:
    """Ids the fixtures offer, so a broken request differs from a valid one in the broken rule alone."""

    payment_method_ids: tuple[str, ...]
    discount_codes: tuple[str, ...]
    owners: tuple[tuple[str, str], ...] = (("cus_placeholder", "pm_example"),)  # (customer id, its method id)
    tax_ids: tuple[str, ...] = ("DE123456789",)


# A breaker changes the payload in place; one that breaks a list item returns its pointer (else None).
Breaker = Callable[[Payload, Stock, int], str | None]

TRIGGERS: Mapping[str, tuple[str, ...]] = {
    "payment_method_requires_customer_id": ("payment_method_id",),
    "discount_codes_exclusive": ("discount_code", "discount_codes"),
    "phone_number_required": ("require_phone_number",),
    "discount_id_is_first": ("discount_id", "discount_ids"),
}

_NEW = {"email": "jane.doe@example.com", "name": "Jane Doe"}


def _pick(options: Sequence[str], where: int) -> str:
    return options[where % len(options)]


def _method_with_new_customer(phone: bool) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        p["customer"] = {**_NEW, **({"phone_number": "+14155550123"} if phone else {})}
        p["payment_method_id"] = _pick(stock.payment_method_ids, where)

    return breaker


def _both_codes(same: bool) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        first = _pick(stock.discount_codes, where)
        second = first if same or len(stock.discount_codes) < 2 else _pick(stock.discount_codes, where + 1)
        p["discount_code"] = first
        p["discount_codes"] = [second]

    return breaker


def _phone_missing(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        p["require_phone_number"] = True
        customer = {**_NEW, **({"phone_number": None} if how == "null" else {})}
        p["customer"] = customer
        p.pop("payment_method_id", None)  # a saved method would need the attach form
        if how == "payment_link false":
            p["payment_link"] = False
        elif p.get("payment_link") is True:
            p.pop("payment_link")

    return breaker


def _discount_id_not_first(empty: bool) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        if empty:
            p["discount_ids"], p["discount_id"] = [], "dsc_first"
        else:
            p["discount_ids"], p["discount_id"] = ["dsc_first", "dsc_second"], "dsc_second"

    return breaker


CROSS_FIELD_CASES: Mapping[str, tuple[tuple[str, Breaker], ...]] = {
    "payment_method_requires_customer_id": (
        ("a new customer", _method_with_new_customer(phone=False)),
        ("a new customer with a phone", _method_with_new_customer(phone=True)),
    ),
    "discount_codes_exclusive": (
        ("the same code in both", _both_codes(same=True)),
        ("different codes", _both_codes(same=False)),
    ),
    "phone_number_required": (
        ("no phone_number", _phone_missing("missing")),
        ("phone_number null", _phone_missing("null")),
        ("payment_link false", _phone_missing("payment_link false")),
    ),
    "discount_id_is_first": (
        ("the second id", _discount_id_not_first(empty=False)),
        ("an empty list", _discount_id_not_first(empty=True)),
    ),
}
