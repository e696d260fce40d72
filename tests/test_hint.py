"""The hint of a failed run judged by the default version: only when every violation is a version difference."""

from __future__ import annotations

import pytest

from dodo_contract import check_implementation, get_contract
from dodo_contract.engine._hint import differing_rules, hint_message, version_hint
from dodo_contract.engine.outcome import Exchange, Finding
from dodo_contract.errors import Violation
from dodo_contract.mock.app import create_app

KEY = "sk_test_hint_0123456789abcdef"
BASE = {
    "product_cart": [{"product_id": "prod_basic", "quantity": 1}],
    "customer": {"email": "a@example.com"},
    "billing": {"country": "US"},
}


def test_the_differing_rules_are_what_spec_drift_lists_for_this_endpoint() -> None:
    differ = differing_rules("1.86.0", "1.113.0")
    # SPEC_DRIFT.md 2-5: the new request fields and their prose rules, Metadata widened, satispay, discount_ids.
    assert {
        "discount_codes.maxItems",
        "discount_codes.exclusive_with_discount_code",
        "customer.phone_number_required",
        "require_phone_number.type",
        "adaptive_currency_fees_inclusive.type",
        "customer_business_name.type",
        "metadata.value.type",
        "allowed_payment_method_types.items.enum",
        "response.discount_ids.type",
        "response.discount_id.first_of_discount_ids",
        "response.metadata.value.type",
    } <= differ
    # ... and nothing of what SPEC_DRIFT.md 1 says is unchanged.
    for same in ("billing.country.enum", "product_cart.items.quantity.minimum", "metadata.key.maxLength",
                 "product_cart.maxItems", "response.client_secret.required", "error.code.type"):  # fmt: skip
        assert same not in differ, same


def _finding(check: str, rule: str, request: object, body: object = None) -> Finding:
    exchange = Exchange("POST", "http://x/payments", {}, request, 200 if body is not None else 422, {}, body)
    return Finding(check, Violation("", rule, "status", "m"), exchange)


def test_a_finding_concerns_the_versions_only_when_the_older_one_would_judge_it_the_other_way() -> None:
    latest = get_contract()
    numeric = {**BASE, "metadata": {"n": 5}}
    refused_numeric = _finding("valid_request_accepted", "valid.rejected_as_invalid", numeric)
    accepted_21 = _finding(
        "invalid_request_rejected", "discount_codes.maxItems", {**BASE, "discount_codes": ["A"] * 21}
    )
    accepted_null_meta = _finding("invalid_request_rejected", "metadata.value.type", {**BASE, "metadata": {"n": None}})
    refused_plain = _finding("valid_request_accepted", "valid.rejected_as_invalid", BASE)
    hint = hint_message("1.86.0", "1.113.0")
    assert version_hint([refused_numeric, accepted_21], latest, chosen=False) == hint
    assert version_hint([refused_numeric, accepted_21], latest, chosen=True) is None  # the user chose a version
    # metadata.value.type differs between the versions, but null is invalid in both: a real break
    assert version_hint([refused_numeric, accepted_null_meta], latest, chosen=False) is None
    assert version_hint([refused_numeric, refused_plain], latest, chosen=False) is None
    assert version_hint([], latest, chosen=False) is None


@pytest.mark.parametrize(
    ("mock_version", "fault", "hinted"),
    [
        ("1.86.0", None, True),  # a faithful 1.86.0 server
        ("1.113.0", "missing_client_secret", False),  # a real break, in both versions
        ("1.113.0", "refuse_satispay", False),  # looks like 1.86.0, but the server took numeric metadata
        ("1.113.0", "accept_21_discount_codes", False),  # ... and answered discount_ids
    ],
)
def test_the_mock_judged_by_the_default(mock_version: str, fault: str | None, hinted: bool) -> None:
    app = create_app(api_key=KEY, seed=1, spec_version=mock_version, fault=fault)
    run = check_implementation(app=app, api_key=KEY, seed=1, max_examples=30)
    assert run.verdict == "failed"
    assert run.spec_version == "1.113.0"
    assert (run.spec_hint == hint_message("1.86.0", "1.113.0")) is hinted, [str(f) for f in run.violations]


def test_the_1_86_0_mock_judged_by_its_version_passes_clean() -> None:
    app = create_app(api_key=KEY, seed=1, spec_version="1.86.0")
    run = check_implementation(app=app, api_key=KEY, seed=1, max_examples=30, spec_version="1.86.0")
    assert [str(f) for f in run.violations] == []
    assert run.verdict == "passed"
    assert run.spec_hint is None
