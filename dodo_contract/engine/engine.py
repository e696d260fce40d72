"""Judge an implementation of ``POST /payments``: send planned requests, run the checks, decide a verdict.

Phases, in order: (a) auth probe (missing key, wrong key; the only requests whose Authorization header differs
from the caller's key), (b) canonical requests built only from the fixtures, (c) schema-valid requests that each
break one business rule the fixtures make checkable, (d) labelled invalid requests covering every rule of
``strategies.INVALID_REQUEST_RULES``, (e) generated valid requests, (f) opt-in Schemathesis phase. All requests
are planned from the seed before the first is sent (outside the event loop, so Ctrl-C stops planning at once),
then sent with up to ``concurrency`` in flight and judged in plan order. A run stops sending when the time
budget is spent, after ``max_failures`` failing answers, after ``settings.stall_limit`` answers that time out or
exceed the latency budget, or when the canonical requests show the key or the base URL is wrong; failures of
content checks are then shrunk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import signal
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..checks.core import CHECKS, FAMILIES_OF, checks_for
from ..contract.fixtures import Fixtures, default_fixtures, load_fixtures
from ..contract.settings import ContractSettings
from ..contract.versions import Contract, SpecVersion, get_contract, load_contract
from ..errors import ConfigError, Secret
from ._hosts import canonical_base_url, is_live_host, live_host_refusal
from ._limits import DEFAULT_CONCURRENCY, DEFAULT_MAX_EXAMPLES, MAX_CONCURRENCY, MAX_EXAMPLES
from ._observe import observe
from ._plan import LIVE_REQUEST_BUDGET
from ._run import Progress, _Run
from ._transport import check_api_key
from .outcome import ContractRun

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_FAILURES",
    "LIVE_REQUEST_BUDGET",
    "MAX_CONCURRENCY",
    "MAX_EXAMPLES",
    "RUN_OPERATIONS",
    "check_implementation",
    "combine",
    "observe",
]


DEFAULT_MAX_FAILURES = 25


def check_implementation(
    base_url: str | None = None,
    *,
    app: Any = None,
    api_key: str,
    fixtures: str | Path | Mapping[str, Any] | Fixtures | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
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
    concurrency: int | None = None,
    spec_version: SpecVersion = None,
    openapi: str | Path | None = None,
    operation: str | None = None,
) -> ContractRun:
    """Judge the implementation at ``base_url`` (or the ASGI ``app``) against the Create Payment contract.

    ``fixtures`` (a file path, a mapping in the fixtures format, ``Fixtures``, or None for the bundled catalog)
    says which ids, codes, currencies and countries the implementation knows. ``max_examples`` (at most
    ``MAX_EXAMPLES``) generated valid requests are sent after the auth probe, the canonical requests and the
    labelled invalid ones; the same ``seed`` sends the same bytes (None picks one, reported as ``run.seed``).
    ``concurrency`` requests are in flight at once (default ``DEFAULT_CONCURRENCY``; 1 sends one at a time):
    answers are judged in plan order, so the verdict and reports do not depend on it. An answer that was slow
    or missing while others were in flight is sent again alone before it counts, and the run goes on one at a
    time (a server that serialises requests must not look slow because of us). ``rate_limit`` is in
    requests/s (default 20/s for remote hosts, unlimited for loopback and in-process apps); ``timeout`` is per
    request; ``latency_budget_ms`` per answer; ``time_budget_s`` for the whole run. ``checks`` restricts the
    checks run (names from ``dodo_contract.checks.CHECKS``). ``settings`` overrides the inferred facts
    (statuses, business codes). ``on_request(kind, body)`` sees every body sent. Dodo's live host is refused
    unless ``allow_live``, and then only a few canonical requests are sent. ``schemathesis=True`` adds an
    OpenAPI-driven phase run by Schemathesis (slower). ``spec_version`` (a bundled version, ``"latest"``, a
    ``Contract``, or None for the latest) is the contract every phase is planned and judged by; ``openapi`` (a
    path) judges by a user's newer Dodo OpenAPI document instead (``load_contract``; not with ``spec_version``).
    When a run judged by the default fails only on rules that differ between the bundled versions,
    ``run.spec_hint`` says which version to try. ``operation`` (``RUN_OPERATIONS``) is what is judged:
    ``"payments"`` (the default: ``POST /payments``), ``"checkouts"`` (``POST /checkouts``, ``POST
    /checkouts/preview``, ``GET /checkouts/{id}``) or ``"all"`` (one run per family, combined: ``run.parts``);
    only the documented operations of the chosen contract are ever sent (None: the family of a ``Contract``
    given as ``spec_version``, else payments). Argument errors raise ``ConfigError``; everything that
    goes wrong while checking ends in a ``ContractRun``: verdict ``"error"`` when nothing could be checked,
    ``"incomplete"`` when the run was cut short (time budget, stalls, rate limiting) before violations were found.
    """
    kwargs: dict[str, Any] = {
        "base_url": base_url,
        "app": app,
        "api_key": api_key,
        "fixtures": fixtures,
        "max_examples": max_examples,
        "seed": seed,
        "timeout": timeout,
        "rate_limit": rate_limit,
        "latency_budget_ms": latency_budget_ms,
        "time_budget_s": time_budget_s,
        "max_failures": max_failures,
        "checks": checks,
        "allow_live": allow_live,
        "settings": settings,
        "concurrency": concurrency,
        "spec_version": spec_version,
        "openapi": openapi,
    }
    if operation is None and isinstance(spec_version, Contract):
        operation = spec_version.endpoint.family
    families = _families(operation)
    if len(families) > 1:
        options = [_Options.build(**kwargs, operation=f, checks_for_all=True) for f in families]  # all, before a send
        options = [o for o in options if o.checks]  # a family none of the chosen checks judges is not run
        if not options:
            raise ConfigError(f"none of the checks {list(checks or ())} judges payments or checkouts")
        return combine([_judge(o, progress, on_request, schemathesis) for o in options])
    return _judge(_Options.build(**kwargs, operation=families[0]), progress, on_request, schemathesis)


RUN_OPERATIONS = ("payments", "checkouts", "all")


def _families(operation: str | None) -> tuple[str, ...]:
    name = "payments" if operation is None else operation
    if not isinstance(name, str) or name.strip() not in RUN_OPERATIONS:
        raise ConfigError(f"unknown operation {operation!r}; known: {', '.join(RUN_OPERATIONS)}")
    return ("payments", "checkouts") if name.strip() == "all" else (name.strip(),)


def _judge(
    opts: _Options, progress: Progress | None, on_request: Callable[[str, bytes], None] | None, schemathesis: bool
) -> ContractRun:
    run = _Run(opts, progress=progress, on_request=on_request, schemathesis=schemathesis)
    try:
        with _interruptible() as interrupted:
            run.plan(stop=interrupted)
        if run.plan_ok:
            _run_coroutine(run.main())
    except KeyboardInterrupt:
        run.interrupted = True
    return run.result()


_RANK = {"failed": 3, "error": 2, "incomplete": 1, "passed": 0}


def combine(parts: list[ContractRun]) -> ContractRun:
    """Return one run of operation ``all`` from the runs of each family: any violation fails it, else anything
    not judged makes it ``error`` / ``incomplete``; findings, errors and checks are the parts' (errors prefixed)."""
    if len(parts) == 1:
        return parts[0]
    verdict = max((p.verdict for p in parts), key=lambda v: _RANK[v])
    stats = {
        "requests": sum(p.stats.get("requests", 0) for p in parts),
        "planned_requests": sum(p.stats.get("planned_requests", 0) for p in parts),
        "duration_s": round(sum(p.stats.get("duration_s", 0.0) for p in parts), 3),
        "operation": "all",
        "operations": {p.operation: p.stats for p in parts},
    }
    coverage = {k: [f"{p.operation}:{r}" for p in parts for r in p.stats.get("rule_coverage", {}).get(k, [])]
                for k in ("covered", "missing")}  # fmt: skip
    total = len(coverage["covered"]) + len(coverage["missing"])
    stats["rule_coverage"] = {**coverage, "ratio": round(len(coverage["covered"]) / total, 4) if total else 1.0}
    for name in ("status_counts", "cases_per_check"):
        summed: Counter[str] = Counter()
        for part in parts:
            summed.update(part.stats.get(name) or {})
        stats[name] = dict(sorted(summed.items()))
    return ContractRun(
        verdict=verdict,
        violations=tuple(f for p in parts for f in p.violations),
        errors=tuple(f"{p.operation}: {e}" for p in parts for e in p.errors),
        stats=stats,
        seed=parts[0].seed,
        target=parts[0].target,
        checks=tuple(dict.fromkeys(c for p in parts for c in p.checks)),
        interrupted=any(p.interrupted for p in parts),
        spec_version=parts[0].spec_version,
        spec=parts[0].spec,
        spec_hint=next((p.spec_hint for p in parts if p.spec_hint), None),
        operation="all",
        parts=tuple(parts),
    )


