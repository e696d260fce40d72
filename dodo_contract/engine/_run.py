"""The state machine of one engine run: send the planned phases, run the checks, shrink findings, build the verdict."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..checks.core import APPLIES_TO, CHECKS, NOT_JSON, CheckContext, Observation, run_checks
from ..errors import REDACTED, Violation
from ..validation.validator import parse_json
from ._plan import Case, encode, plan_cases, shrink_candidates, still_qualifies
from ._transport import BudgetExhausted, Raw, Transport, redact_json
from .outcome import ContractRun, Exchange, Finding, Verdict

if TYPE_CHECKING:
    from .engine import _Options


def observe(case: Case, raw: Raw, *, secrets: Iterable[str]) -> Observation:
    """Turn the answer to one case into what the checks read: the JSON body parsed, the secrets redacted."""
    body: Any = NOT_JSON
    if raw.status is not None and raw.content:
        try:
            body = redact_json(parse_json(raw.content), list(secrets))
        except ValueError:
            body = NOT_JSON
    return Observation(
        kind=case.kind,
        request=case.payload,
        status=raw.status,
        headers=raw.headers,
        body=body,
        elapsed_ms=raw.elapsed_ms,
        error=raw.error,
        error_kind=raw.error_kind,
        rule=case.rule,
        pointer=case.pointer,
        label=case.label,
        received_at=raw.received_at,
    )


_SHRINK_PER_FINDING = 25
_SHRINK_TOTAL = 150
# Checks whose outcome depends on timing or run state, not on the request: shrinking them would chase noise.
_NOT_SHRUNK = frozenset({"response_received", "latency_budget", "payment_id_unique"})
_MAX_TEXT = 4096
_PHASES = ("auth", "canonical", "business", "invalid", "valid")


Progress = Callable[[int, int | None, str], None]


class _Run:
    """The mutable state of one run; ``result()`` can be called at any point (e.g. after an interrupt)."""

    def __init__(
        self,
        opts: _Options,
        *,
        progress: Progress | None,
        on_request: Callable[[str, bytes], None] | None,
        schemathesis: bool,
    ) -> None:
        self.opts = opts
        self.progress = progress
        self.on_request = on_request
        self.use_schemathesis = schemathesis
        self.started = time.monotonic()
        self.deadline = self.started + opts.time_budget_s
        self.transport = Transport(
            opts.base_url,
            app=opts.app,
            api_key=opts.api_key,
            timeout=opts.timeout,
            rate_limit=opts.rate_limit,
            settings=opts.settings,
            deadline=self.deadline,
        )
        self.ctx = CheckContext(opts.fixtures, opts.settings, opts.latency_budget_ms)
        self.observations: list[Observation] = []
        self.findings: dict[tuple[str, str], tuple[Finding, Case | None, Violation]] = {}
        self.errors: list[str] = []
        self.interrupted = False
        self.stopped: str | None = None
        self.failing = 0
        self.stalls = 0
        self.retries_429 = 0
        self.rate_limited = 0
        self.shrink_requests = 0
        self.digest = hashlib.sha256()
        self.planned: dict[str, int] = {}
        self.sent: Counter[str] = Counter()
        self.per_rule: Counter[str] = Counter()
        self.per_check: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.rules: tuple[str, ...] = ()
        self.total: int | None = None
        self.extra_stats: dict[str, Any] = {}

    # --- sending ---------------------------------------------------------------------------------------------

    async def main(self) -> None:
        try:
            auth, canonical, business, invalid, valid = self._plan()
        except Exception as exc:  # a generator bug must not pass silently as "no violations"
            self.errors.append(self._redact(f"could not plan the requests: {type(exc).__name__}: {exc}"))
            return
        phases = [
            ("auth", auth if "auth_required" in self.opts.checks else []),
            ("canonical", canonical),
            ("business", business if "business_rules_enforced" in self.opts.checks else []),
            ("invalid", invalid),
            ("valid", valid),
        ]
        self.planned = {name: len(cases) for name, cases in phases}
        self.rules += tuple(dict.fromkeys(case.rule for case in phases[2][1]))  # business rules count as covered
        self.total = sum(self.planned.values())
        async with self.transport:
            for _name, cases in phases:
                for case in cases:
                    if self.stopped:
                        break
                    await self._send(case)
            if self.use_schemathesis and not self.stopped:
                from ._schemathesis import run_schemathesis_phase

                await run_schemathesis_phase(self)
            await self._shrink_all()

    def _plan(self) -> tuple[list[Case], list[Case], list[Case], list[Case], list[Case]]:
        from ..generation import strategies

        per_rule = max(2, self.opts.max_examples // 25)
        self.rules = (
            ()
            if self.opts.live or "invalid_request_rejected" not in self.opts.checks
            else tuple(strategies.INVALID_REQUEST_RULES)
        )
        return plan_cases(
            self.opts.fixtures,
            seed=self.opts.seed,
            max_examples=self.opts.max_examples,
            per_rule=per_rule,
            rules=self.rules,
            live=self.opts.live,
        )

    async def _exchange(self, case: Case) -> tuple[Observation, Raw] | None:
        try:
            raw = await self.transport.post(case.body, auth=case.auth)
        except BudgetExhausted:
            self.stopped = self.stopped or "time budget"
            return None
        self.retries_429 += raw.retries_429
        if raw.status == 429:
            self.rate_limited += 1
            if self.rate_limited == 1:
                self.errors.append(
                    "the target kept answering 429 Too Many Requests after the retries "
                    "Retry-After allowed; lower rate_limit"
                )
            if self.rate_limited >= 3:
                self.stopped = "rate limited"
            return None
        return self._observe(case, raw), raw

    def _observe(self, case: Case, raw: Raw) -> Observation:
        return observe(case, raw, secrets=[self.opts.api_key])

    async def _send(self, case: Case) -> None:
        if time.monotonic() >= self.deadline:
            self.stopped = "time budget"
            return
        self.digest.update(len(case.body).to_bytes(8, "big") + case.body)
        if self.on_request is not None:
            self.on_request(case.kind, case.body)
        got = await self._exchange(case)
        if got is None:
            return
        obs, raw = got
        self.observations.append(obs)
        self.sent[case.kind] += 1
        if case.kind in ("invalid", "business"):
            self.per_rule[case.rule] += 1
        for name in self.opts.checks:
            if case.kind in APPLIES_TO[name]:
                self.per_check[name] += 1
        if case.kind == "valid" and obs.status == self.opts.settings.invalid_status and isinstance(obs.body, dict):
            code = obs.body.get("code")
            if isinstance(code, str) and code in self.opts.settings.business_codes:
                self.refusals[code] += 1
        found = run_checks(obs, self.ctx, self.opts.checks)
        for check, violation in found:
            key = (check, violation.rule)
            if key not in self.findings:
                self.findings[key] = (self._finding(check, violation, case, obs, raw), case, violation)
        self._account(obs, bool(found))
        if self.progress is not None:
            self.progress(len(self.observations), self.total, case.kind)

    def _account(self, obs: Observation, failed: bool) -> None:
        self.failing += failed
        slow = obs.elapsed_ms is not None and obs.elapsed_ms > self.opts.latency_budget_ms
        if obs.status is None or slow:
            self.stalls += 1
            # The first stall is the evidence; waiting the full timeout on the next ones only delays the verdict.
            self.transport.timeout = min(self.transport.timeout, max(1.0, 2 * self.opts.latency_budget_ms / 1000))
        if self.failing >= self.opts.max_failures:
            self.stopped = self.stopped or f"max_failures ({self.opts.max_failures}) reached"
        elif self.stalls >= self.opts.settings.stall_limit:
            self.stopped = self.stopped or f"{self.stalls} requests timed out, failed or exceeded the latency budget"

    def _finding(self, check: str, violation: Violation, case: Case, obs: Observation, raw: Raw) -> Finding:
        return Finding(
            check,
            violation,
            self._exchange_record(case, obs, raw),
            self.transport.curl(case.body, case.auth),
            case.label,
        )

    def _exchange_record(self, case: Case, obs: Observation, raw: Raw) -> Exchange:
        headers = self.transport.headers(case.auth)
        if case.auth == "key":
            headers["Authorization"] = f"Bearer {REDACTED}"
        request_body = case.payload if case.payload is not None else case.body.decode("utf-8", "replace")
        if obs.body is NOT_JSON:
            text = raw.content[:_MAX_TEXT].decode("utf-8", "replace")
            response_body: Any = self._redact(text) if raw.content else None
        else:
            response_body = obs.body
        return Exchange(
            method="POST",
            url=self.transport.url,
            request_headers=headers,
            request_body=redact_json(request_body, [self.opts.api_key]),
            status=raw.status,
            response_headers=dict(raw.headers),
            response_body=response_body,
            elapsed_ms=None if raw.elapsed_ms is None else round(raw.elapsed_ms, 2),
            error=raw.error,
        )

    def _redact(self, text: str) -> str:
        return self.transport.redact(text)

    # --- shrinking ----------------------------------------------------------------------------------------

    async def _shrink_all(self) -> None:
        if (self.stopped or "").startswith(("time", "rate")) or self.stalls >= self.opts.settings.stall_limit:
            return
        for key, (_finding, case, _violation) in list(self.findings.items()):
            if case is None or key[0] in _NOT_SHRUNK or case.kind not in ("valid", "invalid"):
                continue
            if case.payload is None or _decode(case.body) != case.payload:
                continue
            if self.shrink_requests >= _SHRINK_TOTAL or time.monotonic() >= self.deadline:
                return
            await self._shrink(key, case)

    async def _shrink(self, key: tuple[str, str], case: Case) -> None:
        check, rule = key
        best = case
        attempts = 0
        improved = True
        while improved and attempts < _SHRINK_PER_FINDING:
            improved = False
            for candidate in shrink_candidates(best.payload):
                if attempts >= _SHRINK_PER_FINDING or self.shrink_requests >= _SHRINK_TOTAL:
                    return
                if not still_qualifies(candidate, case):
                    continue
                attempts += 1
                self.shrink_requests += 1
                trial = Case(case.kind, encode(candidate), candidate, case.label, case.rule, case.pointer, case.auth)
                got = await self._exchange(trial)
                if got is None:
                    return
                obs, raw = got
                scratch = CheckContext(self.ctx.fixtures, self.ctx.settings, self.ctx.latency_budget_ms)
                hit = next((v for v in CHECKS[check](obs, scratch) if v.rule == rule), None)
                if hit is not None:
                    label = f"{case.label} (shrunk)"
                    finding = Finding(
                        check,
                        hit,
                        self._exchange_record(trial, obs, raw),
                        self.transport.curl(trial.body, "key"),
                        label,
                    )
                    self.findings[key] = (finding, trial, hit)
                    best = trial
                    improved = True
                    break

    # --- verdict -------------------------------------------------------------------------------------------

    def result(self) -> ContractRun:
        errors = list(self.errors)
        findings = [f for f, _c, _v in self.findings.values()]
        order = {name: i for i, name in enumerate(CHECKS)}
        findings.sort(key=lambda f: (order[f.check], f.rule, f.pointer))
        answered = [o for o in self.observations if o.status is not None]
        keyed = [o for o in answered if o.kind != "auth"]
        covered = sorted(r for r in self.rules if self.per_rule[r])
        missing = sorted(r for r in self.rules if not self.per_rule[r])
        fatal = False
        if self.interrupted:
            errors.append("interrupted before the run finished; the results are partial")
            fatal = True
        if not self.observations and not errors:
            errors.append("no request was sent")
        if self.observations and not answered:
            first = next((o.error for o in self.observations if o.error), "no answer")
            errors.append(f"no answer from {self.transport.target}: {first}")
            fatal = True
        elif keyed and all(o.status == self.opts.settings.auth_status for o in keyed):
            errors.append(
                f"every request with the API key got {self.opts.settings.auth_status}: is the key right "
                "for this target (test-mode keys only work on test.dodopayments.com)?"
            )
            fatal = True
        elif answered and not any(o.status == 200 for o in answered) and not findings:
            errors.append("no request got 200, so the success path was never checked")
        if missing and not findings:
            why = f" (stopped: {self.stopped})" if self.stopped else ""
            errors.append(
                f"rule coverage incomplete{why}: {len(missing)} rule(s) never sent: "
                f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
            )
        planned_canonical = self.planned.get("canonical", 0)
        if self.sent["canonical"] < planned_canonical and not findings and not fatal:
            errors.append(
                f"only {self.sent['canonical']} of {planned_canonical} canonical requests were answered "
                f"(stopped: {self.stopped or 'early'})"
            )
        verdict: Verdict
        if fatal or (errors and not findings) or not self.observations:
            verdict = "error"
        elif findings:
            verdict = "failed"
        else:
            verdict = "passed"
        return ContractRun(
            verdict=verdict,
            violations=tuple(findings),
            errors=tuple(self._redact(e) for e in errors),
            stats=self._stats(covered, missing),
            seed=self.opts.seed,
            target=self.transport.target,
            checks=self.opts.checks,
            interrupted=self.interrupted,
        )

    def _stats(self, covered: list[str], missing: list[str]) -> dict[str, Any]:
        latencies = sorted(o.elapsed_ms for o in self.observations if o.elapsed_ms is not None and o.status)
        statuses = Counter("none" if o.status is None else str(o.status) for o in self.observations)
        total_rules = len(covered) + len(missing)
        return {
            "requests": len(self.observations),
            "requests_per_phase": {k: self.sent[k] for k in _PHASES if k in self.planned or self.sent[k]},
            "planned_per_phase": dict(self.planned),
            "cases_per_check": {n: self.per_check[n] for n in self.opts.checks},
            "cases_per_rule": dict(sorted(self.per_rule.items())),
            "rule_coverage": {
                "covered": covered,
                "missing": missing,
                "ratio": round(len(covered) / total_rules, 4) if total_rules else 1.0,
            },
            "business_refusals": dict(sorted(self.refusals.items())),
            "status_counts": dict(sorted(statuses.items())),
            "latency_ms": {
                "p50": _percentile(latencies, 0.50),
                "p99": _percentile(latencies, 0.99),
                "max": round(latencies[-1], 2) if latencies else None,
            },
            "duration_s": round(time.monotonic() - self.started, 3),
            "stopped": self.stopped,
            "shrink_requests": self.shrink_requests,
            "retries_429": self.retries_429,
            "rate_limit": self.transport.rate_limit,
            "request_digest": self.digest.hexdigest(),
            **self.extra_stats,
        }


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[index], 2)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
