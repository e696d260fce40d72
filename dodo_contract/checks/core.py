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

from collections.abc import Callable

from ..errors import Violation
from ..validation.validator import validate_error, validate_response
from ._acceptance import (
    auth_required,
    business_rules_enforced,
    fixture_request_succeeds,
    invalid_request_rejected,
    valid_request_accepted,
)
from ._codes import error_code_matches_cause
from ._floor import RUN_CHECK_OWNER, RUN_CHECKS, RunCheckFn, refused_example
from ._observation import (
    NOT_JSON,
    CheckContext,
    CheckFn,
    Kind,
    Observation,
    _code,
    _code_suffix,
    _contract_of,
    _discount_codes,
    _documented,
    _documented_refusal,
    _error_statuses,
    _v,
)
from ._pricing import PAIR_RULES, pricing_bounds, pricing_relations_hold, total_amount_plausible
from ._reflection import discount_applied, payment_id_unique, payment_link_present, request_values_reflected
from ._sessions import (
    checkout_url_null_iff_payment_method,
    preview_arithmetic,
    session_round_trip,
    session_shape,
)
from ._strict_json import response_json_strict

__all__ = [
    "APPLIES_TO",
    "CHECKS",
    "FAMILIES_OF",
    "NOT_JSON",
    "PAIR_RULES",
    "RUN_CHECKS",
    "RUN_CHECK_OWNER",
    "CheckContext",
    "CheckFn",
    "Kind",
    "Observation",
    "RunCheckFn",
    "auth_required",
    "business_rules_enforced",
    "checkout_url_null_iff_payment_method",
    "checks_for",
    "content_type_json",
    "discount_applied",
    "error_code_documented",
    "error_code_matches_cause",
    "error_schema_conformance",
    "fixture_request_succeeds",
    "fold_server_errors",
    "invalid_request_rejected",
    "judges",
    "latency_budget",
    "no_server_error",
    "payment_id_unique",
    "payment_link_present",
    "preview_arithmetic",
    "pricing_relations_hold",
    "refused_example",
    "request_values_reflected",
    "response_json_strict",
    "response_received",
    "response_schema_conformance",
    "run_checks",
    "session_round_trip",
    "session_shape",
    "status_code_documented",
    "total_amount_plausible",
    "valid_request_accepted",
]


