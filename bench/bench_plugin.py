"""Benchmark what the pytest plugin costs a session that does not use it, and the gate's own overhead.

1. Import cost: ``import pytest, dodo_contract.frontends.plugin`` vs ``import pytest`` alone, each in a fresh
   interpreter (min of ``--runs``). The plugin must stay under 50 ms when ``--dodo-base-url`` is not given.
2. Session cost: ``pytest`` in an empty folder with the plugin vs with ``-p no:dodo_contract`` (min of runs).
3. Gate overhead: ``run_gate`` (mock start, engine, nothing else) vs writing the four reports of that run.

    .venv/bin/python bench/bench_plugin.py [--runs 15]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _min_time(argv: list[str], runs: int, cwd: str | None = None) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable

    bare = _min_time([py, "-c", "import pytest"], args.runs)
    plugin = _min_time([py, "-c", "import pytest, dodo_contract.frontends.plugin"], args.runs)
    print(f"import pytest                 {bare * 1000:7.1f} ms (baseline)")
    print(
        f"import pytest + plugin        {plugin * 1000:7.1f} ms  (+{(plugin - bare) * 1000:.1f} ms, "
        f"ratio {plugin / bare:.2f})"
    )

    with tempfile.TemporaryDirectory() as empty:
        base = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        without = _min_time([*base, "-p", "no:dodo_contract"], max(3, args.runs // 3), cwd=empty)
        with_plugin = _min_time(base, max(3, args.runs // 3), cwd=empty)
    print(f"pytest, empty dir, no plugin  {without * 1000:7.1f} ms (baseline)")
    print(
        f"pytest, empty dir, plugin     {with_plugin * 1000:7.1f} ms  (+{(with_plugin - without) * 1000:.1f} ms, "
        f"ratio {with_plugin / without:.2f})"
    )

    from dodo_contract.frontends.config import resolve_config
    from dodo_contract.frontends.gate import run_gate
    from dodo_contract.reports.report import write_reports

    with tempfile.TemporaryDirectory() as folder:
        config = resolve_config({"seed": 1, "max_examples": 20, "report_dir": folder}, env={}, cwd=folder)
        start = time.perf_counter()
        run = run_gate(config)
        gate_s = time.perf_counter() - start
        start = time.perf_counter()
        write_reports(run, Path(folder))
        report_s = time.perf_counter() - start
    print(f"run_gate (embedded mock, 20 examples) {gate_s * 1000:7.1f} ms (baseline), verdict {run.verdict}")
    print(f"write_reports (4 files)               {report_s * 1000:7.1f} ms  (ratio {report_s / gate_s:.3f})")


if __name__ == "__main__":
    main()
