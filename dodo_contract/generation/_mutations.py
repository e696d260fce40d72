"""Break exactly one contract rule in a valid payload, and label it as the validator reports it.

A mutator takes a valid payload and two free integers (``choice`` picks the bad value, ``where`` picks the
cart item or list slot) and returns an ``InvalidCase``. Mutators first *prepare* the payload where another
rule could fire alongside the one they break: e.g. they drop ``payment_method_id`` before touching
``customer`` (else the attach-form rule fires too) and switch to the new-customer form before breaking
``email``/``name`` (with a ``customer_id`` the attach form still fits, so the body stays valid).

Every rule of ``known_rules("request")`` and ``known_rules("response")`` is breakable in JSON and covered;
none is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ..contract.fixtures import Fixtures
from ._mutators import (
    _INT32_MAX,
    _INT32_MIN,
    CART,
    InvalidCase,
    Mutator,
    Payload,
    _attach_customer,
    _ensure_cart,
    _long_metadata_key,
    _metadata_entry,
    _method_item,
    _method_without_customer_id,
    _new_customer,
    _not_json,
    _not_object,
    _plain_customer,
    _remover,
    _repeated_method,
    _setter,
    _too_many_items,
    _too_many_pairs,
    encode,
)

__all__ = [
    "INVALID_REQUEST_RULES",
    "INVALID_RESPONSE_RULES",
    "InvalidCase",
    "Mutator",
    "encode",
    "request_mutations",
    "response_mutations",
]


# --- bad values, by the type the contract expects -----------------------------------------------------------
# 5.0 is a valid integer and {"customer_id", "email"} a valid customer: neither appears as a bad value.
NULLABLE_STRING_BAD: tuple[Any, ...] = (5, True, 5.5, [], {}, 0, ["x"], {"value": "x"})
STRING_BAD = (None, *NULLABLE_STRING_BAD)
NULLABLE_BOOL_BAD: tuple[Any, ...] = ("true", 1, 0, "false", "yes", [], {}, 1.0)
BOOL_BAD = (None, *NULLABLE_BOOL_BAD)
NULLABLE_INT_BAD: tuple[Any, ...] = ("100", 5.5, True, False, [], {}, "1e3", 0.5, -1.5)
INT_BAD = (None, *NULLABLE_INT_BAD)
OBJECT_BAD: tuple[Any, ...] = (None, "x", 5, True, [], ["a", "b"], 0.5)
COUNTRY_BAD = ("us", "Us", "uS", "USA", "UK", "XX", "", "EU", "U", "usa", "gb", "840")
CURRENCY_BAD = ("usd", "Usd", "uSD", "US", "USDD", "EURO", "XXX", "", "inr", "$", "US$", "840", "eur")
METHOD_BAD = ("Credit", "CREDIT", "credit_card", "card", "apple-pay", "ApplePay", "", "upi", "Debit")
# Only unambiguous breaks: a URL with a space in its host is invalid to us, but a server that parses with
# urllib would take it, and the engine must not call such a server broken.
URL_BAD = (
    "not a url",
    "ftp://x",
    "//x",
    "https://",
    "example.com",
    "https:/example.com",
    "/relative/path",
    "mailto:a@example.com",
    "javascript:alert(1)",
    "http//x.com",
)
DATE_BAD = (
    "not a date",
    "2023-11-07 05:31:56Z",
    "2023-13-07T05:31:56Z",
    "2023-11-07T05:31:56",
    "2023-11-07",
    "2023-02-30T00:00:00Z",
    "2023-11-07T24:00:00Z",
    "07/11/2023",
    "1699335116",
    "",
)


_NO_FORM: tuple[Payload, ...] = (
    {},
    {"name": "Ada Lovelace"},
    {"phone_number": "+14155550123"},
    {"name": None},
    {"id": "cus_ada"},
    {"customer": "cus_ada"},
    {"Email": "ada@example.com"},
)


@cache
def _request_table(fixtures: Fixtures) -> dict[str, Mutator]:
    enabled = fixtures.enabled_payment_methods
    pm_ids = tuple(m for c in fixtures.customers for m in c.payment_method_ids) or ("pm_example",)
    cart_item = ("product_cart", CART)
    table: dict[str, Mutator] = {
        "body.json": _not_json,
        "body.type": _not_object,
        "product_cart.required": _remover("product_cart.required", ("product_cart",)),
        "customer.required": _remover("customer.required", ("customer",)),
        "billing.required": _remover("billing.required", ("billing",)),
        "billing.country.required": _remover("billing.country.required", ("billing", "country")),
        "product_cart.items.product_id.required": _remover(
            "product_cart.items.product_id.required", (*cart_item, "product_id")
        ),
        "product_cart.items.quantity.required": _remover(
            "product_cart.items.quantity.required", (*cart_item, "quantity")
        ),
        "billing.type": _setter("billing.type", ("billing",), OBJECT_BAD),
        "billing.country.type": _setter("billing.country.type", ("billing", "country"), (None, 840, True, [], {}, 1.5)),
        "billing.country.enum": _setter("billing.country.enum", ("billing", "country"), COUNTRY_BAD),
        "billing.zipcode.type": _setter("billing.zipcode.type", ("billing", "zipcode"), (94105, *NULLABLE_STRING_BAD)),
        "billing_currency.type": _setter(
            "billing_currency.type", ("billing_currency",), (840, True, [], {}, 1.5, ["USD"])
        ),
        "billing_currency.enum": _setter("billing_currency.enum", ("billing_currency",), CURRENCY_BAD),
        "customer.type": _setter("customer.type", ("customer",), (*OBJECT_BAD, "cus_ada"), _plain_customer),
        "customer.customer_id_or_email.required": _setter(
            "customer.customer_id_or_email.required", ("customer",), _NO_FORM, _plain_customer
        ),
        "customer.customer_id.type": _setter(
            "customer.customer_id.type", ("customer", "customer_id"), STRING_BAD, _attach_customer
        ),
        "customer.email.type": _setter("customer.email.type", ("customer", "email"), STRING_BAD, _new_customer),
        "customer.payment_method_requires_customer_id": _method_without_customer_id(pm_ids),
        "metadata.type": _setter("metadata.type", ("metadata",), OBJECT_BAD),
        "metadata.maxProperties": _too_many_pairs,
        "metadata.key.maxLength": _long_metadata_key,
        "metadata.value.maxLength": _metadata_entry("metadata.value.maxLength", ("x" * 501, "é" * 600, "🦤" * 1000)),
        "metadata.value.type": _metadata_entry("metadata.value.type", (5, None, True, 1.5, [], {}, ["a"])),
        "return_url.pattern": _setter("return_url.pattern", ("return_url",), URL_BAD),
        "product_cart.type": _setter("product_cart.type", ("product_cart",), (None, {}, "prod_basic", 5, True)),
        "product_cart.minItems": _setter("product_cart.minItems", ("product_cart",), ([],)),
        "product_cart.maxItems": _too_many_items,
        "product_cart.items.type": _setter("product_cart.items.type", cart_item, (None, 5, "prod_basic", [], True)),
        "product_cart.items.product_id.type": _setter(
            "product_cart.items.product_id.type", (*cart_item, "product_id"), STRING_BAD
        ),
        "product_cart.items.quantity.type": _setter(
            "product_cart.items.quantity.type", (*cart_item, "quantity"), INT_BAD
        ),
        "product_cart.items.quantity.minimum": _setter(
            "product_cart.items.quantity.minimum", (*cart_item, "quantity"), (-1, -100, _INT32_MIN)
        ),
        "product_cart.items.quantity.maximum": _setter(
            "product_cart.items.quantity.maximum", (*cart_item, "quantity"), (_INT32_MAX + 1, 2**40, 2**53)
        ),
        "product_cart.items.amount.type": _setter(
            "product_cart.items.amount.type", (*cart_item, "amount"), NULLABLE_INT_BAD
        ),
        "product_cart.items.amount.minimum": _setter(
            "product_cart.items.amount.minimum", (*cart_item, "amount"), (_INT32_MIN - 1, -(2**40))
        ),
        "product_cart.items.amount.maximum": _setter(
            "product_cart.items.amount.maximum", (*cart_item, "amount"), (_INT32_MAX + 1, 2**40, 2**53)
        ),
        "allowed_payment_method_types.type": _setter(
            "allowed_payment_method_types.type",
            ("allowed_payment_method_types",),
            ("credit", "credit,debit", {}, 5, True),
        ),
        "allowed_payment_method_types.items.enum": _method_item(
            "allowed_payment_method_types.items.enum", METHOD_BAD, enabled
        ),
        "allowed_payment_method_types.items.type": _method_item(
            "allowed_payment_method_types.items.type", (None, 5, True, [], {}), enabled
        ),
        "allowed_payment_method_types.uniqueItems": _repeated_method(enabled),
    }
    for field in ("city", "state", "street"):
        table[f"billing.{field}.type"] = _setter(f"billing.{field}.type", ("billing", field), NULLABLE_STRING_BAD)
    for field in ("name", "phone_number"):
        table[f"customer.{field}.type"] = _setter(
            f"customer.{field}.type", ("customer", field), NULLABLE_STRING_BAD, _new_customer
        )
    for field in ("discount_code", "payment_method_id", "tax_id", "return_url"):
        table[f"{field}.type"] = _setter(f"{field}.type", (field,), NULLABLE_STRING_BAD)
    for field in ("force_3ds", "payment_link", "short_link"):
        table[f"{field}.type"] = _setter(f"{field}.type", (field,), NULLABLE_BOOL_BAD)
    for field in ("redirect_immediately", "show_saved_payment_methods"):
        table[f"{field}.type"] = _setter(f"{field}.type", (field,), BOOL_BAD)
    return dict(sorted(table.items()))


def request_mutations(fixtures: Fixtures) -> Mapping[str, Mutator]:
    """Return rule id -> mutator breaking that rule in a valid request for ``fixtures``."""
    return _request_table(fixtures)


@cache
def _response_table() -> dict[str, Mutator]:
    item = ("product_cart", CART)
    table: dict[str, Mutator] = {
        "body.json": _not_json,
        "body.type": _not_object,
        "customer.type": _setter("customer.type", ("customer",), OBJECT_BAD),
        "metadata.type": _setter("metadata.type", ("metadata",), OBJECT_BAD),
        "metadata.value.type": _metadata_entry("metadata.value.type", (5, None, True, 1.5, [], {})),
        "customer.metadata.type": _setter("customer.metadata.type", ("customer", "metadata"), OBJECT_BAD),
        "customer.metadata.value.type": _metadata_entry(
            "customer.metadata.value.type", (5, None, True, 1.5, []), ("customer", "metadata")
        ),
        "expires_on.format": _setter("expires_on.format", ("expires_on",), DATE_BAD),
        "total_amount.type": _setter("total_amount.type", ("total_amount",), INT_BAD),
        "total_amount.minimum": _setter("total_amount.minimum", ("total_amount",), (-1, -100, _INT32_MIN)),
        "total_amount.maximum": _setter("total_amount.maximum", ("total_amount",), (_INT32_MAX + 1, 2**40)),
        "product_cart.type": _setter("product_cart.type", ("product_cart",), ({}, "prod_basic", 5, True)),
        "product_cart.items.type": _setter("product_cart.items.type", item, (None, 5, "prod", []), _ensure_cart),
        "product_cart.items.product_id.required": _remover(
            "product_cart.items.product_id.required", (*item, "product_id"), _ensure_cart
        ),
        "product_cart.items.quantity.required": _remover(
            "product_cart.items.quantity.required", (*item, "quantity"), _ensure_cart
        ),
        "product_cart.items.product_id.type": _setter(
            "product_cart.items.product_id.type", (*item, "product_id"), STRING_BAD, _ensure_cart
        ),
        "product_cart.items.quantity.type": _setter(
            "product_cart.items.quantity.type", (*item, "quantity"), INT_BAD, _ensure_cart
        ),
        "product_cart.items.quantity.minimum": _setter(
            "product_cart.items.quantity.minimum", (*item, "quantity"), (-1, _INT32_MIN), _ensure_cart
        ),
        "product_cart.items.quantity.maximum": _setter(
            "product_cart.items.quantity.maximum", (*item, "quantity"), (_INT32_MAX + 1, 2**40), _ensure_cart
        ),
        "product_cart.items.amount.type": _setter(
            "product_cart.items.amount.type", (*item, "amount"), NULLABLE_INT_BAD, _ensure_cart
        ),
        "product_cart.items.amount.minimum": _setter(
            "product_cart.items.amount.minimum", (*item, "amount"), (_INT32_MIN - 1,), _ensure_cart
        ),
        "product_cart.items.amount.maximum": _setter(
            "product_cart.items.amount.maximum", (*item, "amount"), (_INT32_MAX + 1,), _ensure_cart
        ),
    }
    for field in ("payment_id", "total_amount", "client_secret", "customer", "metadata"):
        table[f"{field}.required"] = _remover(f"{field}.required", (field,))
    for field in ("customer_id", "name", "email"):
        table[f"customer.{field}.required"] = _remover(f"customer.{field}.required", ("customer", field))
        table[f"customer.{field}.type"] = _setter(f"customer.{field}.type", ("customer", field), STRING_BAD)
    for field in ("payment_id", "client_secret"):
        table[f"{field}.type"] = _setter(f"{field}.type", (field,), STRING_BAD)
    for field in ("discount_id", "payment_link", "expires_on"):
        table[f"{field}.type"] = _setter(f"{field}.type", (field,), NULLABLE_STRING_BAD)
    table["customer.phone_number.type"] = _setter(
        "customer.phone_number.type", ("customer", "phone_number"), NULLABLE_STRING_BAD
    )
    return dict(sorted(table.items()))


def response_mutations() -> Mapping[str, Mutator]:
    """Return rule id -> mutator breaking that rule in a valid 200 response body."""
    return _response_table()


INVALID_REQUEST_RULES: tuple[str, ...] = tuple(_request_table(Fixtures(products=())))
INVALID_RESPONSE_RULES: tuple[str, ...] = tuple(_response_table())
