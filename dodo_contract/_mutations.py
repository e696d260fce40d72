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

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .errors import join_pointer
from .fixtures import Fixtures

__all__ = [
    "INVALID_REQUEST_RULES",
    "INVALID_RESPONSE_RULES",
    "InvalidCase",
    "Mutator",
    "encode",
    "request_mutations",
    "response_mutations",
]

Payload = dict[str, Any]
Path = tuple[str | int, ...]
CART = -1  # path placeholder: the cart item chosen by ``where``
_INT32_MAX = 2**31 - 1
_INT32_MIN = -(2**31)


@dataclass(frozen=True, slots=True)
class InvalidCase:
    """One payload that breaks exactly one rule, with its label.

    ``body`` is exactly what to send; ``payload`` is the JSON value it encodes, or None when the body is not
    JSON at all (rule ``body.json``). ``rule`` and ``pointer`` are what the validator reports;
    ``description`` says what was done (``set /product_cart/0/quantity to -1``).
    """

    payload: Any
    body: bytes
    rule: str
    pointer: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the body as text, undecodable bytes escaped)."""
        return {
            "rule": self.rule,
            "pointer": self.pointer,
            "description": self.description,
            "body": self.body.decode("utf-8", errors="backslashreplace"),
        }


Mutator = Callable[[Payload, int, int], InvalidCase]
Prepare = Callable[[Payload], None]


def encode(payload: Any) -> bytes:
    """Serialise a payload as every case is sent: ``json.dumps(payload, ensure_ascii=False)`` in UTF-8."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


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


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _fresh(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, (list, dict)) else value


def _copy(payload: Payload) -> Payload:
    out: Payload = json.loads(json.dumps(payload))
    return out


def _case(payload: Any, rule: str, pointer: str, description: str) -> InvalidCase:
    return InvalidCase(payload, encode(payload), rule, pointer, description)


def _resolve(payload: Payload, path: Path, where: int) -> Path:
    if CART not in path:
        return path
    cart = payload["product_cart"]
    return tuple(where % len(cart) if p == CART else p for p in path)


def _parent(payload: Payload, path: Path) -> Any:
    node: Any = payload
    for part in path[:-1]:
        node = node[part]
    return node


def _setter(rule: str, path: Path, values: Sequence[Any], prepare: Prepare | None = None) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        if prepare is not None:
            prepare(payload)
        real = _resolve(payload, path, where)
        value = _fresh(values[choice % len(values)])
        _parent(payload, real)[real[-1]] = value
        pointer = join_pointer(real)
        return _case(payload, rule, pointer, f"set {pointer} to {_show(value)}")

    return mutate


def _remover(rule: str, path: Path, prepare: Prepare | None = None) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        if prepare is not None:
            prepare(payload)
        real = _resolve(payload, path, where)
        _parent(payload, real).pop(real[-1], None)
        return _case(payload, rule, join_pointer(real[:-1]), f"removed {join_pointer(real)}")

    return mutate


# --- preparations -------------------------------------------------------------------------------------------
def _plain_customer(payload: Payload) -> None:
    # A string payment_method_id would add the attach-form rule to anything done to the customer.
    payload.pop("payment_method_id", None)


def _new_customer(payload: Payload) -> None:
    _plain_customer(payload)
    customer = payload.get("customer")
    if not isinstance(customer, dict) or "customer_id" in customer:
        payload["customer"] = {"email": "jane.doe@example.com", "name": "Jane Doe"}


def _attach_customer(payload: Payload) -> None:
    _plain_customer(payload)
    payload["customer"] = {"customer_id": "cus_placeholder"}


def _ensure_cart(payload: Payload) -> None:
    if not isinstance(payload.get("product_cart"), list) or not payload["product_cart"]:
        payload["product_cart"] = [{"product_id": "prod_example", "quantity": 1}]


def _ensure_customer_metadata(payload: Payload) -> None:
    if not isinstance(payload["customer"].get("metadata"), dict):
        payload["customer"]["metadata"] = {}


