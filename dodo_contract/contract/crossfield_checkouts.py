"""The cross-field rules of Checkout Sessions (``POST /checkouts`` and ``/checkouts/preview``), by name.

Each is the reading of one prose rule of CHECKOUT_SESSIONS.md (C2..C11); the ``overlays/<version>.checkouts.toml``
files name them and give their sources. Where a rule is ambiguous, the predicate fires only where every plausible
reading says the request is broken (an inferred rule never calls a request invalid that a faithful server may
accept). Rules that judge a nested object (a custom field, the feature flags) bind that component and report at
its pointer (``/custom_fields/2``); the rest bind the request root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._crossfield_base import CrossFieldRule

__all__ = ["CHECKOUT_CROSS_FIELD_RULES", "FULL_ADDRESS"]

# The billing-address fields confirm makes required (country is required by the schema whenever an address is given).
FULL_ADDRESS = ("street", "city", "state", "zipcode")
_ATTACH = {"type": "object", "required": ["customer_id"], "properties": {"customer_id": {"type": "string"}}}
_TRUE = {"const": True}


def _given(key: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"properties": {key: dict(schema)}, "required": [key]}


def _address(keys: tuple[str, ...]) -> dict[str, Any]:
    return {
        "required": ["billing_address"],
        "properties": {
            "billing_address": {
                "type": "object",
                "required": list(keys),
                "properties": {k: {"type": "string"} for k in keys},
            }
        },
    }


# "minimal_address is true": explicitly, or (SDK 1.123.0) by default when feature_flags.single_page is true.
_MINIMAL_EXPLICIT = _given("minimal_address", _TRUE)
_MINIMAL_BY_SINGLE_PAGE = {
    "properties": {
        "minimal_address": {"type": "null"},
        "feature_flags": {"type": "object", **_given("single_page", _TRUE)},
    },
    "required": ["feature_flags"],
}


def _minimal(payload: Mapping[str, Any], *, single_page: bool) -> bool:
    if payload.get("minimal_address") is True:
        return True
    flags = payload.get("feature_flags")
    return (
        single_page
        and payload.get("minimal_address") is None
        and isinstance(flags, dict)
        and flags.get("single_page") is True
    )


def _lacks(payload: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    address = payload.get("billing_address")
    return not (isinstance(address, dict) and all(isinstance(address.get(k), str) for k in keys))


def _confirm_rules(*, single_page: bool) -> tuple[CrossFieldRule, CrossFieldRule]:
    # 1.113.0 (with SDK 1.123.0) lets single_page make minimal_address default to true; 1.86.0 has no such flag.
    suffix = "" if single_page else "_without_single_page"
    minimal = {"anyOf": [_MINIMAL_EXPLICIT, _MINIMAL_BY_SINGLE_PAGE]} if single_page else _MINIMAL_EXPLICIT

    def full_broken(p: Mapping[str, Any]) -> bool:
        return p.get("confirm") is True and not _minimal(p, single_page=single_page) and _lacks(p, FULL_ADDRESS)

    def zipcode_broken(p: Mapping[str, Any]) -> bool:
        return p.get("confirm") is True and _minimal(p, single_page=single_page) and _lacks(p, ("zipcode",))

    needs = ("confirm", "minimal_address", "billing_address")
    return (
        CrossFieldRule(
            "confirm_requires_full_address" + suffix,
            "request",
            "billing_address.confirm_requires_full_address",
            "/billing_address",
            "required",
            "confirm is true: billing_address needs street, city, state and zipcode as strings "
            "(or minimal_address: true, then only zipcode)",
            needs,
            full_broken,
            {"if": {**_given("confirm", _TRUE), "not": minimal}, "then": _address(FULL_ADDRESS)},
        ),
        CrossFieldRule(
            "confirm_requires_zipcode" + suffix,
            "request",
            "billing_address.confirm_requires_zipcode",
            "/billing_address",
            "required",
            "confirm is true with minimal_address: billing_address needs a zipcode (a string)",
            needs,
            zipcode_broken,
            {"if": {"allOf": [_given("confirm", _TRUE), minimal]}, "then": _address(("zipcode",))},
        ),
    )


def _method_without_confirm(p: Mapping[str, Any]) -> bool:
    return isinstance(p.get("payment_method_id"), str) and p.get("confirm") is not True


def _method_without_existing_customer(p: Mapping[str, Any]) -> bool:
    customer = p.get("customer")
    if not isinstance(p.get("payment_method_id"), str):
        return False
    return not (isinstance(customer, dict) and isinstance(customer.get("customer_id"), str))


def _tax_id_without_country(p: Mapping[str, Any]) -> bool:
    address = p.get("billing_address")
    return isinstance(p.get("tax_id"), str) and not (isinstance(address, dict) and "country" in address)


def _dropdown_without_options(field: Mapping[str, Any]) -> bool:
    return field.get("field_type") == "dropdown" and not isinstance(field.get("options"), list)


def _repeated_field_keys(p: Mapping[str, Any]) -> bool:
    fields = p.get("custom_fields")
    if not isinstance(fields, list):
        return False
    keys = [f["key"] for f in fields if isinstance(f, dict) and isinstance(f.get("key"), str)]
    return len(set(keys)) < len(keys)


def _phone_required_without_collection(flags: Mapping[str, Any]) -> bool:
    # allow_phone_number_collection defaults to true: only an explicit false breaks the rule.
    return flags.get("require_phone_number") is True and flags.get("allow_phone_number_collection") is False


def _empty_cart_without_collection(p: Mapping[str, Any]) -> bool:
    cart = p.get("product_cart")
    return isinstance(cart, list) and not cart and not isinstance(p.get("product_collection_id"), str)


CHECKOUT_CROSS_FIELD_RULES: tuple[CrossFieldRule, ...] = (
    *_confirm_rules(single_page=True),
    *_confirm_rules(single_page=False),
    CrossFieldRule(
        "payment_method_requires_confirm",
        "request",
        "payment_method_id.requires_confirm",
        "/payment_method_id",
        "dependentRequired",
        "payment_method_id is only allowed when confirm is true",
        ("payment_method_id", "confirm"),
        _method_without_confirm,
        {"if": _given("payment_method_id", {"type": "string"}), "then": _given("confirm", _TRUE)},
    ),
    CrossFieldRule(
        "payment_method_requires_existing_customer",
        "request",
        "customer.payment_method_requires_customer_id",
        "/customer",
        "dependentRequired",
        'payment_method_id requires an existing customer: customer must carry a string "customer_id"',
        ("payment_method_id", "customer"),
        _method_without_existing_customer,
        {"if": _given("payment_method_id", {"type": "string"}), "then": _given("customer", _ATTACH)},
    ),
    CrossFieldRule(
        "tax_id_requires_billing_country",
        "request",
        "tax_id.requires_billing_country",
        "/tax_id",
        "dependentRequired",
        "tax_id requires billing_address with a country",
        ("tax_id", "billing_address"),
        _tax_id_without_country,
        {
            "if": _given("tax_id", {"type": "string"}),
            "then": _given("billing_address", {"type": "object", "required": ["country"]}),
        },
    ),
    CrossFieldRule(
        "custom_field_dropdown_needs_options",
        "request",
        "custom_fields.items.options.required_for_dropdown",
        "",
        "required",
        'a dropdown custom field needs "options" (a list)',
        ("field_type", "options"),
        _dropdown_without_options,
        {"if": _given("field_type", {"const": "dropdown"}), "then": _given("options", {"type": "array"})},
        binds="CustomField",
    ),
    CrossFieldRule(
        "custom_field_keys_unique",
        "request",
        "custom_fields.keys_unique",
        "/custom_fields",
        "uniqueItems",
        "custom field keys must be unique (each is the key of its answer)",
        ("custom_fields",),
        _repeated_field_keys,
        None,  # "unique by one property" has no JSON Schema form: checked on every payload
    ),
    CrossFieldRule(
        "phone_required_needs_collection",
        "request",
        "feature_flags.require_phone_number_needs_collection",
        "",
        "dependentRequired",
        "require_phone_number needs allow_phone_number_collection to be true (it is false here)",
        ("require_phone_number", "allow_phone_number_collection"),
        _phone_required_without_collection,
        {
            "if": _given("require_phone_number", _TRUE),
            "then": {"not": _given("allow_phone_number_collection", {"const": False})},
        },
        binds="CheckoutSessionFlags",
    ),
    CrossFieldRule(
        "empty_cart_needs_collection",
        "request",
        "product_cart.empty_requires_product_collection_id",
        "/product_cart",
        "minItems",
        "an empty product_cart is only valid with a product_collection_id (the product-collection flow)",
        ("product_cart", "product_collection_id"),
        _empty_cart_without_collection,
        {
            "if": {"not": _given("product_collection_id", {"type": "string"})},
            "then": {"properties": {"product_cart": {"minItems": 1}}},
        },
    ),
)
