"""dodo-contract's checks inside ``schemathesis run``: importing this module registers them with Schemathesis.

Load it as a Schemathesis hooks module, with the bundled config that turns off Schemathesis' known false
positives (see README, "Inside Schemathesis")::

    schemathesis --config-file schemas/schemathesis.toml run schemas/openapi.yaml \\
        --url http://127.0.0.1:8000 -H "Authorization: Bearer $DODO_API_KEY"

(the config's ``hooks = "dodo_contract.schemathesis_checks"`` imports it; ``SCHEMATHESIS_HOOKS`` works too).
Each check is registered as ``dodo_<check>`` (Schemathesis has a ``response_schema_conformance`` of its own) and
fails with an ``AssertionError`` carrying our violation messages, so Schemathesis reports, deduplicates and
shrinks it like any custom check (one finding per check and operation).

Whether a request is valid is decided by OUR validator on the body actually sent, never by Schemathesis'
generation mode (Dodo's customer ``oneOf`` is really "first form that fits"): a valid body must be accepted or
refused with a business code, an invalid one must get exactly 422. Not judged by the request-dependent checks:
requests other than ``POST /payments`` with a JSON body, and requests whose Authorization header Schemathesis
removed or mutated (auth probing is Schemathesis' business; dodo-contract's engine has its own auth probe).
Schema-valid bodies holding numbers a typed server may read differently (``5.0`` for an integer, integers
beyond 64 bits) get only the generic checks, as in the engine's ``fuzz`` kind.

The module also adds the fixtures' canonical requests (``strategies.canonical_requests``) as explicit examples
of ``POST /payments`` (a ``before_add_examples`` hook): Schemathesis' own bodies carry ids no server knows and
almost never get a 200, so without them the success-path checks would rarely judge anything.

Environment: ``DODO_CONTRACT_FIXTURES`` (a fixtures file: the ids and codes the server knows; default: the
bundled catalog; it builds the canonical examples, and ``valid_request_accepted`` spots refusals it contradicts) and
``DODO_CONTRACT_LATENCY_BUDGET_MS`` (default 2000), ``DODO_CONTRACT_SPEC_VERSION`` (the version to judge by;
default: the latest; pass that version's ``schemas/<version>/openapi.yaml`` to ``schemathesis run``) or
``DODO_CONTRACT_OPENAPI`` (a newer Dodo document). A bad value makes the hooks module fail to load.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

from ..checks.core import APPLIES_TO, CHECKS, NOT_JSON, CheckContext, Kind, Observation, payment_id_unique
from ..contract.fixtures import default_fixtures, load_fixtures
from ..contract.settings import ContractSettings
from ..contract.versions import get_contract, load_contract
from ..engine._transport import redact_json
from ..errors import ConfigError, Violation, redact
from ..generation.strategies import canonical_requests
from ..validation.validator import parse_answer, parse_json, validate_request

__all__ = ["CHECK_NAMES", "FIXTURES_ENV", "LATENCY_ENV", "PREFIX", "before_add_examples", "build_observation", "judge"]

PREFIX = "dodo_"
FIXTURES_ENV = "DODO_CONTRACT_FIXTURES"
LATENCY_ENV = "DODO_CONTRACT_LATENCY_BUDGET_MS"
SPEC_VERSION_ENV = "DODO_CONTRACT_SPEC_VERSION"
OPENAPI_ENV = "DODO_CONTRACT_OPENAPI"

# Checks that judge every answer, whatever was sent.
_ANY_REQUEST = ("response_received", "no_server_error", "latency_budget")
# Checks that judge answers to POST /payments (whatever the Authorization header).
_OPERATION = (
    "status_code_documented",
    "content_type_json",
    "response_schema_conformance",
    "error_schema_conformance",
    "error_code_documented",
    "response_json_strict",
)
# Checks that judge the body sent: only with the caller's own Authorization header.
_BODY = (
    "valid_request_accepted",
    "invalid_request_rejected",
    "request_values_reflected",
    "payment_link_present",
    "error_code_matches_cause",
    "total_amount_plausible",
)
# Not registered: pricing_relations_hold (it judges the engine's own pairs of requests).
CHECK_NAMES: tuple[str, ...] = (*_ANY_REQUEST, *_OPERATION, *_BODY, "payment_id_unique")

_I64 = 2**63


def _context_from_env(env: Mapping[str, str]) -> CheckContext:
    path = env.get(FIXTURES_ENV, "").strip()
    fixtures = load_fixtures(path) if path else default_fixtures()
    raw = env.get(LATENCY_ENV, "").strip()
    budget = 2000.0
    if raw:
        try:
            budget = float(raw)
        except ValueError:
            budget = math.nan
        if not (math.isfinite(budget) and budget > 0):
            raise ConfigError(f"{LATENCY_ENV} must be a positive number of milliseconds, got {raw!r}")
    version, document = env.get(SPEC_VERSION_ENV, "").strip(), env.get(OPENAPI_ENV, "").strip()
    if version and document:
        raise ConfigError(f"set {SPEC_VERSION_ENV} or {OPENAPI_ENV}, not both")
    try:
        contract = load_contract(document) if document else get_contract(version or None)
    except ConfigError as exc:
        raise ConfigError(f"env {OPENAPI_ENV if document else SPEC_VERSION_ENV}: {exc}") from None
    settings = ContractSettings().for_contract(contract)
    return CheckContext(fixtures, settings, latency_budget_ms=budget, contract=contract)


_CTX = _context_from_env(os.environ)  # at import: a bad fixtures file stops `schemathesis run` before it sends


def _joined(value: Any) -> str:
    # Schemathesis' response headers are lists of values; a request's are plain strings.
    return value if isinstance(value, str) else ", ".join(str(v) for v in value)


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return _joined(value)
    return None


def _sent_body(request: Any) -> bytes:
    body = getattr(request, "body", None)
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _ambiguous_numbers(value: Any) -> bool:
    # `5.0` for an integer, or an integer no 64-bit field holds: JSON Schema calls them valid, a typed server may not.
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, int) and not isinstance(value, bool):
        return not -_I64 <= value < _I64
    if isinstance(value, dict):
        return any(_ambiguous_numbers(v) for v in value.values())
    if isinstance(value, list):
        return any(_ambiguous_numbers(v) for v in value)
    return False


def _bearer(auth: str | None) -> str:
    return auth[7:].strip() if auth and auth[:7].lower() == "bearer " else ""


def _judges_body(ctx: Any, case: Any, sent_auth: str | None) -> bool:
    """Whether the request carries the caller's Authorization header (Schemathesis neither dropped nor mutated it)."""
    if not sent_auth:
        return False
    meta = getattr(case, "meta", None)
    if meta is not None and meta.is_negative_at(ParameterLocation.HEADER):
        return False
    # The -H / config headers; Schemathesis marks `internals` as not a stable API, hence the guarded access.
    configured = getattr(getattr(ctx, "internals", None), "headers", None)
    expected = _header(configured, "authorization") if configured else None
    return expected is None or expected == sent_auth


