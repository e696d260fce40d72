"""Turn a report dict into text: per-check outcomes, the verdict and stats lines, findings, the summary.

Every text format (terminal, Markdown, HTML, JUnit) is built from the pieces here, so they say the same thing.
The summary is a list of lines made of ``(text, style)`` spans: plain output joins the texts, the terminal
styles them with rich (``_terminal.py``). Styles are rich style strings, but nothing here imports rich.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_SUMMARY_MAX_VIOLATIONS = 8
_ANSWER_LIMIT = 300
_SUMMARY_ANSWER_LIMIT = 160  # the end-of-run summary must fit a screen; the reports keep more
SEP = "  ·  "  # between the fields of one line of text; HTML and Markdown use " · "

Span = tuple[str, str]
Line = list[Span]


def check_outcomes(data: Mapping[str, Any], names: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Return check name -> {status, cases, violations} from a report dict.

    ``status`` is ``failed`` (violations found), ``passed``, ``error`` (the run could not check, or did not
    finish: verdict ``error`` or ``incomplete``), or ``not run`` (the engine did not run this check, e.g. in live
    mode, or it judged no request: never ``passed`` on zero cases). ``names`` adds checks to list even if the
    run never got to them. A run of operation ``all`` names them per family: ``checkouts::session_shape``.
    """
    parts = data.get("parts") or []
    if data.get("operation") == "all" and parts:
        named: dict[str, dict[str, Any]] = {}
        for part in parts:
            prefix = f"{part.get('operation')}::"
            mine = [v for v in data.get("violations") or [] if str(v.get("check", "")).startswith(prefix)]
            view = {**part, "violations": [{**v, "check": v["check"][len(prefix) :]} for v in mine]}
            wanted = [n[len(prefix) :] for n in names if n.startswith(prefix)]
            named.update({prefix + k: o for k, o in check_outcomes(view, wanted).items()})
        return named
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


