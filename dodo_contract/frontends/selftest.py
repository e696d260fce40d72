"""Mutation score of the contract suite: run the engine against the reference mock, faithful and in every fault.

Per spec version: the mock serves that version and the engine judges by it. The faithful mock must pass with zero
violations; each fault of ``dodo_contract.faults.FAULTS`` that means something in the version (``Fault.applies``)
must be caught (verdict not ``passed``) by at least one of the checks its ``caught_by`` names. ``selftest()``
returns a ``SelftestResult`` whose ``matrix()`` prints, per version, fault x verdict x catching checks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..contract.versions import BUNDLED, Contract, SpecVersion, get_contract
from ..errors import ConfigError

__all__ = ["FAITHFUL", "FAITHFUL_TAXED", "SelftestResult", "SelftestRow", "selftest"]

FAITHFUL = "faithful"
FAITHFUL_TAXED = "faithful, tax on top"  # the faithful mock adding tax to tax-exclusive prices: never a false alarm
TAX_RATE = 0.2
_FAITHFUL_ROWS = (FAITHFUL, FAITHFUL_TAXED)
_KEY = "sk_selftest_0123456789abcdef"


@dataclass(frozen=True, slots=True)
class SelftestRow:
    """One engine run against the mock: which fault (or ``faithful``), what was expected and what happened."""

    fault: str
    description: str
    expected: tuple[str, ...]
    verdict: str
    caught_by: tuple[str, ...]
    errors: tuple[str, ...]
    requests: int
    duration_s: float
    spec_version: str = ""
    operation: str = "payments"

    @property
    def ok(self) -> bool:
        """True when the run came out as it must: faithful passes clean, a fault is caught by a matching check."""
        if self.fault in _FAITHFUL_ROWS:
            return self.verdict == "passed" and not self.caught_by
        return self.verdict != "passed" and bool(set(self.caught_by) & set(self.expected))


@dataclass(frozen=True, slots=True)
class SelftestResult:
    """Every row of the self-test; ``passed`` when all rows are ok."""

    rows: tuple[SelftestRow, ...]
    seed: int

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def score(self) -> float:
        """The share of faults caught (the mutation score), 0..1."""
        faults = [r for r in self.rows if r.fault not in _FAITHFUL_ROWS]
        return sum(r.ok for r in faults) / len(faults) if faults else 1.0

    @property
    def spec_versions(self) -> tuple[str, ...]:
        """Return the versions the rows ran with, in run order."""
        return tuple(dict.fromkeys(r.spec_version for r in self.rows))

    def matrix(self) -> str:
        """Return the printable matrices, one per spec version and operation: one line per run, then the score."""
        groups = list(dict.fromkeys((r.operation, r.spec_version) for r in self.rows))
        if len(groups) <= 1 and all(r.operation == "payments" for r in self.rows):
            versions = self.spec_versions
            return _matrix(self.rows, versions[0] if versions else "")
        return "\n\n".join(
            _matrix(tuple(r for r in self.rows if (r.operation, r.spec_version) == g), g[1], operation=g[0])
            for g in groups
        )

    def __str__(self) -> str:
        return self.matrix()


def _matrix(rows: tuple[SelftestRow, ...], version: str, *, operation: str = "payments") -> str:
    width = max([len(r.fault) for r in rows] + [5])
    lines = [f"spec {version}" + ("" if operation == "payments" else f", operation {operation}")] if version else []
    lines.append(f"{'fault':<{width}}  {'ok':<4}  {'verdict':<7}  {'reqs':>4}  {'secs':>5}  caught by (expected)")
    for r in rows:
        expected = "none" if r.fault in _FAITHFUL_ROWS else ", ".join(r.expected)
        caught = ", ".join(r.caught_by) or "-"
        lines.append(
            f"{r.fault:<{width}}  {'yes' if r.ok else 'NO':<4}  {r.verdict:<7}  {r.requests:>4}  "
            f"{r.duration_s:>5.1f}  {caught} ({expected})"
        )
    caught_n = sum(r.ok for r in rows if r.fault not in _FAITHFUL_ROWS)
    total = sum(1 for r in rows if r.fault not in _FAITHFUL_ROWS)
    clean = all(r.ok for r in rows if r.fault in _FAITHFUL_ROWS)
    lines.append(
        f"mutation score: {caught_n}/{total} faults caught; faithful mock {'passed clean' if clean else 'NOT clean'}"
    )
    return "\n".join(lines)


def selftest(
    *,
    faults: Iterable[str] | None = None,
    seed: int = 0,
    max_examples: int = 30,
    faithful: bool = True,
    delay_s: float = 0.6,
    spec_version: SpecVersion = None,
    operation: str = "payments",
) -> SelftestResult:
    """Run the engine against the in-process mock, faithful and with each fault; return the matrix.

    ``spec_version`` (a bundled version, ``"latest"``, or a ``Contract``) runs one version: the mock serves it and
    the engine judges by it; None runs every bundled version, one matrix each. ``faults`` names the faults to run
    (default: all of ``FAULTS``; a fault that means nothing in a version, such as a break of ``discount_codes`` in
    1.86.0, is left out of that version's matrix). Faults that stall answers are shortened to ``delay_s`` seconds
    and judged with a latency budget of half that, so the whole self-test stays fast. ``operation`` is the family
    judged: ``payments`` (the default: its faults), ``checkouts`` (the ``checkouts_*`` faults, the engine judging
    the three Checkout Sessions operations) or ``all`` (both matrices).
    """
    from ..mock.faults import FAULTS

    if operation not in ("payments", "checkouts", "all"):
        raise ConfigError(f"unknown operation {operation!r}; known: payments, checkouts, all")
    families = ("payments", "checkouts") if operation == "all" else (operation,)

    names = list(FAULTS) if faults is None else list(dict.fromkeys(faults))
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ConfigError(f"unknown fault(s) {unknown}; known: {', '.join(FAULTS)}")
    if not delay_s > 0:
        raise ConfigError(f"delay_s must be > 0, got {delay_s!r}")
    versions = list(BUNDLED) if spec_version is None else [spec_version]
    contracts = [get_contract(v, operation=family) for family in families for v in versions]
    rows: list[SelftestRow] = []
    for contract in contracts:
        chosen = [n for n in names if FAULTS[n].applies_to(contract)]
        if names and not chosen:
            continue  # none of the named faults means anything here (nor would its faithful row add anything)
        rows += _rows(contract, chosen, seed=seed, max_examples=max_examples, faithful=faithful, delay_s=delay_s)
    if faults is not None and names and not any(r.fault not in _FAITHFUL_ROWS for r in rows):
        shown = ", ".join(dict.fromkeys(c.version for c in contracts))
        raise ConfigError(f"fault(s) {', '.join(names)} mean nothing in spec version {shown} ({operation})")
    return SelftestResult(tuple(rows), seed)


def _rows(
    contract: Contract, names: list[str], *, seed: int, max_examples: int, faithful: bool, delay_s: float
) -> list[SelftestRow]:
    from ..engine.engine import check_implementation
    from ..mock.app import create_app
    from ..mock.faults import FAULTS

    rows: list[SelftestRow] = []
    plan: list[tuple[str, object]] = [(FAITHFUL, None), (FAITHFUL_TAXED, None)] if faithful else []
    plan.extend((n, FAULTS[n]) for n in names)
    for name, fault in plan:
        budget_ms = 2000.0
        if fault is not None and getattr(fault, "delay", None) is not None:
            fault = fault.with_delay(delay_s)  # type: ignore[attr-defined]
            budget_ms = delay_s * 500.0
        tax = TAX_RATE if name == FAITHFUL_TAXED else 0.0
        app = create_app(
            api_key=_KEY,
            fault=fault,  # type: ignore[arg-type]
            seed=seed,
            spec_version=get_contract(contract, operation="payments"),  # the mock serves every family of it
            tax_rate=tax,
        )
        started = time.monotonic()
        run = check_implementation(
            app=app,
            api_key=_KEY,
            seed=seed,
            max_examples=max_examples,
            latency_budget_ms=budget_ms,
            timeout=max(5.0, delay_s * 4),
            spec_version=contract,
            operation=contract.endpoint.family,
        )
        caught = tuple(dict.fromkeys(f.check for f in run.violations))
        rows.append(
            SelftestRow(
                fault=name,
                description=(
                    f"the reference mock, faithful{f', {tax:.0%} tax on tax-exclusive prices' if tax else ''}"
                    if fault is None
                    else str(getattr(fault, "description", ""))
                ),
                expected=() if fault is None else tuple(getattr(fault, "caught_by", ())),
                verdict=run.verdict,
                caught_by=caught,
                errors=run.errors,
                requests=int(run.stats.get("requests", 0)),
                duration_s=round(time.monotonic() - started, 2),
                spec_version=contract.version,
                operation=contract.endpoint.family,
            )
        )
    return rows
