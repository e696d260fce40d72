"""Benchmark the contract engine against `schemathesis run` on the same local mock (faithful mode).

Both get ``-n N`` examples (``max_examples=N`` for the engine) against one mock served on 127.0.0.1. Prints
cases sent, wall time and cases/s for each, and the ratio engine/Schemathesis. Schemathesis runs as a
subprocess (its CLI start-up is included, and also shown separately from its own summary line); it runs with
``--continue-on-failure`` because on this API it otherwise stops at its first false positive (ST202 on a
business refusal). Also times the engine in-process (ASGI, no sockets). Per spec version (default: every
bundled one): the mock serves that version, the engine judges by it and Schemathesis reads its ``openapi.yaml``.

    .venv/bin/python bench/bench_engine.py [-n 100] [--seed 1] [--spec-version V]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from dodo_contract.contract.schemas import openapi_path
from dodo_contract.contract.versions import BUNDLED
from dodo_contract.engine._plan import clear_plan_cache
from dodo_contract.engine.engine import check_implementation
from dodo_contract.mock.app import create_app, serve_mock

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"


def _engine(n: int, seed: int, **target: object) -> tuple[int, float, str, int]:
    clear_plan_cache()  # each measurement includes generating its requests
    start = time.perf_counter()
    run = check_implementation(max_examples=n, seed=seed, **target)  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    return int(run.stats["requests"]), wall, run.verdict, len(run.checks)


def _schemathesis(url: str, key: str, n: int, version: str) -> tuple[int, float, float | None, int]:
    cmd = [
        str(SCHEMATHESIS),
        "run",
        str(openapi_path(version)),
        "--url",
        url,
        "-n",
        str(n),
        "--continue-on-failure",
        "-H",
        f"Authorization: Bearer {key}",
        "--no-color",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    out = proc.stdout
    cases = re.search(r"(\d+) generated", out)
    own = re.search(r"in ([\d.]+)s =+\s*$", out.strip())
    if cases is None:
        sys.exit(f"could not read the number of cases from schemathesis output:\n{out[-2000:]}\n{proc.stderr[-2000:]}")
    return int(cases.group(1)), wall, float(own.group(1)) if own else None, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="examples per tool (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spec-version", action="append", help="only this version (repeatable; default: all)")
    args = parser.parse_args(argv)
    key = "sk_bench_0123456789abcdef"
    print(f"examples per tool: {args.n}")
    for version in args.spec_version or BUNDLED:
        app = create_app(api_key=key, seed=args.seed, spec_version=version)
        cases_ip, wall_ip, verdict_ip, _ = _engine(args.n, args.seed, app=app, api_key=key, spec_version=version)
        with serve_mock(api_key=key, seed=args.seed, spec_version=version) as server:
            target = {"base_url": server.url, "api_key": key, "spec_version": version}
            cases_e, wall_e, verdict_e, n_checks = _engine(args.n, args.seed, **target)
            cases_s, wall_s, own_s, rc = _schemathesis(server.url, key, args.n, version)

        rate_e, rate_s = cases_e / wall_e, cases_s / wall_s
        print(f"spec {version}")
        print(
            f"  engine in-process : {cases_ip:5d} requests in {wall_ip:6.2f} s = {cases_ip / wall_ip:8.1f} cases/s "
            f"(verdict {verdict_ip})"
        )
        print(
            f"  engine loopback   : {cases_e:5d} requests in {wall_e:6.2f} s = {rate_e:8.1f} cases/s "
            f"(verdict {verdict_e}, {n_checks} checks)"
        )
        own = f"; {cases_s / own_s:.1f} cases/s by its own timing of {own_s:.2f} s" if own_s else ""
        print(
            f"  schemathesis run  : {cases_s:5d} cases    in {wall_s:6.2f} s = {rate_s:8.1f} cases/s (exit {rc}{own})"
        )
        print(f"  ratio engine/schemathesis (loopback, cases/s): {rate_e / rate_s:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
