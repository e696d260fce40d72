"""Build the requests of a contract run, deterministically from a seed, before anything is sent.

Hypothesis strategies are drawn through a derandomised ``@given`` pinned with ``@seed``: the same seed, fixtures
and package version give the same request bytes. Also the business-invalid cases (``business_requests``) and the
greedy shrinker's candidate moves.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..checks.core import Kind
from ..contract.fixtures import Fixtures
from ..contract.versions import Contract, get_contract
from ..errors import NEAR_MISS_LABELS
from ..generation._pools import LONG_NAMES
from ..validation.validator import validate_request
from ._transport import AuthMode

__all__ = [
    "PHASES",
    "Case",
    "Plan",
    "business_requests",
    "clear_plan_cache",
    "draw",
    "encode",
    "plan_cases",
    "shrink_candidates",
]

T = TypeVar("T")
BUSINESS_SAMPLE = 8  # unsupported countries a run sends at most (a window moving with the seed beyond that)
CURRENCY_SAMPLE = 3  # unsupported billing currencies a run sends
LIVE_REQUEST_BUDGET = 3  # live mode creates real payments: a handful of canonical requests at most
# The near-miss keys (errors.near_miss_keys): a server that compares a prefix, or ignores case, accepts one.
NEAR_MISS_PROBES: tuple[tuple[AuthMode, str, str], ...] = (
    ("near_last", "auth.near_miss.last_character", NEAR_MISS_LABELS["near_last"]),
    ("near_prefix", "auth.near_miss.prefix", NEAR_MISS_LABELS["near_prefix"]),
    ("near_case", "auth.near_miss.case", NEAR_MISS_LABELS["near_case"]),
)
_REQUIRED = ("product_cart", "customer", "billing")


@dataclass(frozen=True, slots=True)
class Case:
    """One request to send: its kind, exact body bytes, the JSON value (None if not JSON) and its label."""

    kind: Kind
    body: bytes
    payload: Any
    label: str
    rule: str = ""
    pointer: str = ""
    auth: AuthMode = "key"
    reason: str = ""  # for an invalid case: the validator's own message about the rule it breaks
    pair: str = ""  # for a pricing case: the pair it belongs to, and its ``role`` in it ("base", "variant")
    role: str = ""  # a round trip's: "created" (an id the server returned) or "unknown" (the synthetic one)
    operation: str = "payments"  # the documented operation it is sent to (``contract.endpoints``)
    path_id: str = ""  # the ``{id}`` of ``GET /checkouts/{id}``
    trip: bool = False  # a created session to fetch back (``GET /checkouts/{id}``) once it is answered


def encode(payload: Any) -> bytes:
    """Serialise a JSON value the one way the engine always does (UTF-8, compact, key order kept)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Cut(BaseException):
    """Raised inside a draw when the planner must stop (a BaseException: Hypothesis must not treat it as a bug)."""


Stop = Callable[[], bool]


