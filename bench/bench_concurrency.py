"""Benchmark requests in flight: a target 300 ms away, and the fast mock in-process and over loopback.

1. Slow target: the reference mock on 127.0.0.1, every answer delayed 300 ms (answers in parallel, as a remote
   host does). The default run (``concurrency`` at its default) must finish well under 30 s; the same run at
   ``concurrency=1`` is the baseline (the ratio is what the default buys). A run with ``max_examples`` doubled
   (the generated part of the plan doubles) shows the headroom later issues need.
2. Fast mock: the default run in-process (ASGI) and over loopback, against ``concurrency=1`` in the same process,
   best of ``--repeat``: the default must not be slower.

Every run is checked to pass (a faithful target) and to send the same requests whatever the concurrency.

    .venv/bin/python bench/bench_concurrency.py [--repeat 5] [--delay 0.3] [--skip-serial]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from dodo_contract.engine._limits import DEFAULT_CONCURRENCY
from dodo_contract.engine._plan import clear_plan_cache
from dodo_contract.engine.engine import check_implementation
from dodo_contract.mock.app import create_app, serve_mock
from dodo_contract.mock.faults import FAULTS

KEY = "sk_bench_concurrency_0123456789"


def _timed(**kw: Any) -> tuple[float, Any]:
    clear_plan_cache()  # each measurement includes planning, as a real run does
    start = time.perf_counter()
    run = check_implementation(api_key=KEY, seed=1, **kw)
    wall = time.perf_counter() - start
    if run.verdict != "passed":
        raise SystemExit(
            f"expected a pass, got {run.verdict}: {list(run.errors)[:3]} {[str(f) for f in run.violations][:3]}"
        )
    return wall, run


def _pair(repeat: int, **kw: Any) -> tuple[float, float]:
    """Best wall time of the default run and of concurrency=1, alternating them (the machine is noisy)."""
    default, serial = [], []
    digests = set()
    for _ in range(repeat):
        for concurrency, times in ((None, default), (1, serial)):
            wall, run = _timed(concurrency=concurrency, **kw)
            times.append(wall)
            digests.add(run.stats["request_digest"])
    assert len(digests) == 1, "different requests sent"
    return min(default), min(serial)


def _fast(where: str, default: float, serial: float) -> None:
    print(f"fast mock {where}: default {default:6.2f} s, concurrency=1 {serial:6.2f} s, ratio {default / serial:5.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fast-mock runs per setting (best is kept)")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds the slow target takes per answer")
    parser.add_argument("--skip-serial", action="store_true", help="skip the slow serial baseline (~2 minutes)")
    args = parser.parse_args(argv)

    slow = dataclasses.replace(FAULTS["slow"], delay=lambda n: args.delay)  # every answer delayed, nothing else
    print(f"default concurrency: {DEFAULT_CONCURRENCY}")
    with serve_mock(api_key=KEY, seed=1, fault=slow) as server:
        wall_default, run = _timed(base_url=server.url)
        requests = run.stats["requests"]
        ms = args.delay * 1000
        print(f"slow target ({ms:.0f} ms/answer), default run : {requests:4d} requests in {wall_default:6.1f} s")
        wall_double, run2 = _timed(base_url=server.url, max_examples=200)
        print(
            f"slow target, max_examples doubled (200)          : {run2.stats['requests']:4d} requests in "
            f"{wall_double:6.1f} s"
        )
        if not args.skip_serial:
            # The baseline needs more than the default 120 s budget once a run plans ~400 requests at 300 ms each
            # (the very case issue 8 set out to fix): give it room, it is the yardstick, not a gate.
            wall_serial, serial = _timed(base_url=server.url, concurrency=1, time_budget_s=900)
            assert serial.stats["request_digest"] == run.stats["request_digest"], "different requests sent"
            print(f"slow target, concurrency=1 (baseline)            : {requests:4d} requests in {wall_serial:6.1f} s")
            print(f"ratio concurrency=1 / default (slow target)      : {wall_serial / wall_default:6.1f}x faster")
    _fast("in-process", *_pair(args.repeat, app=create_app(api_key=KEY, seed=1)))
    with serve_mock(api_key=KEY, seed=1) as server:
        _fast("loopback  ", *_pair(args.repeat, base_url=server.url))
    print("(ratio = default / concurrency=1 wall time; below 1.00 means the default is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
