"""The cross-field rules Dodo states in prose, by name: what breaks each, where it is reported, and how it is encoded.

An overlay names a rule (``cross_field = "discount_codes_exclusive"``); this module says what that name means. Each
rule has a stable rule id and pointer, a predicate ``broken(payload)`` (the validator's detailed path reports a
violation when it is true), and, when JSON Schema can say it, an ``if``/``then`` encoding that goes into the
generated schema (``allOf`` at the root, listed in ``x-dodo-added``) so that a valid payload still costs the
validator one ``is_valid`` call. ``needs`` names the properties the operation must define for the rule to apply:
an overlay applied to a document that lacks them skips the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._crossfield_base import CrossFieldRule
from .crossfield_checkouts import CHECKOUT_CROSS_FIELD_RULES

__all__ = ["CROSS_FIELD_RULES", "CrossFieldRule", "cross_field_rule"]


def _payment_method_without_customer_id(payload: Mapping[str, Any]) -> bool:
    if not isinstance(payload.get("payment_method_id"), str) or "customer" not in payload:
        return False
    customer = payload["customer"]
    return not (isinstance(customer, dict) and isinstance(customer.get("customer_id"), str))


def _both_discount_inputs(payload: Mapping[str, Any]) -> bool:
    return isinstance(payload.get("discount_code"), str) and isinstance(payload.get("discount_codes"), list)


def _new_customer_without_phone(payload: Mapping[str, Any]) -> bool:
    if payload.get("require_phone_number") is not True or payload.get("payment_link") is True:
        return False
    customer = payload.get("customer")
    return (
        isinstance(customer, dict)
        and not isinstance(customer.get("customer_id"), str)  # the attach form does not fit: read as a new customer
        and "email" in customer
        and customer.get("phone_number") is None
    )


def _discount_id_not_first(payload: Mapping[str, Any]) -> bool:
    ids, first = payload.get("discount_ids"), payload.get("discount_id")
    if not isinstance(ids, list) or not isinstance(first, str):
        return False
    return not ids or ids[0] != first


_ATTACH = {"type": "object", "required": ["customer_id"], "properties": {"customer_id": {"type": "string"}}}

CROSS_FIELD_RULES: Mapping[str, CrossFieldRule] = {
    rule.name: rule
    for rule in (
        CrossFieldRule(
            "payment_method_requires_customer_id",
            "request",
            "customer.payment_method_requires_customer_id",
            "/customer",
            "dependentRequired",
            'payment_method_id requires an existing customer: customer must carry a string "customer_id"',
            ("payment_method_id", "customer"),
            _payment_method_without_customer_id,
            {
                "if": {"properties": {"payment_method_id": {"type": "string"}}, "required": ["payment_method_id"]},
                "then": {"properties": {"customer": _ATTACH}},
            },
        ),
        CrossFieldRule(
            "discount_codes_exclusive",
            "request",
            "discount_codes.exclusive_with_discount_code",
            "/discount_codes",
            "not",
            "discount_codes cannot be used together with discount_code: send one of them (the other null or absent)",
            ("discount_code", "discount_codes"),
            _both_discount_inputs,
            {
                "if": {
                    "properties": {"discount_code": {"type": "string"}, "discount_codes": {"type": "array"}},
                    "required": ["discount_code", "discount_codes"],
                },
                "then": False,
            },
        ),
        CrossFieldRule(
            "phone_number_required",
            "request",
            "customer.phone_number_required",
            "/customer",
            "required",
            'require_phone_number is true and payment_link is not: the new customer must carry a "phone_number"',
            ("require_phone_number", "customer"),
            _new_customer_without_phone,
            {
                "if": {
                    "properties": {
                        "require_phone_number": {"const": True},
                        "payment_link": {"not": {"const": True}},
                        "customer": {
                            "type": "object",
                            "required": ["email"],
                            "not": _ATTACH,
                            "anyOf": [
                                {"not": {"required": ["phone_number"]}},
                                {"properties": {"phone_number": {"type": "null"}}},
                            ],
                        },
                    },
                    "required": ["require_phone_number", "customer"],
                },
                "then": False,
            },
        ),
        CrossFieldRule(
            "discount_id_is_first",
            "response",
            "discount_id.first_of_discount_ids",
            "/discount_id",
            "const",
            "discount_id must be the first of discount_ids (its deprecated alias)",
            ("discount_id", "discount_ids"),
            _discount_id_not_first,
            None,  # "equals the first item of another array" has no JSON Schema form: checked on every payload
        ),
        *CHECKOUT_CROSS_FIELD_RULES,
    )
}


def cross_field_rule(name: str) -> CrossFieldRule:
    """Return the rule an overlay names; ``KeyError`` listing the known names otherwise."""
    try:
        return CROSS_FIELD_RULES[name]
    except KeyError:
        raise KeyError(f"no cross-field rule {name!r}; known: {', '.join(sorted(CROSS_FIELD_RULES))}") from None
