"""Hand-written breakers of the Checkout Sessions cross-field rules (``contract/crossfield_checkouts.py``).

As for payments (``_crossfield``): each class is a small function that turns a cleaned valid request into one that
breaks just that rule, and ``CHECKOUT_TRIGGERS`` lists the top-level fields each rule reads, which the case builder
drops from a base before breaking any other rule. A breaker of a rule that binds a list item returns the pointer
it broke (``/custom_fields/1``). ``UNIQUE_KEYS`` names the property that must differ between the items of a list
whose rule asks for unique keys, so that a case giving that list one item too many breaks only the size rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._crossfield import Breaker, Stock
from ._mutators import Payload

__all__ = ["CHECKOUT_CROSS_FIELD_CASES", "CHECKOUT_TRIGGERS", "UNIQUE_KEYS"]

_CONFIRM = ("confirm", "minimal_address", "payment_method_id", "billing_address", "feature_flags")
CHECKOUT_TRIGGERS: Mapping[str, tuple[str, ...]] = {
    "confirm_requires_full_address": _CONFIRM,
    "confirm_requires_zipcode": _CONFIRM,
    "confirm_requires_full_address_without_single_page": _CONFIRM,
    "confirm_requires_zipcode_without_single_page": _CONFIRM,
    "payment_method_requires_confirm": ("payment_method_id",),
    "payment_method_requires_existing_customer": ("payment_method_id",),
    "tax_id_requires_billing_country": ("tax_id",),
    "custom_field_dropdown_needs_options": ("custom_fields",),
    "custom_field_keys_unique": ("custom_fields",),
    "phone_required_needs_collection": ("feature_flags",),
    "empty_cart_needs_collection": ("product_collection_id",),
}
UNIQUE_KEYS: Mapping[str, str] = {"custom_field_keys_unique": "key"}

_FULL = {"country": "US", "street": "1 Infinite Loop", "city": "Cupertino", "state": "CA", "zipcode": "95014"}


def _calm(p: Payload) -> None:
    # Leave nothing that brings another confirm-time rule in: no saved method, no single-page default.
    p.pop("payment_method_id", None)
    p.pop("minimal_address", None)
    flags = p.get("feature_flags")
    if isinstance(flags, dict):
        flags.pop("single_page", None)


def _full_address_missing(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        _calm(p)
        p["confirm"] = True
        p.pop("tax_id", None)
        if how == "absent":
            p.pop("billing_address", None)
        elif how == "null":
            p["billing_address"] = None
        elif how == "country only":
            p["billing_address"] = {"country": "US"}
        else:  # one field missing or null
            field = ("street", "city", "state", "zipcode")[where % 4]
            address: dict[str, str | None] = dict(_FULL)
            if how == "a field null":
                address[field] = None
            else:
                del address[field]
            p["billing_address"] = address
        if how == "minimal_address false":
            p["minimal_address"] = False

    return breaker


def _zipcode_missing(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        _calm(p)
        p["confirm"] = True
        p.pop("tax_id", None)
        if how == "single_page default":  # minimal_address absent, single_page true: SDK 1.123.0's default
            flags = p.get("feature_flags")
            p["feature_flags"] = {**(flags if isinstance(flags, dict) else {}), "single_page": True}
        else:
            p["minimal_address"] = True
        if how == "no address":
            p.pop("billing_address", None)
        elif how == "zipcode null":
            p["billing_address"] = {**_FULL, "zipcode": None}
        else:
            p["billing_address"] = {"country": "US", "city": "Cupertino"}

    return breaker


def _method_without_confirm(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        owner, method = stock.owners[where % len(stock.owners)]
        p["customer"] = {"customer_id": owner}
        p["payment_method_id"] = method
        if how == "confirm false":
            p["confirm"] = False
        else:
            p.pop("confirm", None)

    return breaker


def _method_without_owner(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        _calm(p)
        p["confirm"] = True
        p["billing_address"] = dict(_FULL)
        p["payment_method_id"] = stock.payment_method_ids[where % len(stock.payment_method_ids)]
        if how == "no customer":
            p.pop("customer", None)
        elif how == "customer null":
            p["customer"] = None
        else:
            p["customer"] = {"email": "jane.doe@example.com", "name": "Jane Doe"}

    return breaker


def _tax_id_without_address(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        p.pop("confirm", None)  # with confirm the address rules would fire too
        p.pop("payment_method_id", None)
        p["tax_id"] = stock.tax_ids[where % len(stock.tax_ids)]
        if how == "absent":
            p.pop("billing_address", None)
        else:
            p["billing_address"] = None

    return breaker


def _dropdown_without_options(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> str:
        fields = [f for f in p.get("custom_fields") or () if isinstance(f, dict)][:4]
        fields = [{**f, "key": f"field_{i}"} for i, f in enumerate(fields)]
        spot = where % (len(fields) + 1)
        field: Payload = {"key": "plan_size", "label": "Team size", "field_type": "dropdown"}
        if how == "options null":
            field["options"] = None
        fields.insert(spot, field)
        p["custom_fields"] = fields
        return f"/custom_fields/{spot}"

    return breaker


def _repeated_key(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        first: Payload = {"key": "company", "label": "Company", "field_type": "text"}
        second: Payload = {"key": "company", "label": "Company name", "field_type": "text" if how == "same" else "url"}
        p["custom_fields"] = [first, second]

    return breaker


def _phone_without_collection(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        flags = dict(p["feature_flags"]) if isinstance(p.get("feature_flags"), dict) else {}
        flags.update(require_phone_number=True, allow_phone_number_collection=False)
        if how == "with other flags":
            flags.update(allow_discount_code=True, allow_tax_id=False)
        p["feature_flags"] = flags

    return breaker


def _empty_cart(how: str) -> Breaker:
    def breaker(p: Payload, stock: Stock, where: int) -> None:
        p["product_cart"] = []
        if how == "collection null":
            p["product_collection_id"] = None
        else:
            p.pop("product_collection_id", None)

    return breaker


_FULL_CLASSES = ("absent", "null", "country only", "a field missing", "a field null", "minimal_address false")
_ZIP_CLASSES = ("no address", "zipcode null", "an address without zipcode", "single_page default")
CHECKOUT_CROSS_FIELD_CASES: Mapping[str, tuple[tuple[str, Breaker], ...]] = {
    "confirm_requires_full_address": tuple((c, _full_address_missing(c)) for c in _FULL_CLASSES),
    "confirm_requires_zipcode": tuple((c, _zipcode_missing(c)) for c in _ZIP_CLASSES),
    "confirm_requires_full_address_without_single_page": tuple((c, _full_address_missing(c)) for c in _FULL_CLASSES),
    "confirm_requires_zipcode_without_single_page": tuple((c, _zipcode_missing(c)) for c in _ZIP_CLASSES[:3]),
    "payment_method_requires_confirm": tuple((c, _method_without_confirm(c)) for c in ("no confirm", "confirm false")),
    "payment_method_requires_existing_customer": tuple(
        (c, _method_without_owner(c)) for c in ("no customer", "customer null", "a new customer")
    ),
    "tax_id_requires_billing_country": tuple((c, _tax_id_without_address(c)) for c in ("absent", "null")),
    "custom_field_dropdown_needs_options": tuple(
        (c, _dropdown_without_options(c)) for c in ("no options", "options null")
    ),
    "custom_field_keys_unique": tuple((c, _repeated_key(c)) for c in ("same", "another type")),
    "phone_required_needs_collection": tuple((c, _phone_without_collection(c)) for c in ("alone", "with other flags")),
    "empty_cart_needs_collection": tuple((c, _empty_cart(c)) for c in ("no collection", "collection null")),
}
