"""The checks that a 200 reflects what was sent: customer, metadata, cart, payment link, discount, unique id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import Violation, join_pointer
from ._observation import CheckContext, Observation, _discount_codes, _v


def request_values_reflected(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 echoes the customer, the metadata and (when it returns one) the product cart that was sent."""
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or not isinstance(body, dict):
        return []
    found = _customer_reflected(req.get("customer"), body.get("customer"), ctx)
    sent_meta = req.get("metadata")
    got_meta = body.get("metadata")
    if isinstance(sent_meta, dict) and isinstance(got_meta, dict):
        for key, value in sent_meta.items():
            if got_meta.get(key) != value:
                got = "missing" if key not in got_meta else repr(got_meta[key])[:60]
                found.append(
                    Violation(
                        join_pointer(("metadata", key)),
                        "reflected.metadata",
                        "const",
                        f"metadata {key!r} was sent as {value!r:.60}, answered {got}",
                    )
                )
                break
    cart = body.get("product_cart")
    if isinstance(cart, list) and isinstance(req.get("product_cart"), list):
        sent_q, got_q = _quantities(req["product_cart"]), _quantities(cart)
        if sent_q != got_q:
            found.append(
                Violation(
                    "/product_cart",
                    "reflected.product_cart",
                    "const",
                    f"product_cart quantities {_show(got_q)} differ from the request's {_show(sent_q)}",
                )
            )
    return found


def _quantities(cart: list[Any]) -> dict[str, int]:
    # Per product totals, ignoring order, merged lines and zero-quantity lines: all legitimate ways to echo a cart.
    out: dict[str, int] = {}
    for item in cart:
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if isinstance(quantity, float) and quantity.is_integer():  # JSON Schema: 1.0 is the integer 1
            quantity = int(quantity)
        if isinstance(quantity, int) and not isinstance(quantity, bool):
            pid = str(item.get("product_id"))
            out[pid] = out.get(pid, 0) + quantity
    return {k: v for k, v in out.items() if v}


def _show(quantities: dict[str, int]) -> str:
    text = ", ".join(f"{k} x{v}" for k, v in sorted(quantities.items()))
    return "{" + (text if len(text) <= 120 else text[:117] + "...") + "}"


def _customer_reflected(sent: Any, got: Any, ctx: CheckContext) -> list[Violation]:
    fx = ctx.fixtures
    if not isinstance(sent, dict) or not isinstance(got, dict):
        return []
    if isinstance(sent.get("customer_id"), str):  # Dodo takes the first form that fits: an existing customer
        cid = sent["customer_id"]
        if got.get("customer_id") != cid:
            return _v(
                "/customer/customer_id",
                "reflected.customer.customer_id",
                "const",
                f"customer_id {cid!r} was sent, answered {got.get('customer_id')!r}",
            )
        known = fx.customer(cid)
        if known and isinstance(got.get("email"), str) and got["email"].casefold() != known.email.casefold():
            return _v(
                "/customer/email",
                "reflected.customer.email",
                "const",
                f"customer {cid!r} has email {known.email!r} in the fixtures, answered {got['email']!r}",
            )
        return []
    email = sent.get("email")
    if not isinstance(email, str):
        return []
    if not isinstance(got.get("email"), str) or got["email"].casefold() != email.casefold():
        return _v(
            "/customer/email",
            "reflected.customer.email",
            "const",
            f"email {email!r} was sent, answered {got.get('email')!r}",
        )
    if any(c.email.casefold() == email.casefold() for c in fx.customers):
        return []  # an existing customer's stored name and phone may legitimately win
    details = (sent.get("name"), sent.get("phone_number"))
    first = ctx.new_customers.setdefault(email.casefold(), details)
    if first != details:
        return []  # this email came earlier with other details: a server may reuse the customer it created then
    for key in ("name", "phone_number"):
        value = sent.get(key)
        if isinstance(value, str) and got.get(key) is not None and got.get(key) != value:
            return _v(
                f"/customer/{key}",
                f"reflected.customer.{key}",
                "const",
                f"{key} {value!r} was sent, answered {got.get(key)!r}",
            )
    return []


def payment_link_present(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 to ``payment_link: true`` carries a ``payment_link`` and an ``expires_on`` in the future."""
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or req.get("payment_link") is not True:
        return []
    if not isinstance(body, dict):
        return []
    link = body.get("payment_link")
    if not isinstance(link, str) or not link.strip():
        return _v(
            "/payment_link",
            "payment_link.missing",
            "required",
            f"payment_link: true was sent, but payment_link is {link!r}",
        )
    expires = body.get("expires_on")
    if not isinstance(expires, str):
        return _v(
            "/expires_on",
            "payment_link.expires_on.missing",
            "required",
            f"a payment link was returned without expires_on (got {expires!r})",
        )
    try:
        when = datetime.fromisoformat(expires)
    except ValueError:
        return []  # response_schema_conformance reports a malformed date-time
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = obs.received_at or datetime.now(UTC).timestamp()
    if when.timestamp() < now - ctx.settings.expires_on_skew_s:
        return _v(
            "/expires_on", "payment_link.expires_on.past", "minimum", f"expires_on {expires} is already in the past"
        )
    return []


def discount_applied(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 to a request with fixture discount codes says which discount it applied.

    ``discount_id``, or (from 1.113.0, where ``discount_id`` is deprecated) a non-empty ``discount_ids``; the
    codes are ``discount_code`` or the stacked ``discount_codes``, every one of them a fixture code.
    """
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or not isinstance(body, dict):
        return []
    codes = _discount_codes(req)
    if not codes or any(ctx.fixtures.discount(c) is None for c in codes):
        return []
    got, ids = body.get("discount_id"), body.get("discount_ids")
    if (isinstance(got, str) and got) or (isinstance(ids, list) and any(isinstance(i, str) and i for i in ids)):
        return []
    sent = f"fixture discount code {codes[0]!r}" if len(codes) == 1 else f"fixture discount codes {codes!r:.80}"
    return _v("/discount_id", "discount.missing", "required", f"{sent} was sent, but discount_id is {got!r}")


def payment_id_unique(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """No two 200s in a run share a ``payment_id``."""
    body = obs.body
    if obs.status != 200 or not isinstance(body, dict) or not isinstance(body.get("payment_id"), str):
        return []
    pid: str = body["payment_id"]
    seen = ctx.payment_ids.get(pid, 0)
    ctx.payment_ids[pid] = seen + 1
    if seen:
        return _v(
            "/payment_id",
            "payment_id.duplicate",
            "uniqueItems",
            f"payment_id {pid!r:.80} was already returned by an earlier request",
        )
    return []
