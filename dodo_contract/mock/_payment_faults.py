"""The fault modes of payments (``POST /payments``): shape, validation, business, status, reflection, auth, time.

The catalogue of ``faults.FAULTS`` before the meaning faults (``_meaning_faults``) and the Checkout Sessions
ones (``_checkout_faults``); ``faults`` says what a fault's switches mean.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ..contract.versions import Contract
from ._fault import Fault
from ._fault_hooks import (
    INTERMITTENT_EVERY,
    TRUNCATE_EVERY,
    _auth_403,
    _business_error_as,
    _crash_on_non_ascii,
    _discount_id_last,
    _drop,
    _drop_each,
    _drop_last_item,
    _every,
    _expired,
    _intermittent_500,
    _name_null,
    _no_link,
    _placeholder_email,
    _refuse_existing_customer,
    _refuse_multi_line_carts,
    _refuse_nulls,
    _refuse_numeric_metadata,
    _refuse_quantity_zero,
    _refuse_satispay,
    _rules,
    _schema_error_as,
    _set,
    _status_201,
    _text_plain,
    _truncate,
    _upper_country,
    _wrong_shape,
)

__all__ = ["PAYMENT_FAULTS"]

SLOW_EVERY, SLOW_SECONDS = 5, 3.0


def _has_rule(rule: str) -> Callable[[Contract], bool]:
    return lambda contract: rule in contract.known_rules("request") or rule in contract.known_rules("response")


def _allows_metadata(*values: object) -> Callable[[Contract], bool]:
    def allows(contract: Contract) -> bool:
        from ..validation.validator import validate_request

        base = {"product_cart": [{"product_id": "p", "quantity": 1}], "customer": {"email": "a@example.com"}}
        request = {**base, "billing": {"country": "US"}, "metadata": {f"k{i}": v for i, v in enumerate(values)}}
        return validate_request(request, spec_version=contract).ok

    return allows


def _has_method(method: str) -> Callable[[Contract], bool]:
    return lambda contract: method in contract.payment_method_types


PAYMENT_FAULTS: tuple[Fault, ...] = (
    # 200 body does not conform to the response schema
    Fault(
        "missing_client_secret",
        "200 bodies lack the required client_secret",
        ("response_schema_conformance",),
        on_success=_drop("client_secret"),
    ),
    Fault(
        "total_amount_string",
        'total_amount is sent as a JSON string ("1000")',
        ("response_schema_conformance",),
        on_success=_set("total_amount", lambda b, p: str(b["total_amount"])),
    ),
    Fault(
        "negative_total_amount",
        "total_amount is negative (sign bug in the discount maths)",
        ("response_schema_conformance",),
        on_success=_set("total_amount", lambda b, p: -b["total_amount"] - 1),
    ),
    Fault(
        "expires_on_not_datetime",
        "expires_on is a naive timestamp without a UTC offset (not RFC 3339)",
        ("response_schema_conformance",),
        on_success=_set(
            "expires_on", lambda b, p: (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        ),
    ),
    Fault(
        "customer_missing_email",
        "the customer object in 200 bodies lacks the required email",
        ("response_schema_conformance",),
        on_success=_drop("customer", "email"),
    ),
    Fault(
        "customer_name_null",
        "customer.name is null when it must be a string",
        ("response_schema_conformance",),
        on_success=_name_null,
    ),
    # invalid requests accepted (one validation family skipped)
    Fault(
        "accept_missing_billing",
        "skips every required-field check (no billing, customer or cart -> 200)",
        ("invalid_request_rejected",),
        skips=_rules("*.required"),
    ),
    Fault(
        "accept_bad_country_case",
        'upper-cases billing.country before validating, so "us" is accepted',
        ("invalid_request_rejected",),
        normalise=_upper_country,
    ),
    Fault(
        "accept_bad_enum",
        "skips enum checks (unknown country, currency, payment method type -> 200)",
        ("invalid_request_rejected",),
        skips=_rules("*.enum"),
    ),
    Fault(
        "accept_negative_quantity",
        "accepts cart items with a negative quantity",
        ("invalid_request_rejected",),
        skips=_rules("product_cart.items.quantity.minimum"),
    ),
    Fault(
        "accept_empty_cart",
        "accepts an empty product_cart (total 0) instead of PRODUCT_CART_EMTPY",
        ("invalid_request_rejected",),
        skips=_rules("product_cart.minItems"),
    ),
    Fault(
        "accept_oversized_metadata",
        "accepts metadata over 50 pairs, 40-char keys or 500-char values",
        ("invalid_request_rejected",),
        skips=_rules("metadata.maxProperties", "metadata.*.maxLength"),
    ),
    Fault(
        "accept_bad_return_url",
        "accepts a return_url that is not an absolute http(s) URL",
        ("invalid_request_rejected",),
        skips=_rules("return_url.pattern"),
    ),
    Fault(
        "accept_payment_method_without_customer_id",
        "accepts payment_method_id with a new-customer form",
        ("invalid_request_rejected",),
        skips=_rules("customer.payment_method_requires_customer_id"),
    ),
    Fault(
        "accept_wrong_types",
        'skips type checks of fields ("quantity": "2", "billing": [] -> 200)',
        ("invalid_request_rejected",),
        skips=_rules("*.type", but=("body.type",)),
    ),
    # 1.113.0's rules: stacked discount codes, the phone requirement
    Fault(
        "accept_21_discount_codes",
        "accepts more than 20 stacked discount_codes",
        ("invalid_request_rejected",),
        skips=_rules("discount_codes.maxItems"),
        applies=_has_rule("discount_codes.maxItems"),
    ),
    Fault(
        "accept_discount_code_with_codes",
        "accepts discount_code together with discount_codes (the docs forbid both)",
        ("invalid_request_rejected",),
        skips=_rules("discount_codes.exclusive_with_discount_code"),
        applies=_has_rule("discount_codes.exclusive_with_discount_code"),
    ),
    Fault(
        "ignore_require_phone_number",
        "creates the payment for a new customer without a phone although require_phone_number is true",
        ("invalid_request_rejected",),
        skips=_rules("customer.phone_number_required"),
        applies=_has_rule("customer.phone_number_required"),
    ),
    # valid requests refused, or crashing
    Fault(
        "reject_valid_with_400",
        "refuses an explicit null in any optional field with 400 INVALID_REQUEST",
        ("valid_request_accepted", "status_code_documented"),
        refuse=_refuse_nulls,
    ),
    Fault(
        "valid_refused_on_quantity_zero",
        "refuses quantity 0 (allowed by the spec) with INVALID_REQUEST_BODY",
        ("valid_request_accepted",),
        refuse=_refuse_quantity_zero,
    ),
    Fault(
        "refuse_multi_line_carts",
        "refuses every cart of two or more lines with NO_ELIGIBLE_PAYMENT_METHODS (a business code)",
        ("valid_request_accepted",),
        refuse=_refuse_multi_line_carts,
    ),
    Fault(
        "crash_on_unicode",
        "crashes (500) on any non-ASCII character in the request",
        ("no_server_error", "valid_request_accepted"),
        refuse=_crash_on_non_ascii,
    ),
    Fault(
        "refuse_numeric_metadata",
        "refuses integer, number and boolean metadata values with INVALID_REQUEST_BODY (strings only, as in 1.86.0)",
        ("valid_request_accepted",),
        refuse=_refuse_numeric_metadata,
        applies=_allows_metadata(5, 5.5, True),
    ),
    Fault(
        "refuse_satispay",
        "refuses satispay in allowed_payment_method_types with INVALID_REQUEST_BODY (an enum without it)",
        ("valid_request_accepted",),
        refuse=_refuse_satispay,
        applies=_has_method("satispay"),
    ),
    Fault(
        "existing_customer_not_found",
        "answers NOT_FOUND for every existing customer_id of the catalog",
        ("fixture_request_succeeds",),
        refuse=_refuse_existing_customer,
    ),
    # business rules not enforced, or their refusals mis-answered
    Fault(
        "accept_unknown_product",
        "accepts a product_id that is not in the catalog (charges 0 for it)",
        ("business_rules_enforced",),
        waives=_rules("business.unknown_product"),
    ),
    Fault(
        "accept_any_discount_code",
        "accepts any discount_code, silently applying no discount to unknown ones",
        ("business_rules_enforced",),
        waives=_rules("business.unknown_discount_code"),
    ),
    Fault(
        "accept_foreign_payment_method",
        "accepts a payment_method_id that does not belong to the customer",
        ("business_rules_enforced",),
        waives=_rules("business.foreign_payment_method"),
    ),
    Fault(
        "pwyw_amount_optional",
        "a pay-what-you-want product without amount is charged its list price",
        ("business_rules_enforced",),
        waives=_rules("business.pwyw_amount_missing"),
    ),
    Fault(
        "business_errors_as_invalid_body",
        "business refusals (unknown ids, unsupported country...) answer INVALID_REQUEST_BODY",
        ("business_rules_enforced",),
        on_error=_business_error_as(422, "INVALID_REQUEST_BODY"),
    ),
    Fault(
        "unknown_ids_as_404",
        "unknown product or customer ids answer 404 NOT_FOUND instead of 422",
        ("business_rules_enforced", "status_code_documented"),
        on_error=_business_error_as(404, None, only="NOT_FOUND"),
    ),
    # wrong status codes and error bodies
    Fault(
        "invalid_as_400",
        "schema violations answer 400 instead of 422",
        ("invalid_request_rejected", "status_code_documented"),
        on_error=_schema_error_as(400),
    ),
    Fault(
        "invalid_as_500",
        "schema violations answer 500 INTERNAL_SERVER_ERROR instead of 422",
        ("invalid_request_rejected", "no_server_error"),
        on_error=_schema_error_as(500, "INTERNAL_SERVER_ERROR"),
    ),
    Fault(
        "error_body_wrong_shape",
        'error bodies are {"error": ..., "status": ...} instead of {code, message}',
        ("error_schema_conformance",),
        on_error=_wrong_shape,
    ),
    Fault(
        "undocumented_error_code",
        "schema violations carry the undocumented code VALIDATION_ERROR",
        ("error_code_documented",),
        on_error=_schema_error_as(422, "VALIDATION_ERROR"),
    ),
    Fault(
        "status_201",
        "successful creation answers 201 instead of the documented 200",
        ("status_code_documented",),
        on_reply=_status_201,
    ),
    Fault(
        "wrong_content_type",
        "every answer is labelled text/plain although the body is JSON",
        ("content_type_json",),
        on_reply=_text_plain,
    ),
    Fault(
        "truncated_json",
        f"every {TRUNCATE_EVERY}th 200 body is cut in half (unreadable JSON)",
        ("response_received",),
        on_reply=_truncate,
    ),
    # request values not reflected
    Fault(
        "metadata_not_echoed",
        "200 bodies return empty metadata whatever was sent",
        ("request_values_reflected",),
        on_success=_set("metadata", lambda b, p: {}),
    ),
    Fault(
        "customer_email_not_reflected",
        "new customers come back with a placeholder email",
        ("request_values_reflected",),
        on_success=_placeholder_email,
    ),
    Fault(
        "product_cart_not_echoed",
        "the echoed product_cart drops its last item (off by one)",
        ("request_values_reflected",),
        on_success=_drop_last_item,
    ),
    # payment link, discount, ids
    Fault(
        "no_payment_link",
        "payment_link and expires_on are never returned, even when a link is requested",
        ("payment_link_present",),
        on_success=_no_link,
    ),
    Fault(
        "expires_on_in_past",
        "payment links expire a day before they are created",
        ("payment_link_present",),
        on_success=_expired,
    ),
    Fault(
        "discount_ignored",
        "valid discount codes are accepted but no discount_id (nor discount_ids) is returned",
        ("discount_applied",),
        on_success=_drop_each("discount_id", "discount_ids"),
    ),
    Fault(
        "discount_id_not_first",
        "with stacked discount codes, discount_id is the last applied discount, not the first of discount_ids",
        ("response_schema_conformance",),
        on_success=_discount_id_last,
        applies=_has_rule("discount_id.first_of_discount_ids"),
    ),
    Fault(
        "duplicate_payment_id",
        "every payment gets the same payment_id",
        ("payment_id_unique",),
        on_success=_set("payment_id", lambda b, p: "pay_0000000000000000000000"),
    ),
    # auth
    Fault(
        "auth_ignored", "requests without a key or with a wrong key are served", ("auth_required",), auth_ignored=True
    ),
    Fault(
        "auth_wrong_status_403",
        "a missing or wrong key answers 403 FORBIDDEN instead of 401",
        ("auth_required",),
        on_error=_auth_403,
    ),
    # time and availability
    Fault(
        "slow",
        f"every {SLOW_EVERY}th request stalls {SLOW_SECONDS:g} s before answering",
        ("latency_budget",),
        delay=_every(SLOW_EVERY, SLOW_SECONDS),
    ),
    Fault(
        "intermittent_500",
        f"every {INTERMITTENT_EVERY}th request fails with 500 INTERNAL_SERVER_ERROR",
        ("no_server_error",),
        on_reply=_intermittent_500,
    ),
)
