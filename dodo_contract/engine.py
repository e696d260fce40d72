"""Judge an implementation of ``POST /payments``: send planned requests, run the checks, decide a verdict.

Phases, in order: (a) auth probe (missing key, wrong key; the only requests whose Authorization header differs
from the caller's key), (b) canonical requests built only from the fixtures, (c) schema-valid requests that each
break one business rule the fixtures make checkable, (d) labelled invalid requests covering every rule of
``strategies.INVALID_REQUEST_RULES``, (e) generated valid requests, (f) opt-in Schemathesis phase. All requests
are planned from the seed before the first is sent. A run stops sending when the time budget is spent, after
``max_failures`` failing answers, or after ``settings.stall_limit`` answers that time out or exceed the latency
budget; failures of content checks are then shrunk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Mapping
from pathlib import Path
from typing import Any

from ._plan import LIVE_REQUEST_BUDGET, Case, encode, plan_cases, shrink_candidates, still_qualifies
from ._transport import BudgetExhausted, Raw, Transport, is_live_host, redact_json
from .checks import APPLIES_TO, CHECKS, NOT_JSON, CheckContext, Observation, run_checks
from .errors import REDACTED, ConfigError, Violation
from .fixtures import Fixtures, default_fixtures, load_fixtures
from .outcome import ContractRun, Exchange, Finding, Verdict
from .settings import ContractSettings
from .validator import parse_json

__all__ = ["DEFAULT_MAX_FAILURES", "LIVE_REQUEST_BUDGET", "check_implementation", "observe"]


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


DEFAULT_MAX_FAILURES = 25

_SHRINK_PER_FINDING = 25
_SHRINK_TOTAL = 150
# Checks whose outcome depends on timing or run state, not on the request: shrinking them would chase noise.
_NOT_SHRUNK = frozenset({"response_received", "latency_budget", "payment_id_unique"})
_MAX_TEXT = 4096
_PHASES = ("auth", "canonical", "business", "invalid", "valid")

Progress = Callable[[int, int | None, str], None]


def check_implementation(
    base_url: str | None = None,
    *,
    app: Any = None,
    api_key: str,
    fixtures: str | Path | Mapping[str, Any] | Fixtures | None = None,
    max_examples: int = 100,
    seed: int | None = None,
    timeout: float = 10.0,
    rate_limit: float | None = None,
    latency_budget_ms: float = 2000.0,
    time_budget_s: float = 120.0,
    max_failures: int = DEFAULT_MAX_FAILURES,
    checks: Iterable[str] | None = None,
    allow_live: bool = False,
    progress: Progress | None = None,
    settings: ContractSettings | None = None,
    on_request: Callable[[str, bytes], None] | None = None,
    schemathesis: bool = False,
) -> ContractRun:
    """Judge the implementation at ``base_url`` (or the ASGI ``app``) against the Create Payment contract.

    ``fixtures`` (a file path, a mapping in the fixtures format, ``Fixtures``, or None for the bundled catalog)
    says which ids, codes, currencies and countries the implementation knows. ``max_examples`` generated
    valid requests are sent after the auth probe, the canonical requests and the labelled invalid ones; the
    same ``seed`` sends the same bytes (None picks one, reported as ``run.seed``). ``rate_limit`` is in
    requests/s (default 20/s for remote hosts, unlimited for loopback and in-process apps); ``timeout`` is per
    request; ``latency_budget_ms`` per answer; ``time_budget_s`` for the whole run. ``checks`` restricts the
    checks run (names from ``dodo_contract.checks.CHECKS``). ``settings`` overrides the inferred facts
    (statuses, business codes). ``on_request(kind, body)`` sees every body sent. Dodo's live host is refused
    unless ``allow_live``, and then only a few canonical requests are sent. ``schemathesis=True`` adds an
    OpenAPI-driven phase run by Schemathesis (slower). Argument errors raise ``ConfigError``; everything that
    goes wrong while checking ends in a ``ContractRun`` with verdict ``"error"``.
    """
    opts = _Options.build(
        base_url=base_url,
        app=app,
        api_key=api_key,
        fixtures=fixtures,
        max_examples=max_examples,
        seed=seed,
        timeout=timeout,
        rate_limit=rate_limit,
        latency_budget_ms=latency_budget_ms,
        time_budget_s=time_budget_s,
        max_failures=max_failures,
        checks=checks,
        allow_live=allow_live,
        settings=settings,
    )
    run = _Run(opts, progress=progress, on_request=on_request, schemathesis=schemathesis)
    try:
        _run_coroutine(run.main())
    except KeyboardInterrupt:
        run.interrupted = True
    return run.result()


def _run_coroutine(coro: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    # Called from inside an event loop (an async test, a notebook): run ours on a worker thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


class _Options:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    base_url: str | None
    app: Any
    api_key: str
    fixtures: Fixtures
    max_examples: int
    seed: int
    timeout: float
    rate_limit: float | None
    latency_budget_ms: float
    time_budget_s: float
    max_failures: int
    checks: tuple[str, ...]
    live: bool
    settings: ContractSettings

    @classmethod
    def build(cls, **kw: Any) -> _Options:
        base_url, app = kw["base_url"], kw["app"]
        if (base_url is None) == (app is None):
            raise ConfigError("pass exactly one of base_url (a running implementation) or app (an ASGI app)")
        if not isinstance(kw["api_key"], str) or not kw["api_key"]:
            raise ConfigError("api_key must be a non-empty string")
        live = base_url is not None and isinstance(base_url, str) and is_live_host(base_url)
        if live and not kw["allow_live"]:
            raise ConfigError(
                "refusing to test live.dodopayments.com (live mode moves real money); use "
                "https://test.dodopayments.com, or pass allow_live=True to send a few canonical requests only"
            )
        for name in ("max_examples", "max_failures"):
            value = kw[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "max_examples" else 1):
                raise ConfigError(f"{name} must be an integer >= {0 if name == 'max_examples' else 1}, got {value!r}")
        for name in ("timeout", "latency_budget_ms", "time_budget_s"):
            value = kw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{name} must be a positive number, got {value!r}")
        seed = kw["seed"]
        if seed is None:
            seed = secrets.randbelow(2**32)
        elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
        names = tuple(CHECKS) if kw["checks"] is None else tuple(dict.fromkeys(kw["checks"]))
        unknown = [n for n in names if n not in CHECKS]
        if isinstance(kw["checks"], str) or unknown:
            raise ConfigError(f"unknown check(s) {unknown or [kw['checks']]}; known: {', '.join(CHECKS)}")
        fixtures = default_fixtures() if kw["fixtures"] is None else load_fixtures(kw["fixtures"])
        return cls(
            base_url=base_url,
            app=app,
            api_key=kw["api_key"],
            fixtures=fixtures,
            max_examples=kw["max_examples"],
            seed=seed,
            timeout=float(kw["timeout"]),
            rate_limit=kw["rate_limit"],
            latency_budget_ms=float(kw["latency_budget_ms"]),
            time_budget_s=float(kw["time_budget_s"]),
            max_failures=kw["max_failures"],
            checks=tuple(n for n in CHECKS if n in names),
            live=live,
            settings=kw["settings"] or ContractSettings(),
        )


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
        from . import strategies

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
