"""The building blocks of labelled invalid cases: ``InvalidCase``, ``encode`` and the mutators that break a payload."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import join_pointer

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