@contextmanager
def _interruptible() -> Iterator[Callable[[], bool]]:
    """Yield ``interrupted()``: it raises ``KeyboardInterrupt`` once SIGINT arrived (checked between examples).

    Hypothesis runs garbage-collector callbacks, and a ``KeyboardInterrupt`` raised inside one is swallowed;
    noting the signal in a flag and raising from ordinary code is what makes Ctrl-C stop planning at once.
    """
    hit = threading.Event()

    def interrupted() -> bool:
        if hit.is_set():
            raise KeyboardInterrupt
        return False

    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # someone else decides what SIGINT means: leave it to them
        yield interrupted
        return
    signal.signal(signal.SIGINT, lambda signum, frame: hit.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupted()


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
    allow_live: bool
    concurrency: int
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
    contract: Contract
    spec_chosen: bool  # the version was chosen (not the default), so no hint to try another

    @classmethod
    def build(cls, **kw: Any) -> _Options:
        base_url, app = kw["base_url"], kw["app"]
        if (base_url is None) == (app is None):
            raise ConfigError("pass exactly one of base_url (a running implementation) or app (an ASGI app)")
        check_api_key(kw["api_key"])
        contract = _contract(kw["spec_version"], kw["openapi"], kw["operation"])  # a bad version sends nothing
        if base_url is not None:
            base_url = canonical_base_url(base_url)  # what the transport will connect to, judged once here
        live = base_url is not None and is_live_host(base_url)
        if live and kw["allow_live"] is not True:
            raise live_host_refusal()
        for name, low, high in (("max_examples", 0, MAX_EXAMPLES), ("max_failures", 1, None)):
            value = kw[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
            if high is not None and value > high:
                raise ConfigError(f"{name} must be at most {high:,} (a run that size cannot finish), got {value:,}")
        concurrency = DEFAULT_CONCURRENCY if kw["concurrency"] is None else kw["concurrency"]
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ConfigError(f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, got {concurrency!r}")
        for name in ("timeout", "latency_budget_ms", "time_budget_s"):
            value = kw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{name} must be a positive number, got {value!r}")
        seed = kw["seed"]
        if seed is None:
            seed = secrets.randbelow(2**32)
        elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
        family = contract.endpoint.family
        names = checks_for(family) if kw["checks"] is None else tuple(dict.fromkeys(kw["checks"]))
        unknown = [n for n in names if n not in CHECKS]
        if isinstance(kw["checks"], str) or unknown:
            raise ConfigError(f"unknown check(s) {unknown or [kw['checks']]}; known: {', '.join(CHECKS)}")
        others = [n for n in names if family not in FAMILIES_OF[n]]
        if others and len(others) == len(names) and not kw.get("checks_for_all"):  # nothing left to judge
            raise ConfigError(
                f"check(s) {', '.join(others)} do not judge the {family} operations; "
                f"those that do: {', '.join(checks_for(family))}"
            )
        names = tuple(n for n in names if family in FAMILIES_OF[n])
        fixtures = default_fixtures() if kw["fixtures"] is None else load_fixtures(kw["fixtures"])
        return cls(
            base_url=base_url,
            app=app,
            api_key=Secret(kw["api_key"]),
            allow_live=kw["allow_live"] is True,
            concurrency=concurrency,
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
            settings=(kw["settings"] or ContractSettings()).for_contract(contract),
            contract=contract,
            spec_chosen=kw["spec_version"] is not None or kw["openapi"] is not None,
        )


def _contract(spec_version: SpecVersion, openapi: str | Path | None, operation: str = "payments") -> Contract:
    """Return the contract a run judges by: a bundled version, a ``Contract``, or a loaded OpenAPI document.

    ``operation`` is a family (``payments`` or ``checkouts``); a ``Contract`` given as ``spec_version`` gives its
    sibling of that family (its version and readings kept).
    """
    if openapi is None:
        return get_contract(spec_version, operation=operation)
    if spec_version is not None:
        raise ConfigError("give spec_version or openapi, not both")
    if not isinstance(openapi, (str, Path)):
        raise ConfigError(f"openapi must be a path to a Dodo OpenAPI document, got {type(openapi).__name__}")
    return load_contract(openapi, operation=operation)
