"""The named, minimal Checkout Sessions requests that must succeed, and the ones on the inside of each bound.

``canonical_checkout_requests`` builds sessions only from the fixtures (each product alone, a new and an existing
customer, a billing address, each discount code, a tax id, metadata, a confirmed session with a full and with a
minimal address, a saved payment method, each collection with an empty cart, a subscription with an addon and a
trial, a customised page, a billing currency; a test proves each valid); ``checkout_boundary_requests`` adds the
last valid value of each bound the contract has (20 lines, the least quantity, 5 custom fields, trial days 0 and
10000, a 100-character pay-button text, 50 metadata pairs, a 40-character key, a 500-character value, 20 distinct
codes when the fixtures have them) and the valid side of the cross-field rules (``allow_phone_number_collection``
left to its default, ``discount_codes`` beside a null ``discount_code``); a bound with no business-valid request for
the fixtures is left out, so every boundary request passes the validator of its contract.
"""

from __future__ import annotations

from typing import Any

from ..contract.fixtures import Fixtures, Product
from ..contract.rules import ITEM, KEY, VALUE
from ..contract.versions import Contract
from ..validation.validator import validate_request
from ._checkout_requests import COLOURS, checkout_schema_node
from ._pools import INT32_MAX, Payload

__all__ = ["canonical_checkout_requests", "checkout_boundary_requests"]

_FULL = {"country": "US", "street": "1 Infinite Loop", "city": "Cupertino", "state": "CA", "zipcode": "95014"}
_NEW = {"email": "canonical@example.com", "name": "Ada Lovelace", "phone_number": "+14155550123"}


def _line(product: Product, fx: Fixtures, quantity: int = 1) -> Payload:
    line: Payload = {"product_id": product.id, "quantity": quantity}
    if product.pay_what_you_want and not fx.checkout.is_subscription(product.id):
        # Well above zero: a server may refuse near-zero totals (its minimum charge).
        line["amount"] = max(product.min_amount, product.price, 1000)
    return line


def canonical_checkout_requests(fx: Fixtures, contract: Contract) -> list[tuple[str, Payload]]:
    """Return (name, request) pairs built only from ``fx`` that a faithful server must answer with 200."""
    props = checkout_schema_node(contract).get("properties") or {}
    catalog = fx.checkout
    one_time = catalog.one_time(fx.products)
    first = one_time[0] if one_time else fx.products[0]
    countries = fx.supported_countries
    country = "US" if "US" in countries else countries[0]
    full = {**_FULL, "country": country}

    def session(product: Product = first, **extra: Any) -> Payload:
        return {"product_cart": [_line(product, fx)], **extra}

    out: list[tuple[str, Payload]] = [(f"product:{p.id}", session(p)) for p in fx.products]
    out.append(("new_customer", session(customer=dict(_NEW))))
    if fx.customers:
        out.append((f"existing_customer:{fx.customers[0].id}", session(customer={"customer_id": fx.customers[0].id})))
    out.append(("billing_address", session(billing_address={"country": country})))
    codes = "discount_codes" in props
    for d in fx.discounts:
        out.append(
            (f"discount:{d.code}", session(**({"discount_codes": [d.code]} if codes else {"discount_code": d.code})))
        )
    if fx.tax_ids:
        out.append((f"tax_id:{fx.tax_ids[0]}", session(billing_address={"country": country}, tax_id=fx.tax_ids[0])))
    out.append(("metadata", session(metadata={"order_id": "ord_123", "note": "Zürich 🦤"})))
    out.append(("confirm", session(confirm=True, customer=dict(_NEW), billing_address=dict(full))))
    minimal = {"country": country, "zipcode": "95014"}
    out.append(("confirm_minimal_address",
                session(confirm=True, minimal_address=True, customer=dict(_NEW), billing_address=minimal)))  # fmt: skip
    owner = next((c for c in fx.customers if c.payment_method_ids), None)
    if owner is not None:
        method = owner.payment_method_ids[0]
        saved = session(confirm=True, customer={"customer_id": owner.id}, billing_address=dict(full),
                        payment_method_id=method)  # fmt: skip
        out.append((f"payment_method:{method}", saved))
    for collection in catalog.collections:
        out.append((f"collection:{collection.id}", {"product_cart": [], "product_collection_id": collection.id}))
    subscription = next((p for p in fx.products if catalog.addons_of(p.id)), None) or next(
        (p for p in fx.products if catalog.is_subscription(p.id)), None
    )
    if subscription is not None:
        line = _line(subscription, fx)
        addons = catalog.addons_of(subscription.id)
        if addons:
            line["addons"] = [{"addon_id": addons[0].id, "quantity": 1}]
        name = f"subscription:{subscription.id}" + (f"+addon:{addons[0].id}" if addons else "") + "+trial"
        out.append((name, {"product_cart": [line], "subscription_data": {"trial_period_days": 7}}))
    out.append(("customized", session(**_customized(props))))
    currencies = [c for c in fx.billing_currencies if c in contract.currencies]
    if currencies:
        same = next((p for p in one_time if p.currency in currencies), first)
        currency = same.currency if same.currency in currencies else currencies[0]
        out.append((f"billing_currency:{currency}", session(same, billing_currency=currency)))
    return out


