"""Differential test: our verdict on ``POST /checkouts`` bodies against plain ``jsonschema`` on Dodo's whole document.

Thousands of near-valid session requests from a seeded generator, half of them mutated. Where the verdicts differ,
the difference must be one of the overlay's documented departures from the spec, each confirmed here by an
independent predicate:

1. the docs' prose bounds: cart at most 20 lines, an empty cart only with a collection, quantity at least 1 (the
   guide; the spec says 0), trial days 0..10000, at most 5 custom fields, at most 20 discount codes, metadata
   50/40/500, pay-button text at most 100 characters;
2. int32/int64 bounds of ``format`` (which jsonschema does not check);
3. URL and CSS patterns: ``return_url``/``cancel_url`` absolute http(s), font URLs https, ``radius`` a number and
   px/rem/em;
4. the cross-field rules: ``confirm`` needs an address (full, or a zipcode with ``minimal_address``),
   ``payment_method_id`` needs ``confirm`` and an existing customer, ``tax_id`` needs an address, ``discount_code``
   xor ``discount_codes``, a dropdown needs options, custom field keys are unique, ``require_phone_number`` needs
   phone collection;
5. the customer ``oneOf`` read as Dodo's server reads it (a customer fitting both forms is valid for us), and
   (1.113.0) the ``Metadata`` value ``oneOf`` read as ``anyOf`` (an integer value is valid for us).
"""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
import pytest

from dodo_contract import validate_request
from dodo_contract.contract.overlay import load_overlay
from dodo_contract.contract.spec import read_document
from tests import _shared

OPENAPI = _shared.SHARED / "dodo" / "openapi"
I32 = (-(2**31), 2**31 - 1)
HTTP = re.compile(r"^https?://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$", re.IGNORECASE)
HTTPS = re.compile(r"^https://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$", re.IGNORECASE)
RADIUS = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(px|rem|em)$")
FULL = ("street", "city", "state", "zipcode")
THEME = {"radius": "4px", "pay_button_text": "Pay", "font_primary_url": "https://f.example.com/a.woff2",
         "light": {"bg_primary": "#fff"}}  # fmt: skip
N = 3000


class Spec:
    """The spec's own request schema of one version (strict jsonschema) and its two customer forms."""

    def __init__(self, version: str) -> None:
        path = OPENAPI / load_overlay(version).source.file
        if not path.is_file():
            pytest.skip(f"{path} is absent")
        components = read_document(path)[0]["components"]
        self.validator = jsonschema.Draft202012Validator(
            {"$ref": "#/components/schemas/CreateCheckoutSessionRequest", "components": components}
        )
        self.attach = jsonschema.Draft202012Validator(components["schemas"]["AttachExistingCustomer"])
        self.new = jsonschema.Draft202012Validator(components["schemas"]["NewCustomer"])


