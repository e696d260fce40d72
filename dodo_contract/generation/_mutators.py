"""The building blocks of labelled invalid cases: ``InvalidCase``, ``encode``, and the two whole-body breakers.

``not_json`` (rule ``body.json``) and ``not_object`` (``body.type``) are hand-written: they break the document,
not a schema keyword. Each takes a valid payload and a class index and returns the labelled case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Payload = dict[str, Any]


@dataclass(frozen=True, slots=True)
class InvalidCase:
    """One payload that breaks exactly one rule, with its label.

    ``body`` is exactly what to send; ``payload`` is the JSON value it encodes, or None when the body is not
    JSON at all (rule ``body.json``). ``rule`` and ``pointer`` are what the validator reports;
    ``description`` says what was done (``set /product_cart/0/quantity to 5.5 (a fractional number)``);
    ``value_class`` names the class of bad value (``a fractional number``), the same on every seed.
    """

    payload: Any
    body: bytes
    rule: str
    pointer: str
    description: str
    value_class: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the body as text, undecodable bytes escaped)."""
        return {
            "rule": self.rule,
            "pointer": self.pointer,
            "description": self.description,
            "value_class": self.value_class,
            "body": self.body.decode("utf-8", errors="backslashreplace"),
        }


Mutator = Callable[[Payload, int, int], InvalidCase]
NOT_JSON_CLASSES = 7
NOT_OBJECT_CLASSES = 8


def encode(payload: Any) -> bytes:
    """Serialise a payload as every case is sent: ``json.dumps(payload, ensure_ascii=False)`` in UTF-8."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def show(value: Any) -> str:
    """Render a value for a description (JSON, at most 60 characters)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return text if len(text) <= 60 else text[:57] + "..."


def fresh(value: Any) -> Any:
    """Return a fresh copy of a container value (so no two cases share one)."""
    return json.loads(json.dumps(value)) if isinstance(value, (list, dict)) else value


def copy_payload(payload: Payload) -> Payload:
    """Return a deep copy through JSON (what is sent is what is labelled)."""
    out: Payload = json.loads(json.dumps(payload))
    return out


def make_case(payload: Any, rule: str, pointer: str, description: str, value_class: str = "") -> InvalidCase:
    """Return the labelled case of a JSON payload (its body as every case is sent)."""
    return InvalidCase(payload, encode(payload), rule, pointer, description, value_class)


# --- whole-body mutators (shared by requests and responses) -------------------------------------------------
def not_json(base: Payload, choice: int, where: int) -> InvalidCase:
    body = encode(base)
    variant = choice % 7
    if variant == 0:
        return InvalidCase(None, body[: max(1, len(body) // 2)], "body.json", "", "truncated the JSON body in half",
                           "a truncated document")  # fmt: skip
    # NaN and bad bytes go where a value is checked, not into an ignored key: a server whose parser is lenient
    # (Python's json reads NaN) still has to refuse the request, so it is judged on its checks, not its parser.
    if variant in (1, 2):
        payload = copy_payload(base)
        word = "NaN" if variant == 1 else "Infinity"
        number = float("nan") if variant == 1 else float("inf")
        cart = payload.get("product_cart")
        if isinstance(cart, list) and not cart and "total_amount" not in payload:
            cart.append({"product_id": "prod_nan", "quantity": number})  # an empty cart (a collection session)
        elif "total_amount" in payload or not (isinstance(cart, list) and cart and isinstance(cart[0], dict)):
            payload["total_amount" if "total_amount" in payload else "redirect_immediately"] = number
        else:
            cart[0]["quantity"] = number
        raw = json.dumps(payload, ensure_ascii=False, allow_nan=True).encode("utf-8")
        return InvalidCase(None, raw, "body.json", "", f"put the non-JSON number {word} in the body", word)
    if variant == 3:
        payload = copy_payload(base)
        if isinstance(payload.get("billing"), dict):
            payload["billing"]["country"] = "BAD-UTF8-HERE"
        else:
            payload["x_note"] = "BAD-UTF8-HERE"
        raw = encode(payload).replace(b"BAD-UTF8-HERE", b"caf\xe9 \xff\xfe")
        return InvalidCase(
            None,
            raw,
            "body.json",
            "",
            "put invalid UTF-8 bytes (Latin-1 \\xe9, \\xff\\xfe) in a string",
            "invalid UTF-8",
        )
    if variant == 4:
        return InvalidCase(
            None, body + b",", "body.json", "", "appended a trailing comma after the JSON object", "trailing data"
        )
    if variant == 5:
        text = repr(base).encode("utf-8")
        return InvalidCase(None, text, "body.json", "", "sent the Python repr (single quotes)", "single quotes")
    return InvalidCase(None, b"", "body.json", "", "sent an empty body", "an empty body")


def not_object(base: Payload, choice: int, where: int) -> InvalidCase:
    options: tuple[Any, ...] = ([], "x", 1, None, True, [base], json.dumps(base), 0.5)
    labels = ("an array", "a string", "a number", "null", "a boolean", "the object inside an array",
              "the body JSON-encoded twice", "a fraction")  # fmt: skip
    value = fresh(options[choice % len(options)])
    what = "the body JSON-encoded twice" if isinstance(value, str) and value != "x" else show(value)
    return make_case(value, "body.type", "", f"sent {what} as the body", labels[choice % len(options)])
