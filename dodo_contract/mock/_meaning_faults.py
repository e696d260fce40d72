"""The fault modes of the meaning (issue 10): money, echoes, business coverage, near-miss keys, strict JSON.

Payments faults that keep the shape and break the meaning (a wrong total, an echo that differs, a business rule
not enforced, a near-miss key accepted, a 200 that is not strict JSON); their hooks are ``_meaning_hooks``'s.
"""

from __future__ import annotations

from . import _meaning_hooks as meaning
from ._fault import Fault
from ._fault_hooks import _rules, _schema_error_as

__all__ = ["MEANING_FAULTS"]

MEANING_FAULTS: tuple[Fault, ...] = (
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
)
