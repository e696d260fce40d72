"""Benchmark ``validate_request`` against jsonschema 4.x on the same payloads, in the same run.

Run: ``.venv/bin/python bench/bench_validator.py [--seconds 2]``. Prints payloads/s and the ratio to the
baseline (targets: >= 100x ``Draft202012Validator(...).is_valid`` on valid payloads, >= 20x
``list(iter_errors())`` on invalid ones, while returning every violation with its rule), and the import time
of ``dodo_contract`` (target < 150 ms above a bare interpreter).
"""

from __future__ import annotations

import argparse
import copy
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from dodo_contract import validate_request
from dodo_contract.contract.schemas import REQUEST, country_codes, currency_codes, dereferenced, payment_method_types


def _valid_corpus(n: int) -> list[dict[str, Any]]:
    r = random.Random(7)
    out = []
    for i in range(n):
        p: dict[str, Any] = {
            "billing": {"country": r.choice(country_codes()), "city": "Berlin", "zipcode": "10115"},
            "customer": {"customer_id": f"cus_{i}"} if i % 2 else {"email": f"u{i}@example.com", "name": "Ada"},
            "product_cart": [{"product_id": f"prod_{j}", "quantity": r.randint(0, 5)} for j in range(r.randint(1, 4))],
        }
        if i % 3 == 0:
            p.update(
                allowed_payment_method_types=r.sample(payment_method_types(), 3),
                billing_currency=r.choice(currency_codes()),
                metadata={f"k{j}": "v" * 20 for j in range(5)},
                payment_link=True,
                return_url="https://shop.example.com/thanks",
                show_saved_payment_methods=False,
            )
        out.append(p)
    return out


def _invalid_corpus(valid: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = random.Random(8)
    breakers: list[Callable[[dict[str, Any]], None]] = [
        lambda p: p["billing"].update(country="us"),
        lambda p: p["product_cart"][0].update(quantity=-1),
        lambda p: p.pop("customer"),
        lambda p: p.update(billing_currency="usd"),
        lambda p: p.update(metadata={"k": 1}),
        lambda p: p.update(product_cart=[{"product_id": "p", "quantity": 1} for _ in range(101)]),  # too many
        lambda p: p.update(return_url="nope"),
        lambda p: p["product_cart"][0].update(amount="5"),
    ]
    out = []
    for p in valid:
        bad = copy.deepcopy(p)
        for breaker in r.sample(breakers, r.randint(1, 2)):
            breaker(bad)
        out.append(bad)
    return out


def _rates(a: Callable[[Any], Any], b: Callable[[Any], Any], corpus: list[Any], seconds: float) -> tuple[float, float]:
    """Return the best payloads/s of ``a`` and ``b`` over short windows taken in turn (the machine is noisy)."""
    best = [0.0, 0.0]
    rounds = 5
    for _ in range(rounds):
        for i, fn in enumerate((a, b)):
            done = 0
            start = time.perf_counter()
            while time.perf_counter() - start < seconds / rounds / 2:
                for p in corpus:
                    fn(p)
                done += len(corpus)
            best[i] = max(best[i], done / (time.perf_counter() - start))
    return best[0], best[1]


def _import_ms(code: str, runs: int = 15) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    valid = _valid_corpus(200)
    invalid = _invalid_corpus(valid)
    assert all(validate_request(p).ok for p in valid)
    assert not any(validate_request(p).ok for p in invalid)

    baseline = jsonschema.Draft202012Validator(dereferenced(REQUEST), format_checker=jsonschema.FormatChecker())
    assert all(baseline.is_valid(p) for p in valid)
    # A worst case for transparency: 101 broken cart items, so every payload carries 100+ violations.
    many = [{**p, "product_cart": [{"product_id": 1, "quantity": -1}] * 101} for p in valid[:50]]

    def errors(p: Any) -> Any:
        return list(baseline.iter_errors(p))

    def ours(p: Any) -> Any:
        return validate_request(p).violations

    rows = [
        ("valid", "jsonschema is_valid", *_rates(baseline.is_valid, validate_request, valid, args.seconds), 100),
        ("invalid", "jsonschema list(iter_errors())", *_rates(errors, ours, invalid, args.seconds), 20),
        ("100+ violations", "jsonschema list(iter_errors())", *_rates(errors, ours, many, args.seconds), 0),
    ]
    print(f"{'payloads':8} {'baseline':32} {'baseline/s':>12} {'ours/s':>12} {'ratio':>8} {'target':>7}")
    for kind, name, base, rate, target in rows:
        print(f"{kind:8} {name:32} {base:12,.0f} {rate:12,.0f} {rate / base:7.0f}x {target or '-':>6}x")

    bare = _import_ms("pass")
    ours_ms = _import_ms("import dodo_contract")
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, dodo_contract; print(sorted(m for m in ('hypothesis', 'schemathesis', "
            "'starlette', 'httpx') if m in sys.modules))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"import dodo_contract: {ours_ms - bare:.0f} ms above a bare interpreter (target < 150 ms)")
    print(f"heavy modules loaded by the import: {heavy} (target: none)")


if __name__ == "__main__":
    main()
