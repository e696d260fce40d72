"""The contract checks: one small function per rule, each judging one observed exchange.

Every check has the signature ``check(obs, ctx) -> list[Violation]`` and returns no violations when it does not
apply (wrong kind of request, no answer...). ``CHECKS`` maps the shared check names to the functions and
``APPLIES_TO`` says which kinds of request each judges: ``auth`` (the auth probe), ``canonical`` (built only from
the fixtures), ``invalid`` (labelled, breaks one rule), ``valid`` (generated, schema- and business-valid) and
``fuzz`` (schema-valid but not built from the fixtures, e.g. by Schemathesis: only the generic checks apply, as a
faithful server may refuse it for reasons the schema does not state) and ``business`` (schema-valid, but breaks one
business rule the fixtures make checkable: an unknown product, an unsupported country...).

Response-side rule ids are prefixed (``response.customer.email.required``) so they never collide with the
request rule ids that ``invalid_request_rejected`` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .errors import Violation, join_pointer
from .fixtures import Fixtures
from .settings import ContractSettings
from .validator import validate_error, validate_response

__all__ = [
    "APPLIES_TO",
    "CHECKS",
    "NOT_JSON",
    "CheckContext",
    "CheckFn",
    "Kind",
    "Observation",
    "auth_required",
    "business_rules_enforced",
    "content_type_json",
    "discount_applied",
    "error_code_documented",
    "error_schema_conformance",
    "fixture_request_succeeds",
    "invalid_request_rejected",
    "latency_budget",
    "no_server_error",
    "payment_id_unique",
    "payment_link_present",
    "request_values_reflected",
    "response_received",
    "response_schema_conformance",
    "run_checks",
    "status_code_documented",
    "valid_request_accepted",
]

Kind = Literal["auth", "canonical", "invalid", "valid", "fuzz", "business"]


class _NotJson:
    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJson()  # the body of an answer that is not JSON (or not UTF-8)


@dataclass(frozen=True, slots=True)
class Observation:
    """One request as sent and the answer as received, in the form the checks read.

    ``request`` is the JSON value sent (None when the body was not JSON); ``body`` the parsed answer, or
    ``NOT_JSON``; ``headers`` have lower-case names. ``status`` is None when no answer came; ``error_kind`` is
    then ``timeout``, ``connection`` or ``protocol`` and ``error`` says why. ``rule``/``pointer``/``label``
    describe what an ``invalid`` or ``auth`` request broke. ``received_at`` is the epoch time of the answer.
    """

    kind: Kind
    request: Any
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = NOT_JSON
    elapsed_ms: float | None = None
    error: str | None = None
    error_kind: str = ""
    rule: str = ""
    pointer: str = ""
    label: str = ""
    received_at: float = 0.0


@dataclass(slots=True)
class CheckContext:
    """What the checks judge against: fixtures, settings, the latency budget, and run-wide state."""

    fixtures: Fixtures
    settings: ContractSettings = field(default_factory=ContractSettings)
    latency_budget_ms: float = 2000.0
    payment_ids: dict[str, int] = field(default_factory=dict)  # payment_id -> how many times seen
    new_customers: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # email -> first (name, phone) sent


CheckFn = Callable[[Observation, CheckContext], list[Violation]]


def _v(pointer: str, rule: str, keyword: str, message: str) -> list[Violation]:
    return [Violation(pointer, rule, keyword, message)]


def _code(obs: Observation) -> str | None:
    body = obs.body
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code: str = body["code"]
        return code
    return None


def _documented(ctx: CheckContext) -> str:
    return ", ".join(str(s) for s in sorted(ctx.settings.documented_statuses))


def response_received(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """Every request gets a readable answer: timeouts, connection errors and unparseable 200 bodies are violations."""
    if obs.status == 200 and obs.body is NOT_JSON:
        return _v("", "response.unreadable", "json", "the 200 body is not readable JSON (cut short or garbled)")
    if obs.status is not None:
        return []
    kind = obs.error_kind or "connection"
    return _v("", f"response.{kind}", kind, f"no answer: {obs.error or 'unknown error'}")


def no_server_error(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """No answer is a 5xx."""
    if obs.status is None or obs.status < 500:
        return []
    return _v("", "status.server_error", "status", f"server error {obs.status}{_code_suffix(obs)}")


def _code_suffix(obs: Observation) -> str:
    code = _code(obs)
    return f" ({code})" if code else ""


def status_code_documented(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """The status is one the contract documents (200, 422, 401)."""
    if obs.status is None or obs.status in ctx.settings.documented_statuses:
        return []
    return _v("", "status.documented", "status", f"status {obs.status} is not documented (only {_documented(ctx)})")


def latency_budget(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """Each answer arrives within the latency budget."""
    if obs.status is None or obs.elapsed_ms is None or obs.elapsed_ms <= ctx.latency_budget_ms:
        return []
    return _v(
        "",
        "latency.budget",
        "latency",
        f"answered in {obs.elapsed_ms:.0f} ms, over the budget of {ctx.latency_budget_ms:.0f} ms",
    )


def content_type_json(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """Documented answers are ``application/json`` (or a ``+json`` type)."""
    if obs.status is None or obs.status not in ctx.settings.documented_statuses:
        return []
    raw = obs.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return []
    shown = repr(raw) if raw else "no Content-Type"
    return _v("", "content_type.json", "content-type", f"{obs.status} answer has {shown}, expected application/json")


def response_schema_conformance(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 body conforms to ``CreateOneTimePaymentResponse`` (unknown keys and omitted optional keys allowed)."""
    if obs.status != 200 or obs.body is NOT_JSON:  # an unreadable 200 is response_received's finding
        return []
    return [
        Violation(v.pointer, f"response.{v.rule}", v.keyword, v.message) for v in validate_response(obs.body).violations
    ]


