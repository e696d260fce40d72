"""Fault modes of the reference mock: named, documented contract breaks used to prove the suite catches them.

Each ``Fault`` is a small switch the faithful mock consults at fixed points of its pipeline (never a copy of
it). The points, in request order:

``delay(n)``            seconds to stall request number ``n`` (1-based, every request counts) before answering;
``auth_ignored``        answer as if every request carried the right key;
``accepts_key(presented, real)``  compare the key this (sloppy) way instead of exactly;
``normalise(payload)``  rewrite the parsed request before schema validation;
``skips(rule)``         schema violations of these rule ids are ignored, and the request then skips the
                        business rules too (a server that forgot one validation family);
``refuse(payload)``     force an answer (or raise, i.e. crash) for a schema-valid request;
``waives(rule)``        business rules of these ids (``business.unknown_product``...) are not enforced;
``waives_when(rule, payload, catalog)``  the same, deciding per request;
``on_success(body, payload)``  rewrite a 200 body;
``reprice(payload, catalog)``  the ``total_amount`` of a 200, computed the buggy way;
``on_error(reply)``     rewrite every non-200 answer;
``on_reply(reply, n)``  rewrite the final answer (status, content type, raw bytes);
``on_session(body, payload)``  rewrite a ``POST /checkouts`` 200 body;
``on_preview(body, payload)``  rewrite a ``POST /checkouts/preview`` 200 body;
``on_status(body, id, store)``  rewrite a ``GET /checkouts/{id}`` answer (``body`` None for an unknown id;
                        return a body, a ``Reply``, or None to keep the faithful answer).

A fault breaks one operation ``family``: ``payments`` (the default; also what it does to unknown paths) or
``checkouts`` (the three Checkout Sessions operations, whose faults are named ``checkouts_*``); requests of the
other family are answered faithfully, so a fault is caught by the run that judges its family. ``skips``,
``refuse`` and ``waives`` act on the schema and catalog rules of the fault's family.

Every trigger is deterministic (value- or count-based), so a self-test run is reproducible.
``caught_by`` names the checks of ``dodo_contract.checks`` that must detect the fault. ``applies(contract)``
says whether the fault means anything in a spec version (a break of ``discount_codes`` needs a version that has
them); ``applies_to(spec_version)`` answers it, read from the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ..contract.versions import Contract, SpecVersion, get_contract
from ..errors import ConfigError
from . import _meaning_hooks as meaning
from ._checkout_faults import CHECKOUT_FAULTS
from ._fault import Fault
from ._fault_hooks import (
    INTERMITTENT_EVERY,
    TRUNCATE_EVERY,
    Reply,
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
    error_reply,
)

__all__ = ["FAULTS", "Fault", "Reply", "error_reply", "faults_for", "get_fault"]

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


_ALL: tuple[Fault, ...] = (
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
    # the meaning: money, echoes, business coverage, near-miss keys, strict JSON (issue 10)
    Fault(
        "total_ignores_quantity",
        "total_amount charges every cart line once, whatever its quantity",
        ("total_amount_plausible", "pricing_relations_hold"),
        reprice=meaning.ignore_quantity,
    ),
    Fault(
        "discount_forgotten",
        "a valid discount code is echoed (discount_id) but the total is the full price",
        ("total_amount_plausible", "pricing_relations_hold"),
        reprice=meaning.discount_forgotten,
    ),
    Fault(
        "pwyw_at_list_price",
        "a pay-what-you-want line is charged at the product's list price, not the amount sent",
        ("total_amount_plausible", "pricing_relations_hold"),
        reprice=meaning.pwyw_at_list_price,
    ),
    Fault(
        "minor_units_confused",
        "total_amount is in major units (rupees for paise, dollars for cents): a hundredth of the price",
        ("total_amount_plausible",),
        reprice=meaning.minor_units_confused,
    ),
    Fault(
        "tax_on_inclusive_prices",
        f"adds {meaning.INCLUSIVE_TAX:.0%} tax on top of prices the catalog says include it",
        ("total_amount_plausible",),
        reprice=meaning.tax_on_inclusive_prices,
    ),
    Fault(
        "discount_on_one_unit",
        "a percentage code is taken off one unit of the first line, not the whole cart",
        ("pricing_relations_hold", "total_amount_plausible"),
        reprice=meaning.discount_on_one_unit,
    ),
    Fault(
        "handling_fee",
        f"a fixed fee of {meaning.HANDLING_FEE} minor units is added to every total of {meaning.HANDLING_FROM} or more",
        ("pricing_relations_hold",),
        reprice=meaning.handling_fee,
    ),
    Fault(
        "existing_customer_name_not_stored",
        "an existing customer comes back with the name from the request (or the email), not the stored one",
        ("request_values_reflected",),
        on_success=meaning.stored_name_replaced,
    ),
    Fault(
        "names_truncated",
        f"customer names are cut to {meaning.NAME_LIMIT} characters",
        ("request_values_reflected",),
        on_success=meaning.truncate_names,
    ),
    Fault(
        "metadata_leaks_between_requests",
        "200 bodies carry a metadata key of an earlier request",
        ("request_values_reflected",),
        on_success=meaning.leak_metadata,
    ),
    Fault(
        "discount_id_without_code",
        "every 200 carries a discount_id, with or without a valid discount code",
        ("request_values_reflected",),
        on_success=meaning.stray_discount_id,
    ),
    Fault(
        "only_first_unsupported_country_blocked",
        "only the catalog's first unsupported country is refused; the others are served",
        ("business_rules_enforced",),
        waives_when=meaning.waive_all_but_first_country,
    ),
    Fault(
        "any_tax_id_accepted",
        "any tax_id is accepted, known or not",
        ("business_rules_enforced",),
        waives=_rules("business.unknown_tax_id"),
    ),
    Fault(
        "unknown_customer_wrong_code",
        "an unknown customer_id is refused with INVALID_REQUEST_PARAMETERS instead of NOT_FOUND",
        ("error_code_matches_cause",),
        on_error=meaning.unknown_customer_code,
    ),
    Fault(
        "schema_error_business_code",
        "schema violations answer 422 NOT_FOUND (a business code) instead of INVALID_REQUEST_BODY",
        ("error_code_matches_cause",),
        on_error=_schema_error_as(422, "NOT_FOUND"),
    ),
    Fault(
        "auth_prefix_only",
        f"the API key is checked by its first {meaning.PREFIX_CHARS} characters only",
        ("auth_required",),
        accepts_key=meaning.accept_prefix,
    ),
    Fault(
        "auth_case_insensitive",
        "the API key is compared case-insensitively",
        ("auth_required",),
        accepts_key=meaning.case_insensitive_key,
    ),
    Fault(
        "bom_before_body",
        "200 bodies start with a UTF-8 byte order mark",
        ("response_json_strict",),
        on_reply=meaning.bom_before_200,
    ),
    Fault(
        "trailing_data_after_body",
        "200 bodies are followed by a second JSON value",
        ("response_json_strict",),
        on_reply=meaning.trailing_data_after_200,
    ),
    Fault(
        "duplicate_key_in_body",
        "200 bodies give total_amount twice (a stale 0 first)",
        ("response_json_strict",),
        on_reply=meaning.duplicate_key_in_200,
    ),
    *CHECKOUT_FAULTS,
)

FAULTS: dict[str, Fault] = {f.name: f for f in _ALL}


def faults_for(spec_version: SpecVersion = None, *, family: str | None = None) -> dict[str, Fault]:
    """Return the faults that mean something to a run judging ``spec_version``, in ``FAULTS`` order.

    ``family`` (``payments`` or ``checkouts``) picks that family's contract of the version; None: the family of
    ``spec_version`` (a ``Contract`` of a checkouts operation gives the ``checkouts_*`` faults; a version string or
    None, the payments ones).
    """
    contract = get_contract(spec_version, operation=family) if family else get_contract(spec_version)
    return {name: f for name, f in FAULTS.items() if f.applies_to(contract)}


def get_fault(fault: str | Fault | None) -> Fault | None:
    """Return the fault named ``fault`` (or ``fault`` itself); raise ``ConfigError`` naming the known ones."""
    if fault is None or isinstance(fault, Fault):
        return fault
    found = FAULTS.get(fault) if isinstance(fault, str) else None
    if found is None:
        raise ConfigError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(FAULTS))}")
    return found
