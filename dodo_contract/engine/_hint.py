"""The hint of a failed run judged by the default version: do its violations all concern what changed since an
older bundled version? Then the server may simply implement that version, and the summary names the flag.

Computed from the contracts as data, never from a hand-kept list:

* the **differing rules** of two versions: rule ids (request, ``response.``, ``error.``) that exist in one and not
  the other, or whose meaning differs (another keyword, limit or place: ``metadata.value.type`` allows numbers
  in 1.113.0, ``allowed_payment_method_types.items.enum`` gained ``satispay``);
* a finding concerns them when the older version would have judged its evidence the other way: an accepted
  invalid request that the older version calls valid (``discount_codes`` with 21 codes is an unknown key there),
  a refused valid request that the older version calls invalid (numeric metadata), a 200 body the older version
  calls valid; or when its request used a top-level field the older version does not know; or an error code
  only the older version documents.

The hint is given only when every violation concerns them, for the newest older version for which that holds,
and when nothing in the run shows the server speaks the newer version: a 200 to a request the older version
calls invalid (numeric metadata, ``satispay``), or a 200 body with a field only the newer response has
(``discount_ids``). A server that does is broken in the newer version, not built to the older one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from ..checks.core import Observation
from ..contract.versions import BUNDLED, LATEST, Contract, Kind, get_contract
from ..validation.validator import validate_request, validate_response
from .outcome import Finding

__all__ = ["differing_rules", "hint_message", "version_hint"]

_PREFIX: dict[Kind, str] = {"request": "", "response": "response.", "error": "error."}
_REFUSED_VALID = frozenset({"valid_request_accepted", "fixture_request_succeeds"})
_JUDGES_BODY = frozenset({"response_schema_conformance", "request_values_reflected", "discount_applied"})


@cache
def differing_rules(older: str, newer: str) -> frozenset[str]:
    """Return the rule ids (as findings name them) that exist in one bundled version only or mean another thing."""
    a, b = get_contract(older), get_contract(newer)
    out: set[str] = set()
    for kind, prefix in _PREFIX.items():
        left, right = {r.id: r for r in a.rules(kind)}, {r.id: r for r in b.rules(kind)}
        for rule_id in left.keys() | right.keys():
            x, y = left.get(rule_id), right.get(rule_id)
            if x is None or y is None or (x.kind, x.keyword, x.path, x.limit) != (y.kind, y.keyword, y.path, y.limit):
                out.add(prefix + rule_id)
    return frozenset(out)


def hint_message(older: str, newer: str) -> str:
    """Return the summary's hint naming the flag of each front end."""
    return (
        f"every violation concerns a rule that differs between {older} and {newer}: if this server implements "
        f"{older}, run with --spec-version {older} (pytest: --dodo-spec-version {older})"
    )


def version_hint(
    findings: Sequence[Finding], contract: Contract, *, chosen: bool, observations: Iterable[Observation] = ()
) -> str | None:
    """Return the hint for a run judged by ``contract``; None when a version was chosen or a real break is there."""
    if chosen or not findings or not contract.bundled or contract.version != LATEST:
        return None
    seen = list(observations)
    for older in sorted((v for v in BUNDLED if v != contract.version), key=_order, reverse=True):
        if _order(older) >= _order(contract.version):
            continue
        if all(_concerns(f, older, contract.version) for f in findings) and not _speaks_newer(seen, older, contract):
            return hint_message(older, contract.version)
    return None


def _speaks_newer(observations: Sequence[Observation], older: str, newer: Contract) -> bool:
    """True when a 200 shows the server implements more than ``older``: it accepted what ``older`` calls invalid,
    or answered a field only the newer response has."""
    old = get_contract(older)
    known_old = old.schema("response").get("properties") or {}
    only_new = set(newer.schema("response").get("properties") or {}) - set(known_old)
    for obs in observations:
        if obs.status != 200 or not isinstance(obs.body, dict) or obs.kind not in ("canonical", "valid"):
            continue
        if only_new & set(obs.body) or not validate_request(obs.request, spec_version=old).ok:
            return True
    return False


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _concerns(finding: Finding, older: str, newer: str) -> bool:
    """True when ``finding`` may be only the difference between ``older`` and ``newer``."""
    exchange = finding.exchange
    if exchange is None:
        return False
    request, body = exchange.request_body, exchange.response_body
    old = get_contract(older)
    if isinstance(request, dict) and _unknown_fields(request, old, get_contract(newer)):
        return True
    if finding.check == "invalid_request_rejected":
        return validate_request(request, spec_version=old).ok  # the older version calls it valid
    if finding.check in _REFUSED_VALID:
        return not validate_request(request, spec_version=old).ok  # the older version calls it invalid
    if finding.check == "error_code_documented":
        code = body.get("code") if isinstance(body, dict) else None
        return isinstance(code, str) and code in old.codes.documented
    if finding.rule in differing_rules(older, newer) and finding.check in _JUDGES_BODY:
        return isinstance(body, dict) and validate_response(body, spec_version=old).ok
    return False


def _unknown_fields(request: dict[str, Any], old: Contract, new: Contract) -> bool:
    known_old = old.schema("request").get("properties") or {}
    known_new = new.schema("request").get("properties") or {}
    return any(key in known_new and key not in known_old for key in request)
