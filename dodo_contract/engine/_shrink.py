"""Shrink findings, one request at a time: a smaller request that still breaks the same rule replaces the example.

Runs after the planned phases (never concurrently: each trial depends on the last), within the time budget and a
request budget; skipped when the run stopped on the time budget, rate limiting or stalls, or could not judge. The
candidate moves (``shrink_candidates``) and the test that a candidate is still the same kind of request
(``still_qualifies``) are here too.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..checks.core import CheckContext, Observation
from ..contract.versions import Contract
from ..validation.validator import validate_request
from ._case import Case, encode
from ._transport import Raw
from .outcome import Finding

if TYPE_CHECKING:
    from ._run import _Run

__all__ = ["shrink_all", "shrink_candidates", "still_qualifies"]

_REQUIRED = ("product_cart", "customer", "billing")
_SHRINK_PER_FINDING = 25
_SHRINK_TOTAL = 150
# Checks whose outcome depends on timing or run state, not on the request: shrinking them would chase noise.
_NOT_SHRUNK = frozenset({"response_received", "latency_budget", "payment_id_unique"})


async def shrink_all(run: _Run) -> None:
    """Shrink every finding of a valid or invalid case whose body is the JSON it was built from."""
    if (run.stopped or "").startswith(("time", "rate")) or run.stalls >= run.opts.settings.stall_limit:
        return
    for key, (_finding, case, _violation) in list(run.findings.items()):
        if case is None or key[0] in _NOT_SHRUNK or case.kind not in ("valid", "invalid"):
            continue
        if case.payload is None or _decode(case.body) != case.payload:
            continue
        if run.shrink_requests >= _SHRINK_TOTAL or time.monotonic() >= run.deadline:
            return
        await _shrink(run, key, case)


async def _exchange(run: _Run, case: Case) -> tuple[Observation, Raw] | None:
    from ._observe import observe

    got = await run._attempt(case, concurrent=False)
    if got.raw is None or got.raw.status == 429:
        return None
    return observe(case, got.raw, secrets=[run.opts.api_key]), got.raw


async def _shrink(run: _Run, key: tuple[str, str], case: Case) -> None:
    check, rule = key
    best = case
    attempts = 0
    improved = True
    while improved and attempts < _SHRINK_PER_FINDING:
        improved = False
        for candidate in shrink_candidates(best.payload):
            if attempts >= _SHRINK_PER_FINDING or run.shrink_requests >= _SHRINK_TOTAL:
                return
            if not still_qualifies(candidate, case, contract=run.opts.contract):
                continue
            attempts += 1
            run.shrink_requests += 1
            trial = dataclasses.replace(case, body=encode(candidate), payload=candidate, trip=False)
            got = await _exchange(run, trial)
            if got is None:
                return
            obs, raw = got
            scratch = CheckContext(
                run.ctx.fixtures, run.ctx.settings, run.ctx.latency_budget_ms, contract=run.ctx.contract
            )
            hit = next((v for c, v in run._checks(obs, scratch) if c == check and v.rule == rule), None)
            if hit is not None:
                finding = Finding(
                    check,
                    hit,
                    run._exchange_record(trial, obs, raw),
                    run.transport.curl(trial.body, "key", operation=trial.operation),
                    f"{case.label} (shrunk)",
                    run.family,
                )
                run.findings[key] = (finding, trial, hit)
                best = trial
                improved = True
                break


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


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
