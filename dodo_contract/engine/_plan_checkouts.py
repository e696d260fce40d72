"""Plan the run of a Checkout Sessions implementation: the same phases as for payments, each with its operation.

* **auth**: the first canonical session without a key, with a wrong key and the near misses on ``POST /checkouts``;
  without a key and with a wrong one on ``POST /checkouts/preview`` and ``GET /checkouts/{id}``;
* **canonical**: the sessions built only from the fixtures (``strategies.canonical_requests``), each created and
  each previewed (the preview takes the same body);
* **business**: schema-valid sessions that break one catalog rule with synthetic ids (unknown product, customer,
  discount code, collection; another customer's payment method) and, only when the fixtures declare them, the
  unsupported countries and an unknown tax id;
* **invalid**: every invalid case of the checkouts contract (``strategies.invalid_cases``), and a few of them
  (``INVALID_PREVIEWS``, spread over the rules) previewed too;
* **valid**: the boundary cases, each nullable field null, and ``max_examples`` generated sessions;
* **roundtrip**: ``GET /checkouts/{id}`` of the run's synthetic unknown id (must be 404); the created sessions
  marked ``trip`` (the canonical ones first, ``MAX_ROUND_TRIPS`` at most) are fetched back once answered.

Only documented operations are planned: the transport refuses anything else anyway.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract
from ..validation.validator import validate_request
from ._case import Case, Stop, draw, encode
from ._plan import LIVE_REQUEST_BUDGET, NEAR_MISS_PROBES, Plan, _reason
from ._plan_business import BUSINESS_SAMPLE, _unknown, _unknown_tax_id, rotating_sample

__all__ = ["INVALID_PREVIEWS", "MAX_ROUND_TRIPS", "business_checkout_requests", "plan_checkouts", "unknown_session_id"]

MAX_ROUND_TRIPS = 12  # created sessions fetched back with GET /checkouts/{id}
INVALID_PREVIEWS = 8  # invalid sessions previewed too (the preview validates the same body)
VALID_PREVIEWS = 8  # generated valid sessions previewed too (random quantities and discounts: the arithmetic)
QUANTITY_PREVIEWS = 3  # one-time products previewed at quantity 3 (a preview that prices each line once is off)
CREATE, PREVIEW, GET = "checkouts", "checkouts.preview", "checkouts.get"


def unknown_session_id(seed: int) -> str:
    """Return the run's synthetic session id: shaped like Dodo's (``cks_`` and 21 letters and digits), never issued.

    A server that checks the id's shape first must still find it well-formed, so the answer says "not found".
    """
    tag = hashlib.sha256(f"dodo-contract-session:{seed}".encode()).hexdigest()[:19]
    return f"cks_DC{tag}"


def plan_checkouts(
    fixtures: Fixtures,
    seed: int,
    max_examples: int,
    live: bool,
    kinds: frozenset[str] | None,
    stop: Stop,
    contract: Contract,
    tax_ids_validated: bool = True,
    codes_validated: bool = True,
) -> Plan:
    """Return the run's cases by phase for the checkouts family of ``contract``'s version (see the module doc)."""
    from ..generation import strategies
    from ._plan import PHASES

    version: dict[str, Any] = {"spec_version": contract}
    named = strategies.canonical_requests(fixtures, **version)
    creates = [Case("canonical", encode(p), p, f"create {name}", operation=CREATE) for name, p in named]
    if live:
        return Plan((), tuple(creates[:LIVE_REQUEST_BUDGET]), (), (), ())
    wanted = frozenset(PHASES) if kinds is None else kinds
    probe = creates[0].payload if creates else None
    unknown = unknown_session_id(seed)
    auth: tuple[Case, ...] = ()
    if "auth" in wanted and probe is not None:
        body = encode(probe)
        auth = (
            Case("auth", body, probe, "no Authorization header", rule="auth.missing_key", auth="missing",
                 operation=CREATE),
            Case("auth", body, probe, "a wrong API key", rule="auth.wrong_key", auth="wrong", operation=CREATE),
            *(Case("auth", body, probe, label, rule=rule, auth=mode, operation=CREATE)
              for mode, rule, label in NEAR_MISS_PROBES),
            Case("auth", body, probe, "a preview without an Authorization header", rule="auth.missing_key",
                 auth="missing", operation=PREVIEW),
            Case("auth", body, probe, "a preview with a wrong API key", rule="auth.wrong_key", auth="wrong",
                 operation=PREVIEW),
            Case("auth", b"", None, "GET of a session without an Authorization header", rule="auth.missing_key",
                 auth="missing", operation=GET, path_id=unknown),
            Case("auth", b"", None, "GET of a session with a wrong API key", rule="auth.wrong_key", auth="wrong",
                 operation=GET, path_id=unknown),
        )  # fmt: skip
    canonical: list[Case] = []
    if "canonical" in wanted:
        for index, case in enumerate(creates):
            canonical.append(_with(case, trip=index < MAX_ROUND_TRIPS))
            canonical.append(_with(case, operation=PREVIEW, label=case.label.replace("create", "preview", 1)))
        canonical += _quantity_previews(fixtures, contract)
    else:
        canonical = [_with(c, trip=True) for c in creates[:1]]
    business: tuple[Case, ...] = ()
    if "business" in wanted and probe is not None:
        business = tuple(
            Case("business", encode(p), p, label, rule=rule, pointer=pointer, operation=CREATE)
            for rule, pointer, label, p in business_checkout_requests(
                probe,
                fixtures,
                seed=seed,
                contract=contract,
                tax_ids_validated=tax_ids_validated,
                codes_validated=codes_validated,
            )
        )
    invalid: list[Case] = []
    if "invalid" in wanted:
        for inv in strategies.invalid_cases(fixtures, seed=seed, **version):
            if stop():
                return Plan(tuple(auth), tuple(canonical), business, tuple(invalid), (), complete=False)
            reason = _reason(inv.body, inv.rule, contract)
            invalid.append(Case("invalid", inv.body, inv.payload, inv.description, rule=inv.rule,
                                pointer=inv.pointer, reason=reason, operation=CREATE))  # fmt: skip
        invalid += _known_codes_over_limit(probe, fixtures, contract)
        step = max(1, len(invalid) // INVALID_PREVIEWS)
        invalid += [
            _with(c, operation=PREVIEW, label=f"preview: {c.label}") for c in invalid[::step][:INVALID_PREVIEWS]
        ]
    valid: list[Case] = []
    if "valid" in wanted and not stop():
        if max_examples:
            seen: set[bytes] = set()
            edges = [*strategies.boundary_cases(fixtures, **version), *strategies.null_cases(fixtures, **version)]
            for label, p in edges:
                body = encode(p)
                if body not in seen:
                    seen.add(body)
                    valid.append(Case("valid", body, p, label, operation=CREATE))
        drawn = (
            draw(strategies.valid_requests(fixtures, **version), max_examples, seed, stop=stop) if max_examples else []
        )
        valid += [
            Case("valid", encode(p), p, f"generated valid session #{i + 1}", operation=CREATE)
            for i, p in enumerate(drawn)
        ]
        room = MAX_ROUND_TRIPS - sum(c.trip for c in canonical)
        valid = [_with(c, trip=True) if i < room else c for i, c in enumerate(valid)]
        generated = [c for c in valid if c.label.startswith("generated")][:VALID_PREVIEWS]
        valid += [_with(c, operation=PREVIEW, trip=False, label=f"preview: {c.label}") for c in generated]
    roundtrip: tuple[Case, ...] = ()
    if "roundtrip" in wanted:
        roundtrip = (
            Case("roundtrip", b"", None, "GET /checkouts/{id} of an id never issued", rule="round_trip.unknown_id",
                 operation=GET, path_id=unknown, role="unknown"),
        )  # fmt: skip
    return Plan(tuple(auth), tuple(canonical), business, tuple(invalid), tuple(valid), roundtrip=roundtrip)


def _quantity_previews(fixtures: Fixtures, contract: Contract) -> list[Case]:
    """Return previews of single one-time products at quantity 3 (the canonical sessions all have quantity 1)."""
    products = [p for p in fixtures.checkout.one_time(fixtures.products) if not p.pay_what_you_want]
    out = []
    for product in products[:QUANTITY_PREVIEWS]:
        payload = {"product_cart": [{"product_id": product.id, "quantity": 3}]}
        if validate_request(payload, spec_version=contract).ok:
            out.append(Case("canonical", encode(payload), payload, f"preview {product.id} x 3", operation=PREVIEW))
    return out


def _known_codes_over_limit(base: Any, fixtures: Fixtures, contract: Contract) -> list[Case]:
    """Return a session with one code more than ``discount_codes`` allows, every one a fixture code.

    The derived case for that bound sends made-up codes, which a server without the bound still refuses (unknown
    code): only known codes show whether the bound itself is enforced.
    """
    codes = [d.code for d in fixtures.discounts]
    if not isinstance(base, dict) or not codes:
        return []
    out = []
    for rule in contract.rules("request"):
        if rule.keyword != "maxItems" or rule.path != ("discount_codes",) or not isinstance(rule.limit, int):
            continue
        payload = {"product_cart": base["product_cart"], "discount_codes": (codes * (rule.limit + 1))[: rule.limit + 1]}
        found = validate_request(payload, spec_version=contract).violations
        if [(v.rule, v.pointer) for v in found] == [(rule.id, "/discount_codes")]:
            label = f"{rule.limit + 1} discount_codes, each a fixture code"
            out.append(Case("invalid", encode(payload), payload, label, rule=rule.id, pointer="/discount_codes",
                            reason=str(found[0]), operation=CREATE))  # fmt: skip
    return out


def _with(case: Case, **changes: Any) -> Case:
    import dataclasses

    return dataclasses.replace(case, **changes)


def business_checkout_requests(
    base: Any,
    fixtures: Fixtures,
    *,
    seed: int,
    contract: Contract,
    tax_ids_validated: bool = True,
    codes_validated: bool = True,
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Return (rule, pointer, label, session) variants of a canonical session that each break one catalog rule.

    Unknown ids are synthetic (derived from ``seed``, never in the fixtures); the unsupported countries and an
    unknown tax id only when the fixtures declare them. Each stays schema-valid for ``contract``.
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    fx = fixtures
    tag = hashlib.sha256(f"dodo-contract:{seed}".encode()).hexdigest()[:10]
    item = {k: v for k, v in base["product_cart"][0].items() if k in ("product_id", "quantity")}
    props = contract.schema("request").get("properties") or {}
    out: list[tuple[str, str, str, dict[str, Any]]] = []

    def add(rule: str, pointer: str, label: str, request: dict[str, Any]) -> None:
        out.append((rule, pointer, label, {**base, **request}))

    product = _unknown("prod_dodo_contract_unknown_" + tag, {p.id for p in fx.products})
    add("business.unknown_product", "/product_cart/0/product_id", f"unknown product_id {product!r}",
        {"product_cart": [{**item, "product_id": product}]})  # fmt: skip
    customer = _unknown("cus_dodo_contract_unknown_" + tag, {c.id for c in fx.customers})
    add("business.unknown_customer", "/customer/customer_id", f"unknown customer_id {customer!r}",
        {"customer": {"customer_id": customer}})  # fmt: skip
    code = _unknown("DODO_CONTRACT_UNKNOWN_" + tag.upper(), {d.code.casefold() for d in fx.discounts})
    if codes_validated and "discount_codes" in props:
        add("business.unknown_discount_code", "/discount_codes/0", f"unknown discount code {code!r}",
            {"discount_codes": [code]})  # fmt: skip
    elif codes_validated:
        add("business.unknown_discount_code", "/discount_code", f"unknown discount_code {code!r}",
            {"discount_code": code})  # fmt: skip
    if fx.checkout.collections:
        collection = _unknown("pcol_dodo_contract_unknown_" + tag, {c.id for c in fx.checkout.collections})
        add("business.unknown_collection", "/product_collection_id", f"unknown product_collection_id {collection!r}",
            {"product_cart": [], "product_collection_id": collection})  # fmt: skip
    owner = next((c for c in fx.customers if c.payment_method_ids), fx.customers[0] if fx.customers else None)
    if owner is not None:
        others = [m for c in fx.customers if c is not owner for m in c.payment_method_ids]
        others = [m for m in others if m not in owner.payment_method_ids]
        method = others[0] if others else _unknown("pm_dodo_contract_unknown_" + tag, set(owner.payment_method_ids))
        full = {"country": _country(fx), "street": "1 Main St", "city": "Springfield", "state": "CA",
                "zipcode": "95014"}  # fmt: skip
        add("business.foreign_payment_method", "/payment_method_id",
            f"payment_method_id {method!r} does not belong to customer {owner.id!r}",
            {"customer": {"customer_id": owner.id}, "payment_method_id": method, "confirm": True,
             "billing_address": full})  # fmt: skip
    if "unsupported_countries" in fx.declared:
        for country in rotating_sample(fx.unsupported_countries, BUSINESS_SAMPLE, seed):
            add("business.unsupported_country", "/billing_address/country", f"billing_address.country {country} "
                "is unsupported", {"billing_address": {"country": country}})  # fmt: skip
    if "tax_ids" in fx.declared and fx.tax_ids and tax_ids_validated:
        tax_id = _unknown_tax_id(fx.tax_ids)
        add("business.unknown_tax_id", "/tax_id", f"tax_id {tax_id!r} is not one of the fixtures' tax ids",
            {"tax_id": tax_id, "billing_address": {"country": _country(fx)}})  # fmt: skip
    return [case for case in out if validate_request(case[3], spec_version=contract).ok]


def _country(fx: Fixtures) -> str:
    countries = fx.supported_countries
    return "US" if "US" in countries else countries[0]