def draw(strategy: Any, n: int, seed: int, *, stop: Stop | None = None) -> list[Any]:
    """Draw up to ``n`` examples from a Hypothesis strategy, reproducibly for ``seed``.

    ``stop()`` is asked before each example; once it says True the draw ends with what it has (a prefix of the
    full draw). It may also raise (``KeyboardInterrupt``): that propagates at once.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as pin_seed

    out: list[Any] = []

    @pin_seed(seed)
    @settings(
        max_examples=n,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        if stop is not None and stop():
            raise _Cut
        out.append(copy.deepcopy(value))

    with contextlib.suppress(_Cut):
        collect()
    return out[:n]


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
) -> Plan:
    """Return the run's cases by phase, all of ``contract``'s version (None: the latest); ``live`` keeps a few.

    ``kinds`` names the phases to plan (None: all); a run that plans no canonical phase still gets the first
    canonical request, as the control that the key works and the success path answers. ``stop()`` is asked
    between examples; when it says True, planning ends early and the plan is marked incomplete. The last few
    complete plans are cached (runs with the same options, e.g. a self-test, send the same requests).
    """
    contract = get_contract(contract)
    key = (fixtures, seed, max_examples, per_rule, rules, live, kinds, contract.key, tax_ids_validated)
    if key in _CACHE:
        return _CACHE[key]
    cut = False

    def halt() -> bool:
        nonlocal cut
        cut = cut or (stop is not None and stop())
        return cut

    plan = _plan(fixtures, seed, max_examples, per_rule, rules, live, kinds, halt, contract, tax_ids_validated)
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
) -> Plan:
    from ..generation import strategies

    if contract.endpoint.family == "checkouts":
        from ._plan_checkouts import plan_checkouts

        return plan_checkouts(fixtures, seed, max_examples, live, kinds, stop, contract, tax_ids_validated)
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
                probe, fixtures, seed=seed, contract=contract, tax_ids_validated=tax_ids_validated
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


def rotating_sample(values: Sequence[str], size: int, seed: int) -> list[str]:
    """Return ``size`` of ``values`` (all of them when there are no more), a window that moves with ``seed``.

    Seed s starts at index ``s * size`` (wrapping), so the seeds 0 .. ceil(len / size) - 1 cover every value.
    """
    if len(values) <= size:
        return list(values)
    start = seed * size % len(values)
    return [values[(start + i) % len(values)] for i in range(size)]


def _unknown_tax_id(known: Sequence[str]) -> str:
    """Return a tax id shaped like the first known one (same prefix and length), but not among them."""
    taken = {k.casefold() for k in known}
    base = known[0]
    for shift in range(1, 10):
        candidate = "".join(str((int(c) + shift) % 10) if c.isdigit() else c for c in base)
        if candidate.casefold() not in taken and candidate != base:
            return candidate
    return _unknown(base + "9", taken)


def business_requests(
    base: Any,
    fixtures: Fixtures,
    *,
    seed: int,
    contract: Contract | None = None,
    tax_ids_validated: bool = True,
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Return (rule, pointer, label, request) variants of a canonical request that each break one business rule.

    Each stays schema-valid and breaks a rule the fixtures make checkable: unknown ids are synthetic (derived from
    ``seed``, never in the fixtures); account settings (currencies, countries, payment methods, tax ids) are only
    tested when the fixtures declare them. Every declared unsupported country is sent when there are at most
    ``BUSINESS_SAMPLE`` of them, else a window of that many moving with the seed (seeds 0..ceil(n / 8) - 1 cover
    them all); unsupported currencies likewise, ``CURRENCY_SAMPLE`` a run (EUR, GBP, JPY first). A tax id shaped
    like the first declared one but not in the list is sent unless ``tax_ids_validated`` is off (the setting).
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    fx, contract = fixtures, get_contract(contract)
    tag = hashlib.sha256(f"dodo-contract:{seed}".encode()).hexdigest()[:10]
    item = {k: v for k, v in base["product_cart"][0].items() if k in ("product_id", "quantity")}
    out: list[tuple[str, str, str, dict[str, Any]]] = []

    def add(rule: str, pointer: str, label: str, request: dict[str, Any]) -> None:
        out.append((rule, pointer, label, {**base, **request}))

    product = _unknown("prod_dodo_contract_unknown_" + tag, {p.id for p in fx.products})
    cart = [{**item, "product_id": product}]
    add(
        "business.unknown_product",
        "/product_cart/0/product_id",
        f"unknown product_id {product!r}",
        {"product_cart": cart},
    )
    customer = _unknown("cus_dodo_contract_unknown_" + tag, {c.id for c in fx.customers})
    add(
        "business.unknown_customer",
        "/customer/customer_id",
        f"unknown customer_id {customer!r}",
        {"customer": {"customer_id": customer}},
    )
    code = _unknown("DODO_CONTRACT_UNKNOWN_" + tag.upper(), {d.code.casefold() for d in fx.discounts})
    add("business.unknown_discount_code", "/discount_code", f"unknown discount_code {code!r}", {"discount_code": code})
    pwyw = next((p for p in fx.products if p.pay_what_you_want), None)
    if pwyw is not None:
        cart = [{"product_id": pwyw.id, "quantity": 1}]
        add(
            "business.pwyw_amount_missing",
            "/product_cart/0",
            f"pay-what-you-want product {pwyw.id!r} without amount",
            {"product_cart": cart},
        )
    floor = next((p for p in fx.products if p.pay_what_you_want and p.min_amount > 0), None)
    if floor is not None:
        cart = [{"product_id": floor.id, "quantity": 1, "amount": floor.min_amount - 1}]
        add(
            "business.pwyw_amount_below_minimum",
            "/product_cart/0/amount",
            f"amount {floor.min_amount - 1} below the minimum {floor.min_amount} of {floor.id!r}",
            {"product_cart": cart},
        )
    if fx.customers:
        owner = fx.customers[0]
        # Another customer's real method is the likelier bug (only existence checked); else a made-up one.
        others = [m for c in fx.customers[1:] for m in c.payment_method_ids if m not in owner.payment_method_ids]
        method = others[0] if others else _unknown("pm_dodo_contract_unknown_" + tag, set(owner.payment_method_ids))
        add(
            "business.foreign_payment_method",
            "/payment_method_id",
            f"payment_method_id {method!r} does not belong to customer {owner.id!r}",
            {"customer": {"customer_id": owner.id}, "payment_method_id": method},
        )
    if "unsupported_countries" in fx.declared:
        for country in rotating_sample(fx.unsupported_countries, BUSINESS_SAMPLE, seed):
            add(
                "business.unsupported_country",
                "/billing/country",
                f"billing.country {country} is unsupported",
                {"billing": {**base["billing"], "country": country}},
            )
    if "billing_currencies" in fx.declared:
        codes, avoid = contract.currencies, set(fx.billing_currencies) | {p.currency for p in fx.products}
        common = [c for c in ("EUR", "GBP", "JPY") if c in codes]
        unsupported = [c for c in dict.fromkeys((*common, *codes)) if c not in avoid]
        for currency in rotating_sample(unsupported, CURRENCY_SAMPLE, seed):
            add(
                "business.unsupported_currency",
                "/billing_currency",
                f"billing_currency {currency} is not a billing currency",
                {"billing_currency": currency},
            )
    if "tax_ids" in fx.declared and fx.tax_ids and tax_ids_validated:
        tax_id = _unknown_tax_id(fx.tax_ids)
        add("business.unknown_tax_id", "/tax_id", f"tax_id {tax_id!r} is not one of the fixtures' tax ids",
            {"tax_id": tax_id})  # fmt: skip
    disabled = [m for m in contract.payment_method_types if m not in fx.enabled_payment_methods]
    if "enabled_payment_methods" in fx.declared and disabled:
        add(
            "business.no_eligible_payment_method",
            "/allowed_payment_method_types",
            f"allowed_payment_method_types [{disabled[0]!r}] is not enabled",
            {"allowed_payment_method_types": disabled[:1]},
        )
    return [case for case in out if validate_request(case[3], spec_version=contract).ok]


def _unknown(candidate: str, taken: set[str]) -> str:
    while candidate in taken or candidate.casefold() in taken:
        candidate += "_x"
    return candidate


def _nullable_top(contract: Contract) -> tuple[str, ...]:
    """Return the request's top-level fields that may be ``null``, read from the schema (not restated here)."""
    props = contract.schema("request")["properties"]
    return tuple(k for k, v in props.items() if isinstance(v.get("type"), list) and "null" in v["type"])


