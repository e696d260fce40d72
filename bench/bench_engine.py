"""Benchmark the contract engine against `schemathesis run` on the same local mock (faithful mode).

Both get ``-n N`` examples (``max_examples=N`` for the engine) against one mock served on 127.0.0.1. Prints
cases sent, wall time and cases/s for each, and the ratio engine/Schemathesis. Schemathesis runs as a
subprocess (its CLI start-up is included, and also shown separately from its own summary line); it runs with
``--continue-on-failure`` because on this API it otherwise stops at its first false positive (ST202 on a
business refusal). Also times the engine in-process (ASGI, no sockets), for payments and for Checkout Sessions
(``operation="checkouts"`` against the same mock: requests and time beside payments'). Per spec version (default: every
bundled one): the mock serves that version, the engine judges by it and Schemathesis reads its ``openapi.yaml``.

``--base REF`` also runs the in-process engine of an earlier commit (checked out into a temporary git worktree,
run in a subprocess with the same interpreter, seeds and ``-n``) and prints this tree's requests and time as
ratios against it: a default run must stay within 2x of its base. ``--repeat K`` takes the best time of K runs.

    .venv/bin/python bench/bench_engine.py [-n 100] [--seed 1] [--spec-version V] [--base 45b6308] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
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


_IN_PROCESS = """
import json, sys, time
from dodo_contract.engine.engine import check_implementation
from dodo_contract.mock.app import create_app
try:
    from dodo_contract.engine._plan import clear_plan_cache
except ImportError:
    clear_plan_cache = lambda: None
n, seed, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
best, requests, verdict = None, 0, ""
for _ in range(repeat):
    clear_plan_cache()
    key = "sk_bench_0123456789abcdef"
    start = time.perf_counter()
    run = check_implementation(app=create_app(api_key=key, seed=seed), api_key=key, max_examples=n, seed=seed)
    wall = time.perf_counter() - start
    best = wall if best is None else min(best, wall)
    requests, verdict = int(run.stats["requests"]), run.verdict
print(json.dumps({"requests": requests, "wall": best, "verdict": verdict}))
"""


def _in_process(root: Path, n: int, seed: int, repeat: int) -> dict[str, object]:
    """Time the in-process engine of the package under ``root`` in a fresh interpreter (best of ``repeat``)."""
    proc = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, str(n), str(seed), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HYPOTHESIS_STORAGE_DIRECTORY": tempfile.mkdtemp()},
    )
    if proc.returncode != 0:
        sys.exit(f"the engine under {root} failed:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def compare_with_base(base: str, n: int, seeds: list[int], repeat: int) -> None:
    """Print requests and time of this tree against ``base`` (a git commit), in-process, per seed."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), base], check=True,
                       capture_output=True)  # fmt: skip
        try:
            print(f"against base {base} (in-process, best of {repeat}, -n {n}):")
            for seed in seeds:
                old, new = _in_process(where, n, seed, repeat), _in_process(ROOT, n, seed, repeat)
                r_old, r_new = int(old["requests"]), int(new["requests"])  # type: ignore[call-overload]
                w_old, w_new = float(old["wall"]), float(new["wall"])  # type: ignore[arg-type]
                print(
                    f"  seed {seed}: requests {r_old} -> {r_new} ({r_new / r_old:.2f}x), time {w_old:.2f} s -> "
                    f"{w_new:.2f} s ({w_new / w_old:.2f}x); verdicts {old['verdict']} / {new['verdict']}"
                )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False,
                           capture_output=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="examples per tool (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spec-version", action="append", help="only this version (repeatable; default: all)")
    parser.add_argument("--base", metavar="REF", help="also compare the in-process run with this git commit")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement of --base (best time)")
    parser.add_argument("--base-only", action="store_true", help="only the comparison with --base")
    args = parser.parse_args(argv)
    if args.base:
        compare_with_base(args.base, args.n, [args.seed, args.seed + 1, args.seed + 2], args.repeat)
        if args.base_only:
            return 0
    key = "sk_bench_0123456789abcdef"
    print(f"examples per tool: {args.n}")
    for version in args.spec_version or BUNDLED:
        app = create_app(api_key=key, seed=args.seed, spec_version=version)
        cases_ip, wall_ip, verdict_ip, _ = _engine(args.n, args.seed, app=app, api_key=key, spec_version=version)
        # The same mock serves Checkout Sessions: the checkouts run (three operations, round trips) beside it.
        app = create_app(api_key=key, seed=args.seed, spec_version=version)
        cases_ck, wall_ck, verdict_ck, _ = _engine(
            args.n, args.seed, app=app, api_key=key, spec_version=version, operation="checkouts"
        )
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
            f"  checkouts in-proc.: {cases_ck:5d} requests in {wall_ck:6.2f} s = {cases_ck / wall_ck:8.1f} cases/s "
            f"(verdict {verdict_ck}; {cases_ck / cases_ip:.2f}x the requests, {wall_ck / wall_ip:.2f}x the time of "
            "payments)"
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