def response_received(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """Every request gets a readable answer: timeouts, connection errors and unparseable 200 bodies are violations.

    A body over the transport's cap (4 MiB) is one too: it was cut there and not read further.
    """
    if obs.truncated:
        return _v("", "response.too_large", "maxLength", "the answer body is over 4 MiB; it was cut there, unread")
    if obs.status == 200 and obs.body is NOT_JSON:
        return _v("", "response.unreadable", "json", "the 200 body is not readable JSON (cut short or garbled)")
    if obs.status is not None:
        return []
    kind = obs.error_kind or "connection"
    return _v("", f"response.{kind}", kind, f"no answer: {obs.error or 'unknown error'}")


def no_server_error(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """No answer is a 5xx, except a refusal whose code the docs give that status (a transient refusal, not a fault)."""
    if obs.status is None or obs.status < 500 or _documented_refusal(obs, ctx):
        return []
    return _v("", "status.server_error", "status", f"server error {obs.status}{_code_suffix(obs)}")


def status_code_documented(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """The status is one the contract documents (200, 422, 401; 404 for ``GET /checkouts/{id}``), or the documented
    status of the answer's code."""
    if obs.status is None or obs.status in _statuses(obs, ctx) or _documented_refusal(obs, ctx):
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
    if obs.status is None or not _documented_answer(obs, ctx):
        return []
    raw = obs.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return []
    shown = repr(raw) if raw else "no Content-Type"
    return _v("", "content_type.json", "content-type", f"{obs.status} answer has {shown}, expected application/json")


def _statuses(obs: Observation, ctx: CheckContext) -> frozenset[int]:
    extra = _error_statuses(ctx, obs) if obs.operation == "checkouts.get" else frozenset()
    return ctx.settings.documented_statuses | extra


def _documented_answer(obs: Observation, ctx: CheckContext) -> bool:
    return obs.status in _statuses(obs, ctx) or _documented_refusal(obs, ctx)


def response_schema_conformance(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 body conforms to the version's ``CreateOneTimePaymentResponse`` (unknown or omitted optional keys ok)."""
    if obs.status != 200 or obs.body is NOT_JSON:  # an unreadable 200 is response_received's finding
        return []
    found = validate_response(obs.body, spec_version=ctx.contract).violations
    return [Violation(v.pointer, f"response.{v.rule}", v.keyword, v.message) for v in found]


def error_schema_conformance(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 422/401 body (or the statuses the settings name for them) is an object with string ``code`` and ``message``."""
    if obs.status not in _error_statuses(ctx, obs) and not _documented_refusal(obs, ctx):
        return []
    if obs.body is NOT_JSON:
        return _v("", "error.body.json", "json", f"{obs.status} body is not JSON; expected {{code, message}}")
    found = validate_error(obs.body, spec_version=_contract_of(obs, ctx)).violations
    return [Violation(v.pointer, f"error.{v.rule}", v.keyword, v.message) for v in found]


def error_code_documented(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """The error ``code`` of a 422/401 (404 of ``GET /checkouts/{id}``) is one of the codes Dodo documents."""
    if obs.status not in _error_statuses(ctx, obs):
        return []
    code = _code(obs)
    if code is None or code in ctx.settings.documented_codes:
        return []  # a missing/non-string code is error_schema_conformance's finding
    return _v("/code", "error.code.documented", "enum", f"error code {code!r} is not a documented Dodo error code")


CHECKS: dict[str, CheckFn] = {
    "response_received": response_received,
    "no_server_error": no_server_error,
    "status_code_documented": status_code_documented,
    "latency_budget": latency_budget,
    "content_type_json": content_type_json,
    "response_schema_conformance": response_schema_conformance,
    "response_json_strict": response_json_strict,
    "error_schema_conformance": error_schema_conformance,
    "error_code_documented": error_code_documented,
    "error_code_matches_cause": error_code_matches_cause,
    "valid_request_accepted": valid_request_accepted,
    "fixture_request_succeeds": fixture_request_succeeds,
    "invalid_request_rejected": invalid_request_rejected,
    "request_values_reflected": request_values_reflected,
    "payment_link_present": payment_link_present,
    "discount_applied": discount_applied,
    "total_amount_plausible": total_amount_plausible,
    "pricing_relations_hold": pricing_relations_hold,
    "payment_id_unique": payment_id_unique,
    "auth_required": auth_required,
    "business_rules_enforced": business_rules_enforced,
    "session_shape": session_shape,
    "checkout_url_null_iff_payment_method": checkout_url_null_iff_payment_method,
    "session_round_trip": session_round_trip,
    "preview_arithmetic": preview_arithmetic,
}

# The operation families each check judges (``Observation.family``); the rest judge both.
_PAYMENTS_ONLY = (
    "response_schema_conformance",
    "request_values_reflected",
    "payment_link_present",
    "discount_applied",
    "total_amount_plausible",
    "pricing_relations_hold",
    "payment_id_unique",
)
_CHECKOUTS_ONLY = ("session_shape", "checkout_url_null_iff_payment_method", "session_round_trip", "preview_arithmetic")
FAMILIES_OF: dict[str, frozenset[str]] = {
    **dict.fromkeys(CHECKS, frozenset({"payments", "checkouts"})),
    **dict.fromkeys(_PAYMENTS_ONLY, frozenset({"payments"})),
    **dict.fromkeys(_CHECKOUTS_ONLY, frozenset({"checkouts"})),
}


def checks_for(family: str) -> tuple[str, ...]:
    """Return the names of the checks that judge the operation family ``family``, in ``CHECKS`` order."""
    return tuple(name for name in CHECKS if family in FAMILIES_OF[name])


_ALL: frozenset[Kind] = frozenset({"auth", "canonical", "invalid", "valid", "fuzz", "business", "pricing", "roundtrip"})
_OK: frozenset[Kind] = frozenset({"canonical", "valid", "pricing"})
APPLIES_TO: dict[str, frozenset[Kind]] = {
    **dict.fromkeys(CHECKS, _ALL),
    "valid_request_accepted": frozenset({"valid"}),
    "fixture_request_succeeds": frozenset({"canonical", "pricing"}),
    "invalid_request_rejected": frozenset({"invalid"}),
    "request_values_reflected": _OK,
    "payment_link_present": _OK,
    "discount_applied": _OK,
    "auth_required": frozenset({"auth"}),
    "business_rules_enforced": frozenset({"business"}),
    "error_code_matches_cause": frozenset({"invalid", "business"}),
    "total_amount_plausible": _OK,
    "pricing_relations_hold": frozenset({"pricing"}),
    "session_shape": frozenset({"canonical", "valid", "pricing", "roundtrip", "fuzz"}),
    "checkout_url_null_iff_payment_method": _OK,
    "session_round_trip": frozenset({"roundtrip"}),
    "preview_arithmetic": _OK,
}


def _answered(obs: Observation, ctx: CheckContext) -> bool:
    return obs.status is not None


def _ok_with_request(obs: Observation, ctx: CheckContext) -> bool:
    return obs.status == 200 and isinstance(obs.request, dict) and isinstance(obs.body, dict)


def _asked_for_link(obs: Observation, ctx: CheckContext) -> bool:
    return _ok_with_request(obs, ctx) and obs.request.get("payment_link") is True


def _sent_fixture_discount(obs: Observation, ctx: CheckContext) -> bool:
    codes = _discount_codes(obs.request) if _ok_with_request(obs, ctx) else []
    return bool(codes) and all(ctx.fixtures.discount(c) is not None for c in codes)


# When a check actually judges an observation of a kind it applies to (the rest it passes over): a check that
# judged none is "not run", never "passed".
_JUDGES: dict[str, Callable[[Observation, CheckContext], bool]] = {
    "response_received": lambda obs, ctx: True,
    "content_type_json": _documented_answer,
    "response_schema_conformance": lambda obs, ctx: obs.status == 200 and obs.body is not NOT_JSON,
    "response_json_strict": lambda obs, ctx: obs.status == 200 and obs.body is not NOT_JSON,
    "error_schema_conformance": lambda obs, ctx: (
        obs.status in _error_statuses(ctx, obs) or _documented_refusal(obs, ctx)
    ),
    "error_code_documented": lambda obs, ctx: obs.status in _error_statuses(ctx, obs) and _code(obs) is not None,
    "error_code_matches_cause": lambda obs, ctx: (
        _code(obs) is not None
        and obs.status == (ctx.settings.invalid_status if obs.kind == "invalid" else ctx.settings.business_status)
        and (obs.kind == "invalid" or ctx.settings.expected_code(obs.rule) is not None)
    ),
    "request_values_reflected": _ok_with_request,
    "payment_link_present": _asked_for_link,
    "discount_applied": _sent_fixture_discount,
    "total_amount_plausible": lambda obs, ctx: (
        _ok_with_request(obs, ctx)
        and isinstance(obs.body.get("total_amount"), int)
        and not isinstance(pricing_bounds(obs.request, ctx.fixtures, ctx.settings), (str, type(None)))
    ),
    "pricing_relations_hold": lambda obs, ctx: obs.role == "variant" and obs.status == 200 and obs.pair in ctx.pricing,
    "payment_id_unique": lambda obs, ctx: (
        obs.status == 200 and isinstance(obs.body, dict) and isinstance(obs.body.get("payment_id"), str)
    ),
    "session_shape": lambda obs, ctx: obs.status == 200 and obs.body is not NOT_JSON,
    "checkout_url_null_iff_payment_method": lambda obs, ctx: (
        obs.operation == "checkouts" and _ok_with_request(obs, ctx) and "checkout_url" in obs.body
    ),
    "session_round_trip": lambda obs, ctx: obs.operation == "checkouts.get" and obs.status is not None,
    "preview_arithmetic": lambda obs, ctx: (
        obs.operation == "checkouts.preview"
        and obs.status == 200
        and isinstance(obs.body, dict)
        and isinstance(obs.body.get("current_breakup"), dict)
    ),
}


def judges(name: str, obs: Observation, ctx: CheckContext) -> bool:
    """True when check ``name`` judges ``obs`` (its kind is one the check applies to, and there is something to see)."""
    return _applies(name, obs) and _JUDGES.get(name, _answered)(obs, ctx)


def _applies(name: str, obs: Observation) -> bool:
    return obs.kind in APPLIES_TO[name] and obs.family in FAMILIES_OF[name]


def fold_server_errors(found: list[tuple[str, Violation]]) -> list[tuple[str, Violation]]:
    """Make a 5xx one finding: ``no_server_error``'s violation, naming the other checks the same answer broke.

    Without ``no_server_error`` among the checks run (or without a 5xx), ``found`` comes back unchanged.
    """
    server = next((v for check, v in found if check == "no_server_error"), None)
    others = [(check, v) for check, v in found if check != "no_server_error"]
    if server is None or not others:
        return found
    also = ", ".join(dict.fromkeys(f"{check} ({v.rule})" for check, v in others))
    folded = Violation(server.pointer, server.rule, server.keyword, f"{server.message}; also broke: {also}")
    return [("no_server_error", folded)]


def run_checks(obs: Observation, ctx: CheckContext, names: tuple[str, ...]) -> list[tuple[str, Violation]]:
    """Run the named checks that apply to ``obs.kind``; return (check name, violation) pairs in check order."""
    out: list[tuple[str, Violation]] = []
    for name in names:
        if _applies(name, obs):
            out.extend((name, v) for v in CHECKS[name](obs, ctx))
    return out