def plural(n: int, word: str) -> str:
    """Return ``1 request``, ``2 requests``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(headers: Any, name: str) -> str | None:
    if not isinstance(headers, Mapping):
        return None
    return next((str(v) for k, v in headers.items() if str(k).lower() == name), None)


def empty_body(response: Mapping[str, Any]) -> bool:
    """Return True when a recorded answer had no body at all."""
    body = response.get("body")
    # The engine records an empty body and a JSON ``null`` alike (None); a non-zero Content-Length tells them apart.
    length = _header(response.get("headers"), "content-length")
    return (body is None and (length is None or length.strip() in ("", "0"))) or body == ""


def body_text(response: Mapping[str, Any], *, limit: int = _ANSWER_LIMIT) -> str:
    """Return a response body on one line, cut to ``limit`` characters; ``(empty body)`` when there was none."""
    if empty_body(response):
        return "(empty body)"
    body = response.get("body")
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    return _short(text.replace("\r", "\\r").replace("\n", "\\n"), limit)


def answer_text(response: Mapping[str, Any] | None, *, limit: int = _ANSWER_LIMIT) -> str | None:
    """Return ``HTTP 404 (empty body)``, ``HTTP 200 {...}`` (body cut), ``none (timeout ...)``, or None."""
    response = response or {}
    if response.get("status") is not None:
        return f"HTTP {response['status']} {body_text(response, limit=limit)}"
    if response.get("error"):
        return f"none ({response['error']})"
    return None


def _finding_lines(v: Mapping[str, Any], *, indent: str = "", answer_limit: int = _ANSWER_LIMIT) -> list[Line]:
    """Return a finding as lines: what broke, the request label, the answer (cut), the reproducer (whole)."""
    lines: list[Line] = [
        [
            (indent, ""),
            (f"[{v.get('check')}]", "bold red"),
            (" ", ""),
            (str(v.get("pointer") or "(root)"), "cyan"),
            (f": {v.get('message')} ", ""),
            (f"<{v.get('rule')}>", "dim"),
        ]
    ]
    if v.get("label"):
        lines.append([(f"{indent}  request: ", "dim"), (str(v["label"]), "")])
    answer = answer_text(v.get("response"), limit=answer_limit)
    if answer is not None:
        lines.append([(f"{indent}  answer: ", "dim"), (answer, "")])
    if v.get("curl"):
        # Never cut: the line must paste into a shell as it is.
        lines.append([(f"{indent}  reproduce: ", "dim"), (str(v["curl"]), "green")])
    return lines


def _finding_text(v: Mapping[str, Any]) -> str:
    """Return a finding as readable plain text: what broke, the request label, the answer, the reproducer."""
    return "\n".join(_plain(line) for line in _finding_lines(v))


def format_finding(finding: Mapping[str, Any]) -> str:
    """Return one violation (a report dict entry) as readable text with its whole reproducer."""
    return _finding_text(finding)


def _verdict_spans(data: Mapping[str, Any]) -> Line:
    violations = data.get("violations") or []
    n = len(violations)
    verdict = data.get("verdict")
    before = f" ({plural(n, 'violation')} found before that)" if n else ""
    if verdict == "passed":
        return [("PASSED", "bold green"), (": the contract is honoured", "")]
    if verdict == "failed":
        checks = {v.get("check") for v in violations}
        return [("FAILED", "bold red"), (f": {plural(n, 'violation')} in {plural(len(checks), 'check')}", "")]
    if verdict == "incomplete":
        return [("INCOMPLETE", "bold yellow"), (f": the run stopped before it sent every planned request{before}", "")]
    interrupted = " (interrupted)" if data.get("interrupted") else ""
    # "error", and any verdict this version does not know: never anything that could pass for a pass.
    unknown = f" (verdict {verdict!r})" if verdict not in ("error", None) else ""
    return [("COULD NOT CHECK", "bold yellow"), (f"{interrupted}{unknown}{before}", "")]


def _verdict_line(data: Mapping[str, Any]) -> str:
    return _plain(_verdict_spans(data))


def stop_reason(data: Mapping[str, Any]) -> str | None:
    """Return why the run stopped before sending its whole plan (``stats["stopped"]``), or None."""
    stopped = (data.get("stats") or {}).get("stopped")
    return str(stopped) if stopped else None


def _stat_rows(data: Mapping[str, Any]) -> list[list[str]]:
    """Return the summary facts, one row per line, each row a list of separate fields."""
    stats = data.get("stats") or {}
    rows: list[list[str]] = []
    # The default (payments) is not named, as before there were other operations; any other one is.
    operation = [f"operation {data['operation']}"] if data.get("operation") not in (None, "", "payments") else []
    head = [f"target {data.get('target') or '?'}", *operation, *spec_field(data), f"seed {data.get('seed')}"]
    requests = stats.get("requests")
    raw = stats.get("duration_s")
    duration = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
    if isinstance(requests, int):
        head.append(plural(requests, "request") + (f" in {duration:.1f} s" if duration is not None else ""))
    elif duration is not None:
        head.append(f"{duration:.1f} s")
    rows.append(head)
    statuses = stats.get("status_counts") or {}
    if statuses:
        ordered = sorted(statuses.items(), key=lambda kv: str(kv[0]))
        rows.append([f"statuses {ordered[0][0]}: {ordered[0][1]}", *(f"{k}: {v}" for k, v in ordered[1:])])
    latency = stats.get("latency_ms") or {}
    parts = [f"{k} {float(latency[k]):.0f} ms" for k in ("p50", "p99", "max") if isinstance(latency.get(k), (int, float))]
    if parts:
        rows.append(["latency " + parts[0], *parts[1:]])
    cov = data.get("rule_coverage") or {}
    if cov.get("ratio") is not None:
        rows.append([f"rule coverage {cov['n_covered']}/{cov['n_covered'] + cov['n_missing']} ({cov['ratio']:.0%})"])
    tally: dict[str, int] = {}
    for outcome in (data.get("check_outcomes") or {}).values():
        tally[str(outcome.get("status"))] = tally.get(str(outcome.get("status")), 0) + 1
    if tally:
        order = ["passed", "failed", "error", "not run"]
        names = sorted(tally, key=lambda s: (order.index(s) if s in order else len(order), s))
        rows.append([f"checks {tally[names[0]]} {names[0]}", *(f"{tally[s]} {s}" for s in names[1:])])
    if stop_reason(data):
        rows.append([f"stopped early: {stop_reason(data)}"])
    if data.get("spec_hint"):
        rows.append([f"hint: {data['spec_hint']}"])
    for name, notes in ((stats.get("notes") or {}) if isinstance(stats.get("notes"), dict) else {}).items():
        if notes:  # what a check could not judge, and why (the pricing oracle's exemptions): said, not silent
            more = f" (+{len(notes) - 1} more in stats.notes of the JSON report)" if len(notes) > 1 else ""
            rows.append([f"{name} exemptions: {notes[0]}{more}"])
    return rows


def spec_field(data: Mapping[str, Any]) -> list[str]:
    """Return the summary field naming the spec version judged by (``spec 1.113.0``; a loaded document's file)."""
    version = data.get("spec_version")
    if not version:
        return []
    spec: Mapping[str, Any] = data["spec"] if isinstance(data.get("spec"), Mapping) else {}
    source: Mapping[str, Any] = spec["source"] if isinstance(spec.get("source"), Mapping) else {}
    loaded = spec.get("bundled") is False and source.get("file")
    return [f"spec {version}" + (f" (from {source['file']})" if loaded else "")]


def _stat_line(data: Mapping[str, Any], sep: str = SEP) -> list[str]:
    return [sep.join(row) for row in _stat_rows(data)]


def not_run_reason(data: Mapping[str, Any], name: str) -> str:
    """Return why check ``name`` judged nothing: the report's own reason, else what the run data shows."""
    outcome = (data.get("check_outcomes") or {}).get(name) or {}
    if outcome.get("reason"):
        return str(outcome["reason"])
    ran = data.get("checks") or []
    if ran and name.rsplit("::", 1)[-1] not in ran:
        return "this run did not include the check"
    stopped = stop_reason(data)
    return "the check judged no case" + (f"; the run stopped early: {stopped}" if stopped else "")


def summary_lines(
    data: Mapping[str, Any], *, report_dir: Path | None = None, show_violations: bool = True
) -> list[Line]:
    """Return the one-screen summary as lines of ``(text, style)`` spans."""
    lines: list[Line] = [[("dodo-contract: ", "bold"), *_verdict_spans(data)]]
    for row in _stat_rows(data):
        style = "yellow" if row[0].startswith(("stopped early", "hint: ")) else ""
        line: Line = [("  ", "")]
        for i, field in enumerate(row):
            line += [(SEP, "dim")] if i else []
            line.append((field, style))
        lines.append(line)
    lines += [[("  error: ", "bold yellow"), (str(error), "yellow")] for error in data.get("errors") or []]
    violations = list(data.get("violations") or []) if show_violations else []
    if violations:
        lines.append([("violations:", "bold")])
        for v in violations[:_SUMMARY_MAX_VIOLATIONS]:
            lines += _finding_lines(v, indent="  ", answer_limit=_SUMMARY_ANSWER_LIMIT)
        if len(violations) > _SUMMARY_MAX_VIOLATIONS:
            more = len(violations) - _SUMMARY_MAX_VIOLATIONS
            lines.append([(f"  ... and {more} more (see the HTML report)", "dim")])
    if report_dir is not None:
        lines.append([("reports: ", "dim"), (f"{report_dir}{os.sep}dodo-contract.{{json,junit.xml,html,md}}", "")])
    return lines


def format_summary(data: Mapping[str, Any], *, report_dir: Path | None = None, show_violations: bool = True) -> str:
    """Return the one-screen text summary printed at the end of a gate run (pytest shows violations itself)."""
    lines = summary_lines(data, report_dir=report_dir, show_violations=show_violations)
    return "\n".join(_plain(line) for line in lines) + "\n"