def edge_requests(base: Any, fixtures: Fixtures, *, contract: Contract | None = None) -> list[tuple[str, Any]]:
    """Return named valid variants of a canonical request at the contract's edges (nulls, limits, unicode).

    Random generation reaches these only sometimes; a run must always try them, whatever ``max_examples``.
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    contract = get_contract(contract)
    item = dict(base["product_cart"][0])
    out: list[tuple[str, Any]] = [
        ("quantity 0 next to quantity 1", {**base, "product_cart": [item, {**item, "quantity": 0}]}),
        (
            "every nullable field null",
            {
                **base,
                **dict.fromkeys(_nullable_top(contract)),
                "customer": {"email": "nulls@example.com", "name": None, "phone_number": None},
                "billing": {**base["billing"], "city": None, "state": None, "street": None, "zipcode": None},
            },
        ),
        ("100-item cart", {**base, "product_cart": [dict(item) for _ in range(100)]}),
        (
            "50 metadata pairs at the length limits",
            {**base, "metadata": {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(50)}},
        ),
        (
            "unicode text",
            {
                **base,
                "customer": {"email": "zoe@example.com", "name": "Zoë Ünlü 小龍 🦤", "phone_number": "+4915112345678"},
                "billing": {**base["billing"], "city": "Zürich", "street": "Øster Allé 5"},
                "metadata": {"note": "注文 #42 — emoji 🦤"},
            },
        ),
        (
            "customer_id and email together (read as an existing customer)",
            {**base, "customer": {"customer_id": fixtures.customers[0].id, "email": fixtures.customers[0].email}}
            if fixtures.customers
            else None,
        ),
        ("unknown extra keys", {**base, "x_unknown": {"nested": [1, 2]}, "another_unknown": None}),
        # What real traffic has: upper-case and plus-addressed emails, a long multi-byte name, plain http.
        ("upper-case email", {**base, "customer": {"email": "Ada.LOVELACE@Example.COM", "name": "Ada Lovelace"}}),
        ("plus-addressed email", {**base, "customer": {"email": "grace+billing@example.com", "name": "Grace"}}),
        (
            "a long multi-byte name",
            {**base, "customer": {"email": "long.name@example.com", "name": LONG_NAMES[0]}},
        ),
        ("a plain http:// return_url", {**base, "return_url": "http://shop.example.com/thanks?order=42"}),
        (
            "booleans set",
            {
                **base,
                "show_saved_payment_methods": True,
                "redirect_immediately": False,
                "force_3ds": True,
                "short_link": False,
            },
        ),
    ]
    out += _version_edges(base, fixtures, contract)
    return [(name, p) for name, p in out if p is not None and validate_request(p, spec_version=contract).ok]


def _version_edges(base: dict[str, Any], fixtures: Fixtures, contract: Contract) -> list[tuple[str, Any]]:
    """Return valid requests that use what the version allows beyond the oldest: every payment method type, a
    metadata value of each allowed type, stacked discount codes (read from the contract, not listed by version).

    A server built to another version refuses some of them; the server of this version must accept them all.
    """
    out: list[tuple[str, Any]] = []
    methods = contract.payment_method_types
    if any(m in methods for m in fixtures.enabled_payment_methods):
        out.append(("every payment method type of the spec", {**base, "allowed_payment_method_types": list(methods)}))
    value = next((r for r in contract.rules("request") if r.id == "metadata.value.type"), None)
    samples = {"string": "text", "integer": 5, "number": 5.5, "boolean": True}
    types = [t for t in (value.limit if value is not None and isinstance(value.limit, tuple) else ()) if t in samples]
    if len(types) > 1:
        out.append(("a metadata value of every allowed type", {**base, "metadata": {t: samples[t] for t in types}}))
    codes = list(dict.fromkeys(d.code for d in fixtures.discounts))[:20]
    if "discount_codes" in (contract.schema("request").get("properties") or {}) and len(codes) >= 2:
        out.append((f"{len(codes)} stacked discount codes, in order", {**base, "discount_codes": codes}))
    return out


def still_qualifies(candidate: Any, case: Case, *, contract: Contract | None = None) -> bool:
    """True when a shrunk candidate is still the same kind of request (valid, or breaking ``case.rule``)."""
    result = validate_request(candidate, spec_version=contract)
    if case.kind == "valid":
        return result.ok
    return any(v.rule == case.rule for v in result.violations)


def shrink_candidates(payload: Any) -> Iterator[Any]:
    """Yield smaller variants of a request body, biggest cuts first (optional keys, cart items, metadata)."""
    if not isinstance(payload, dict):
        return
    for key in list(payload):
        if key not in _REQUIRED:
            yield {k: v for k, v in payload.items() if k != key}
    cart = payload.get("product_cart")
    if isinstance(cart, list) and len(cart) > 1:
        for part in (cart[:1], cart[-1:], cart[: len(cart) // 2], cart[len(cart) // 2 :]):
            yield {**payload, "product_cart": part}
        for i in range(min(len(cart), 10)):
            yield {**payload, "product_cart": cart[:i] + cart[i + 1 :]}
    meta = payload.get("metadata")
    if isinstance(meta, dict) and len(meta) > 1:
        items = list(meta.items())
        for part in (items[:1], items[-1:], items[: len(items) // 2], items[len(items) // 2 :]):
            yield {**payload, "metadata": dict(part)}
    for key in ("billing", "customer"):
        node = payload.get(key)
        if isinstance(node, dict):
            for sub in list(node):
                if sub not in ("country", "customer_id", "email"):
                    yield {**payload, key: {k: v for k, v in node.items() if k != sub}}
            if key == "customer" and "customer_id" in node and "email" in node:
                yield {**payload, key: {"customer_id": node["customer_id"]}}
    if isinstance(cart, list):
        for i, item in enumerate(cart[:10]):
            if isinstance(item, dict):
                for sub in list(item):
                    if sub not in ("product_id", "quantity"):
                        smaller = {k: v for k, v in item.items() if k != sub}
                        yield {**payload, "product_cart": [*cart[:i], smaller, *cart[i + 1 :]]}
