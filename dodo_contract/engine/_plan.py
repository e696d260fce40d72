"""Build the requests of a contract run, deterministically from a seed, before anything is sent.

The phases, the plan cache and the payments plan; the cases themselves and the seeded draw are ``_case``'s, the
business-invalid requests ``_plan_business``'s, the edge requests ``_plan_edges``'s, and the greedy shrinker's
candidate moves ``_shrink``'s (all re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract, get_contract
from ..errors import NEAR_MISS_LABELS
from ..validation.validator import validate_request
from ._case import Case, Stop, draw, encode
from ._plan_business import BUSINESS_SAMPLE, CURRENCY_SAMPLE, business_requests, rotating_sample
from ._plan_edges import edge_requests
from ._shrink import shrink_candidates, still_qualifies
from ._transport import AuthMode

__all__ = [  # the cases' parts, the business / edge requests and the shrinker's moves are re-exported
    "BUSINESS_SAMPLE",
    "CURRENCY_SAMPLE",
    "LIVE_REQUEST_BUDGET",
    "NEAR_MISS_PROBES",
    "PHASES",
    "Case",
    "Plan",
    "Stop",
    "business_requests",
    "clear_plan_cache",
    "draw",
    "edge_requests",
    "encode",
    "plan_cases",
    "rotating_sample",
    "shrink_candidates",
    "still_qualifies",
]

LIVE_REQUEST_BUDGET = 3  # live mode creates real payments: a handful of canonical requests at most
# The near-miss keys (errors.near_miss_keys): a server that compares a prefix, or ignores case, accepts one.
NEAR_MISS_PROBES: tuple[tuple[AuthMode, str, str], ...] = (
    ("near_last", "auth.near_miss.last_character", NEAR_MISS_LABELS["near_last"]),
    ("near_prefix", "auth.near_miss.prefix", NEAR_MISS_LABELS["near_prefix"]),
    ("near_case", "auth.near_miss.case", NEAR_MISS_LABELS["near_case"]),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every case of a run, by phase, in sending order; ``complete`` is False when planning was cut short."""

    auth: tuple[Case, ...]
    canonical: tuple[Case, ...]
    business: tuple[Case, ...]
    invalid: tuple[Case, ...]
    valid: tuple[Case, ...]
    complete: bool = True
    pricing: tuple[Case, ...] = ()
    notes: tuple[str, ...] = ()  # what the plan could not send, and why (the pricing relations without data)
    roundtrip: tuple[Case, ...] = ()  # GET /checkouts/{id} of the synthetic unknown id (created ones come later)

    def phases(self) -> list[tuple[str, tuple[Case, ...]]]:
        """Return (phase name, cases) in the order they are sent."""
        return [(name, getattr(self, name)) for name in PHASES]

    def without(self, drop: Callable[[Case], bool]) -> Plan:
        """Return this plan less the cases ``drop`` names (phase order and ``complete`` kept)."""
        kept: dict[str, Any] = {name: tuple(c for c in cases if not drop(c)) for name, cases in self.phases()}
        return dataclasses.replace(self, **kept)


PHASES = ("auth", "canonical", "business", "invalid", "valid", "pricing", "roundtrip")
_CACHE: dict[tuple[Any, ...], Plan] = {}
_CACHE_SIZE = 4


def clear_plan_cache() -> None:
    """Forget the cached plans (benchmarks measure planning too)."""
    _CACHE.clear()


def plan_cases(
    fixtures: Fixtures,
    *,
    seed: int,
    max_examples: int,
    per_rule: int,
    rules: tuple[str, ...] | None = None,
    live: bool = False,
    kinds: frozenset[str] | None = None,
    stop: Stop | None = None,
    contract: Contract | None = None,
    tax_ids_validated: bool = True,
    codes_validated: bool = True,
) -> Plan:
    """Return the run's cases by phase, all of ``contract``'s version (None: the latest); ``live`` keeps a few.

    ``kinds`` names the phases to plan (None: all); a run that plans no canonical phase still gets the first
    canonical request, as the control that the key works and the success path answers. ``stop()`` is asked
    between examples; when it says True, planning ends early and the plan is marked incomplete. The last few
    complete plans are cached (runs with the same options, e.g. a self-test, send the same requests).
    """
    contract = get_contract(contract)
    key = (fixtures, seed, max_examples, per_rule, rules, live, kinds, contract.key, tax_ids_validated, codes_validated)
    if key in _CACHE:
        return _CACHE[key]
    cut = False

    def halt() -> bool:
        nonlocal cut
        cut = cut or (stop is not None and stop())
        return cut

    plan = _plan(
        fixtures, seed, max_examples, per_rule, rules, live, kinds, halt, contract, tax_ids_validated, codes_validated
    )
    if cut:
        plan = dataclasses.replace(plan, complete=False)
    else:
        while len(_CACHE) >= _CACHE_SIZE:  # drop the oldest
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = plan
    return plan


