"""Build the requests of a contract run, deterministically from a seed, before anything is sent.

Hypothesis strategies are drawn through a derandomised ``@given`` pinned with ``@seed``: the same seed, fixtures
and package version give the same request bytes. Also the greedy shrinker's candidate moves.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from ._transport import AuthMode
from .checks import Kind
from .fixtures import Fixtures
from .validator import validate_request

__all__ = ["Case", "draw", "encode", "plan_cases", "shrink_candidates"]

T = TypeVar("T")
LIVE_REQUEST_BUDGET = 3  # live mode creates real payments: a handful of canonical requests at most
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


def encode(payload: Any) -> bytes:
    """Serialise a JSON value the one way the engine always does (UTF-8, compact, key order kept)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def draw(strategy: Any, n: int, seed: int) -> list[Any]:
    """Draw up to ``n`` examples from a Hypothesis strategy, reproducibly for ``seed``."""
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
        out.append(copy.deepcopy(value))

    collect()
    return out[:n]


def plan_cases(
    fixtures: Fixtures,
    *,
    seed: int,
    max_examples: int,
    per_rule: int,
    rules: tuple[str, ...] | None = None,
    live: bool = False,
) -> tuple[list[Case], list[Case], list[Case], list[Case]]:
    """Return (auth, canonical, invalid, valid) cases; ``live`` keeps only a few canonical ones.

    The last few plans are cached (runs with the same options, e.g. a self-test, send the same requests).
    """
    planned = _plan_cached(fixtures, seed, max_examples, per_rule, rules, live)
    return list(planned[0]), list(planned[1]), list(planned[2]), list(planned[3])


@lru_cache(maxsize=4)
def _plan_cached(
    fixtures: Fixtures, seed: int, max_examples: int, per_rule: int, rules: tuple[str, ...] | None, live: bool
) -> tuple[tuple[Case, ...], ...]:
    auth, canonical, invalid, valid = _plan(fixtures, seed, max_examples, per_rule, rules, live)
    return tuple(auth), tuple(canonical), tuple(invalid), tuple(valid)


def _plan(
    fixtures: Fixtures, seed: int, max_examples: int, per_rule: int, rules: tuple[str, ...] | None, live: bool
) -> tuple[list[Case], list[Case], list[Case], list[Case]]:
    from . import strategies

    canonical = [Case("canonical", encode(p), p, name) for name, p in strategies.canonical_requests(fixtures)]
    if live:
        return [], canonical[:LIVE_REQUEST_BUDGET], [], []
    probe = canonical[0].payload if canonical else None
    auth = [
        Case("auth", encode(probe), probe, "no Authorization header", rule="auth.missing_key", auth="missing"),
        Case("auth", encode(probe), probe, "a wrong API key", rule="auth.wrong_key", auth="wrong"),
    ]
    invalid: list[Case] = []
    chosen = strategies.INVALID_REQUEST_RULES if rules is None else rules
    for index, rule in enumerate(chosen):
        seen: set[bytes] = set()
        for inv in draw(strategies.invalid_requests(fixtures, rules=[rule]), per_rule, seed + 7919 * (index + 1)):
            if inv.body in seen:
                continue
            seen.add(inv.body)
            invalid.append(Case("invalid", inv.body, inv.payload, inv.description, rule=inv.rule, pointer=inv.pointer))
    valid = (
        [Case("valid", encode(p), p, f"edge: {name}") for name, p in edge_requests(probe, fixtures)]
        if max_examples
        else []
    )
    valid += [
        Case("valid", encode(p), p, f"generated valid request #{i + 1}")
        for i, p in enumerate(draw(strategies.valid_requests(fixtures), max_examples, seed))
    ]
    return auth, canonical, invalid, valid


_NULLABLE_TOP = (
    "allowed_payment_method_types",
    "billing_currency",
    "discount_code",
    "force_3ds",
    "payment_link",
    "payment_method_id",
    "return_url",
    "short_link",
    "tax_id",
)


def edge_requests(base: Any, fixtures: Fixtures) -> list[tuple[str, Any]]:
    """Return named valid variants of a canonical request at the contract's edges (nulls, limits, unicode).

    Random generation reaches these only sometimes; a run must always try them, whatever ``max_examples``.
    """
    if not isinstance(base, dict) or not isinstance(base.get("product_cart"), list) or not base["product_cart"]:
        return []
    item = dict(base["product_cart"][0])
    out: list[tuple[str, Any]] = [
        ("quantity 0 next to quantity 1", {**base, "product_cart": [item, {**item, "quantity": 0}]}),
        (
            "every nullable field null",
            {
                **base,
                **dict.fromkeys(_NULLABLE_TOP),
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
    return [(name, p) for name, p in out if p is not None and validate_request(p).ok]


def still_qualifies(candidate: Any, case: Case) -> bool:
    """True when a shrunk candidate is still the same kind of request (valid, or breaking ``case.rule``)."""
    result = validate_request(candidate)
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
