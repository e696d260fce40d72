"""The checks of Checkout Sessions (``POST /checkouts``, ``POST /checkouts/preview``, ``GET /checkouts/{id}``).

There is no echo of the request in a session (``CreateSessionResponse`` has ids and URLs only), so the meaning is
judged where the API states it:

* ``session_shape``: a 200 of each operation conforms to that operation's response schema of the run's version
  (rule ids ``session.<rule>``, ``preview.<rule>``, ``session_status.<rule>``);
* ``checkout_url_null_iff_payment_method``: ``checkout_url`` is null exactly when a ``payment_method_id`` was sent
  (the guide: the saved method is charged at once, there is no page to visit);
* ``session_round_trip``: ``GET /checkouts/{id}`` of an id a create answered resolves to that session, with
  ``payment_id`` / ``payment_status`` null before any payment (a session not confirmed), ``created_at`` not in the
  future (``settings.expires_on_skew_s`` of clock skew tolerated) and the ``customer_email`` sent; an id the
  server never issued is 404;
* ``preview_arithmetic``: ``current_breakup.total_amount = subtotal - discount + tax`` (tax on top) or
  ``subtotal - discount`` (tax already inside the subtotal) within the rounding tolerance; for a one-time cart
  ``total_price`` is that total and it lies within the same tax-robust bounds as a payment's total
  (``_pricing.pricing_bounds``), and one fixture discount code takes off its share of the preview's own subtotal
  (a flat one its amount; either up to the tax ceiling, for tax-inclusive prices); a subscription line of
  quantity 1 is priced at the catalog price.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import Violation
from ..validation.validator import validate_response
from ._observation import NOT_JSON, CheckContext, Observation, _contract_of, _discount_codes, _v
from ._pricing import Bounds, pricing_bounds, total_at_least_subtotal, total_within_tax_ceiling

__all__ = [
    "checkout_url_null_iff_payment_method",
    "preview_arithmetic",
    "session_round_trip",
    "session_shape",
]

_PREFIX = {"checkouts": "session", "checkouts.preview": "preview", "checkouts.get": "session_status"}


def _is_create_ok(obs: Observation) -> bool:
    return obs.operation == "checkouts" and obs.status == 200 and isinstance(obs.body, dict)


def session_shape(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 of a Checkout Sessions operation conforms to that operation's response schema of the run's version."""
    if obs.family != "checkouts" or obs.status != 200 or obs.body is NOT_JSON:
        return []  # an unreadable 200 is response_received's finding
    prefix = _PREFIX.get(obs.operation, obs.operation)
    found = validate_response(obs.body, spec_version=_contract_of(obs, ctx)).violations
    return [Violation(v.pointer, f"{prefix}.{v.rule}", v.keyword, v.message) for v in found]


