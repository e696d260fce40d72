"""What a contract run produces: findings (violations in context) and the run's verdict and statistics.

Shared by the engine (which fills it) and the reports, gate and pytest plugin (which read it), so that every
front end shows the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import Violation

__all__ = ["ContractRun", "Exchange", "Finding", "Verdict"]

Verdict = Literal["passed", "failed", "error", "incomplete"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the answer to it, as sent and received, with secrets already redacted.

    ``request_body`` is the JSON value sent (or the raw text for non-JSON bodies); ``response_body`` is the
    parsed JSON answer, or its text (cut to a few KiB) when it is not JSON; ``status`` is None when no answer
    came (timeout, connection error), and ``error`` then says why.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    elapsed_ms: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": dict(self.request_headers),
                "body": self.request_body,
            },
            "response": {
                "status": self.status,
                "headers": dict(self.response_headers),
                "body": self.response_body,
                "elapsed_ms": self.elapsed_ms,
                "error": self.error,
            },
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A contract violation found by a check, with the minimal request that reproduces it."""

    check: str
    violation: Violation
    exchange: Exchange | None = None
    curl: str = ""
    label: str = ""  # what the generated request did, e.g. "set /product_cart/0/quantity to -1"
    operation: str = "payments"  # the operation family judged: "payments" or "checkouts"

    @property
    def rule(self) -> str:
        return self.violation.rule

    @property
    def pointer(self) -> str:
        return self.violation.pointer

    @property
    def message(self) -> str:
        return self.violation.message

    def __str__(self) -> str:
        return f"[{self.check}] {self.violation}"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: check, the violation's fields, label, exchange, curl."""
        out: dict[str, Any] = {"check": self.check, **self.violation.to_dict(), "label": self.label}
        out["operation"] = self.operation
        out["exchange"] = self.exchange.to_dict() if self.exchange else None
        out["curl"] = self.curl
        return out


@dataclass(frozen=True, slots=True)
class ContractRun:
    """The result of judging one implementation.

    ``verdict`` is ``"passed"`` (everything planned was judged and honoured the contract), ``"failed"``
    (violations found, even in a run cut short), ``"incomplete"`` (no violation, but the run did not judge all
    it planned: time budget, stalls, rate limiting, missing rule coverage) or ``"error"`` (could not check at
    all: unreachable, the key refused, every answer 404, no 200 ever seen, interrupted...). ``errors`` says why
    for the last two. A gate must treat anything but ``"passed"`` as not passed. ``stats`` keys: ``requests``
    (judged), ``planned_requests``, ``cases_per_check`` (requests each check judged), ``cases_per_rule``,
    ``rule_coverage`` (``covered``, ``missing``, ``ratio``), ``business_refusals``, ``status_counts``,
    ``latency_ms`` (``p50``, ``p99``, ``max``), ``duration_s``, ``stopped`` (why the run stopped early, or None),
    ``concurrency``, ``most_in_flight``, ``concurrency_reduced``, ``request_digest``. ``spec_version`` is the
    version the run was judged by, ``spec`` that contract's summary (``Contract.to_dict()``: for a loaded
    ``--openapi`` document its ``source``), and ``spec_hint`` says, for a run judged by the default whose every
    violation concerns what differs from an older bundled version, which version to try (else None).
    ``operation`` is the operation family judged (``payments``, ``checkouts``, or ``all``); a run of ``all``
    holds one run per family in ``parts`` (its findings are theirs, each ``Finding.operation`` says whose).
    """

    verdict: Verdict
    violations: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    target: str = ""
    checks: tuple[str, ...] = ()
    interrupted: bool = False
    spec_version: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    spec_hint: str | None = None
    operation: str = "payments"
    parts: tuple[ContractRun, ...] = ()

    @property
    def passed(self) -> bool:
        """True only when the implementation was checked and honoured the contract."""
        return self.verdict == "passed"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the whole run."""
        return {
            "passed": self.passed,
            "verdict": self.verdict,
            "target": self.target,
            "seed": self.seed,
            "interrupted": self.interrupted,
            "spec_version": self.spec_version,
            "spec": self.spec,
            "spec_hint": self.spec_hint,
            "operation": self.operation,
            "operations": [p.operation for p in self.parts] or [self.operation],
            "parts": [p.to_dict() for p in self.parts],
            "errors": list(self.errors),
            "checks": list(self.checks),
            "violations": [f.to_dict() for f in self.violations],
            "stats": self.stats,
        }
