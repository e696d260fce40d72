"""The fault modes of Checkout Sessions (``checkouts_*``): one realistic break per rule and check of the family.

Each breaks ``POST /checkouts``, ``POST /checkouts/preview`` or ``GET /checkouts/{id}`` only (``family =
"checkouts"``), so a payments run never sees it. ``caught_by`` names the checks that must catch it: the
Checkout Sessions checks (``session_shape``: the 200 of each of the three operations conforms to its schema;
``checkout_url_null_iff_payment_method``, ``session_round_trip``, ``preview_arithmetic``) and the shared ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..contract.versions import Contract, get_contract
from ._fault import Fault
from ._fault_hooks import (
    INTERMITTENT_EVERY,
    TRUNCATE_EVERY,
    Reply,
    _business_error_as,
    _every,
    _intermittent_500,
    _rules,
    _schema_error_as,
    _status_201,
    _text_plain,
    _truncate,
    _wrong_shape,
    error_reply,
)
from ._sessions import SessionStore

__all__ = ["CHECKOUT_FAULTS"]

SLOW_EVERY, SLOW_SECONDS = 5, 3.0
FAKE_PAYMENT = "pay_0000000000000000000000"
HIDDEN_FEE = 99
Body = dict[str, Any]


def _has_rule(rule: str) -> Callable[[Contract], bool]:
    return lambda contract: rule in get_contract(contract, operation="checkouts").known_rules("request")


# --- POST /checkouts 200 bodies ------------------------------------------------------------------------------


def _drop_session_id(body: Body, payload: Body) -> Body:
    body.pop("session_id", None)
    return body


def _url_with_method(body: Body, payload: Body) -> Body:
    # The realistic bug: the URL is built for every session, whatever payment_method_id said.
    if body.get("checkout_url") is None and isinstance(body.get("session_id"), str):
        body["checkout_url"] = f"https://test.checkout.dodopayments.com/session/{body['session_id']}"
    return body


def _url_null(body: Body, payload: Body) -> Body:
    body["checkout_url"] = None
    return body


# --- GET /checkouts/{id} -------------------------------------------------------------------------------------


def _status_404(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    # Sessions are written to a replica the reads do not see yet: a fresh session is "not found".
    return error_reply(404, "NOT_FOUND", "Checkout session not found")


def _other_session(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    # An off-by-one lookup: the session stored before the one asked for.
    previous = store.newest(1) if body is not None else None
    if previous is None or previous.id == session_id:
        newest = store.newest()
        previous = newest if newest is not None and newest.id != session_id else None
    return {**body, "id": previous.id} if body is not None and previous is not None else None


def _paid_too_early(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    if body is None or body.get("payment_id") is not None:
        return None
    return {**body, "payment_id": FAKE_PAYMENT, "payment_status": "succeeded"}


def _created_in_future(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    # Local time (UTC+1) written with a "Z": an hour ahead.
    if body is None:
        return None
    ahead = datetime.now(UTC) + timedelta(hours=1)
    return {**body, "created_at": ahead.isoformat(timespec="seconds").replace("+00:00", "Z")}


def _created_at_epoch(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    if body is None:
        return None
    return {**body, "created_at": str(int(datetime.now(UTC).timestamp()))}


def _unknown_found(body: Body | None, session_id: str, store: SessionStore) -> Body | Reply | None:
    if body is not None:
        return None
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"id": session_id, "created_at": now, "customer_email": None, "customer_name": None,
            "payment_id": None, "payment_status": None}  # fmt: skip


# --- POST /checkouts/preview 200 bodies ----------------------------------------------------------------------


def _breakup(body: Body) -> Body | None:
    found = body.get("current_breakup")
    return found if isinstance(found, dict) else None


def _discount_not_subtracted(body: Body, payload: Body) -> Body:
    b = _breakup(body)
    if b is not None and b.get("discount"):
        b["total_amount"] = b["subtotal"] + (b.get("tax") or 0)
        body["total_price"] = b["total_amount"]
    return body


def _hidden_fee(body: Body, payload: Body) -> Body:
    b = _breakup(body)
    if b is not None and b.get("subtotal"):
        b["total_amount"] += HIDDEN_FEE  # a service fee added to the charge but left out of the breakup
        body["total_price"] = b["total_amount"]
    return body


def _total_price_stale(body: Body, payload: Body) -> Body:
    b = _breakup(body)
    if b is not None:
        body["total_price"] = b["subtotal"]  # read before the discounts and tax were applied
    return body


def _ignore_quantity(body: Body, payload: Body) -> Body:
    # Each line priced once, whatever its quantity; the breakup stays internally consistent.
    b = _breakup(body)
    cart = body.get("product_cart")
    if b is None or not isinstance(cart, list) or not b.get("subtotal"):
        return body
    due = [i for i in cart if isinstance(i, dict) and not (i.get("is_subscription") and body.get("trial_period_days"))]
    subtotal = sum(int(i.get("og_price", 0)) for i in due) + sum(
        int(a.get("og_price", 0)) * int(a.get("quantity", 0)) for i in due for a in i.get("addons") or []
    )
    ratio = subtotal / b["subtotal"]
    b["subtotal"], b["discount"] = subtotal, round(b["discount"] * ratio)
    b["tax"] = round((b.get("tax") or 0) * ratio)
    b["total_amount"] = b["subtotal"] - b["discount"] + b["tax"]
    body["total_price"] = b["total_amount"]
    return body


def _drop_breakup(body: Body, payload: Body) -> Body:
    body.pop("current_breakup", None)
    return body


# --- refusals of valid requests ------------------------------------------------------------------------------


def _refuse_confirm(payload: Body) -> Reply | None:
    if payload.get("confirm") is True:
        return error_reply(422, "INVALID_REQUEST_BODY", "confirm: unknown field")
    return None


def _refuse_subscription_data(payload: Body) -> Reply | None:
    # A server built before subscriptions came to Checkout Sessions: the field is unknown to it, and it is strict.
    if payload.get("subscription_data") is not None:
        return error_reply(422, "INVALID_REQUEST_BODY", "subscription_data: unknown field")
    return None


def _refuse_collection(payload: Body) -> Reply | None:
    if payload.get("product_collection_id") is not None and payload.get("product_cart") == []:
        return error_reply(422, "PRODUCT_CART_EMTPY", "product_cart is empty")
    return None


def _crash_on_custom_fields(payload: Body) -> Reply | None:
    fields = payload.get("custom_fields")
    if isinstance(fields, list) and fields:
        raise KeyError("custom_fields")  # the realistic bug: a lookup of a table that was never migrated
    return None


def _fault(name: str, description: str, caught_by: tuple[str, ...], **hooks: Any) -> Fault:
    return Fault(name, description, caught_by, family="checkouts", **hooks)


_INVALID = ("invalid_request_rejected",)
CHECKOUT_FAULTS: tuple[Fault, ...] = (
    # the create answer's shape, and checkout_url exactly without payment_method_id
    _fault("checkouts_missing_session_id", "POST /checkouts 200 bodies lack the required session_id",
           ("session_shape",), on_session=_drop_session_id),
    _fault("checkouts_checkout_url_with_payment_method",
           "a checkout_url is returned although payment_method_id was sent (the payment is charged at once)",
           ("checkout_url_null_iff_payment_method",), on_session=_url_with_method),
    _fault("checkouts_checkout_url_null", "checkout_url is null for every session, with or without payment_method_id",
           ("checkout_url_null_iff_payment_method",), on_session=_url_null),
    # create -> GET round trip
    _fault("checkouts_get_404", "GET /checkouts/{id} answers 404 for a session that was just created",
           ("session_round_trip",), on_status=_status_404),
    _fault("checkouts_get_other_session", "GET /checkouts/{id} answers the previous session (an off-by-one lookup)",
           ("session_round_trip",), on_status=_other_session),
    _fault("checkouts_payment_before_payment", "GET shows a succeeded payment for a session nobody has paid",
           ("session_round_trip",), on_status=_paid_too_early),
    _fault("checkouts_created_at_future", "created_at is an hour in the future (local time written as UTC)",
           ("session_round_trip",), on_status=_created_in_future),
    _fault("checkouts_created_at_not_datetime", "created_at is a Unix timestamp string, not an RFC 3339 date-time",
           ("session_shape",), on_status=_created_at_epoch),
    _fault("checkouts_unknown_session_found", "GET of an unknown session id answers 200 with a made-up session",
           ("session_round_trip", "status_code_documented"), on_status=_unknown_found),
    # preview arithmetic
    _fault("checkouts_preview_discount_not_subtracted",
           "the preview shows the discount but total_amount is subtotal + tax",
           ("preview_arithmetic",), on_preview=_discount_not_subtracted),
    _fault("checkouts_preview_hidden_fee",
           f"the preview's total_amount adds a {HIDDEN_FEE} minor-unit fee its breakup does not show",
           ("preview_arithmetic",), on_preview=_hidden_fee),
    _fault("checkouts_preview_total_price_stale", "the preview's total_price is the subtotal, before discount and tax",
           ("preview_arithmetic",), on_preview=_total_price_stale),
    _fault("checkouts_preview_ignores_quantity", "the preview prices every cart line once, whatever its quantity",
           ("preview_arithmetic",), on_preview=_ignore_quantity),
    _fault("checkouts_preview_missing_breakup", "preview answers lack the required current_breakup",
           ("session_shape",), on_preview=_drop_breakup),
    # prose and schema rules not enforced
    _fault("checkouts_confirm_without_billing", "confirm: true is accepted without the billing address it needs",
           _INVALID, skips=_rules("billing_address.confirm_requires_*")),
    _fault("checkouts_accept_6_custom_fields", "more than 5 custom_fields are accepted", _INVALID,
           skips=_rules("custom_fields.maxItems")),
    _fault("checkouts_dropdown_without_options", "a dropdown custom field without options is accepted", _INVALID,
           skips=_rules("custom_fields.items.options.required_for_dropdown")),
    _fault("checkouts_trial_days_unbounded", "trial_period_days outside 0..10000 is accepted", _INVALID,
           skips=_rules("subscription_data.trial_period_days.m*imum")),
    _fault("checkouts_quantity_below_minimum", "a quantity below the minimum (1, or 0 by the schema) is accepted",
           _INVALID, skips=_rules("product_cart.items.quantity.minimum")),
    _fault("checkouts_cart_of_21", "a cart of more than 20 lines is accepted", _INVALID,
           skips=_rules("product_cart.maxItems"), applies=_has_rule("product_cart.maxItems")),
    _fault("checkouts_empty_cart_without_collection", "an empty cart without a product_collection_id is accepted",
           _INVALID, skips=_rules("product_cart.empty_requires_product_collection_id"),
           applies=_has_rule("product_cart.empty_requires_product_collection_id")),
    _fault("checkouts_payment_method_without_confirm", "payment_method_id is accepted without confirm: true",
           _INVALID, skips=_rules("payment_method_id.requires_confirm")),
    _fault("checkouts_tax_id_without_country", "tax_id is accepted without billing_address", _INVALID,
           skips=_rules("tax_id.requires_billing_country")),
    _fault("checkouts_bad_theme_accepted", "theme font URLs that are not https and any radius are accepted",
           _INVALID, skips=_rules("customization.theme_config.*.pattern")),
    _fault("checkouts_discount_code_with_codes", "discount_code together with discount_codes is accepted", _INVALID,
           skips=_rules("discount_codes.exclusive_with_discount_code"),
           applies=_has_rule("discount_codes.exclusive_with_discount_code")),
    _fault("checkouts_phone_required_without_collection",
           "require_phone_number is accepted with allow_phone_number_collection false", _INVALID,
           skips=_rules("feature_flags.require_phone_number_needs_collection"),
           applies=_has_rule("feature_flags.require_phone_number_needs_collection")),
    _fault("checkouts_accept_wrong_types", 'skips type checks ("quantity": "2", "confirm": "yes" -> 200)', _INVALID,
           skips=_rules("*.type", but=("body.type",))),
    # valid requests refused, or crashing
    _fault("checkouts_refuse_confirm", "refuses every confirm: true session with INVALID_REQUEST_BODY",
           ("valid_request_accepted", "fixture_request_succeeds"), refuse=_refuse_confirm),
    _fault("checkouts_refuse_subscription_data", "refuses every request with subscription_data (a trial, on-demand)",
           ("fixture_request_succeeds", "valid_request_accepted"), refuse=_refuse_subscription_data),
    _fault("checkouts_refuse_collection_flow", "refuses the empty cart of the product-collection flow",
           ("fixture_request_succeeds", "valid_request_accepted"), refuse=_refuse_collection),
    _fault("checkouts_crash_on_custom_fields", "crashes (500) on any request with custom_fields",
           ("no_server_error", "valid_request_accepted"), refuse=_crash_on_custom_fields),
    # business rules
    _fault("checkouts_accept_unknown_product", "accepts a product_id that is not in the catalog",
           ("business_rules_enforced",), waives=_rules("business.unknown_product")),
    _fault("checkouts_accept_any_discount_code", "accepts any discount code, applying nothing for unknown ones",
           ("business_rules_enforced",), waives=_rules("business.unknown_discount_code")),
    _fault("checkouts_accept_foreign_payment_method", "accepts a payment_method_id that is not the customer's",
           ("business_rules_enforced",), waives=_rules("business.foreign_payment_method")),
    _fault("checkouts_accept_unsupported_country", "serves billing countries the catalog says are unsupported",
           ("business_rules_enforced",), waives=_rules("business.unsupported_country")),
    _fault("checkouts_business_errors_as_invalid_body", "business refusals answer INVALID_REQUEST_BODY",
           ("business_rules_enforced",), on_error=_business_error_as(422, "INVALID_REQUEST_BODY")),
    # statuses, error bodies, content type, bytes
    _fault("checkouts_invalid_as_400", "schema violations answer 400 instead of 422",
           ("invalid_request_rejected", "status_code_documented"), on_error=_schema_error_as(400)),
    _fault("checkouts_error_body_wrong_shape", 'error bodies are {"error": ..., "status": ...}',
           ("error_schema_conformance",), on_error=_wrong_shape),
    _fault("checkouts_undocumented_error_code", "schema violations carry the undocumented code VALIDATION_ERROR",
           ("error_code_documented",), on_error=_schema_error_as(422, "VALIDATION_ERROR")),
    _fault("checkouts_status_201", "successful answers are 201 instead of the documented 200",
           ("status_code_documented",), on_reply=_status_201),
    _fault("checkouts_wrong_content_type", "every Checkout Sessions answer is labelled text/plain",
           ("content_type_json",), on_reply=_text_plain),
    _fault("checkouts_truncated_json", f"every {TRUNCATE_EVERY}th 200 body is cut in half", ("response_received",),
           on_reply=_truncate),
    # auth, time, availability
    _fault("checkouts_auth_ignored", "Checkout Sessions requests without a key or with a wrong key are served",
           ("auth_required",), auth_ignored=True),
    _fault("checkouts_slow", f"every {SLOW_EVERY}th request stalls {SLOW_SECONDS:g} s before answering",
           ("latency_budget",), delay=_every(SLOW_EVERY, SLOW_SECONDS)),
    _fault("checkouts_intermittent_500", f"every {INTERMITTENT_EVERY}th request fails with 500",
           ("no_server_error",), on_reply=_intermittent_500),
)  # fmt: skip