# --- whole-body mutators (shared by requests and responses) -------------------------------------------------
def _not_json(base: Payload, choice: int, where: int) -> InvalidCase:
    body = encode(base)
    variant = choice % 7
    if variant == 0:
        return InvalidCase(None, body[: max(1, len(body) // 2)], "body.json", "", "truncated the JSON body in half")
    # NaN and bad bytes go where a value is checked, not into an ignored key: a server whose parser is lenient
    # (Python's json reads NaN) still has to refuse the request, so it is judged on its checks, not its parser.
    if variant in (1, 2):
        payload = _copy(base)
        word = "NaN" if variant == 1 else "Infinity"
        number = float("nan") if variant == 1 else float("inf")
        cart = payload.get("product_cart")
        if "total_amount" in payload or not (isinstance(cart, list) and cart and isinstance(cart[0], dict)):
            payload["total_amount" if "total_amount" in payload else "redirect_immediately"] = number
        else:
            cart[0]["quantity"] = number
        raw = json.dumps(payload, ensure_ascii=False, allow_nan=True).encode("utf-8")
        return InvalidCase(None, raw, "body.json", "", f"put the non-JSON number {word} in the body")
    if variant == 3:
        payload = _copy(base)
        if isinstance(payload.get("billing"), dict):
            payload["billing"]["country"] = "BAD-UTF8-HERE"
        else:
            payload["x_note"] = "BAD-UTF8-HERE"
        raw = encode(payload).replace(b"BAD-UTF8-HERE", b"caf\xe9 \xff\xfe")
        return InvalidCase(
            None, raw, "body.json", "", "put invalid UTF-8 bytes (Latin-1 \\xe9, \\xff\\xfe) in a string"
        )
    if variant == 4:
        return InvalidCase(None, body + b",", "body.json", "", "appended a trailing comma after the JSON object")
    if variant == 5:
        return InvalidCase(None, repr(base).encode("utf-8"), "body.json", "", "sent the Python repr (single quotes)")
    return InvalidCase(None, b"", "body.json", "", "sent an empty body")


def _not_object(base: Payload, choice: int, where: int) -> InvalidCase:
    options: tuple[Any, ...] = ([], "x", 1, None, True, [base], json.dumps(base), 0.5)
    value = _fresh(options[choice % len(options)])
    what = "the body JSON-encoded twice" if isinstance(value, str) and value != "x" else _show(value)
    return _case(value, "body.type", "", f"sent {what} as the body")


# --- request-only mutators ----------------------------------------------------------------------------------
def _too_many_items(base: Payload, choice: int, where: int) -> InvalidCase:
    payload = _copy(base)
    cart = payload["product_cart"]
    extra = 101 + choice % 3 * 49  # 101, 150 or 199
    payload["product_cart"] = [dict(cart[i % len(cart)]) for i in range(extra)]
    return _case(payload, "product_cart.maxItems", "/product_cart", f"grew /product_cart to {extra} items")


def _methods_list(payload: Payload, enabled: Sequence[str]) -> list[Any]:
    methods = payload.get("allowed_payment_method_types")
    if not isinstance(methods, list) or not methods:
        methods = payload["allowed_payment_method_types"] = [enabled[0] if enabled else "credit"]
    return methods


def _method_item(rule: str, values: Sequence[Any], enabled: Sequence[str]) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        methods = _methods_list(payload, enabled)
        index = where % (len(methods) + 1)
        value = values[choice % len(values)]
        if index == len(methods):
            methods.append(value)
        else:
            methods[index] = value
        pointer = f"/allowed_payment_method_types/{index}"
        return _case(payload, rule, pointer, f"set {pointer} to {_show(value)}")

    return mutate


def _repeated_method(enabled: Sequence[str]) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        methods = _methods_list(payload, enabled)
        twice = methods[choice % len(methods)]
        methods.insert(where % (len(methods) + 1), twice)
        pointer = "/allowed_payment_method_types"
        return _case(payload, "allowed_payment_method_types.uniqueItems", pointer, f"repeated {twice!r} in {pointer}")

    return mutate


def _metadata_of(payload: Payload) -> dict[str, Any]:
    meta = payload.get("metadata")
    if not isinstance(meta, dict):
        meta = payload["metadata"] = {}
    return meta


def _metadata_entry(rule: str, values: Sequence[Any], prefix: Path = ("metadata",)) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        if prefix == ("metadata",):
            meta = _metadata_of(payload)
        else:
            _ensure_customer_metadata(payload)
            meta = payload["customer"]["metadata"]
        keys = list(meta)
        # Adding a key to a full map would also break maxProperties: overwrite one then.
        index = where % (len(keys) + 1) if len(keys) < 50 else where % len(keys)
        key = keys[index] if index < len(keys) else "note"
        value = _fresh(values[choice % len(values)])
        meta[key] = value
        pointer = join_pointer((*prefix, key))
        return _case(payload, rule, pointer, f"set {pointer} to {_show(value)}")

    return mutate


def _long_metadata_key(base: Payload, choice: int, where: int) -> InvalidCase:
    payload = _copy(base)
    key = ("k" * 41, "a" * 100, "order_id_" + "x" * 32, "K-" * 21)[choice % 4]
    meta = _metadata_of(payload)
    if len(meta) >= 50:  # keep within 50 pairs, so only the key length is wrong
        del meta[next(iter(meta))]
    meta[key] = "v"
    # A key has no pointer of its own: the validator reports it at the object.
    return _case(payload, "metadata.key.maxLength", "/metadata", f"added metadata key of {len(key)} characters")


def _too_many_pairs(base: Payload, choice: int, where: int) -> InvalidCase:
    payload = _copy(base)
    meta = _metadata_of(payload)
    target = 51 + choice % 3 * 25  # 51, 76 or 101
    for i in range(target):
        if len(meta) >= target:
            break
        meta.setdefault(f"extra_{i:03d}", str(i))
    return _case(payload, "metadata.maxProperties", "/metadata", f"grew /metadata to {len(meta)} pairs")


def _method_without_customer_id(pm_ids: Sequence[str]) -> Mutator:
    def mutate(base: Payload, choice: int, where: int) -> InvalidCase:
        payload = _copy(base)
        _new_customer(payload)
        method = pm_ids[choice % len(pm_ids)]
        payload["payment_method_id"] = method
        return _case(
            payload,
            "customer.payment_method_requires_customer_id",
            "/customer",
            f"set /payment_method_id to {method!r} with the new-customer form (no customer_id)",
        )

    return mutate


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