def _int_out_of_range(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not I32[0] <= value <= I32[1]


def _minimal(p: dict[str, Any], version: str) -> bool:
    if p.get("minimal_address") is True:
        return True
    flags = p.get("feature_flags")
    return (version == "1.113.0" and p.get("minimal_address") is None and isinstance(flags, dict)
            and flags.get("single_page") is True)  # fmt: skip


def _lacks(p: dict[str, Any], keys: tuple[str, ...]) -> bool:
    address = p.get("billing_address")
    return not (isinstance(address, dict) and all(isinstance(address.get(k), str) for k in keys))


def _prose_broken(p: dict[str, Any], version: str) -> bool:
    """Tell, independently of the validator, whether a spec-valid session breaks a documented prose rule."""
    cart = p["product_cart"]
    if len(cart) > 20 or (not cart and not isinstance(p.get("product_collection_id"), str)):
        return True
    for line in cart:
        if not 1 <= line["quantity"] <= I32[1] or _int_out_of_range(line.get("amount")):
            return True
        if any(_int_out_of_range(a["quantity"]) for a in line.get("addons") or ()):
            return True
    if _int_out_of_range(p.get("mandate_min_amount_inr_paise")):
        return True
    sub = p.get("subscription_data") or {}
    trial = sub.get("trial_period_days")
    if trial is not None and not 0 <= trial <= 10000:
        return True
    if _int_out_of_range((sub.get("on_demand") or {}).get("product_price")):
        return True
    meta = p.get("metadata") or {}
    if len(meta) > 50 or any(len(k) > 40 or (isinstance(v, str) and len(v) > 500) for k, v in meta.items()):
        return True
    for key in ("return_url", "cancel_url"):
        if p.get(key) is not None and not HTTP.match(p[key]):
            return True
    theme = (p.get("customization") or {}).get("theme_config") or {}
    for key in ("font_primary_url", "font_secondary_url"):
        if theme.get(key) is not None and not HTTPS.match(theme[key]):
            return True
    if theme.get("radius") is not None and not RADIUS.match(theme["radius"]):
        return True
    if theme.get("pay_button_text") is not None and len(theme["pay_button_text"]) > 100:
        return True
    fields = p.get("custom_fields") or []
    if len(fields) > 5 or len({f["key"] for f in fields}) < len(fields):
        return True
    if any(f["field_type"] == "dropdown" and not isinstance(f.get("options"), list) for f in fields):
        return True
    codes = p.get("discount_codes")
    if isinstance(codes, list) and (len(codes) > 20 or p.get("discount_code") is not None):
        return True
    flags = p.get("feature_flags") or {}
    if flags.get("require_phone_number") is True and flags.get("allow_phone_number_collection") is False:
        return True
    if p.get("confirm") is True and _lacks(p, ("zipcode",) if _minimal(p, version) else FULL):
        return True
    customer = p.get("customer")
    if isinstance(p.get("payment_method_id"), str):
        existing = isinstance(customer, dict) and isinstance(customer.get("customer_id"), str)
        if p.get("confirm") is not True or not existing:
            return True
    return isinstance(p.get("tax_id"), str) and not isinstance(p.get("billing_address"), dict)


def _text(r: random.Random, n: int = 10) -> str:
    return "".join(r.choice("abcXYZ09 _-/é中\U0001f600") for _ in range(r.randint(0, n)))


def _value(r: random.Random) -> Any:
    return r.choice([None, True, 0, -1, 1.5, "", "x", [], {}, [1], {"a": 1}, 2**31, -(2**31) - 1])


def _valid(r: random.Random, version: str) -> dict[str, Any]:
    cart = [{"product_id": _text(r) or "p", "quantity": r.choice([1, 2, 99, 2**31 - 1])}
            for _ in range(r.choice([1, 1, 2, 3, 20]))]  # fmt: skip
    for line in cart:
        if r.random() < 0.3:
            line["amount"] = r.choice([None, 0, 100, -5, 2**31 - 1])
        if r.random() < 0.2:
            line["addons"] = [{"addon_id": "a", "quantity": r.choice([0, 1, 5])}]
    p: dict[str, Any] = {"product_cart": cart}
    optional: dict[str, Any] = {
        "customer": lambda: r.choice([None, {"customer_id": "cus_1"}, {"email": "a@example.com", "name": None}]),
        "billing_address": lambda: r.choice([None, {"country": "US"}, {"country": "DE", **dict.fromkeys(FULL, "x")}]),
        "billing_currency": lambda: r.choice([None, "USD", "EUR"]),
        "allowed_payment_method_types": lambda: r.choice([None, ["credit", "debit"], []]),
        "discount_code": lambda: r.choice([None, _text(r)]),
        "force_3ds": lambda: r.choice([None, True, False]),
        "metadata": lambda: r.choice([None, {f"k{i}": _meta_value(r, version) for i in range(r.choice([0, 1, 50]))}]),
        "minimal_address": lambda: r.choice([True, False]),
        "product_collection_id": lambda: r.choice([None, "pcol_1"]),
        "return_url": lambda: r.choice([None, "https://example.com/done", "http://localhost:3000/x?y=1"]),
        "short_link": lambda: r.choice([True, False]),
        "show_saved_payment_methods": lambda: r.choice([True, False]),
        "subscription_data": lambda: r.choice([None, {"trial_period_days": r.choice([None, 0, 7, 10000])}]),
        "custom_fields": lambda: r.choice([None, [{"key": "a", "label": "A", "field_type": "text"}],
                                           [{"key": "b", "label": "B", "field_type": "dropdown", "options": ["x"]}]]),
        "customization": lambda: {"theme": "dark", "theme_config": r.choice([None, THEME])},
        "feature_flags": lambda: r.choice([{}, {"allow_discount_code": False}, {"redirect_immediately": True}]),
    }  # fmt: skip
    if version == "1.113.0":
        optional.update(
            cancel_url=lambda: r.choice([None, "https://example.com/cart"]),
            discount_codes=lambda: r.choice([None, [], ["A"], [f"C{i}" for i in range(20)]]),
            mandate_min_amount_inr_paise=lambda: r.choice([None, 0, 1500000]),
            customer_business_name=lambda: r.choice([None, "Acme GmbH"]),
        )
    for key, make in optional.items():
        if r.random() < 0.35:
            p[key] = make()
    if isinstance(p.get("discount_codes"), list):
        p.pop("discount_code", None)
    if r.random() < 0.1:
        p["unknown_" + _text(r, 4)] = _value(r)
    return p


def _meta_value(r: random.Random, version: str) -> Any:
    return r.choice([5, -1, 5.5, True]) if version == "1.113.0" and r.random() < 0.3 else _text(r)


def _mutate(r: random.Random, p: dict[str, Any], version: str) -> Any:
    choice = r.randrange(20)
    if choice == 0:
        p[r.choice(list(p))] = _value(r)
    elif choice == 1:
        p["product_cart"] = r.choice([[], [{"product_id": "p", "quantity": 1}] * 21, [{}], [1], None])
    elif choice == 2:
        line = p["product_cart"][0] if p["product_cart"] else {}
        line[r.choice(["quantity", "amount", "product_id", "addons"])] = r.choice([_value(r), 0, 2**31, -1])
    elif choice == 3:
        p["customer"] = r.choice([{}, {"customer_id": "c", "email": "e@example.com"}, {"customer_id": 1, "email": "e"},
                                  {"name": "n"}, "c", 5])  # fmt: skip
    elif choice == 4:
        p["confirm"] = r.choice([True, True, "true", None])
        p["billing_address"] = r.choice([None, {"country": "US"}, {"country": "US", "zipcode": "1"},
                                         {"country": "US", **dict.fromkeys(FULL, "x")}, {"country": "us"}])  # fmt: skip
        p["minimal_address"] = r.choice([True, False, None])
        if version == "1.113.0" and r.random() < 0.3:
            p["feature_flags"] = {"single_page": True}
            p.pop("minimal_address")
    elif choice == 5:
        p["payment_method_id"] = r.choice(["pm_1", 5])
        p["customer"] = r.choice([None, {"email": "a@example.com"}, {"customer_id": "c"}])
        p["confirm"] = r.choice([True, False])
        p["billing_address"] = {"country": "US", **dict.fromkeys(FULL, "x")}
    elif choice == 6:
        p["tax_id"] = r.choice(["DE1", 5])
        p["billing_address"] = r.choice([None, {"country": "DE"}])
    elif choice == 7:
        p["metadata"] = r.choice([{"k" * 41: "v"}, {"k": "v" * 501}, {f"k{i}": "v" for i in range(51)}, {"k": 1}, None])
    elif choice == 8:
        p[r.choice(["return_url", "cancel_url"])] = r.choice(["return_url", "ftp://x", "//x", "https://", 5])
    elif choice == 9:
        p["customization"] = {"theme_config": {r.choice(["radius", "font_primary_url", "font_secondary_url",
                                                         "pay_button_text"]): r.choice(["4", "http://x.com/a",
                                                         "P" * 101, 5, "1em"])}}  # fmt: skip
    elif choice == 10:
        p["custom_fields"] = r.choice([[{"key": "a", "label": "A", "field_type": "dropdown"}],
                                       [{"key": "a", "label": "A", "field_type": "text"}] * 2,
                                       [{"key": f"k{i}", "label": "A", "field_type": "text"} for i in range(6)],
                                       [{"key": "a", "label": "A", "field_type": "select"}],
                                       [{"key": "a"}]])  # fmt: skip
    elif choice == 11:
        p["subscription_data"] = {"trial_period_days": r.choice([-1, 10001, 5.5, "7"])}
    elif choice == 12:
        p["feature_flags"] = r.choice([{"require_phone_number": True, "allow_phone_number_collection": False},
                                       {"require_phone_number": True}, {"single_page": "yes"}])  # fmt: skip
    elif choice == 13 and version == "1.113.0":
        p["discount_codes"] = r.choice([[f"C{i}" for i in range(21)], ["A", 5], "A", None])
        p["discount_code"] = r.choice([None, "A", 5])
    elif choice == 14:
        p["metadata"] = {"k": r.choice([5, 5.5, True, None, [1], "x" * 501, 10**20])}
    elif choice == 15:
        p["subscription_data"] = {"on_demand": r.choice([{}, {"mandate_only": "yes"}, {"mandate_only": True,
                                                        "product_price": 2**31}])}  # fmt: skip
    elif choice == 16:
        p["product_cart"] = []
        p["product_collection_id"] = r.choice([None, "pcol_1", 5])
    elif choice == 17:
        p["allowed_payment_method_types"] = r.choice([["credit", "credit"], ["Credit"], "credit", [None]])
    elif choice == 18:
        p["customer"] = {"customer_id": "c", "email": "e@example.com", "phone_number": None}
    else:
        return r.choice([[], "x", 1, None, [p]])
    return p


def _read_as_any_of(payload: Any, spec: Spec, version: str) -> bool:
    customer = payload.get("customer") if isinstance(payload, dict) else None
    both = isinstance(customer, dict) and spec.attach.is_valid(customer) and spec.new.is_valid(customer)
    meta = payload.get("metadata") if isinstance(payload, dict) else None
    integers = isinstance(meta, dict) and any(isinstance(v, int) and not isinstance(v, bool) for v in meta.values())
    return both or (version == "1.113.0" and integers)


@pytest.mark.parametrize("version", ["1.86.0", "1.113.0"])
def test_verdicts_agree_with_jsonschema_on_the_spec_except_documented_rules(version: str) -> None:
    spec = Spec(version)
    r = random.Random(20261130)
    seen = {"agree": 0, "prose": 0, "oneOf": 0}
    for i in range(N):
        payload: Any = _valid(r, version)
        if i % 2:
            payload = _mutate(r, payload, version)
        spec_ok = spec.validator.is_valid(payload)
        ours = validate_request(payload, operation="checkouts", spec_version=version)
        spec_only = validate_request(payload, operation="checkouts", spec_only=True, spec_version=version)
        if spec_ok == ours.ok:
            seen["agree"] += 1
        elif spec_ok:
            assert all(v.rule in _prose_rules(version) for v in ours.violations), (payload, ours.violations)
            assert _prose_broken(payload, version), (payload, ours.violations)
            seen["prose"] += 1
        else:
            assert _read_as_any_of(payload, spec, version), (payload, list(spec.validator.iter_errors(payload)))
            seen["oneOf"] += 1
        # With the prose rules left out, only the anyOf readings may differ from the spec.
        if spec_only.ok != spec_ok:
            assert spec_only.ok and _read_as_any_of(payload, spec, version), payload
    assert seen["prose"] > 300 and seen["oneOf"] > 20 and seen["agree"] > N // 2, seen


def _prose_rules(version: str) -> set[str]:
    rules = {
        "product_cart.maxItems", "product_cart.empty_requires_product_collection_id",
        "product_cart.items.quantity.minimum", "product_cart.items.quantity.maximum",
        "product_cart.items.amount.minimum", "product_cart.items.amount.maximum",
        "product_cart.items.addons.items.quantity.maximum", "subscription_data.trial_period_days.minimum",
        "subscription_data.trial_period_days.maximum", "subscription_data.on_demand.product_price.maximum",
        "subscription_data.on_demand.product_price.minimum", "metadata.maxProperties", "metadata.key.maxLength",
        "metadata.value.maxLength", "return_url.pattern", "customization.theme_config.font_primary_url.pattern",
        "customization.theme_config.font_secondary_url.pattern", "customization.theme_config.radius.pattern",
        "customization.theme_config.pay_button_text.maxLength", "custom_fields.maxItems",
        "custom_fields.items.options.required_for_dropdown", "custom_fields.keys_unique",
        "billing_address.confirm_requires_full_address", "billing_address.confirm_requires_zipcode",
        "payment_method_id.requires_confirm", "customer.payment_method_requires_customer_id",
        "tax_id.requires_billing_country",
    }  # fmt: skip
    if version == "1.113.0":
        rules |= {"cancel_url.pattern", "discount_codes.maxItems", "discount_codes.exclusive_with_discount_code",
                  "feature_flags.require_phone_number_needs_collection", "mandate_min_amount_inr_paise.minimum",
                  "mandate_min_amount_inr_paise.maximum"}  # fmt: skip
    return rules