def build_observation(ctx: Any, response: Any, case: Any) -> tuple[Observation | None, str]:
    """Turn one Schemathesis exchange into an ``Observation`` (None: not ``POST /payments``) and the key sent.

    The request's kind comes from ``validate_request`` on the body actually sent: ``valid``, ``invalid`` (labelled
    with the first violation's rule and pointer), ``fuzz`` (valid, but with numbers a typed server may read
    differently), or ``auth`` when its Authorization header is not the caller's (only the generic checks apply).
    """
    request = response.request
    sent_auth = _header(request.headers, "authorization")
    key = _bearer(sent_auth)
    secrets = [key] if key else []
    media = (_header(request.headers, "content-type") or "").split(";", 1)[0].strip().lower()
    path = getattr(case, "path", "")
    method = str(getattr(request, "method", "") or "").upper()
    if method != "POST" or path != "/payments" or media not in ("application/json", ""):  # "": no body at all
        return None, key
    raw = _sent_body(request)
    payload: Any = None
    try:
        payload = parse_json(raw)
    except ValueError:
        payload = None
    kind: Kind
    rule = pointer = label = ""
    if not _judges_body(ctx, case, sent_auth):
        kind, label = "auth", "an Authorization header Schemathesis changed"
    else:
        result = validate_request(raw, spec_version=_CTX.contract)
        if result.ok:
            kind = "fuzz" if _ambiguous_numbers(payload) else "valid"
        else:
            first = result.violations[0]
            kind, rule, pointer = "invalid", first.rule, first.pointer
            label = redact(f"{first.pointer or '(root)'}: {first.message}", secrets)
    body: Any = NOT_JSON
    defects: tuple[tuple[str, str], ...] = ()
    content = response.content or b""
    if content and len(content) >= getattr(response, "content_size", len(content)):
        try:
            value, defects = parse_answer(content)  # strict, as the engine reads answers
            body = redact_json(value, secrets)
        except ValueError:
            body = NOT_JSON
    headers = {k.lower(): _joined(v) for k, v in response.headers.items()}
    obs = Observation(
        kind=kind,
        request=payload,
        status=response.status_code,
        headers=headers,
        body=body,
        elapsed_ms=float(response.elapsed) * 1000.0,
        rule=rule,
        pointer=pointer,
        label=label,
        received_at=time.time(),
        json_defects=defects,
    )
    return obs, key