def error_schema_conformance(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 422/401 body is an object with string ``code`` and ``message``."""
    if obs.status not in (ctx.settings.invalid_status, ctx.settings.auth_status) or obs.status == 200:
        return []
    if obs.body is NOT_JSON:
        return _v("", "error.body.json", "json", f"{obs.status} body is not JSON; expected {{code, message}}")
    return [Violation(v.pointer, f"error.{v.rule}", v.keyword, v.message) for v in validate_error(obs.body).violations]


def error_code_documented(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """The error ``code`` of a 422/401 is one of the codes Dodo documents."""
    if obs.status not in (ctx.settings.invalid_status, ctx.settings.auth_status) or obs.status == 200:
        return []
    code = _code(obs)
    if code is None or code in ctx.settings.documented_codes:
        return []  # a missing/non-string code is error_schema_conformance's finding
    return _v("/code", "error.code.documented", "enum", f"error code {code!r} is not a documented Dodo error code")


def valid_request_accepted(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A schema-valid request gets 200, or 422 with a business code that its content does not contradict."""
    if obs.status is None or obs.status == 200:
        return []
    if obs.status != ctx.settings.invalid_status:
        return _v(
            "",
            "valid.status",
            "status",
            f"schema-valid request got {obs.status}{_code_suffix(obs)}; expected 200 or a business refusal",
        )
    code = _code(obs)
    if code is None:
        return []  # no code to judge: error_schema_conformance reports the body
    if code in ctx.settings.schema_codes:
        return _v("/code", "valid.rejected_as_invalid", "status", f"schema-valid request refused as invalid ({code})")
    if code not in ctx.settings.business_codes:
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
    if code == "PRODUCT_CART_EMPTY" and items:
        return f"product_cart has {len(items)} item(s)"
    metadata = request.get("metadata")
    if code == "MAXIMUM_KEYS_REACHED" and (not isinstance(metadata, dict) or len(metadata) <= 50):
        return f"metadata has {len(metadata) if isinstance(metadata, dict) else 0} keys (at most 50 allowed)"
    if fx is None:
        return ""
    billing = request.get("billing")
    country = billing.get("country") if isinstance(billing, dict) else None
    if code == "UNSUPPORTED_COUNTRY" and country in fx.supported_countries:
        return f"{country} is supported according to the fixtures"
    discount = request.get("discount_code")
    if code == "INVALID_DISCOUNT_CODE" and isinstance(discount, str) and fx.discount(discount):
        return f"{discount!r} is a fixture discount code"
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
    """A canonical request built only from fixtures gets 200."""
    if obs.status is None or obs.status == 200:
        return []
    return _v(
        "",
        "fixture.refused",
        "status",
        f"canonical request ({obs.label or 'built from fixtures'}) got {obs.status}{_code_suffix(obs)}",
    )


def invalid_request_rejected(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A request breaking one rule gets exactly 422 (not 400, not 500, not 200)."""
    expected = ctx.settings.invalid_status
    if obs.status is None or obs.status == expected:
        return []
    what = obs.label or f"breaks {obs.rule}"
    return _v(
        obs.pointer,
        obs.rule or "invalid",
        "status",
        f"invalid request ({what}) got {obs.status}{_code_suffix(obs)}, expected exactly {expected}",
    )


def business_rules_enforced(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A schema-valid request breaking one business rule gets exactly 422 with a business error code.

    Any business code will do (the docs do not map every rule to one code), unless the request itself refutes it.
    """
    if obs.status is None:
        return []
    what, rule, expected = obs.label or obs.rule, obs.rule or "business", ctx.settings.invalid_status
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
        if isinstance(item, dict) and isinstance(item.get("quantity"), int):
            pid = str(item.get("product_id"))
            out[pid] = out.get(pid, 0) + item["quantity"]
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
    """A 200 to a request with a fixture discount code carries a ``discount_id``."""
    req, body = obs.request, obs.body
    if obs.status != 200 or not isinstance(req, dict) or not isinstance(body, dict):
        return []
    code = req.get("discount_code")
    if not isinstance(code, str) or ctx.fixtures.discount(code) is None:
        return []
    got = body.get("discount_id")
    if isinstance(got, str) and got:
        return []
    return _v(
        "/discount_id",
        "discount.missing",
        "required",
        f"fixture discount code {code!r} was sent, but discount_id is {got!r}",
    )


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


CHECKS: dict[str, CheckFn] = {
    "response_received": response_received,
    "no_server_error": no_server_error,
    "status_code_documented": status_code_documented,
    "latency_budget": latency_budget,
    "content_type_json": content_type_json,
    "response_schema_conformance": response_schema_conformance,
    "error_schema_conformance": error_schema_conformance,
    "error_code_documented": error_code_documented,
    "valid_request_accepted": valid_request_accepted,
    "fixture_request_succeeds": fixture_request_succeeds,
    "invalid_request_rejected": invalid_request_rejected,
    "request_values_reflected": request_values_reflected,
    "payment_link_present": payment_link_present,
    "discount_applied": discount_applied,
    "payment_id_unique": payment_id_unique,
    "auth_required": auth_required,
    "business_rules_enforced": business_rules_enforced,
}

_ALL: frozenset[Kind] = frozenset({"auth", "canonical", "invalid", "valid", "fuzz", "business"})
_OK: frozenset[Kind] = frozenset({"canonical", "valid"})
APPLIES_TO: dict[str, frozenset[Kind]] = {
    **dict.fromkeys(CHECKS, _ALL),
    "valid_request_accepted": frozenset({"valid"}),
    "fixture_request_succeeds": frozenset({"canonical"}),
    "invalid_request_rejected": frozenset({"invalid"}),
    "request_values_reflected": _OK,
    "payment_link_present": _OK,
    "discount_applied": _OK,
    "auth_required": frozenset({"auth"}),
    "business_rules_enforced": frozenset({"business"}),
}


def run_checks(obs: Observation, ctx: CheckContext, names: tuple[str, ...]) -> list[tuple[str, Violation]]:
    """Run the named checks that apply to ``obs.kind``; return (check name, violation) pairs in check order."""
    out: list[tuple[str, Violation]] = []
    for name in names:
        if obs.kind in APPLIES_TO[name]:
            out.extend((name, v) for v in CHECKS[name](obs, ctx))
    return out