def checkout_url_null_iff_payment_method(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """``checkout_url`` of a created session is null exactly when the request sent a ``payment_method_id``."""
    if not _is_create_ok(obs) or not isinstance(obs.request, dict) or "checkout_url" not in obs.body:
        return []  # an absent checkout_url is judged only by the schema (it is optional there)
    url, saved = obs.body["checkout_url"], obs.request.get("payment_method_id")
    if saved is not None and url is not None:
        return _v(
            "/checkout_url",
            "session.checkout_url_null_with_payment_method",
            "const",
            f"checkout_url is {url!r}, but a payment_method_id was sent: the saved method is charged, "
            "so there is no checkout page and checkout_url must be null",
        )
    if saved is None and url is None:
        return _v(
            "/checkout_url",
            "session.checkout_url_present",
            "type",
            "checkout_url is null, but no payment_method_id was sent: the customer needs the checkout page",
        )
    return []


def _created_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _email_sent(request: Any) -> str | None:
    customer = request.get("customer") if isinstance(request, dict) else None
    if isinstance(customer, dict) and "customer_id" not in customer and isinstance(customer.get("email"), str):
        email: str = customer["email"]
        return email
    return None


def session_round_trip(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """``GET /checkouts/{id}`` finds a created session as it was created; an id never issued is 404."""
    if obs.operation != "checkouts.get" or obs.status is None or obs.kind != "roundtrip":
        return []
    if obs.role == "unknown":
        if obs.status == 404:
            return []
        return _v(
            "",
            "round_trip.unknown_id_not_found",
            "status",
            f"GET /checkouts/{{id}} of an id the server never issued got {obs.status}, expected the documented 404",
        )
    if obs.status != 200:
        return _v(
            "",
            "round_trip.id_resolves",
            "status",
            f"GET /checkouts/{{id}} of the session id {obs.session!r} the create answered got {obs.status}, "
            "expected 200",
        )
    body = obs.body
    if not isinstance(body, dict):
        return []  # not an object: session_shape's finding
    out: list[Violation] = []
    if isinstance(body.get("id"), str) and body["id"] != obs.session:
        out += _v("/id", "round_trip.id", "const", f"id is {body['id']!r}, not the session asked for {obs.session!r}")
    confirmed = isinstance(obs.request, dict) and obs.request.get("confirm") is True
    for key in ("payment_id", "payment_status"):
        if not confirmed and body.get(key) is not None:
            out += _v(
                f"/{key}",
                f"round_trip.{key}_null_before_payment",
                "const",
                f"{key} is {body[key]!r} for a session that was not confirmed and not paid; it must be null "
                "while the session is at the details collection stage",
            )
    when = _created_at(body.get("created_at"))
    skew = ctx.settings.expires_on_skew_s
    if when is not None and obs.received_at and when.timestamp() > obs.received_at + skew:
        out += _v(
            "/created_at",
            "round_trip.created_at_not_in_future",
            "maximum",
            f"created_at {body['created_at']} is in the future (more than {skew:g} s after the answer arrived)",
        )
    sent = _email_sent(obs.request)
    got = body.get("customer_email")
    if sent is not None and (not isinstance(got, str) or got.casefold() != sent.casefold()):
        out += _v(
            "/customer_email",
            "round_trip.customer_email",
            "const",
            f"customer_email is {got!r}, but the session was created with customer email {sent!r}",
        )
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_time_cart(request: Any, ctx: CheckContext) -> bool:
    cart = request.get("product_cart") if isinstance(request, dict) else None
    if not isinstance(cart, list) or not cart:
        return False
    catalog = ctx.fixtures.checkout
    return all(
        isinstance(i, dict) and not i.get("addons") and not catalog.is_subscription(str(i.get("product_id")))
        for i in cart
    )


def _at(pointer: str, found: list[Violation], prefix: str) -> list[Violation]:
    return [Violation(pointer, v.rule.replace("pricing.", prefix, 1), v.keyword, v.message) for v in found]


def preview_arithmetic(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A preview's breakup adds up, its total agrees and is plausible for the catalog, subscriptions at their price."""
    body = obs.body
    if obs.operation != "checkouts.preview" or obs.status != 200 or not isinstance(body, dict):
        return []
    breakup = body.get("current_breakup")
    if not isinstance(breakup, dict):
        return []  # session_shape's finding
    total, subtotal, discount = (_int(breakup.get(k)) for k in ("total_amount", "subtotal", "discount"))
    tax = _int(breakup.get("tax")) if breakup.get("tax") is not None else 0
    if total is None or subtotal is None or discount is None or tax is None:
        return []
    cart = obs.request.get("product_cart") if isinstance(obs.request, dict) else None
    lines = len(cart) if isinstance(cart, list) else 0
    tolerance = ctx.settings.rounding_per_line * (lines + 1)
    out: list[Violation] = []
    # Tax on top (subtotal - discount + tax) or already inside the subtotal (tax shown, not added): both are
    # faithful readings of a breakup the spec does not define (INFERRED; CHECKOUT_SESSIONS.md), so either holds.
    sums = (subtotal - discount + tax, subtotal - discount)
    if all(abs(total - expected) > tolerance for expected in sums):
        out += _v(
            "/current_breakup/total_amount",
            "preview.breakup_adds_up",
            "const",
            f"current_breakup.total_amount {total} is neither subtotal {subtotal} - discount {discount} + tax {tax} "
            f"= {sums[0]} (tax on top) nor {sums[1]} (tax included), within {tolerance}",
        )
    if not _one_time_cart(obs.request, ctx):
        return out + _subscription_prices(obs, ctx)
    price = _int(body.get("total_price"))
    if price is not None and abs(price - total) > tolerance:
        out += _v(
            "/total_price",
            "preview.total_price_agrees",
            "const",
            f"total_price {price} differs from current_breakup.total_amount {total} for a one-time cart",
        )
    bounds = pricing_bounds(obs.request, ctx.fixtures, ctx.settings)
    if isinstance(bounds, Bounds) and body.get("currency") == bounds.currency:
        found = total_at_least_subtotal(total, bounds, ctx) or total_within_tax_ceiling(total, bounds, ctx)
        out += _at("/current_breakup/total_amount", found, "preview.")
        out += _discount_amount(obs.request, subtotal, discount, tolerance, ctx)
    return out


def _discount_amount(request: Any, subtotal: int, discount: int, tolerance: int, ctx: CheckContext) -> list[Violation]:
    """One fixture code: a percentage takes its share of the preview's own subtotal, a flat one at least its amount
    (and at most that times the tax ceiling: it may be taken off a tax-inclusive amount)."""
    codes = _discount_codes(request)
    found = ctx.fixtures.discount(codes[0]) if len(codes) == 1 else None
    if found is None:
        return []
    if found.amount is None:
        # Its share of the subtotal, or of the subtotal with tax when prices include it (at most the tax ceiling).
        expected = subtotal - found.apply(subtotal)
        high = int(expected * ctx.settings.tax_ceiling)
        if expected - tolerance <= discount <= high + tolerance:
            return []
        what = f"{found.percentage:g}% of the subtotal {subtotal} is {expected} (at most {high} with tax)"
    else:
        low = min(found.amount, subtotal)
        high = int(min(found.amount, subtotal) * ctx.settings.tax_ceiling)
        if low - tolerance <= discount <= high + tolerance:
            return []
        what = f"the flat code takes off {found.amount} (at most {high} with tax)"
    return _v(
        "/current_breakup/discount",
        "preview.discount_amount",
        "const",
        f"current_breakup.discount is {discount} for discount code {found.code!r}, but {what}",
    )


def _subscription_prices(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A subscription line of quantity 1 in the preview's cart has the catalog price as ``og_price``."""
    lines = obs.body.get("product_cart")
    out: list[Violation] = []
    for index, line in enumerate(lines if isinstance(lines, list) else []):
        if not isinstance(line, dict) or line.get("quantity") != 1 or line.get("is_subscription") is not True:
            continue
        product = ctx.fixtures.product(str(line.get("product_id")))
        if product is None or not ctx.fixtures.checkout.is_subscription(product.id):
            continue
        if line.get("og_currency") != product.currency or product.pay_what_you_want:
            continue
        price = _int(line.get("og_price"))
        if price is not None and price != product.price:
            out += _v(
                f"/product_cart/{index}/og_price",
                "preview.subscription_price",
                "const",
                f"og_price {price} of subscription {product.id!r} is not its catalog price {product.price}",
            )
    return out
