"""The data the contract checks read: one observed exchange (``Observation``), the run's ``CheckContext``, helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..contract.fixtures import Fixtures
from ..contract.settings import ContractSettings
from ..contract.versions import Contract, get_contract
from ..errors import Violation

Kind = Literal["auth", "canonical", "invalid", "valid", "fuzz", "business", "pricing", "roundtrip"]


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
    describe what an ``invalid`` or ``auth`` request broke, ``reason`` what the validator says about it.
    ``received_at`` is the epoch time of the answer; ``truncated`` says the body went over the transport's cap
    and only its beginning was read. ``json_defects`` lists what a strict JSON parser refuses in the body but a
    lenient one forgives, as (defect, pointer) pairs: ``bom``, ``trailing_data``, ``duplicate_key``.
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
    reason: str = ""
    truncated: bool = False
    json_defects: tuple[tuple[str, str], ...] = ()
    pair: str = ""  # a pricing pair's name, judged with its other request (``role``: "base" or "variant")
    role: str = ""  # a round trip's: "created" (the id a create answered) or "unknown" (a synthetic id)
    operation: str = "payments"  # the operation answered (``checkouts.preview``, ``checkouts.get``...)
    session: str = ""  # for ``checkouts.get``: the session id asked for; ``request`` is then its create request

    @property
    def family(self) -> str:
        """Return the operation's family (``payments`` or ``checkouts``)."""
        return self.operation.split(".", 1)[0]


@dataclass(slots=True)
class CheckContext:
    """What the checks judge against: fixtures, settings, the latency budget, run-wide state, and the contract.

    ``contract`` is the spec version every body is validated with (default: the latest); ``settings`` should carry
    that version's code sets (``settings.for_contract(contract)``, as the engine does).
    """

    fixtures: Fixtures
    settings: ContractSettings = field(default_factory=ContractSettings)
    latency_budget_ms: float = 2000.0
    payment_ids: dict[str, int] = field(default_factory=dict)  # payment_id -> how many times seen
    new_customers: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # email -> first (name, phone) sent
    pricing: dict[str, Any] = field(default_factory=dict)  # pair id -> the first answer of a pricing pair
    notes: dict[str, list[str]] = field(default_factory=dict)  # what a check could not judge, and why (reports)
    contract: Contract = field(default_factory=get_contract)  # the version judged by


CheckFn = Callable[[Observation, CheckContext], list[Violation]]


def _v(pointer: str, rule: str, keyword: str, message: str) -> list[Violation]:
    return [Violation(pointer, rule, keyword, message)]


def _code(obs: Observation) -> str | None:
    body = obs.body
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code: str = body["code"]
        return code
    return None


def _error_statuses(ctx: CheckContext, obs: Observation | None = None) -> frozenset[int]:
    s = ctx.settings
    out = frozenset({s.invalid_status, s.business_status, s.auth_status}) - {200}
    return out | {NOT_FOUND_STATUS} if obs is not None and obs.operation == "checkouts.get" else out


NOT_FOUND_STATUS = 404  # GET /checkouts/{id} documents it for an unknown id


def _contract_of(obs: Observation, ctx: CheckContext) -> Contract:
    """Return the contract of the operation ``obs`` answered (the run's, or its sibling of the same family)."""
    if obs.operation == ctx.contract.operation:
        return ctx.contract
    return get_contract(ctx.contract, operation=obs.operation)


def _documented_refusal(obs: Observation, ctx: CheckContext) -> bool:
    """True for an error answer whose status is the one the docs state for its code (503 for
    ``DISCOUNT_CONCURRENT_REDEMPTION``: a transient refusal, safe to retry), not a server fault."""
    code = _code(obs)
    return (
        obs.status is not None
        and obs.status != 200
        and code is not None
        and code in ctx.settings.documented_codes
        and ctx.contract.codes.status_of(code) == obs.status
        and code not in _FAULT_CODES
    )


# Codes whose documented status is itself a fault (HTTP 500): documenting a crash does not excuse it.
_FAULT_CODES = frozenset({"INTERNAL_SERVER_ERROR"})


def _documented(ctx: CheckContext) -> str:
    return ", ".join(str(s) for s in sorted(ctx.settings.documented_statuses))


def _catalog_total(request: Any, ctx: CheckContext) -> int:
    cart = request.get("product_cart") if isinstance(request, dict) else None
    lines = [ctx.fixtures.line_total(item) for item in (cart if isinstance(cart, list) else [])]
    return 2**31 if None in lines else sum(t for t in lines if t is not None)  # not a catalog cart: nothing to excuse


def _discount_codes(request: Any) -> list[str]:
    """Return the discount codes a request applies: ``discount_code``, and the stacked ``discount_codes`` (1.113.0)."""
    if not isinstance(request, dict):
        return []
    single, stacked = request.get("discount_code"), request.get("discount_codes")
    codes = [single] if isinstance(single, str) else []
    codes += [c for c in stacked if isinstance(c, str)] if isinstance(stacked, list) else []
    return codes


def _below_minimum(request: Any, ctx: CheckContext) -> bool:
    """True when the fixtures price a cart below the minimum charge (the catalog's, else the setting's)."""
    cart = request.get("product_cart") if isinstance(request, dict) else None
    minimum = ctx.fixtures.minimum_charge(ctx.fixtures.cart_currency(cart), ctx.settings.minimum_charge)
    return _catalog_total(request, ctx) < minimum


def _code_suffix(obs: Observation) -> str:
    code = _code(obs)
    return f" ({code})" if code else ""
