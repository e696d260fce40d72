"""Decode one draw into a schema-valid and business-valid ``POST /checkouts`` (or ``/checkouts/preview``) body.

The same scheme as ``_requests`` for payments: the low bits of one 10-byte draw are a presence mask over the
optional top-level fields the contract's request has, the rest a seed from which ``_Dice`` picks every leaf; seed
0 is the simplest session (one line of the first one-time product, quantity 1). The requests stay where every
plausible reading of the docs accepts them, as a faithful server must then answer 200:

* a cart of the fixtures' products of one currency (one-time and subscription mixed), at most 20 lines, each
  quantity at least the contract's minimum (1, or 0 under the schema's reading); addons only on subscription
  products (distinct ids from the fixtures), credit-entitlement overrides only for entitlements the fixtures
  attach, a pay-what-you-want ``amount`` only on one-time lines; an empty cart only with a fixture collection, whose
  products a non-empty collection cart uses;
* ``confirm: true`` only with a customer and either a complete billing address or ``minimal_address: true`` and
  a zipcode; ``payment_method_id`` only then, with the attach form of that method's owner;
* ``tax_id`` only beside a billing address; ``discount_code`` xor ``discount_codes`` (at most 20, from the fixtures);
* at most 5 custom fields with distinct keys, a dropdown always with options; ``require_phone_number`` never beside
  ``allow_phone_number_collection: false`` (nor with ``confirm``); valid CSS colours, https font URLs, a
  ``radius`` of a number and px/rem/em, a pay-button text of at most 100 characters;
* ``subscription_data`` (trial 0..10000 days) only for a cart with a subscription, and then a billing currency of
  USD if any (C16: "Non USD billing currency is not supported for subscriptions").
"""

from __future__ import annotations

from typing import Any

from ..contract.fixtures import Customer, Fixtures, Product
from ..contract.versions import Contract
from ._pools import (
    BUSINESS_NAMES,
    CITIES,
    INT32_MAX,
    STATES,
    STREETS,
    ZIPCODES,
    Payload,
    _Dice,
    _email,
    _extras,
    _maybe,
    _metadata,
    _name,
    _phone,
    _url,
)

__all__ = ["COLOURS", "CheckoutRequestPlan", "checkout_schema_node"]

MAX_LINES = 20
# CSS colours of every form the spec's ThemeModeConfig description lists.
COLOURS = ("#ffffff", "#FFF", "#0a0a0aff", "ffffff", "rgb(255, 255, 255)", "rgba(0, 0, 0, 0.5)",
           "hsl(120, 100%, 50%)", "hsla(120, 100%, 50%, 0.3)", "white", "transparent", "rebeccapurple",
           "hwb(194 0% 0%)", "lab(52.2345% 40.1645 59.9971)", "lch(52.2345% 72.2 56.2)", "oklab(59% 0.1 0.1)",
           "oklch(60% 0.15 50)", "color(display-p3 1 0.5 0)")  # fmt: skip
_FONTS = ("https://fonts.gstatic.com/s/inter/v13/inter.woff2", "https://cdn.example.com/fonts/brand-bold.woff2",
          "HTTPS://fonts.example.org/Mono.ttf", "https://fonts.example.net/a.otf?v=2#x")  # fmt: skip
_RADII = ("0px", "4px", "0.5rem", "1em", "12px", ".25rem", "2.5em", "100px")
_BUTTONS = ("Pay now", "Complete Purchase", "Subscribe Now", "Jetzt bezahlen", "今すぐ支払う", "Pay 🦤", "x" * 100)
_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl", "ja", "zh", "ko", "hi", "ar", "ru", "pl", "sv", "tr")
_FIELD_TYPES = ("text", "number", "email", "url", "date", "dropdown", "boolean")
_FIELD_KEYS = ("company", "team_size", "referral", "vat_note", "website", "start_date", "newsletter", "role")
_OPTIONS = (["1-10", "11-50", "51+"], ["Search", "Friend", "Ad"], ["Yes"], ["Red", "Green", "Blue", "Black"])


def checkout_schema_node(contract: Contract, *path: str) -> dict[str, Any]:
    """Return the dereferenced request node at ``path`` (property names, ``[]`` for items), or ``{}``."""
    node: Any = contract.schema("request")
    for key in path:
        if not isinstance(node, dict):
            return {}
        node = node.get("items") if key == "[]" else (node.get("properties") or {}).get(key)
    return node if isinstance(node, dict) else {}


def _nullable(node: dict[str, Any]) -> bool:
    types = node.get("type")
    return isinstance(types, list) and "null" in types