def _customized(props: dict[str, Any]) -> Payload:
    flags = {"allow_discount_code": True, "allow_phone_number_collection": True, "redirect_immediately": False}
    theme = {"light": {"bg_primary": COLOURS[0], "text_primary": "rgb(0, 0, 0)"}, "dark": {"bg_primary": "#000"},
             "font_primary_url": "https://fonts.gstatic.com/s/inter/v13/inter.woff2", "radius": "8px",
             "pay_button_text": "Pay now", "font_size": "md", "font_weight": "medium"}  # fmt: skip
    out: Payload = {
        "customization": {"theme": "light", "theme_config": theme, "show_order_details": True},
        "feature_flags": flags,
        "custom_fields": [
            {"key": "company", "label": "Company", "field_type": "text", "required": False},
            {"key": "team_size", "label": "Team size", "field_type": "dropdown", "options": ["1-10", "11-50"]},
        ],
        "return_url": "https://example.com/thanks",
    }
    if "cancel_url" in props:
        out["cancel_url"] = "https://example.com/cart"
    return out


def checkout_boundary_requests(base: Payload, fx: Fixtures, contract: Contract) -> list[tuple[str, Payload]]:
    """Return (name, request) pairs at the inside of each bound of ``contract``, built on a canonical ``base``."""
    out: list[tuple[str, Payload]] = []
    item = dict(base["product_cart"][0])

    def add(name: str, **changes: Any) -> None:
        out.append((f"boundary: {name}", {**base, **changes}))

    cheapest = min((p for p in fx.checkout.one_time(fx.products) if not p.pay_what_you_want), key=lambda p: p.price,
                   default=None)  # fmt: skip
    for rule in contract.rules("request"):
        limit, path = rule.limit, rule.path
        if rule.keyword == "maxItems" and path == ("product_cart",) and cheapest is not None:
            if cheapest.price * limit <= INT32_MAX:
                add(f"{rule.id} ({limit} lines)", product_cart=[_line(cheapest, fx) for _ in range(limit)])
        elif rule.keyword == "minimum" and path == ("product_cart", ITEM, "quantity"):
            add(f"{rule.id} (quantity {limit} beside quantity 1)", product_cart=[item, {**item, "quantity": limit}])
        elif rule.keyword == "maxItems" and path == ("custom_fields",):
            fields = [{"key": f"field_{i}", "label": f"Field {i}", "field_type": "text"} for i in range(limit)]
            add(f"{rule.id} ({limit} fields)", custom_fields=fields)
        elif rule.keyword == "maxItems" and path == ("discount_codes",):
            codes = list(dict.fromkeys(d.code for d in fx.discounts))
            if len(codes) >= limit:
                add(f"{rule.id} ({limit} distinct codes)", discount_codes=codes[:limit])
        elif rule.keyword in ("minimum", "maximum") and path == ("subscription_data", "trial_period_days"):
            subscription = next((p for p in fx.products if fx.checkout.is_subscription(p.id)), None)
            if subscription is not None:
                add(f"{rule.id} ({limit} days)", product_cart=[_line(subscription, fx)],
                    subscription_data={"trial_period_days": limit})  # fmt: skip
        elif rule.keyword == "maxLength" and path[-1:] == ("pay_button_text",):
            add(f"{rule.id} ({limit} characters)", customization={"theme_config": {"pay_button_text": "P" * limit}})
        elif rule.keyword == "maxProperties" and path == ("metadata",):
            add(f"{rule.id} ({limit} pairs)", metadata={f"key_{i:02d}": str(i) for i in range(limit)})
        elif rule.keyword == "maxLength" and path == ("metadata", KEY):
            add(f"{rule.id} (a key of {limit} characters)", metadata={"k" * limit: "v"})
        elif rule.keyword == "maxLength" and path == ("metadata", VALUE):
            add(f"{rule.id} (a value of {limit} characters)", metadata={"note": "v" * limit})
        elif rule.kind == "cross_field" and rule.limit == "phone_required_needs_collection":
            add("require_phone_number with allow_phone_number_collection left to its default",
                feature_flags={"require_phone_number": True})  # fmt: skip
            add("require_phone_number with allow_phone_number_collection true",
                feature_flags={"require_phone_number": True, "allow_phone_number_collection": True})  # fmt: skip
        elif rule.kind == "cross_field" and rule.limit == "discount_codes_exclusive" and fx.discounts:
            add("discount_codes beside a null discount_code", discount_codes=[fx.discounts[0].code], discount_code=None)
        elif rule.kind == "cross_field" and rule.limit == "empty_cart_needs_collection" and fx.checkout.collections:
            add("an empty cart with a collection", product_cart=[], product_collection_id=fx.checkout.collections[0].id)
    return [(name, p) for name, p in out if validate_request(p, spec_version=contract).ok]
