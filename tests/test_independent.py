"""The engine against an implementation written apart from ours: faithful passes clean, each break is caught."""

from __future__ import annotations

import inspect
import json

import pytest

from dodo_contract import check_implementation
from tests.independent_impl import BREAKS, create_app

KEY = "sk_test_independent_0123456789"
CATALOG = {
    "products": [
        {"id": "sku_shirt", "price": 2500, "currency": "USD", "tax": "exclusive"},
        {"id": "sku_tip", "price": 300, "currency": "USD", "pay_what_you_want": True, "min_amount": 50},
        {"id": "sku_book", "price": 79900, "currency": "INR", "tax": "inclusive"},
        {"id": "sku_tea", "price": 1200, "currency": "JPY"},
    ],
    "customers": [{"id": "cus_1", "email": "one@example.com", "name": "One", "payment_method_ids": ["pm_1"]}],
    "discount_codes": [
        "WELCOME",
        {"code": "HALF", "id": "dsc_half", "percentage": 50},
        {"code": "FIVE", "amount": 500},
    ],
    "tax_ids": ["DE999999999"],
    "billing_currencies": ["USD", "INR"],
    "unsupported_countries": ["KP", "IR"],
    "enabled_payment_methods": ["credit", "debit", "upi_collect"],
}


VERSIONED = "spec_version" in inspect.signature(check_implementation).parameters


@pytest.mark.parametrize("version", ["1.86.0", "1.113.0"])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_faithful_independent_implementation_passes_with_zero_violations(version: str, seed: int) -> None:
    if version != "1.113.0" and not VERSIONED:
        pytest.skip("judging a 1.86.0 server needs the engine's spec_version (the latest sends numeric metadata)")
    app = create_app(CATALOG, KEY, version=version)
    extra = {"spec_version": version} if VERSIONED else {}
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=seed, max_examples=150, **extra)
    assert [str(f) for f in run.violations] == []
    assert run.verdict == "passed", run.errors
    assert run.stats["cases_per_check"]["pricing_relations_hold"] >= 4  # tax on top did not hide the relations
    assert KEY not in json.dumps(run.to_dict())


PRICING = "total_amount_plausible pricing_relations_hold"
# The checks one of which must catch each break of the meaning (the older breaks: any finding will do).
CAUGHT_BY = {
    "ignores_quantity": PRICING,
    "discount_forgotten": PRICING,
    "discount_doubled": PRICING,
    "pwyw_list_price": PRICING,
    "rupees_for_paise": "total_amount_plausible",
    "request_name_for_existing_customer": "request_values_reflected",
    "names_truncated": "request_values_reflected",
    "metadata_leaks": "request_values_reflected",
    "discount_id_without_code": "request_values_reflected",
    "first_country_only": "business_rules_enforced",
    "any_tax_id": "business_rules_enforced",
    "unknown_customer_404": "business_rules_enforced",
    "unknown_customer_code": "error_code_matches_cause",
    "schema_error_business_code": "error_code_matches_cause",
    "key_prefix_only": "auth_required",
    "bom": "response_json_strict",
}


@pytest.mark.parametrize("broken", BREAKS)
def test_each_realistic_break_is_caught(broken: str) -> None:
    app = create_app(CATALOG, KEY, breaks=frozenset({broken}))
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=11)
    assert run.verdict == "failed", (broken, run.errors)
    assert run.violations
    if broken in CAUGHT_BY:
        assert set(CAUGHT_BY[broken].split()) & {f.check for f in run.violations}, [str(f) for f in run.violations]