def _plan(
    fixtures: Fixtures,
    seed: int,
    max_examples: int,
    per_rule: int,
    rules: tuple[str, ...] | None,
    live: bool,
    kinds: frozenset[str] | None,
    stop: Stop,
    contract: Contract,
    tax_ids_validated: bool = True,
    codes_validated: bool = True,
) -> Plan:
    from ..generation import strategies

    if contract.endpoint.family == "checkouts":
        from ._plan_checkouts import plan_checkouts

        return plan_checkouts(
            fixtures, seed, max_examples, live, kinds, stop, contract, tax_ids_validated, codes_validated
        )
    version: dict[str, Any] = {"spec_version": contract}
    canonical = tuple(
        Case("canonical", encode(p), p, name) for name, p in strategies.canonical_requests(fixtures, **version)
    )
    if live:
        return Plan((), canonical[:LIVE_REQUEST_BUDGET], (), (), ())
    wanted = frozenset(PHASES) if kinds is None else kinds
    probe = canonical[0].payload if canonical else None
    auth = (
        (
            Case("auth", encode(probe), probe, "no Authorization header", rule="auth.missing_key", auth="missing"),
            Case("auth", encode(probe), probe, "a wrong API key", rule="auth.wrong_key", auth="wrong"),
            *(
                Case("auth", encode(probe), probe, label, rule=rule, auth=mode)
                for mode, rule, label in NEAR_MISS_PROBES
            ),
        )
        if "auth" in wanted
        else ()
    )
    business = (
        tuple(
            Case("business", encode(p), p, label, rule=rule, pointer=pointer)
            for rule, pointer, label, p in business_requests(
                probe,
                fixtures,
                seed=seed,
                contract=contract,
                tax_ids_validated=tax_ids_validated,
                codes_validated=codes_validated,
            )
        )
        if "business" in wanted
        else ()
    )
    pricing: tuple[Case, ...] = ()
    notes: tuple[str, ...] = ()
    if "pricing" in wanted and probe is not None:
        pairs, pricing_notes = strategies.pricing_pairs(fixtures, probe)
        pricing = tuple(
            Case("pricing", encode(c.payload), c.payload, c.label, rule=c.rule, pair=c.pair, role=c.role) for c in pairs
        )
        notes = tuple(pricing_notes)
    if "canonical" not in wanted:
        canonical = canonical[:1]
    # Every rule x every class of bad value once (derived from the contract); the bases vary with the seed.
    chosen = set(contract.known_rules("request") if rules is None else rules) if "invalid" in wanted else set()
    invalid: list[Case] = []
    if chosen:
        for inv in strategies.invalid_cases(fixtures, seed=seed, **version):
            if stop():
                return Plan(auth, canonical, business, tuple(invalid), (), pricing=pricing, notes=notes)
            if inv.rule in chosen:
                invalid.append(
                    Case(
                        "invalid",
                        inv.body,
                        inv.payload,
                        inv.description,
                        rule=inv.rule,
                        pointer=inv.pointer,
                        reason=_reason(inv.body, inv.rule, contract),
                    )
                )
    if "valid" not in wanted or stop():
        return Plan(auth, canonical, business, tuple(invalid), (), pricing=pricing, notes=notes)
    valid: list[Case] = []
    if max_examples:
        edges = [(f"edge: {name}", p) for name, p in edge_requests(probe, fixtures, contract=contract)]
        edges += [(name, p) for name, p in strategies.boundary_cases(fixtures, **version)]
        edges += [(name, p) for name, p in strategies.null_cases(fixtures, **version)]
        seen: set[bytes] = set()
        for label, p in edges:
            body = encode(p)
            if body not in seen:
                seen.add(body)
                valid.append(Case("valid", body, p, label))
    drawn = draw(strategies.valid_requests(fixtures, **version), max_examples, seed, stop=stop)
    valid += [Case("valid", encode(p), p, f"generated valid request #{i + 1}") for i, p in enumerate(drawn)]
    return Plan(auth, canonical, business, tuple(invalid), tuple(valid), pricing=pricing, notes=notes)


def _reason(body: bytes, rule: str, contract: Contract) -> str:
    """Return what the validator says about the rule an invalid case breaks (its own words, for the finding)."""
    violations = validate_request(body, spec_version=contract).violations
    chosen = next((v for v in violations if v.rule == rule), violations[0] if violations else None)
    return "" if chosen is None else str(chosen)
