"""The engine against an implementation written apart from ours: faithful passes clean, each break is caught."""

from __future__ import annotations

import json

import pytest

from dodo_contract import check_implementation
from tests.independent_impl import BREAKS, create_app

KEY = "sk_test_independent_0123456789"
CATALOG = {
    "products": [
        {"id": "sku_shirt", "price": 2500, "currency": "USD"},
        {"id": "sku_tip", "price": 0, "currency": "USD", "pay_what_you_want": True, "min_amount": 50},
        {"id": "sku_book", "price": 79900, "currency": "INR"},
    ],
    "customers": [{"id": "cus_1", "email": "one@example.com", "name": "One", "payment_method_ids": ["pm_1"]}],
    "discount_codes": ["WELCOME"],
    "tax_ids": ["DE999999999"],
    "billing_currencies": ["USD", "INR"],
    "unsupported_countries": ["KP", "IR"],
    "enabled_payment_methods": ["credit", "debit", "upi_collect"],
}


def test_a_faithful_independent_implementation_passes_with_zero_violations() -> None:
    run = check_implementation(app=create_app(CATALOG, KEY), api_key=KEY, fixtures=CATALOG, seed=11, max_examples=150)
    assert [str(f) for f in run.violations] == []
    assert run.verdict == "passed", run.errors
    assert KEY not in json.dumps(run.to_dict())


@pytest.mark.parametrize("broken", BREAKS)
def test_each_realistic_break_is_caught(broken: str) -> None:
    app = create_app(CATALOG, KEY, breaks=frozenset({broken}))
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=11)
    assert run.verdict == "failed", (broken, run.errors)
    assert run.violations
