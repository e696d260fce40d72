"""Plan the business-invalid requests of a payments run: schema-valid variants that each break one business rule.

Unknown ids are synthetic (derived from the seed, never in the fixtures); account settings are only tested when the
fixtures declare them, and long lists are sent a window at a time, moving with the seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract, get_contract
from ..validation.validator import validate_request

__all__ = ["BUSINESS_SAMPLE", "CURRENCY_SAMPLE", "business_requests", "rotating_sample"]

BUSINESS_SAMPLE = 8  # unsupported countries a run sends at most (a window moving with the seed beyond that)
CURRENCY_SAMPLE = 3  # unsupported billing currencies a run sends


def rotating_sample(values: Sequence[str], size: int, seed: int) -> list[str]:
    """Return ``size`` of ``values`` (all of them when there are no more), a window that moves with ``seed``.

    Seed s starts at index ``s * size`` (wrapping), so the seeds 0 .. ceil(len / size) - 1 cover every value.
    """
    if len(values) <= size:
        return list(values)
    start = seed * size % len(values)
    return [values[(start + i) % len(values)] for i in range(size)]


def _unknown_tax_id(known: Sequence[str]) -> str:
    """Return a tax id shaped like the first known one (same prefix and length), but not among them."""
    taken = {k.casefold() for k in known}
    base = known[0]
    for shift in range(1, 10):
        candidate = "".join(str((int(c) + shift) % 10) if c.isdigit() else c for c in base)
        if candidate.casefold() not in taken and candidate != base:
            return candidate
    return _unknown(base + "9", taken)


def business_requests(
    base: Any,
    fixtures: Fixtures,
    *,
    seed: int,
    contract: Contract | None = None,
    tax_ids_validated: bool = True,
    codes_validated: bool = True,
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Return (rule, pointer, label, request) variants of a canonical request that each break one business rule.

    Each stays schema-valid and breaks a rule the fixtures make checkable: unknown ids are synthetic (derived from
    ``seed``, never in the fixtures); account settings (currencies, countries, payment methods, tax ids) are only
    tested when the fixtures declare them. Every declared unsupported country is sent when there are at most
    ``BUSINESS_SAMPLE`` of them, else a window of that many moving with the seed (seeds 0..ceil(n / 8) - 1 cover
    them all); unsupported currencies likewise, ``CURRENCY_SAMPLE`` a run (EUR, GBP, JPY first). A tax id shaped
    like the first declared one but not in the list is sent unless ``tax_ids_validated`` is off, and an unknown
    discount code unless ``codes_validated`` (``ContractSettings.discount_codes_validated``) is off.
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    fx, contract = fixtures, get_contract(contract)
    tag = hashlib.sha256(f"dodo-contract:{seed}".encode()).hexdigest()[:10]
    item = {k: v for k, v in base["product_cart"][0].items() if k in ("product_id", "quantity")}
    out: list[tuple[str, str, str, dict[str, Any]]] = []

    def add(rule: str, pointer: str, label: str, request: dict[str, Any]) -> None:
        out.append((rule, pointer, label, {**base, **request}))

    product = _unknown("prod_dodo_contract_unknown_" + tag, {p.id for p in fx.products})
    cart = [{**item, "product_id": product}]
    add(
        "business.unknown_product",
        "/product_cart/0/product_id",
        f"unknown product_id {product!r}",
        {"product_cart": cart},
    )
    customer = _unknown("cus_dodo_contract_unknown_" + tag, {c.id for c in fx.customers})
    add(
        "business.unknown_customer",
        "/customer/customer_id",
        f"unknown customer_id {customer!r}",
        {"customer": {"customer_id": customer}},
    )
    code = _unknown("DODO_CONTRACT_UNKNOWN_" + tag.upper(), {d.code.casefold() for d in fx.discounts})
    if codes_validated:
        label = f"unknown discount_code {code!r}"
        add("business.unknown_discount_code", "/discount_code", label, {"discount_code": code})
    pwyw = next((p for p in fx.products if p.pay_what_you_want), None)
    if pwyw is not None:
        cart = [{"product_id": pwyw.id, "quantity": 1}]
        add(
            "business.pwyw_amount_missing",
            "/product_cart/0",
            f"pay-what-you-want product {pwyw.id!r} without amount",
            {"product_cart": cart},
        )
    floor = next((p for p in fx.products if p.pay_what_you_want and p.min_amount > 0), None)
    if floor is not None:
        cart = [{"product_id": floor.id, "quantity": 1, "amount": floor.min_amount - 1}]
        add(
            "business.pwyw_amount_below_minimum",
            "/product_cart/0/amount",
            f"amount {floor.min_amount - 1} below the minimum {floor.min_amount} of {floor.id!r}",
            {"product_cart": cart},
        )
    if fx.customers:
        owner = fx.customers[0]
        # Another customer's real method is the likelier bug (only existence checked); else a made-up one.
        others = [m for c in fx.customers[1:] for m in c.payment_method_ids if m not in owner.payment_method_ids]
        method = others[0] if others else _unknown("pm_dodo_contract_unknown_" + tag, set(owner.payment_method_ids))
        add(
            "business.foreign_payment_method",
            "/payment_method_id",
            f"payment_method_id {method!r} does not belong to customer {owner.id!r}",
            {"customer": {"customer_id": owner.id}, "payment_method_id": method},
        )
    if "unsupported_countries" in fx.declared:
        for country in rotating_sample(fx.unsupported_countries, BUSINESS_SAMPLE, seed):
            add(
                "business.unsupported_country",
                "/billing/country",
                f"billing.country {country} is unsupported",
                {"billing": {**base["billing"], "country": country}},
            )
    if "billing_currencies" in fx.declared:
        codes, avoid = contract.currencies, set(fx.billing_currencies) | {p.currency for p in fx.products}
        common = [c for c in ("EUR", "GBP", "JPY") if c in codes]
        unsupported = [c for c in dict.fromkeys((*common, *codes)) if c not in avoid]
        for currency in rotating_sample(unsupported, CURRENCY_SAMPLE, seed):
            add(
                "business.unsupported_currency",
                "/billing_currency",
                f"billing_currency {currency} is not a billing currency",
                {"billing_currency": currency},
            )
    if "tax_ids" in fx.declared and fx.tax_ids and tax_ids_validated:
        tax_id = _unknown_tax_id(fx.tax_ids)
        add("business.unknown_tax_id", "/tax_id", f"tax_id {tax_id!r} is not one of the fixtures' tax ids",
            {"tax_id": tax_id})  # fmt: skip
    disabled = [m for m in contract.payment_method_types if m not in fx.enabled_payment_methods]
    if "enabled_payment_methods" in fx.declared and disabled:
        add(
            "business.no_eligible_payment_method",
            "/allowed_payment_method_types",
            f"allowed_payment_method_types [{disabled[0]!r}] is not enabled",
            {"allowed_payment_method_types": disabled[:1]},
        )
    return [case for case in out if validate_request(case[3], spec_version=contract).ok]


def _unknown(candidate: str, taken: set[str]) -> str:
    while candidate in taken or candidate.casefold() in taken:
        candidate += "_x"
    return candidate
