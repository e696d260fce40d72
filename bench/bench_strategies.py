"""Benchmark: valid request payloads/s drawn by ``dodo_contract.generation.strategies.valid_requests``, per version.

``--operation checkouts`` measures the Checkout Sessions generators instead (the same targets, against
hypothesis-jsonschema on the ``POST /checkouts`` request schema).

Baselines measured in the same run: ``hypothesis_jsonschema.from_schema(dereferenced(REQUEST, spec_version=v))``
and (optionally, ``--schemathesis``) Schemathesis' own generator for ``POST /payments``. Each generator draws N
examples inside one ``@given`` test, generate phase only. Prints payloads/s and the ratio to the baseline
(target >= 100x hypothesis-jsonschema, and >= 1,000 payloads/s), and how long the engine's deterministic
invalid-phase plan (``invalid_cases``) takes to build.

    .venv/bin/python bench/bench_strategies.py [--n 3000] [--baseline-n 100] [--schemathesis] [--operation checkouts]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from dodo_contract.contract.schemas import openapi_path
from dodo_contract.contract.versions import BUNDLED, get_contract
from dodo_contract.generation.strategies import invalid_cases, invalid_requests, valid_requests
from dodo_contract.validation.validator import validate_request


def rate(strategy: SearchStrategy[Any], n: int, check: Callable[[Any], None] | None = None) -> float:
    """Return examples/s for drawing ``n`` examples of ``strategy`` (generate phase only)."""
    seen = [0]

    @settings(
        max_examples=n,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(value: Any) -> None:
        seen[0] += 1
        if check is not None:
            check(value)

    start = time.perf_counter()
    draw()
    elapsed = time.perf_counter() - start
    return seen[0] / elapsed


def _must_be_valid(version: str, operation: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        if not validate_request(payload, spec_version=version, operation=operation).ok:
            found = validate_request(payload, spec_version=version, operation=operation).violations[:3]
            raise AssertionError(f"generated an invalid payload: {found}")

    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="examples for our generator (default 3000)")
    parser.add_argument("--baseline-n", type=int, default=100, help="examples for the baselines (default 100)")
    parser.add_argument("--schemathesis", action="store_true", help="also measure Schemathesis' generator")
    parser.add_argument("--operation", choices=["payments", "checkouts"], default="payments")
    args = parser.parse_args(argv)
    op = args.operation

    for version in BUNDLED:
        print(f"--- spec {version} ({op})")
        ours_strategy = valid_requests(spec_version=version, operation=op)
        rate(ours_strategy, 200)  # warm-up: building the plan, loading schemas
        ours = rate(ours_strategy, args.n)
        print(f"dodo_contract valid_requests       {ours:10.0f} payloads/s  (n={args.n})")
        checked = rate(ours_strategy, min(args.n, 2000), _must_be_valid(version, op))
        print(f"  ... and validated each            {checked:10.0f} payloads/s  (all passed validate_request)")
        invalid = rate(invalid_requests(spec_version=version, operation=op), min(args.n, 2000))
        print(f"dodo_contract invalid_requests     {invalid:10.0f} cases/s")
        start = time.perf_counter()
        plan = invalid_cases(spec_version=version, seed=1, operation=op)
        print(f"invalid_cases (the engine's plan)  {len(plan):10d} cases in {time.perf_counter() - start:.2f} s")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from hypothesis_jsonschema import from_schema

            schema = get_contract(version, operation=op).schema("request")
            baseline = rate(from_schema(schema), args.baseline_n)
        print(f"hypothesis-jsonschema from_schema  {baseline:10.1f} payloads/s  (n={args.baseline_n})")
        print(f"ratio ours / hypothesis-jsonschema {ours / baseline:10.1f}x  (target: >= 100x and >= 1,000 payloads/s)")

        if args.schemathesis and op == "payments":
            import schemathesis

            schema = schemathesis.openapi.from_path(str(openapi_path(version)))
            operation = schema["/payments"]["POST"]
            sch = rate(operation.as_strategy(), args.baseline_n)
            print(f"schemathesis as_strategy           {sch:10.1f} cases/s     (n={args.baseline_n})")
            print(f"ratio ours / schemathesis          {ours / sch:10.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
