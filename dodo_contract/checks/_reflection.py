"""The checks that a 200 reflects what was sent: customer, metadata, cart, payment link, discount, unique id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import Violation, join_pointer
from ._observation import CheckContext, Observation, _discount_codes, _v


def request_values_reflected(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 echoes the truth: the customer's record, the metadata exactly, the cart line for line, no stray discount.

    An existing customer comes back as the fixtures hold it (id, email case-insensitively, name whole), a new one
    with the email and name sent (a server may fill a name that was not sent); metadata comes back with exactly
    the keys and values sent, types kept (``5`` stays ``5``, ``"5"`` stays ``"5"``), nothing more; a
    ``discount_id`` only when a valid code was sent; the cart, where the server echoes it, line for line.
    Omitted optional fields, ``null`` for absent ones and extra keys are a server's freedom.
    """
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or not isinstance(body, dict):
        return []
    found = _customer_reflected(req.get("customer"), body.get("customer"), ctx)
    found += _metadata_reflected(req.get("metadata"), body.get("metadata"))
    found += _discount_reflected(req, body, ctx)
    cart = body.get("product_cart")
    if isinstance(cart, list) and isinstance(req.get("product_cart"), list):
        found += _cart_reflected(req["product_cart"], cart, ctx)
    return found


def _same(a: Any, b: Any) -> bool:
    """JSON equality with types kept: 5 is not 5.0, True is not 1."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _metadata_reflected(sent: Any, got: Any) -> list[Violation]:
    if not isinstance(got, dict):
        return []  # missing or malformed: response_schema_conformance's finding
    sent_meta = sent if isinstance(sent, dict) else {}
    for key, value in sent_meta.items():
        if key not in got or not _same(got[key], value):
            shown = "missing" if key not in got else f"{got[key]!r:.60}"
            return _v(
                join_pointer(("metadata", key)),
                "reflected.metadata",
                "const",
                f"metadata {key!r} was sent as {value!r:.60}, answered {shown}",
            )
    extra = [k for k in got if k not in sent_meta]
    if extra:
        return _v(
            join_pointer(("metadata", extra[0])),
            "reflected.metadata.extra",
            "additionalProperties",
            f"metadata {extra[0]!r:.60} was not sent (a key of another request?); {len(extra)} such key(s)",
        )
    return []


def _applied_codes(req: dict[str, Any], ctx: CheckContext) -> list[str]:
    codes = req.get("discount_codes")
    sent = codes if isinstance(codes, list) else [req.get("discount_code")]
    return [c for c in sent if isinstance(c, str) and ctx.fixtures.discount(c) is not None]


def _discount_reflected(req: dict[str, Any], body: dict[str, Any], ctx: CheckContext) -> list[Violation]:
    got = body.get("discount_id")
    if got is None or _applied_codes(req, ctx):
        return []
    return _v(
        "/discount_id",
        "reflected.discount_id",
        "const",
        f"discount_id {got!r:.60} was answered, but no valid discount code was sent",
    )


def _lines(cart: list[Any], ctx: CheckContext) -> list[tuple[str, int, Any]]:
    # (product id, quantity, amount of a pay-what-you-want line); zero-quantity lines may be dropped by a server.
    out = []
    for item in cart:
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if isinstance(quantity, float) and quantity.is_integer():  # JSON Schema: 1.0 is the integer 1
            quantity = int(quantity)
        if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity:
            pid = str(item.get("product_id"))
            product = ctx.fixtures.product(pid)
            amount = item.get("amount") if product is not None and product.pay_what_you_want else None
            out.append((pid, quantity, amount))
    return out


def _cart_reflected(sent: list[Any], got: list[Any], ctx: CheckContext) -> list[Violation]:
    sent_lines, got_lines = _lines(sent, ctx), _lines(got, ctx)
    if len(sent_lines) == len(got_lines):
        for index, (want, have) in enumerate(zip(sent_lines, got_lines, strict=True)):
            amount_ok = have[2] is None or want[2] is None or _same(have[2], want[2])
            if want[:2] != have[:2] or not amount_ok:
                return _v(
                    f"/product_cart/{index}",
                    "reflected.product_cart",
                    "const",
                    f"product_cart line {index} is {_line(have)}, the request's is {_line(want)}",
                )
        return []
    # A server may merge repeated lines of one product: the totals per product, in order of first appearance.
    sent_q, got_q = _quantities(sent_lines), _quantities(got_lines)
    if list(sent_q.items()) != list(got_q.items()):
        return _v(
            "/product_cart",
            "reflected.product_cart",
            "const",
            f"product_cart quantities {_show(got_q)} differ from the request's {_show(sent_q)}",
        )
    return []


def _line(line: tuple[str, int, Any]) -> str:
    pid, quantity, amount = line
    return f"{pid[:40]} x{quantity}" + (f" at {amount!r:.20}" if amount is not None else "")


def _quantities(lines: list[tuple[str, int, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pid, quantity, _amount in lines:
        out[pid] = out.get(pid, 0) + quantity
    return out


def _show(quantities: dict[str, int]) -> str:
    text = ", ".join(f"{k} x{v}" for k, v in quantities.items())
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
        if known and known.named and isinstance(got.get("name"), str) and got["name"] != known.name:
            return _v(
                "/customer/name",
                "reflected.customer.name",
                "const",
                f"customer {cid!r} is named {known.name!r:.80} in the fixtures, answered {got['name']!r:.80}",
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
                f"{key} {value!r:.120} was sent ({len(value)} characters), answered {got.get(key)!r:.120}",
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
    """A 200 to a request with fixture discount codes says which discount it applied, with the fixtures' ids.

    ``discount_id``, or (from 1.113.0, where ``discount_id`` is deprecated) a non-empty ``discount_ids``. With
    several codes (``discount_codes``, 1.113.0) ``discount_id`` is the first one's; ``discount_ids``, when given as
    a list, holds one id per code sent, in the order sent. Ids are compared with the fixtures' only where the
    fixtures give them (an ``id`` of a discount entry).
    """
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or not isinstance(body, dict):
        return []
    codes = _discount_codes(req)
    if not codes or any(ctx.fixtures.discount(c) is None for c in codes):
        return []  # with a code the fixtures do not know, what was applied is not ours to say
    got, ids = body.get("discount_id"), body.get("discount_ids")
    listed = isinstance(ids, list) and any(isinstance(i, str) and i for i in ids)
    if not (isinstance(got, str) and got) and not listed:
        sent = f"fixture discount code {codes[0]!r}" if len(codes) == 1 else f"fixture discount codes {codes!r:.80}"
        return _v("/discount_id", "discount.missing", "required", f"{sent} was sent, but discount_id is {got!r}")
    first = ctx.fixtures.discount(codes[0])
    if isinstance(got, str) and got and first is not None and first.id_given and got != first.id:
        return _v(
            "/discount_id",
            "discount.id",
            "const",
            f"discount code {codes[0]!r} is {first.id!r} in the fixtures, answered discount_id {got!r:.60}",
        )
    if not isinstance(ids, list) or not isinstance(req.get("discount_codes"), list):
        return []  # not a list: response_schema_conformance's finding
    wanted = [ctx.fixtures.discount(c) for c in dict.fromkeys(codes)]
    if len(ids) not in (len(codes), len(wanted)):
        return _v(
            "/discount_ids",
            "discount.ids_order",
            "const",
            f"{len(codes)} valid discount code(s) were sent, discount_ids has {len(ids)}",
        )
    if all(d is not None and d.id_given for d in wanted) and len(ids) == len(wanted):
        expected = [d.id for d in wanted if d is not None]
        if ids != expected:
            return _v(
                "/discount_ids",
                "discount.ids_order",
                "const",
                f"discount_ids {ids!r:.120} are not the codes' ids in the order sent {expected!r:.120}",
            )
    return []


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
