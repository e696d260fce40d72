"""The engine against the independent Checkout Sessions implementation (``tests/independent_checkouts.py``).

Faithful, with its switches (tax on top or none, extra fields, explicit nulls or absent fields), for both spec
versions and three seeds: zero violations, the four Checkout Sessions checks each judged something, and the key
in no output. Broken, each of its ``BREAKS``: caught by the check named for it. The breaks that accept an invalid
request are judged together in one run per version (each breaks a different rule, so each rule found is that
break caught); the others one at a time, with only the check that must catch them (so only what it judges is
planned and sent). The CLI and the plugin are proved in ``test_frontends_checkouts.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dodo_contract import check_implementation
from dodo_contract.contract.fixtures import default_catalog_text
from tests.independent_checkouts import BREAKS, create_app

KEY = "sk_test_independent_checkouts_0123456789"
CATALOG: dict[str, Any] = json.loads(default_catalog_text())
VERSIONS = ("1.86.0", "1.113.0")
NEW_CHECKS = ("session_shape", "checkout_url_null_iff_payment_method", "session_round_trip", "preview_arithmetic")


def _run(app: Any, version: str, **kw: Any) -> Any:
    options = {"seed": 7, "max_examples": 10, **kw}
    return check_implementation(app=app, api_key=KEY, fixtures=CATALOG, spec_version=version, operation="checkouts",
                                **options)  # fmt: skip


@pytest.mark.parametrize(
    ("version", "seed", "switches"),
    [
        ("1.113.0", 1, {}),
        ("1.113.0", 2, {"tax_rate": 0.0, "extras": False, "nulls": False}),
        ("1.86.0", 3, {"tax_rate": 0.27, "nulls": False}),
    ],
)
def test_the_faithful_implementation_passes_with_zero_violations(version: str, seed: int, switches: Any) -> None:
    run = _run(create_app(CATALOG, KEY, version=version, **switches), version, seed=seed)
    assert [f"{f} ({f.label})" for f in run.violations] == []
    assert run.verdict == "passed", run.errors
    for name in NEW_CHECKS:
        assert run.stats["cases_per_check"][name] > 0, name
    assert KEY not in json.dumps(run.to_dict())


# Each break that accepts an invalid request, and the rule it lets through.
ACCEPTS_INVALID = {
    "confirm_without_billing_ok": "billing_address.confirm_requires_full_address",
    "custom_fields_unbounded": "custom_fields.maxItems",
    "dropdown_without_options_ok": "custom_fields.items.options.required_for_dropdown",
    "trial_days_unbounded": "subscription_data.trial_period_days.maximum",
    "quantity_zero_ok": "product_cart.items.quantity.minimum",
    "cart_unbounded": "product_cart.maxItems",
    "payment_method_without_confirm_ok": "payment_method_id.requires_confirm",
    "tax_id_without_billing_ok": "tax_id.requires_billing_country",
    "discount_codes_unbounded": "discount_codes.maxItems",
    "discount_code_and_codes_ok": "discount_codes.exclusive_with_discount_code",
    "phone_collection_ignored": "feature_flags.require_phone_number_needs_collection",
}
# The others: (the checks to run, the check and rule that must catch it).
CAUGHT_BY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "session_id_renamed": (("session_shape",), "session_shape", "session.session_id.required"),
    "checkout_url_with_payment_method": (("checkout_url_null_iff_payment_method",),
                                         "checkout_url_null_iff_payment_method",
                                         "session.checkout_url_null_with_payment_method"),
    "checkout_url_null": (("checkout_url_null_iff_payment_method",), "checkout_url_null_iff_payment_method",
                          "session.checkout_url_present"),
    "get_404_for_fresh_session": (("session_round_trip",), "session_round_trip", "round_trip.id_resolves"),
    "payment_id_before_payment": (("session_round_trip",), "session_round_trip",
                                  "round_trip.payment_id_null_before_payment"),
    "created_at_in_future": (("session_round_trip",), "session_round_trip", "round_trip.created_at_not_in_future"),
    "unknown_session_200": (("session_round_trip",), "session_round_trip", "round_trip.unknown_id_not_found"),
    "preview_discount_not_subtracted": (("preview_arithmetic",), "preview_arithmetic", "preview.breakup_adds_up"),
    "preview_ignores_quantity": (("preview_arithmetic",), "preview_arithmetic", "preview.total_at_least_subtotal"),
    "preview_total_price_stale": (("preview_arithmetic",), "preview_arithmetic", "preview.total_price_agrees"),
    "unknown_product_ok": (("business_rules_enforced",), "business_rules_enforced", "business.unknown_product"),
    "auth_optional_on_get": (("auth_required",), "auth_required", "auth.missing_key"),
    "crash_on_subscription_preview": (("no_server_error", "preview_arithmetic"), "no_server_error",
                                      "status.server_error"),
}  # fmt: skip


def test_every_break_is_named_here() -> None:
    for version in VERSIONS:
        assert set(BREAKS[version]) <= set(ACCEPTS_INVALID) | set(CAUGHT_BY), version


@pytest.mark.parametrize("version", VERSIONS)
def test_every_break_that_accepts_an_invalid_request_is_caught(version: str) -> None:
    breaks = [b for b in ACCEPTS_INVALID if b in BREAKS[version]]
    app = create_app(CATALOG, KEY, version=version, breaks=breaks)
    run = _run(app, version, max_examples=0, checks=["invalid_request_rejected"], max_failures=1000)
    found = {f.rule for f in run.violations if f.check == "invalid_request_rejected"}
    assert {ACCEPTS_INVALID[b] for b in breaks} <= found
    assert KEY not in json.dumps(run.to_dict())


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_every_other_break_is_caught_by_its_check(name: str) -> None:
    checks, check, rule = CAUGHT_BY[name]
    run = _run(create_app(CATALOG, KEY, breaks=[name]), "1.113.0", max_examples=5, checks=list(checks))
    assert run.verdict == "failed"
    assert (check, rule) in {(f.check, f.rule) for f in run.violations}
    assert KEY not in json.dumps(run.to_dict())
