"""The reference mock's refusals of checkout session requests: the prose rules' codes and the catalog rules.

``PROSE_CODES``: a request whose only schema violations are the overlay's prose rules is refused with the code a
server states for them (``_schema_error`` of the app, as for payments): an empty cart outside the collection flow
the version's empty-cart code, over 50 metadata pairs ``MAXIMUM_KEYS_REACHED``, and every cross-field rule of the
checkouts overlay (C2..C7, 20 stacked codes) ``INVALID_REQUEST_PARAMETERS``. The keyword limits the overlay adds
(at most 20 lines, quantity >= 1, trial days, the theme's patterns) stay ``INVALID_REQUEST_BODY``.

``checkout_business_errors`` yields the catalog rules a schema-valid request breaks, in this order (each 422):

1. each ``product_cart`` line, in order: unknown product ``NOT_FOUND``; ``amount`` below a pay-what-you-want
   product's ``min_amount`` ``REQUEST_AMOUNT_BELOW_MINIMUM`` (no ``amount`` is fine: the customer picks it on the
   page, S113, unless ``confirm: true`` finalises the session: then ``PAY_AS_YOU_WANT_AMOUNT_REQUIRED``);
   ``addons`` on a one-time product ``INVALID_REQUEST_PARAMETERS``; an addon id twice
   ``DUPLICATE_ADDON_IDS_IN_REQUEST``; an addon the product does not have ``NOT_FOUND``; a credit entitlement not
   attached to the product, or ``credits_amount`` not a number above zero, ``INVALID_REQUEST_PARAMETERS`` (C9);
2. ``product_collection_id`` not in the catalog ``NOT_FOUND``;
3. ``customer.customer_id`` unknown ``NOT_FOUND``; ``payment_method_id`` not that customer's
   ``INVALID_REQUEST_PARAMETERS``;
4. ``billing_address.country`` unsupported ``UNSUPPORTED_COUNTRY``;
5. ``billing_currency`` not a catalog billing currency ``UNSUPPORTED_CURRENCY``; a non-USD one with a
   subscription line ``UNSUPPORTED_BILLING_CURRENCY`` (C16, inferred);
6. ``allowed_payment_method_types`` sharing nothing with the enabled ones ``NO_ELIGIBLE_PAYMENT_METHODS`` (C12);
7. an unknown discount code ``INVALID_DISCOUNT_CODE``; an unknown ``tax_id`` ``INVALID_TAX_ID``;
8. an on-demand subscription with addons ``ADDONS_NOT_ALLOWED_FOR_ON_DEMAND``, or with a one-time line
   ``ONE_TIME_PRODUCTS_NOT_ALLOWED_FOR_ON_DEMAND`` (C16, inferred);
9. a total (today's or the recurring one) above int32 ``INVALID_QUANTITY`` (GUIDE: a quantity that pushes the
   total past the maximum is refused with 422; the code is our reading).

The rule ids (``business.unknown_product``...) are those of payments where the rule is shared, so a fault can
waive one in either family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ._business import INT32_MAX, Catalog, _int, _show, shared_business_errors
from ._checkout_pricing import quote

__all__ = ["PROSE_CODES", "checkout_business_error", "checkout_business_errors"]

_PARAMS = "INVALID_REQUEST_PARAMETERS"
PROSE_CODES: dict[str, tuple[str | None, str]] = {
    "product_cart.empty_requires_product_collection_id": (
        None,
        "product_cart is empty (an empty cart needs a product_collection_id)",
    ),
    "metadata.maxProperties": ("MAXIMUM_KEYS_REACHED", "Metadata exceeds 50 key-value pairs"),
    "payment_method_id.requires_confirm": (_PARAMS, "payment_method_id is only allowed when confirm is true"),
    "customer.payment_method_requires_customer_id": (
        _PARAMS,
        "payment_method_id requires customer.customer_id (an existing customer)",
    ),
    "billing_address.confirm_requires_full_address": (
        _PARAMS,
        "confirm is true: billing_address needs street, city, state and zipcode",
    ),
    "billing_address.confirm_requires_zipcode": (_PARAMS, "confirm is true: billing_address needs a zipcode"),
    "tax_id.requires_billing_country": (_PARAMS, "tax_id requires billing_address with a country"),
    "discount_codes.exclusive_with_discount_code": (
        _PARAMS,
        "discount_code cannot be used together with discount_codes",
    ),
    "discount_codes.maxItems": (_PARAMS, "At most 20 discount codes can be stacked"),
    "custom_fields.maxItems": (_PARAMS, "At most 5 custom fields can be collected"),
    "custom_fields.items.options.required_for_dropdown": (_PARAMS, "A dropdown custom field needs options"),
    "custom_fields.keys_unique": (_PARAMS, "Custom field keys must be unique"),
    "feature_flags.require_phone_number_needs_collection": (
        _PARAMS,
        "require_phone_number requires allow_phone_number_collection",
    ),
}


def checkout_business_error(
    payload: dict[str, Any],
    catalog: Catalog,
    *,
    waived: Callable[[str], bool] | None = None,
    tax_rate: float = 0.0,
) -> tuple[str, str] | None:
    """Return ``(code, message)`` for the first catalog rule a schema-valid request breaks, else None."""
    for rule, code, message in checkout_business_errors(payload, catalog, tax_rate=tax_rate):
        if waived is None or not waived(rule):
            return code, message
    return None


def _line_errors(index: int, item: dict[str, Any], catalog: Catalog, confirm: bool) -> Iterator[tuple[str, str, str]]:
    checkout = catalog.fixtures.checkout
    where = f"product_cart[{index}]"
    product = catalog.products.get(item["product_id"])
    if product is None:
        yield "business.unknown_product", "NOT_FOUND", f"Product {_show(item['product_id'])} not found ({where})"
        return
    subscription = checkout.is_subscription(product.id)
    amount = _int(item.get("amount"))
    if product.pay_what_you_want and not subscription:
        if amount is None and confirm:
            yield (
                "business.pwyw_amount_missing",
                "PAY_AS_YOU_WANT_AMOUNT_REQUIRED",
                f"Amount is mandatory for pay as you want product {product.id} when confirm is true",
            )
        elif amount is not None and amount < product.min_amount:
            yield (
                "business.pwyw_amount_below_minimum",
                "REQUEST_AMOUNT_BELOW_MINIMUM",
                f"Amount cannot be less than minimum amount specified for the product ({product.min_amount})",
            )
    addons = [a for a in item.get("addons") or [] if isinstance(a, dict)]
    if addons and not subscription:
        yield "business.addons_on_one_time", _PARAMS, f"Addons are only valid for subscription products ({where})"
    ids = [str(a.get("addon_id")) for a in addons]
    if len(set(ids)) < len(ids):
        yield "business.duplicate_addon", "DUPLICATE_ADDON_IDS_IN_REQUEST", f"Duplicate addon ids in {where}"
    for addon_id in ids:
        if subscription and checkout.addon(product.id, addon_id) is None:
            yield "business.unknown_addon", "NOT_FOUND", f"Addon {_show(addon_id)} not found for {product.id}"
            break
    attached = set(checkout.entitlements_of(product.id))
    for override in item.get("credit_entitlements") or []:
        if not isinstance(override, dict):
            continue
        if override.get("credit_entitlement_id") not in attached:
            shown = _show(str(override.get("credit_entitlement_id")))
            yield (
                "business.unattached_entitlement",
                _PARAMS,
                f"Credit entitlement {shown} is not attached to {product.id}",
            )
        elif not _positive(override.get("credits_amount")):
            yield "business.non_positive_credits", _PARAMS, "credits_amount must be greater than zero"


def _positive(value: Any) -> bool:
    try:
        return isinstance(value, str) and float(value) > 0 and float(value) != float("inf")
    except ValueError:
        return False


def checkout_business_errors(
    payload: dict[str, Any], catalog: Catalog, *, tax_rate: float = 0.0
) -> Iterator[tuple[str, str, str]]:
    """Yield ``(rule, code, message)`` for each catalog rule a schema-valid request breaks, in rule order.

    ``tax_rate`` is the mock's: a total is judged with the tax the session would add.
    """
    checkout = catalog.fixtures.checkout
    cart = payload["product_cart"]
    confirm = payload.get("confirm") is True
    for index, item in enumerate(cart):
        yield from _line_errors(index, item, catalog, confirm)
    collection = payload.get("product_collection_id")
    if isinstance(collection, str) and checkout.collection(collection) is None:
        yield "business.unknown_collection", "NOT_FOUND", f"Product collection {_show(collection)} not found"
    customer = payload.get("customer")
    customer_id = customer.get("customer_id") if isinstance(customer, dict) else None
    known = catalog.customers.get(customer_id) if isinstance(customer_id, str) else None
    if isinstance(customer_id, str) and known is None:
        yield "business.unknown_customer", "NOT_FOUND", f"Customer {_show(customer_id)} not found"
    method = payload.get("payment_method_id")
    if method is not None and (known is None or method not in known.payment_method_ids):
        yield (
            "business.foreign_payment_method",
            _PARAMS,
            f"Payment method {_show(method)} does not belong to the customer",
        )
    address = payload.get("billing_address")
    country = address.get("country") if isinstance(address, dict) else None
    if country in catalog.unsupported:
        yield "business.unsupported_country", "UNSUPPORTED_COUNTRY", f"Country {country} currently not supported"
    currency = payload.get("billing_currency")
    subscriptions = [i for i in cart if checkout.is_subscription(i["product_id"])]
    if currency is not None and currency not in catalog.currencies:
        allowed = " or ".join(sorted(catalog.currencies)) or "no currency"
        yield (
            "business.unsupported_currency",
            "UNSUPPORTED_CURRENCY",
            f"Can only request {allowed} for billing_currency",
        )
    elif currency is not None and currency != "USD" and subscriptions:
        yield (
            "business.subscription_billing_currency",
            "UNSUPPORTED_BILLING_CURRENCY",
            "Non USD billing currency is not supported for subscriptions",
        )
    yield from shared_business_errors(payload, catalog)
    data = payload.get("subscription_data")
    if isinstance(data, dict) and isinstance(data.get("on_demand"), dict):
        if any(i.get("addons") for i in cart):
            yield (
                "business.on_demand_addons",
                "ADDONS_NOT_ALLOWED_FOR_ON_DEMAND",
                "Addons are not allowed for on-demand",
            )
        if len(subscriptions) < len(cart):
            yield (
                "business.on_demand_one_time",
                "ONE_TIME_PRODUCTS_NOT_ALLOWED_FOR_ON_DEMAND",
                "One-time products are not allowed in an on-demand subscription checkout",
            )
    if quote(payload, catalog, tax_rate=tax_rate).largest() > INT32_MAX:
        yield "business.total_overflow", "INVALID_QUANTITY", f"The cart's total exceeds the maximum ({INT32_MAX})"