class CheckoutRequestPlan:
    """Decode (presence mask, seed) into a business-valid session request for one set of fixtures and contract."""

    def __init__(self, fx: Fixtures, contract: Contract) -> None:
        props = checkout_schema_node(contract)["properties"]
        order = ("allowed_payment_method_types", "billing_address", "billing_currency", "cancel_url", "confirm",
                 "custom_fields", "customer", "customer_business_name", "customization", "discount_code",
                 "discount_codes", "feature_flags", "force_3ds", "mandate_min_amount_inr_paise", "metadata",
                 "minimal_address", "payment_method_id", "product_collection_id", "return_url", "short_link",
                 "show_saved_payment_methods", "subscription_data", "tax_id")  # fmt: skip
        self.optional = (*(f for f in order if f in props), "<extras>")
        self.props = props
        self.mask = 2 ** len(self.optional) - 1
        groups: dict[str, list[Product]] = {}
        for product in fx.products:
            groups.setdefault(product.currency, []).append(product)
        self.carts = tuple(tuple(g) for g in groups.values())
        quantity = checkout_schema_node(contract, "product_cart", "[]", "quantity")
        self.min_quantity = max(int(quantity.get("minimum", 0)), 0)
        self.max_lines = min(int(checkout_schema_node(contract, "product_cart").get("maxItems", MAX_LINES)), MAX_LINES)
        self.customers: tuple[Customer, ...] = fx.customers
        countries = set(contract.countries)
        self.countries = tuple(sorted((c for c in fx.supported_countries if c in countries), key=lambda c: c != "US"))
        self.methods = contract.payment_method_types
        self.enabled = tuple(m for m in fx.enabled_payment_methods if m in self.methods)
        self.currencies = tuple(c for c in fx.billing_currencies if c in contract.currencies)
        self.codes = tuple(dict.fromkeys(d.code for d in fx.discounts))
        self.tax_ids = fx.tax_ids
        self.collections = fx.checkout.collections
        self.flags = tuple(checkout_schema_node(contract, "feature_flags").get("properties") or ())
        value = checkout_schema_node(contract, "metadata").get("additionalProperties") or {}
        self.numbers_in_metadata = isinstance(value.get("type"), list) and "number" in value["type"]
        self.theme_nullable = _nullable(checkout_schema_node(contract, "customization", "theme"))
        mode = checkout_schema_node(contract, "customization", "theme_config", "light")
        self.colour_keys = tuple(mode.get("properties") or ())
        self.nullable = frozenset(k for k, v in props.items() if _nullable(v))
        self.fixtures = fx

    # --- the request -------------------------------------------------------------------------------------------
    def build(self, draw: bytes) -> Payload:
        number = int.from_bytes(draw)
        mask, d = number & self.mask, _Dice(number >> len(self.optional))
        present = {name for bit, name in enumerate(self.optional) if mask >> bit & 1}
        out: Payload = _extras(d) if "<extras>" in present else {}
        asked = "product_collection_id" in present
        collection = d.pick(self.collections) if asked and self.collections and d.below(4) else None
        out["product_cart"] = self._cart(d, collection)
        if asked:
            out["product_collection_id"] = collection.id if collection is not None else None
        for name in self.optional:
            if name in present and name not in ("<extras>", "product_collection_id"):
                value = self._optional(d, name, out)
                if value is not _SKIP and (value is not None or name in self.nullable):
                    out[name] = value
        self._settle(d, out)
        return out

    def _cart(self, d: _Dice, collection: Any) -> list[Payload]:
        fx = self.fixtures
        if collection is not None:
            if d.chance(1, 2):
                return []  # the product-collection flow: the customer picks later
            group = [p for p in (fx.product(i) for i in collection.product_ids) if p is not None]
            group = [p for p in group if p.currency == group[0].currency]
        else:
            group = list(d.pick(self.carts))
        roll = d.below(20)
        size = d.between(1, 3) if roll < 17 else d.between(1, self.max_lines)
        lines = [self._line(d, d.pick(group)) for _ in range(size)]
        return _fit(lines, fx, self.min_quantity)

    def _line(self, d: _Dice, product: Product) -> Payload:
        low = max(self.min_quantity, 1) if d.below(8) else self.min_quantity
        quantity = d.between(low, 3) if d.below(10) < 8 else d.between(low, 100)
        line: Payload = {"product_id": product.id, "quantity": quantity}
        catalog = self.fixtures.checkout
        if catalog.is_subscription(product.id):
            addons = catalog.addons_of(product.id)
            if addons and d.chance(1, 2):
                chosen = d.sample(addons, d.between(1, len(addons)))
                line["addons"] = [{"addon_id": a.id, "quantity": d.between(1, 3)} for a in chosen]
            elif d.chance(1, 4):
                line["addons"] = None if d.chance(1, 2) else []
        elif product.pay_what_you_want:
            low_amount = product.min_amount
            line["amount"] = d.between(max(low_amount, 1), min(max(low_amount, 1) + 10_000, INT32_MAX))
        elif d.chance(1, 4):
            line["amount"] = None  # ignored for a fixed price; null is the one value every reading ignores
        entitlements = catalog.entitlements_of(product.id)
        if entitlements and d.chance(1, 3):
            picked = d.sample(entitlements, d.between(1, len(entitlements)))
            line["credit_entitlements"] = [
                {"credit_entitlement_id": e, "credits_amount": str(d.between(1, 100_000))} for e in picked
            ]
        return line

    def _optional(self, d: _Dice, name: str, out: Payload) -> Any:
        if name == "customer":
            return self._customer(d)
        if name == "billing_address":
            return None if d.chance(1, 6) else self._address(d, full=False)
        if name in ("confirm", "minimal_address", "short_link", "show_saved_payment_methods"):
            return d.chance(1, 3) if name == "confirm" else d.pick((False, True))
        if name == "force_3ds":
            return d.pick((None, False, True))
        if name == "metadata":
            return None if d.chance(1, 8) else _metadata(d, numbers=self.numbers_in_metadata)
        if name in ("return_url", "cancel_url"):
            return _maybe(d, _url)
        if name == "customer_business_name":
            return _maybe(d, lambda d: d.pick(BUSINESS_NAMES))
        if name == "allowed_payment_method_types":
            return self._allowed_methods(d)
        if name == "billing_currency":
            return None if not self.currencies or d.chance(1, 3) else d.pick(self.currencies)
        if name == "discount_code":
            return None if not self.codes or d.chance(1, 3) else d.pick(self.codes)
        if name == "discount_codes":
            if not self.codes or d.chance(1, 8):
                return None
            return d.sample(self.codes, d.between(1, min(20, len(self.codes))))
        if name == "tax_id":
            return None if not self.tax_ids or d.chance(1, 4) else d.pick(self.tax_ids)
        if name == "mandate_min_amount_inr_paise":
            return d.pick((None, 100_000, 1_500_000, 5_000_000))
        if name == "custom_fields":
            return None if d.chance(1, 6) else self._custom_fields(d)
        if name == "customization":
            return self._customization(d)
        if name == "feature_flags":
            return {flag: d.pick((False, True)) for flag in d.sample(self.flags, d.below(len(self.flags) + 1))}
        if name == "subscription_data":
            return None if d.chance(1, 6) else {"trial_period_days": d.pick((None, 0, 1, 7, 14, 30, 365, 10_000))}
        return _SKIP  # payment_method_id: only with confirm, decided in _settle

    # --- the parts -----------------------------------------------------------------------------------------
    def _customer(self, d: _Dice) -> Payload | None:
        form = d.below(5) if self.customers else d.below(2)
        if form == 0:
            return None
        if form == 1 or not self.customers:
            new: Payload = {"email": _email(d)}
            for key, make in (("name", _name), ("phone_number", _phone)):
                if roll := d.below(3):
                    new[key] = None if roll == 1 else make(d)
            return new
        known = d.pick(self.customers)
        return {"customer_id": known.id, "email": known.email} if form == 4 else {"customer_id": known.id}

    def _address(self, d: _Dice, *, full: bool) -> Payload:
        out: Payload = {"country": d.pick(self.countries)}
        for key, pool in (("street", STREETS), ("city", CITIES), ("state", STATES), ("zipcode", ZIPCODES)):
            if full or d.chance(1, 2):
                out[key] = d.pick(pool) if full or not d.chance(1, 4) else None
        return out

    def _allowed_methods(self, d: _Dice) -> list[str] | None:
        if not self.enabled or d.chance(1, 8):
            return None
        # The spec: "Always provide 'credit' and 'debit' as a fallback" (where the account has them).
        fallback: list[str] = [m for m in ("credit", "debit") if m in self.enabled]
        must = fallback or [d.pick(self.enabled)]
        rest = [m for m in d.sample(self.methods, d.below(4)) if m not in must]
        return [*must, *rest]

    def _custom_fields(self, d: _Dice) -> list[Payload]:
        fields: list[Payload] = []
        for key in d.sample(_FIELD_KEYS, d.below(6)):
            kind = d.pick(_FIELD_TYPES)
            field: Payload = {"key": key, "label": key.replace("_", " ").capitalize(), "field_type": kind}
            if kind == "dropdown":
                field["options"] = list(d.pick(_OPTIONS))
            if d.chance(1, 2):
                field["required"] = d.pick((False, True))
            if d.chance(1, 3):
                field["placeholder"] = _maybe(d, lambda d: "e.g. " + d.pick(BUSINESS_NAMES))
            fields.append(field)
        return fields

    def _customization(self, d: _Dice) -> Payload:
        out: Payload = {}
        if d.chance(1, 2):
            out["force_language"] = _maybe(d, lambda d: d.pick(_LANGUAGES))
        for key in ("show_on_demand_tag", "show_order_details"):
            if d.chance(1, 3):
                out[key] = d.pick((False, True))
        if d.chance(1, 2):
            themes = ("dark", "light", "system")
            out["theme"] = d.pick((*themes, None) if self.theme_nullable else themes)
        if d.chance(1, 2):
            out["theme_config"] = None if d.chance(1, 6) else self._theme(d)
        return out

    def _theme(self, d: _Dice) -> Payload:
        theme: Payload = {}
        for mode in ("light", "dark"):
            if d.chance(1, 2) and self.colour_keys:
                keys = d.sample(self.colour_keys, d.between(1, min(6, len(self.colour_keys))))
                theme[mode] = {k: None if d.chance(1, 5) else d.pick(COLOURS) for k in keys}
        pools = {
            "font_primary_url": _FONTS,
            "font_secondary_url": _FONTS,
            "radius": _RADII,
            "pay_button_text": _BUTTONS,
        }
        for key, pool in pools.items():
            if d.chance(1, 2):
                theme[key] = None if d.chance(1, 4) else d.pick(pool)
        if d.chance(1, 2):
            theme["font_size"] = d.pick(("xs", "sm", "md", "lg", "xl", "2xl", None))
        if d.chance(1, 2):
            theme["font_weight"] = d.pick(("normal", "medium", "bold", "extraBold", None))
        return theme

    # --- the rules that tie fields together ---------------------------------------------------------------
    def _settle(self, d: _Dice, out: Payload) -> None:
        lines = out["product_cart"]
        has_subscription = any(self.fixtures.checkout.is_subscription(i["product_id"]) for i in lines)
        if isinstance(out.get("discount_code"), str) and isinstance(out.get("discount_codes"), list):
            out.pop("discount_code" if d.chance(1, 2) else "discount_codes")
        if not has_subscription and out.get("subscription_data") is not None:
            out.pop("subscription_data")
        elif out.get("billing_currency") not in (None, "USD"):
            out["billing_currency"] = None
        if isinstance(out.get("tax_id"), str) and not isinstance(out.get("billing_address"), dict):
            out["billing_address"] = self._address(d, full=False)
        customer = out.get("customer")
        flags = out.get("feature_flags")
        if isinstance(flags, dict):
            if flags.get("require_phone_number") is True and (flags.get("allow_phone_number_collection") is False
                                                              or out.get("confirm") is True):  # fmt: skip
                flags["require_phone_number"] = False
            if isinstance(customer, dict) and "customer_id" in customer and flags.get("always_create_new_customer"):
                flags["always_create_new_customer"] = False  # a new customer beside an existing one: no clear reading
        if out.get("confirm") is True:
            self._confirm(d, out)

    def _confirm(self, d: _Dice, out: Payload) -> None:
        # A confirmed session has everything finalised: a customer, and a complete address or a minimal one.
        if not isinstance(out.get("customer"), dict):
            out["customer"] = self._customer(d) or {"email": _email(d), "name": _name(d)}
        if d.chance(1, 3):
            given = out.get("billing_address")
            address: Payload = given if isinstance(given, dict) else {"country": d.pick(self.countries)}
            out["billing_address"] = {**address, "zipcode": d.pick(ZIPCODES)}
            out["minimal_address"] = True
        else:
            full = self._address(d, full=True)
            old = out.get("billing_address")
            out["billing_address"] = {**full, "country": old["country"]} if isinstance(old, dict) else full
            if out.get("minimal_address") is None:
                out.pop("minimal_address", None)
        customer = out["customer"]
        owner = self.fixtures.customer(customer["customer_id"]) if "customer_id" in customer else None
        if owner is not None and owner.payment_method_ids and d.chance(1, 2):
            out["payment_method_id"] = d.pick(owner.payment_method_ids)


_SKIP = object()


def _fit(lines: list[Payload], fx: Fixtures, minimum: int) -> list[Payload]:
    """Bring quantities down (never below ``minimum``), then drop lines, until the cart's total fits in int32."""

    def total() -> int:
        amount = 0
        for line in lines:
            amount += fx.line_total(line) or 0
            for addon in line.get("addons") or ():
                found = fx.checkout.addon(line["product_id"], addon["addon_id"])
                amount += (found.price if found else 0) * addon["quantity"]
        return amount

    while total() > INT32_MAX:
        biggest = max(lines, key=lambda i: i["quantity"])
        if biggest["quantity"] > max(minimum, 1):
            biggest["quantity"] = max(minimum, 1, biggest["quantity"] // 10)
        elif len(lines) > 1:
            lines.pop()
        else:
            biggest["quantity"] = minimum
            break
    return lines
