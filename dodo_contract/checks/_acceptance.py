"""The acceptance checks: what a server must accept, what it must refuse, and with which status and code.

A schema-valid request is accepted (or refused for a business reason its content does not contradict), a canonical
one gets 200, a request breaking one rule gets exactly the invalid status, one breaking a business rule the business
status and a business code, and a bad API key the auth status.
"""

from __future__ import annotations

from typing import Any

from ..contract.codes import EMPTY_CART_CODES
from ..contract.fixtures import Fixtures
from ..errors import Violation
from ._observation import (
    CheckContext,
    Observation,
    _below_minimum,
    _code,
    _code_suffix,
    _discount_codes,
    _documented_refusal,
    _v,
)

__all__ = [
    "auth_required",
    "business_rules_enforced",
    "fixture_request_succeeds",
    "invalid_request_rejected",
    "valid_request_accepted",
]


def valid_request_accepted(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A schema-valid request gets 200, or a business refusal (``business_status``) its content does not contradict.

    An answer with the status of schema errors (``invalid_status``, when it differs) or a schema code such as
    ``INVALID_REQUEST_BODY`` means the server called a valid request invalid.
    """
    if obs.status is None or obs.status == 200:
        return []
    settings = ctx.settings
    code = _code(obs)
    if _documented_refusal(obs, ctx):  # a transient refusal (503 DISCOUNT_CONCURRENT_REDEMPTION): safe to retry
        why = _contradiction(str(code), obs.request, ctx.fixtures)
        if why:
            return _v("/code", "valid.refusal_contradicts_fixtures", "business", f"refused with {code}, but {why}")
        return []
    if obs.status not in (settings.business_status, settings.invalid_status):
        return _v(
            "",
            "valid.status",
            "status",
            f"schema-valid request got {obs.status}{_code_suffix(obs)}; expected 200 or a business refusal",
        )
    if (code is not None and code in settings.schema_codes) or obs.status != settings.business_status:
        return _v(
            "/code" if code is not None else "",
            "valid.rejected_as_invalid",
            "status",
            f"schema-valid request refused as invalid ({code or obs.status})",
        )
    if code is None:
        return []  # no code to judge: error_schema_conformance reports the body
    if code not in settings.business_codes:
        return _v(
            "/code",
            "valid.refusal_code",
            "enum",
            f"schema-valid request refused with {code!r}, which is not a business error code",
        )
    why = _contradiction(code, obs.request, ctx.fixtures)
    if why:
        return _v("/code", "valid.refusal_contradicts_fixtures", "business", f"refused with {code}, but {why}")
    return []


def _contradiction(code: str, request: Any, fx: Fixtures | None) -> str:
    # Only refusals the request (or, when given, the fixtures) clearly contradicts; anything else passes.
    if not isinstance(request, dict):
        return ""
    cart = request.get("product_cart")
    items = [i for i in cart if isinstance(i, dict)] if isinstance(cart, list) else []
    if code in EMPTY_CART_CODES and items:
        return f"product_cart has {len(items)} item(s)"
    codes = _discount_codes(request)
    if code == "DISCOUNT_CONCURRENT_REDEMPTION" and not codes:
        return "the request applies no discount code"
    metadata = request.get("metadata")
    if code == "MAXIMUM_KEYS_REACHED" and (not isinstance(metadata, dict) or len(metadata) <= 50):
        return f"metadata has {len(metadata) if isinstance(metadata, dict) else 0} keys (at most 50 allowed)"
    if fx is None:
        return ""
    billing = request.get("billing")
    country = billing.get("country") if isinstance(billing, dict) else None
    if code == "UNSUPPORTED_COUNTRY" and country in fx.supported_countries:
        return f"{country} is supported according to the fixtures"
    if code == "INVALID_DISCOUNT_CODE" and codes and all(fx.discount(c) for c in codes):
        shown = ", ".join(repr(c) for c in codes[:3]) + (" ..." if len(codes) > 3 else "")
        return f"{shown} {'is a fixture discount code' if len(codes) == 1 else 'are fixture discount codes'}"
    tax_id = request.get("tax_id")
    if code == "INVALID_TAX_ID" and tax_id in fx.tax_ids:
        return f"{tax_id!r} is a fixture tax id"
    currency = request.get("billing_currency")
    if code == "UNSUPPORTED_CURRENCY" and currency in fx.billing_currencies:
        return f"{currency} is a fixture billing currency"
    if code == "NOT_FOUND" and items and all(fx.product(str(i.get("product_id"))) for i in items):
        customer = request.get("customer")
        cid = customer.get("customer_id") if isinstance(customer, dict) else None
        if cid is None or (isinstance(cid, str) and fx.customer(cid)):
            pm = request.get("payment_method_id")
            known = fx.customer(cid) if isinstance(cid, str) else None
            if pm is None or (known is not None and pm in known.payment_method_ids):
                return "every product, customer and payment method id is in the fixtures"
    return ""


def fixture_request_succeeds(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A canonical request built only from fixtures gets 200.

    Two refusals are tolerated: ``TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT`` when the fixtures price the cart below
    the catalog's ``minimum_charge`` in its currency, else ``settings.minimum_charge`` (Dodo documents a minimum
    charge without saying how much; a free product can legitimately be refused), and a documented transient refusal
    of a request that applies a discount code (503 ``DISCOUNT_CONCURRENT_REDEMPTION``, safe to retry).
    """
    if obs.status is None or obs.status == 200:
        return []
    if _documented_refusal(obs, ctx) and not _contradiction(str(_code(obs)), obs.request, ctx.fixtures):
        return []
    if _code(obs) == "TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT" and _below_minimum(obs.request, ctx):
        return []
    return _v(
        "",
        "fixture.refused",
        "status",
        f"canonical request ({obs.label or 'built from fixtures'}) got {obs.status}{_code_suffix(obs)}",
    )


def invalid_request_rejected(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A request breaking one rule gets exactly 422 (not 400, not 500, not 200).

    When ``business_status`` differs from ``invalid_status``, a refusal with that status and a business code is
    accepted too: Dodo answers some prose rules that way (an empty cart gets ``PRODUCT_CART_EMPTY``). The message
    carries the validator's own words about the broken rule.
    """
    settings = ctx.settings
    expected = settings.invalid_status
    if obs.status is None or obs.status == expected:
        return []
    code = _code(obs)
    if obs.status == settings.business_status and code in settings.business_codes - settings.schema_codes:
        return []
    what = obs.label or f"breaks {obs.rule}"
    why = f": {obs.reason}" if obs.reason else ""
    return _v(
        obs.pointer,
        obs.rule or "invalid",
        "status",
        f"invalid request ({what}) got {obs.status}{_code_suffix(obs)}, expected exactly {expected}{why}",
    )


def business_rules_enforced(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A schema-valid request breaking one business rule gets exactly 422 with a business error code.

    Any business code will do (the docs do not map every rule to one code), unless the request itself refutes it.
    The status is ``settings.business_status`` (422 unless overridden).
    """
    if obs.status is None:
        return []
    what, rule, expected = obs.label or obs.rule, obs.rule or "business", ctx.settings.business_status
    if obs.status == 200:
        return _v(obs.pointer, rule, "business", f"accepted a request that breaks a business rule: {what}")
    if obs.status != expected:
        got = f"{obs.status}{_code_suffix(obs)}"
        return _v(
            obs.pointer, rule, "status", f"request breaking a business rule ({what}) got {got}, expected {expected}"
        )
    code = _code(obs)
    if code is None:
        return []  # no code to judge: error_schema_conformance reports the body
    if code in ctx.settings.schema_codes:
        return _v("/code", rule, "code", f"schema-valid request refused as malformed ({code}): {what}")
    if code not in ctx.settings.business_codes:
        return _v("/code", rule, "enum", f"{what}: refused with {code!r}, which is not a business error code")
    why = _contradiction(code, obs.request, None)
    return _v("/code", rule, "business", f"{what}: refused with {code}, but {why}") if why else []


def auth_required(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A request with a missing or wrong API key gets 401."""
    expected = ctx.settings.auth_status
    if obs.status is None or obs.status == expected:
        return []
    return _v(
        "",
        obs.rule or "auth.required",
        "status",
        f"request with {obs.label or 'a bad API key'} got {obs.status}, expected {expected}",
    )
