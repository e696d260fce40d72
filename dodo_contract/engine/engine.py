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
import secrets
from collections.abc import Callable, Coroutine, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..checks.core import CHECKS
from ..contract.fixtures import Fixtures, default_fixtures, load_fixtures
from ..contract.settings import ContractSettings
from ..errors import ConfigError
from ._plan import LIVE_REQUEST_BUDGET
from ._run import Progress, _Run, observe
from ._transport import is_live_host
from .outcome import ContractRun

__all__ = ["DEFAULT_MAX_FAILURES", "LIVE_REQUEST_BUDGET", "check_implementation", "observe"]


DEFAULT_MAX_FAILURES = 25


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
