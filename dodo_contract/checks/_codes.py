"""The check that a refusal's code says the right cause: a schema error a schema code, a business rule its own.

``invalid_request_rejected`` and ``business_rules_enforced`` judge the status; this judges the code of a refusal
with the right status. A server that answers a malformed country with ``UNSUPPORTED_COUNTRY`` (or a bad discount
code with ``INVALID_REQUEST_BODY``) tells its client to fix the wrong thing. Two rules:

* ``error.code.schema_expected``: a request that breaks one rule of the spec's schema, answered with
  ``invalid_status``, carries a schema code (``settings.schema_codes``). The rules Dodo states only in prose or
  across fields (an empty cart, 50 metadata pairs, ``payment_method_id`` without ``customer_id``...) are answered
  with their own documented codes, so there any business code is accepted too;
* ``error.code.expected``: a business refusal whose rule has a documented code (``settings.expected_codes``:
  ``NOT_FOUND`` for an unknown product or customer) carries exactly that code.
"""

from __future__ import annotations

from functools import cache

from ..contract.versions import Contract
from ..errors import Violation
from ..validation.validator import validate_request
from ._observation import CheckContext, Observation, _code, _v

__all__ = ["error_code_matches_cause"]


@cache
def _lenient_rules(contract: Contract) -> frozenset[str]:
    """Return the request rules a server may answer with a business code: the prose and cross-field ones."""
    # The metadata limits come from the docs' prose too (their keywords sit inside the map's sub-schemas).
    prose = {r.id for r in contract.rules("request") if r.prose or r.kind == "cross_field"}
    return frozenset(
        prose | {r.id for r in contract.rules("request") if r.id.startswith("metadata.") and r.keyword == "maxLength"}
    )


def error_code_matches_cause(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A refusal's code names its cause: a schema error a schema code, a business rule its documented code."""
    settings, code = ctx.settings, _code(obs)
    if code is None:
        return []  # no code to judge: error_schema_conformance reports the body
    if obs.kind == "invalid" and obs.status == settings.invalid_status:
        if code in settings.schema_codes:
            return []
        contract = ctx.contract
        broken = {obs.rule}
        if obs.request is not None:  # a fuzzer's body may break several rules: a server may name any of them
            broken |= {v.rule for v in validate_request(obs.request, spec_version=contract).violations}
        if broken & _lenient_rules(contract) and code in settings.business_codes:
            return []
        return _v(
            "/code",
            "error.code.schema_expected",
            "enum",
            f"a schema error ({obs.label or obs.rule}) was answered with {code!r}, not a schema code "
            f"({', '.join(sorted(settings.schema_codes))})",
        )
    if obs.kind == "business" and obs.status == settings.business_status:
        expected = settings.expected_code(obs.rule)
        if expected is None or code == expected or code not in settings.business_codes:
            return []  # a code that is no business code at all is business_rules_enforced's finding
        return _v(
            "/code",
            "error.code.expected",
            "const",
            f"{obs.label or obs.rule} was refused with {code!r}; this refusal's documented code is {expected!r}",
        )
    return []