def _generic_observation(response: Any) -> Observation:
    # Answers to anything else (another path or method, a Content-Type probe): judged by the generic checks only.
    content = response.content or b""
    body: Any = NOT_JSON
    if content and len(content) >= getattr(response, "content_size", len(content)):
        try:
            body = parse_json(content)
        except ValueError:
            body = NOT_JSON
    return Observation(
        kind="fuzz",
        request=None,
        status=response.status_code,
        body=body,
        elapsed_ms=float(response.elapsed) * 1000.0,
        received_at=time.time(),
    )


def judge(name: str, ctx: Any, response: Any, case: Any, *, context: CheckContext | None = None) -> list[Violation]:
    """Run our check ``name`` on one Schemathesis exchange; return its violations (empty when it does not apply)."""
    obs, _key = build_observation(ctx, response, case)
    if obs is None:
        if name not in _ANY_REQUEST:
            return []
        obs = _generic_observation(response)
    if obs.kind not in APPLIES_TO[name]:  # e.g. invalid_request_rejected judges only `invalid` bodies
        return []
    return CHECKS[name](obs, context or _CTX)


def _fail(name: str, violations: list[Violation], response: Any) -> None:
    key = _bearer(_header(response.request.headers, "authorization"))
    lines = [f"dodo-contract `{name}` [{v.rule}]: {v}" for v in violations]
    raise AssertionError(redact("\n".join(lines), [key] if key else []))


def _make_check(name: str) -> Callable[[Any, Any, Any], bool | None]:
    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        found = judge(name, ctx, response, case)
        if found:
            _fail(name, found, response)
        return None

    check.__name__ = check.__qualname__ = PREFIX + name
    check.__doc__ = CHECKS[name].__doc__
    return check


class _PaymentIdUnique:
    """No two 200s of the run share a ``payment_id`` (dodo-contract ``payment_id_unique``).

    Schemathesis may call ``after_response`` again for the same exchange (shrinking, replay), so an exchange is
    identified by the test case id and the answer's bytes: seeing it twice is not a duplicate.
    """

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}  # payment_id -> the first exchange that returned it
        self.lock = threading.Lock()

    def after_response(self, ctx: Any, response: Any, case: Any) -> bool | None:
        obs, _key = build_observation(ctx, response, case)
        if obs is None or obs.kind == "auth" or obs.status != 200 or not isinstance(obs.body, dict):
            return None
        pid = obs.body.get("payment_id")
        if not isinstance(pid, str):
            return None
        exchange = f"{getattr(case, 'id', '')}:{hashlib.sha256(response.content or b'').hexdigest()}"
        with self.lock:
            first = self.seen.setdefault(pid, exchange)
        if first == exchange:
            return None
        scratch = CheckContext(
            _CTX.fixtures, _CTX.settings, _CTX.latency_budget_ms, payment_ids={pid: 1}, contract=_CTX.contract
        )
        found = payment_id_unique(obs, scratch)
        if found:
            _fail("payment_id_unique", found, response)
        return None


_PaymentIdUnique.__name__ = _PaymentIdUnique.__qualname__ = PREFIX + "payment_id_unique"


def before_add_examples(context: Any, examples: list[Any]) -> None:
    """Add the fixtures' canonical requests as explicit examples of ``POST /payments``.

    Schemathesis' own bodies carry ids no server knows, so they almost never get a 200; these do, which is what
    lets the checks of the success path (response schema, reflected values, payment link, payment_id) judge.
    """
    operation = getattr(context, "operation", None)
    if operation is None or str(operation.method).upper() != "POST" or operation.path != "/payments":
        return
    for _name, body in canonical_requests(_CTX.fixtures, spec_version=_CTX.contract):
        examples.append(operation.Case(body=body, media_type="application/json"))


for _name in CHECK_NAMES[:-1]:
    schemathesis.check(_make_check(_name))
schemathesis.check(_PaymentIdUnique)
schemathesis.hook(before_add_examples)
