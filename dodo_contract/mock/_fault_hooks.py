"""The hook implementations the fault modes plug into the mock: body, refusal, error and final-answer rewrites."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..contract.schemas import BUSINESS_ERROR_CODES
from ..errors import Violation

JSON_TYPE = "application/json"
MAX_VIOLATIONS_SHOWN = 50
INTERMITTENT_EVERY = 7
TRUNCATE_EVERY = 6


@dataclass(slots=True)
class Reply:
    """One answer before it is encoded: status, JSON body, extra headers, content type, or exact bytes."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    raw: bytes | None = None


def error_reply(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> Reply:
    """Return the documented error answer ``{"code", "message"}`` (plus ``extra`` keys) with ``status``."""
    return Reply(status, {"code": code, "message": message, **extra}, dict(headers or {}))


def invalid_reply(message: str, violations: Sequence[Violation]) -> Reply:
    """Return 422 ``INVALID_REQUEST_BODY`` with ``message`` and the first violations in ``violations``."""
    shown = [v.to_dict() for v in violations[:MAX_VIOLATIONS_SHOWN]]
    return error_reply(422, "INVALID_REQUEST_BODY", message, violations=shown)


def schema_error_reply(
    violations: Sequence[Violation], prose: Mapping[str, tuple[str | None, str]], empty_cart: str
) -> Reply:
    """Return the 422 of a schema-invalid request: a prose rule's own code when only ``prose`` rules are broken.

    ``prose`` maps rule ids to (code, message), in priority order; a code None is the version's ``empty_cart``.
    """
    rules = {v.rule for v in violations}
    if rules <= prose.keys():
        rule = next(r for r in prose if r in rules)
        code, message = prose[rule]
        return error_reply(422, code or empty_cart, message, violations=[v.to_dict() for v in violations])
    return invalid_reply(f"Your request body is invalid: {violations[0]}", violations)


def _rules(*patterns: str, but: tuple[str, ...] = ()) -> Callable[[str], bool]:
    def skips(rule: str) -> bool:
        return rule not in but and any(fnmatch.fnmatchcase(rule, p) for p in patterns)

    return skips


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- 200 body rewrites ---------------------------------------------------------------------------------------


def _drop(*path: str) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    def hook(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        node = body
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
        return body

    return hook


def _drop_each(*keys: str) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    def hook(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for key in keys:
            body.pop(key, None)
        return body

    return hook


def _set(key: str, make: Callable[[dict[str, Any], dict[str, Any]], Any]) -> Callable[..., dict[str, Any]]:
    def hook(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        body[key] = make(body, payload)
        return body

    return hook


def _name_null(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    body["customer"]["name"] = None
    return body


def _placeholder_email(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    customer = payload.get("customer")
    if isinstance(customer, dict) and not isinstance(customer.get("customer_id"), str):
        body["customer"]["email"] = "customer@placeholder.invalid"
    return body


def _drop_last_item(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body.get("product_cart"), list):
        body["product_cart"] = body["product_cart"][:-1]
    return body


def _no_link(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    body.pop("payment_link", None)
    body.pop("expires_on", None)
    return body


def _discount_id_last(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    # The realistic bug: the deprecated field is filled in a loop over the stacked discounts, so the last one wins.
    ids = body.get("discount_ids")
    if isinstance(ids, list) and len(ids) >= 2:
        body["discount_id"] = ids[-1]
    return body


def _expired(body: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    if "expires_on" in body:
        body["expires_on"] = _iso(datetime.now(UTC) - timedelta(days=1))
    return body


# --- refusals of valid requests ------------------------------------------------------------------------------


def _refuse_nulls(payload: dict[str, Any]) -> Reply | None:
    key = next((k for k, v in payload.items() if v is None), None)
    if key is None:
        return None
    return error_reply(400, "INVALID_REQUEST", f"{key} must not be null")


def _refuse_quantity_zero(payload: dict[str, Any]) -> Reply | None:
    cart = payload.get("product_cart")
    if isinstance(cart, list) and any(isinstance(i, dict) and i.get("quantity") == 0 for i in cart):
        return error_reply(422, "INVALID_REQUEST_BODY", "quantity must be at least 1")
    return None


def _refuse_multi_line_carts(payload: dict[str, Any]) -> Reply | None:
    # A refusal no fixture contradicts, one case at a time: only the run-level success floor sees the pattern.
    cart = payload.get("product_cart")
    if isinstance(cart, list) and len(cart) >= 2:
        return error_reply(422, "NO_ELIGIBLE_PAYMENT_METHODS", "No eligible payment methods found")
    return None


def _refuse_numeric_metadata(payload: dict[str, Any]) -> Reply | None:
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and any(not isinstance(v, str) for v in metadata.values()):
        return error_reply(422, "INVALID_REQUEST_BODY", "metadata values must be strings")
    return None


def _refuse_satispay(payload: dict[str, Any]) -> Reply | None:
    methods = payload.get("allowed_payment_method_types")
    if isinstance(methods, list) and "satispay" in methods:
        return error_reply(422, "INVALID_REQUEST_BODY", "allowed_payment_method_types: unknown variant `satispay`")
    return None


def _crash_on_non_ascii(payload: dict[str, Any]) -> Reply | None:
    # The realistic bug: text is pushed through an ASCII-only encoder; any non-ASCII character raises.
    json.dumps(payload, ensure_ascii=False).encode("ascii")
    return None


def _refuse_existing_customer(payload: dict[str, Any]) -> Reply | None:
    customer = payload.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("customer_id"), str):
        return error_reply(422, "NOT_FOUND", f"Customer {customer['customer_id'][:60]} not found")
    return None


def _upper_country(payload: dict[str, Any]) -> dict[str, Any]:
    billing = payload.get("billing")
    if isinstance(billing, dict) and isinstance(billing.get("country"), str):
        return {**payload, "billing": {**billing, "country": billing["country"].upper()}}
    return payload


# --- error rewrites ------------------------------------------------------------------------------------------


def _schema_error_as(status: int, code: str | None = None) -> Callable[[Reply], Reply]:
    def hook(reply: Reply) -> Reply:
        if isinstance(reply.body, dict) and reply.body.get("code") == "INVALID_REQUEST_BODY":
            new_code = code or "INVALID_REQUEST_BODY"
            return error_reply(status, new_code, str(reply.body.get("message", "")), headers=reply.headers)
        return reply

    return hook


def _business_error_as(status: int, code: str | None, *, only: str | None = None) -> Callable[[Reply], Reply]:
    def hook(reply: Reply) -> Reply:
        got = reply.body.get("code") if isinstance(reply.body, dict) else None
        if reply.status == 422 and got in BUSINESS_ERROR_CODES and only in (None, got):
            return error_reply(status, code or str(got), str(reply.body.get("message", "")), headers=reply.headers)
        return reply

    return hook


def _wrong_shape(reply: Reply) -> Reply:
    message = reply.body.get("message", "error") if isinstance(reply.body, dict) else "error"
    return Reply(reply.status, {"error": message, "status": reply.status}, reply.headers, reply.content_type)


def _auth_403(reply: Reply) -> Reply:
    if reply.status == 401:
        return error_reply(403, "FORBIDDEN", "Forbidden", headers=reply.headers)
    return reply


# --- final answer rewrites -----------------------------------------------------------------------------------


def _status_201(reply: Reply, n: int) -> Reply:
    if reply.status == 200:
        reply.status = 201
    return reply


def _text_plain(reply: Reply, n: int) -> Reply:
    reply.content_type = "text/plain; charset=utf-8"
    return reply


def _truncate(reply: Reply, n: int) -> Reply:
    if reply.status == 200 and n % TRUNCATE_EVERY == 0:
        text = json.dumps(reply.body, separators=(",", ":")).encode()
        reply.raw = text[: len(text) // 2]
    return reply


def _intermittent_500(reply: Reply, n: int) -> Reply:
    if n % INTERMITTENT_EVERY == 0:
        return error_reply(500, "INTERNAL_SERVER_ERROR", "Something went wrong")
    return reply


def _every(k: int, seconds: float) -> Callable[[int], float]:
    return lambda n: seconds if n % k == 0 else 0.0
