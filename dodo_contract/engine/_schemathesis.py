"""The opt-in Schemathesis phase: OpenAPI-driven fuzzing of ``POST /payments``, judged by our own checks.

Schemathesis (4.x) generates bodies from ``schemas/openapi.yaml`` in positive and negative mode; its own runner
is not used, which sidesteps its known false positives: nothing but ``POST /payments`` is sent, the
Authorization header it generates is dropped (the key is never mutated outside the auth probe), integer-valued
floats (``5.0``) are sent as integers, and whether a body is valid is decided by OUR validator (Dodo's customer
``oneOf`` is really "first form that fits"), never by Schemathesis' generation mode. Valid bodies become
``fuzz`` cases (generic checks only: their ids are not from the fixtures), invalid ones ``invalid`` cases that
must get exactly 422, labelled with the rule our validator names.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

from ..contract.schemas import openapi_path
from ..contract.versions import Contract, get_contract
from ..validation.validator import validate_request
from ._plan import Case, Stop, draw, encode

__all__ = ["plan_schemathesis", "run_schemathesis_phase"]

_MISSING = object()


def _body_of(case: Any) -> Any:
    body = getattr(case, "body", _MISSING)
    return _MISSING if type(body).__name__ == "NotSet" else body


def _intify(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: _intify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_intify(v) for v in value]
    return value


def plan_schemathesis(seed: int, n: int, *, stop: Stop | None = None, contract: Contract | None = None) -> list[Case]:
    """Draw ``n`` bodies with Schemathesis (half positive, half negative) and label each with our validator.

    Both from ``contract``'s version (None: the latest): its ``openapi.yaml``, its validator. ``stop()`` is asked
    between examples (the run's time budget, a cancelled run): planning then ends early.
    """
    contract = get_contract(contract)
    import schemathesis
    from schemathesis.generation.modes import GenerationMode

    schema = schemathesis.openapi.from_path(openapi_path(contract))
    operation = schema[contract.endpoint.path][contract.endpoint.method]  # POST /payments, or POST /checkouts
    out: list[Case] = []
    seen: set[bytes] = set()
    for offset, mode in enumerate((GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
        count = n // 2 if offset == 0 else n - n // 2
        strategy = operation.as_strategy(generation_mode=mode).map(_body_of)
        for body in draw(strategy, count, seed + 104729 * (offset + 1), stop=stop):
            if body is _MISSING:
                continue
            if isinstance(body, (bytes, bytearray)):
                raw, payload = bytes(body), None
            else:
                payload = _intify(body)
                raw = encode(payload)
            if raw in seen:
                continue
            seen.add(raw)
            result = validate_request(raw, spec_version=contract)
            label = f"schemathesis {mode.value} case"
            if result.ok:
                out.append(Case("fuzz", raw, payload, label, operation=contract.operation))
            else:
                first = result.violations[0]
                out.append(Case("invalid", raw, payload, f"{label}: {first}", rule=first.rule, pointer=first.pointer,
                                operation=contract.operation))  # fmt: skip
    return out


async def run_schemathesis_phase(run: Any) -> None:
    """Send the Schemathesis cases through the run's transport and checks (stops when the run stops)."""
    n = max(10, run.opts.max_examples)
    cancelled = threading.Event()  # the planning thread cannot be cancelled from here: it is told to stop
    cut = threading.Event()

    def stop() -> bool:
        if cancelled.is_set() or time.monotonic() >= run.deadline:
            cut.set()
        return cut.is_set()

    try:
        cases = await asyncio.to_thread(plan_schemathesis, run.opts.seed, n, stop=stop, contract=run.opts.contract)
    except Exception as exc:  # Schemathesis failing to load the spec must not pass as "nothing found"
        run.errors.append(f"the Schemathesis phase could not start: {type(exc).__name__}: {exc}")
        return
    finally:
        cancelled.set()
    if cut.is_set():
        run.errors.append(f"the Schemathesis phase ran out of the time budget while planning ({len(cases)} of {n})")
    run.planned["schemathesis"] = len(cases)
    run.total = (run.total or 0) + len(cases)
    await run._send_all(cases)
    run.extra_stats["schemathesis_cases"] = (
        sum(1 for c in cases if c.kind == "fuzz"),
        sum(1 for c in cases if c.kind == "invalid"),
    )
