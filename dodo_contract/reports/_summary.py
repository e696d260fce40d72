"""Turn a report dict into plain text: per-check outcomes, the verdict and stats lines, findings, the summary."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_SUMMARY_MAX_VIOLATIONS = 8


def check_outcomes(data: Mapping[str, Any], names: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Return check name -> {status, cases, violations} from a report dict.

    ``status`` is ``failed`` (violations found), ``passed``, ``error`` (the run could not check, or did not
    finish: verdict ``error`` or ``incomplete``), or ``not run`` (the engine did not run this check, e.g. in live
    mode, or it judged no request: never ``passed`` on zero cases). ``names`` adds checks to list even if the
    run never got to them.
    """
    stats = data.get("stats") or {}
    cases = stats.get("cases_per_check") or {}
    ran = list(data.get("checks") or [])
    errored = data.get("verdict") in ("error", "incomplete")
    counts: dict[str, int] = {}
    for v in data.get("violations") or []:
        counts[v.get("check", "?")] = counts.get(v.get("check", "?"), 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for name in [*ran, *(n for n in names if n not in ran), *(n for n in counts if n not in ran)]:
        if name in out:
            continue
        if counts.get(name):
            status = "failed"
        elif errored:
            status = "error"
        elif name in ran and int(cases.get(name, 0) or 0) > 0:
            status = "passed"
        else:
            status = "not run"
        out[name] = {"status": status, "cases": int(cases.get(name, 0) or 0), "violations": counts.get(name, 0)}
    return out


def _finding_text(v: Mapping[str, Any]) -> str:
    """Return a finding as readable plain text: what broke, the request label, the answer, the reproducer."""
    where = v.get("pointer") or "(root)"
    lines = [f"[{v.get('check')}] {where}: {v.get('message')} <{v.get('rule')}>"]
    if v.get("label"):
        lines.append(f"  request: {v['label']}")
    response = v.get("response") or {}
    if response.get("status") is not None:
        lines.append(f"  answer: HTTP {response['status']} {_short(response.get('body'), 300)}")
    elif response.get("error"):
        lines.append(f"  answer: none ({response['error']})")
    if v.get("curl"):
        lines.append(f"  reproduce: {v['curl']}")
    return "\n".join(lines)


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict_line(data: Mapping[str, Any]) -> str:
    n = len(data.get("violations") or [])
    verdict = data.get("verdict")
    if verdict == "passed":
        return "PASSED: the contract is honoured"
    if verdict == "failed":
        checks = {v.get("check") for v in data.get("violations") or []}
        return f"FAILED: {n} violation(s) in {len(checks)} check(s)"
    if verdict == "incomplete":
        return "INCOMPLETE: the run stopped before it judged everything it planned (see why below)"
    suffix = f" ({n} violation(s) found before that)" if n else ""
    return f"COULD NOT CHECK{' (interrupted)' if data.get('interrupted') else ''}{suffix}"


def _stat_line(data: Mapping[str, Any]) -> list[str]:
    stats = data.get("stats") or {}
    lines = []
    requests = stats.get("requests")
    duration = stats.get("duration_s")
    head = f"target {data.get('target') or '?'}  seed {data.get('seed')}"
    if requests is not None:
        head += f"  {requests} request(s)"
    if isinstance(duration, (int, float)):
        head += f" in {duration:.1f} s"
    lines.append(head)
    statuses = stats.get("status_counts") or {}
    if statuses:
        lines.append(
            "statuses " + "  ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))
        )
    latency = stats.get("latency_ms") or {}
    if latency:
        parts = [
            f"{k} {float(latency[k]):.0f} ms" for k in ("p50", "p99", "max") if isinstance(latency.get(k), (int, float))
        ]
        if parts:
            lines.append("latency " + "  ".join(parts))
    cov = data.get("rule_coverage") or {}
    if cov.get("ratio") is not None:
        lines.append(f"rule coverage {cov['n_covered']}/{cov['n_covered'] + cov['n_missing']} ({cov['ratio']:.0%})")
    return lines


def format_finding(finding: Mapping[str, Any]) -> str:
    """Return one violation (a report dict entry) as readable text with its reproducer."""
    return _finding_text(finding)


def format_summary(data: Mapping[str, Any], *, report_dir: Path | None = None, show_violations: bool = True) -> str:
    """Return the one-screen text summary printed at the end of a gate run (pytest shows violations itself)."""
    lines = [f"dodo-contract: {_verdict_line(data)}", *("  " + s for s in _stat_line(data))]
    for error in data.get("errors") or []:
        lines.append(f"  error: {error}")
    violations = list(data.get("violations") or []) if show_violations else []
    if violations:
        lines.append("violations:")
        for v in violations[:_SUMMARY_MAX_VIOLATIONS]:
            text = _finding_text(v).splitlines()
            lines.extend("  " + _short(line, 240) for line in text)
        if len(violations) > _SUMMARY_MAX_VIOLATIONS:
            lines.append(f"  ... and {len(violations) - _SUMMARY_MAX_VIOLATIONS} more (see the HTML report)")
    if report_dir is not None:
        lines.append(f"reports: {report_dir}{os.sep}dodo-contract.{{json,junit.xml,html,md}}")
    return "\n".join(lines) + "\n"
