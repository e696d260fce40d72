"""Turn the state of a finished (or cut short) run into its ``ContractRun``: findings, verdict, errors, statistics.

The verdicts, failing closed:

* ``error``: nothing could be judged: no request sent or answered, the key refused on every canonical request,
  every canonical request 404 (a wrong base URL), no 200 ever seen, an interrupt, a planning crash;
* ``failed``: at least one violation (also when the run was cut short: what was found stands);
* ``incomplete``: no violation, but the run did not judge all it planned: the time budget, stalls or rate
  limiting stopped it, planning ran out of time, rule coverage is missing, a phase could not run;
* ``passed``: everything planned was sent, answered and judged, and nothing broke the contract.

The run-level checks (``checks.RUN_CHECKS``: the success floor) run here, once, over every observation.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..checks.core import CHECKS, RUN_CHECK_OWNER, RUN_CHECKS, refused_example
from ._hint import version_hint
from ._hosts import is_dodo_host
from .outcome import ContractRun, Finding, Verdict

if TYPE_CHECKING:
    from ._run import _Run

__all__ = ["decide"]


def decide(run: _Run) -> ContractRun:
    """Return the ``ContractRun`` of ``run`` as it stands."""
    errors = list(run.errors)
    findings = [f for f, _c, _v in run.findings.values()]
    if not run.halt and not run.interrupted:
        findings += _run_level(run)
    order = {name: i for i, name in enumerate(CHECKS)}
    findings.sort(key=lambda f: (order[f.check], f.rule, f.pointer))
    answered = [o for o in run.observations if o.status is not None]
    covered = sorted(r for r in run.rules if run.per_rule[r])
    missing = sorted(r for r in run.rules if not run.per_rule[r])
    verdict: Verdict
    if run.halt:
        findings, errors, verdict = [], [_halt_message(run)], "error"
    elif run.interrupted:
        errors.append("interrupted before the run finished; the results are partial")
        verdict = "error"
    elif not run.observations:
        if not run.plan_complete:
            errors.append(
                f"planning ran out of the time budget ({run.opts.time_budget_s:g} s) before a request was sent"
            )
        elif run.stopped:
            errors.append(f"no request was answered before the run stopped ({run.stopped})")
        errors = errors or ["no request was sent"]
        verdict = "error"
    elif not answered:
        first = next((o.error for o in run.observations if o.error), "no answer")
        errors.append(f"no answer from {run.transport.target}: {first}")
        verdict = "error"
    elif _success_path_planned(run) and not any(o.status == 200 for o in answered) and not findings:
        errors.append("no request got 200, so the success path was never checked")
        verdict = "error"
    else:
        errors += _incomplete(run, missing)
        verdict = "failed" if findings else "incomplete" if errors else "passed"
    contract = run.opts.contract
    hint = (
        version_hint(findings, contract, chosen=run.opts.spec_chosen, observations=run.observations)
        if verdict == "failed"
        else None
    )
    return ContractRun(
        verdict=verdict,
        violations=tuple(findings),
        errors=tuple(run.transport.redact(e) for e in errors),
        stats=_stats(run, covered, missing),
        seed=run.opts.seed,
        target=run.transport.target,
        checks=run.opts.checks,
        interrupted=run.interrupted,
        spec_version=contract.version,
        spec=contract.to_dict(),
        spec_hint=hint,
        operation=run.family,
    )


def _success_path_planned(run: _Run) -> bool:
    return bool(run.planned.get("canonical") or run.planned.get("valid"))


def _halt_message(run: _Run) -> str:
    target = run.transport.target
    if run.halt == "key":
        hint = (
            " Test-mode keys work only on https://test.dodopayments.com, live-mode keys only on the live host."
            if run.opts.base_url is not None and is_dodo_host(run.opts.base_url)
            else ""
        )
        status = run.opts.settings.auth_status
        return f"the API key was refused by {target} (every canonical request got {status}).{hint}"
    path = run.transport.url[len(run.transport.base_url) :]
    return (
        f"every canonical request to {run.transport.url} got 404: check the base URL. It is the API root "
        f"(such as https://test.dodopayments.com); dodo-contract adds {path} itself"
    )


def _incomplete(run: _Run, missing: list[str]) -> list[str]:
    """Return why a run that judged something did not judge everything it planned (empty when it did)."""
    out = []
    judged, planned = len(run.observations), run.total or 0
    if run.stopped:
        out.append(f"the run stopped early ({run.stopped}): {judged} of {planned} planned requests were judged")
    if not run.plan_complete:
        out.append(
            f"planning ran out of the time budget ({run.opts.time_budget_s:g} s): only {planned} requests were "
            "planned; lower max_examples or raise the time budget"
        )
    if missing:
        out.append(
            f"rule coverage incomplete: {len(missing)} rule(s) never sent: "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
        )
    planned_canonical = run.planned.get("canonical", 0)
    if run.sent["canonical"] < planned_canonical and not run.stopped:
        out.append(f"only {run.sent['canonical']} of {planned_canonical} canonical requests were answered")
    if run.family == "checkouts" and "session_round_trip" in run.opts.checks and not run.stopped:
        fetched = sum(1 for o in run.observations if o.kind == "roundtrip" and o.role == "created")
        if not fetched and (run.planned.get("canonical") or run.planned.get("valid")):
            out.append("no created session could be fetched back with GET /checkouts/{id}")
    return out


def _run_level(run: _Run) -> list[Finding]:
    """Run the end-of-run checks (the success floor) over every observation, as ``RUN_CHECK_OWNER`` findings."""
    if RUN_CHECK_OWNER not in run.opts.checks:
        return []
    out = []
    for rule, check in RUN_CHECKS.items():
        for violation in check(run.observations, run.ctx):
            index = refused_example(rule, run.observations, run.ctx)
            if index is None:
                out.append(Finding(RUN_CHECK_OWNER, violation, operation=run.family))
                continue
            case, obs = run.judged[index], run.observations[index]
            exchange = run._exchange_record(case, obs, None)
            label = f"a run-level check over {len(run.observations)} requests; e.g. {case.label}"
            curl = run.transport.curl(case.body, case.auth, operation=case.operation, path_id=case.path_id)
            out.append(Finding(RUN_CHECK_OWNER, violation, exchange, curl, label, run.family))
    return out


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[index], 2)


def _stats(run: _Run, covered: list[str], missing: list[str]) -> dict[str, Any]:
    latencies = sorted(o.elapsed_ms for o in run.observations if o.elapsed_ms is not None and o.status)
    statuses = Counter("none" if o.status is None else str(o.status) for o in run.observations)
    total_rules = len(covered) + len(missing)
    return {
        "requests": len(run.observations),
        "planned_requests": run.total or 0,
        "requests_per_phase": run.phases_sent(),
        "planned_per_phase": dict(run.planned),
        "cases_per_check": {n: run.per_check[n] for n in run.opts.checks},
        "cases_per_rule": dict(sorted(run.per_rule.items())),
        "rule_coverage": {
            "covered": covered,
            "missing": missing,
            "ratio": round(len(covered) / total_rules, 4) if total_rules else 1.0,
        },
        "business_refusals": dict(sorted(run.refusals.items())),
        "status_counts": dict(sorted(statuses.items())),
        "latency_ms": {
            "p50": _percentile(latencies, 0.50),
            "p99": _percentile(latencies, 0.99),
            "max": round(latencies[-1], 2) if latencies else None,
        },
        "duration_s": round(time.monotonic() - run.started, 3),
        "stopped": run.stopped,
        "shrink_requests": run.shrink_requests,
        "retries_429": run.retries_429,
        "rate_limit": run.transport.rate_limit,
        "concurrency": run.opts.concurrency,
        "most_in_flight": run.most_in_flight,
        "concurrency_reduced": run.reduced,
        "confirm_requests": run.confirm_requests,
        "request_digest": run.digest.hexdigest(),
        "operation": run.family,
        "notes": {name: list(notes) for name, notes in run.ctx.notes.items()},
        **run.extra_stats,
    }
