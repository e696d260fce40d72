"""Run-level checks: judged once, at the end of a run, over every answered valid and canonical request.

A business refusal of one valid request is tolerated (``valid_request_accepted``): the fixtures cannot say
everything about the account. But a server that refuses most valid requests, or every request of one kind, with
codes the fixtures do not contradict (``NO_ELIGIBLE_PAYMENT_METHODS``, ``REQUEST_AMOUNT_BELOW_MINIMUM``...) would
otherwise pass without ever having been seen to work. Two rules catch that, reported under
``valid_request_accepted`` (``RUN_CHECK_OWNER``):

* ``valid.success_ratio``: the share answered 200 is at least ``settings.success_floor``;
* ``valid.class_never_succeeds``: each class of valid request (multi-line carts, each fixture product, each
  customer form: new customer, existing ``customer_id``, ``customer_id`` with ``email``) sent at least
  ``settings.class_min_cases`` times gets at least one 200.

Only 200s and business refusals (``business_status`` with a business code, or a code answered with the status
the docs give it, such as 503 ``DISCOUNT_CONCURRENT_REDEMPTION``) count: any other answer (no answer,
5xx, a schema error) is already a finding of the per-request checks, and one cause is one finding. A
``TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT`` refusal of a cart the fixtures price below the minimum charge is a
legitimate refusal and does not count either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from ..contract.fixtures import Fixtures
from ..errors import Violation
from ._observation import CheckContext, Observation, _below_minimum, _code, _documented_refusal, _v

__all__ = [
    "RUN_CHECKS",
    "RUN_CHECK_OWNER",
    "RunCheckFn",
    "refused_example",
    "request_classes",
    "valid_class_never_succeeds",
    "valid_success_ratio",
]

RUN_CHECK_OWNER = "valid_request_accepted"
RunCheckFn = Callable[[Sequence[Observation], CheckContext], list[Violation]]
_EXCUSED = "TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT"


def _judged(observations: Sequence[Observation], ctx: CheckContext) -> list[tuple[int, Observation]]:
    """Return (index, observation) of each valid or canonical request answered 200 or with a business refusal."""
    settings = ctx.settings
    refusal_codes = settings.business_codes - settings.schema_codes
    out = []
    for index, obs in enumerate(observations):
        if obs.kind not in ("valid", "canonical"):
            continue
        code = _code(obs)
        refused = (obs.status == settings.business_status and code in refusal_codes) or _documented_refusal(obs, ctx)
        if obs.status != 200 and not refused:
            continue  # not a refusal valid_request_accepted tolerates: it is that check's finding already
        if code == _EXCUSED and _below_minimum(obs.request, ctx):
            continue
        out.append((index, obs))
    return out


def request_classes(request: Any, fixtures: Fixtures) -> list[str]:
    """Return the names of the classes a valid request belongs to (cart shape, fixture products, customer form)."""
    if not isinstance(request, dict):
        return []
    cart = request.get("product_cart")
    lines = [item for item in cart if isinstance(item, dict)] if isinstance(cart, list) else []
    names = ["carts of two or more lines"] if len(lines) >= 2 else []
    for pid in dict.fromkeys(str(item.get("product_id")) for item in lines):
        if fixtures.product(pid) is not None:
            names.append(f"carts with product {pid}")
    customer = request.get("customer")
    if isinstance(customer, dict):
        has_id, has_email = isinstance(customer.get("customer_id"), str), isinstance(customer.get("email"), str)
        if has_id and has_email:
            names.append("customer_id with email")
        elif has_id:
            names.append("an existing customer_id")
        elif has_email:
            names.append("a new customer")
    return names


def _refusals(members: Sequence[Observation]) -> str:
    counts = Counter(f"{o.status}{f' {_code(o)}' if _code(o) else ''}" for o in members if o.status != 200)
    return ", ".join(f"{what} x{n}" for what, n in counts.most_common(3))


def valid_success_ratio(observations: Sequence[Observation], ctx: CheckContext) -> list[Violation]:
    """At least ``settings.success_floor`` of the answered valid and canonical requests get 200."""
    judged = [obs for _i, obs in _judged(observations, ctx)]
    if not judged:
        return []
    ok = sum(obs.status == 200 for obs in judged)
    floor = ctx.settings.success_floor
    if ok >= floor * len(judged):
        return []
    return _v(
        "",
        "valid.success_ratio",
        "minimum",
        f"only {ok} of {len(judged)} valid requests got 200 ({ok / len(judged):.0%}, below the floor of "
        f"{floor:.0%}); the others were refused: {_refusals(judged)}",
    )


def _failing_classes(observations: Sequence[Observation], ctx: CheckContext) -> dict[str, list[tuple[int, Any]]]:
    members: dict[str, list[tuple[int, Observation]]] = {}
    for index, obs in _judged(observations, ctx):
        for name in request_classes(obs.request, ctx.fixtures):
            members.setdefault(name, []).append((index, obs))
    return {
        name: found
        for name, found in members.items()
        if len(found) >= ctx.settings.class_min_cases and not any(obs.status == 200 for _i, obs in found)
    }


def valid_class_never_succeeds(observations: Sequence[Observation], ctx: CheckContext) -> list[Violation]:
    """Every class of valid request sent at least ``settings.class_min_cases`` times gets at least one 200."""
    failing = _failing_classes(observations, ctx)
    if not failing:
        return []
    parts = [f"{name} (0 of {len(found)}: {_refusals([obs for _i, obs in found])})" for name, found in failing.items()]
    return _v("", "valid.class_never_succeeds", "contains", "never answered 200: " + "; ".join(parts))


RUN_CHECKS: dict[str, RunCheckFn] = {
    "valid.success_ratio": valid_success_ratio,
    "valid.class_never_succeeds": valid_class_never_succeeds,
}


def refused_example(rule: str, observations: Sequence[Observation], ctx: CheckContext) -> int | None:
    """Return the index of an observation that shows the violation of run-level ``rule`` (a refused request)."""
    if rule == "valid.class_never_succeeds":
        failing = _failing_classes(observations, ctx)
        return next((found[0][0] for found in failing.values()), None)
    return next((i for i, obs in _judged(observations, ctx) if obs.status != 200), None)
