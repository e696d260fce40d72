"""Write the reports of one contract run: JSON, JUnit XML, self-contained HTML and Markdown; and the text summary.

Every renderer reads the same redacted dict (``report_data``), so the formats cannot disagree and the API key
cannot reach any of them. Files are written atomically (temp file + ``os.replace``): an interrupt leaves either
the previous file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError, redact
from .outcome import ContractRun

__all__ = [
    "REPORT_FILES",
    "check_outcomes",
    "format_finding",
    "format_summary",
    "load_report",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "report_data",
    "write_reports",
]

REPORT_FILES = {
    "json": "dodo-contract.json",
    "junit": "dodo-contract.junit.xml",
    "html": "dodo-contract.html",
    "markdown": "dodo-contract.md",
}
_FORMAT_VERSION = 1
_MD_MAX_VIOLATIONS = 50
_SUMMARY_MAX_VIOLATIONS = 8
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    """Return ``value`` with every secret replaced in every string, dict key included."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, secrets) for v in value]
    return value


def check_outcomes(data: Mapping[str, Any], names: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Return check name -> {status, cases, violations} from a report dict.

    ``status`` is ``failed`` (violations found), ``passed``, ``error`` (the run could not judge it), or
    ``not run`` (the engine did not run this check, e.g. in live mode). ``names`` adds checks to list even if
    the run never got to them.
    """
    stats = data.get("stats") or {}
    cases = stats.get("cases_per_check") or {}
    ran = list(data.get("checks") or [])
    errored = data.get("verdict") == "error"
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
        elif name in ran:
            status = "passed"
        else:
            status = "not run"
        out[name] = {"status": status, "cases": int(cases.get(name, 0) or 0), "violations": counts.get(name, 0)}
    return out


def _coverage(stats: Mapping[str, Any]) -> dict[str, Any]:
    raw = stats.get("rule_coverage") or {}
    covered = raw.get("covered", [])
    missing = raw.get("missing", [])
    covered_list = sorted(covered) if isinstance(covered, (list, tuple, set)) else []
    missing_list = sorted(missing) if isinstance(missing, (list, tuple, set)) else []
    n_cov = len(covered_list) if covered_list or not isinstance(covered, int) else covered
    n_mis = len(missing_list) if missing_list or not isinstance(missing, int) else missing
    ratio = raw.get("ratio")
    if not isinstance(ratio, (int, float)):
        ratio = n_cov / (n_cov + n_mis) if n_cov + n_mis else None
    return {"covered": covered_list, "missing": missing_list, "n_covered": n_cov, "n_missing": n_mis, "ratio": ratio}


def _tool_version() -> str:
    # Read from the installed metadata: importing the package's __init__ from here would import upwards.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dodo-contract")
    except PackageNotFoundError:
        return "unknown"


def report_data(
    run: ContractRun, *, secrets: Sequence[str | None] = (), generated_at: str | None = None
) -> dict[str, Any]:
    """Return the JSON-ready, redacted content every report is rendered from."""
    from .schemas import SPEC_VERSION

    keys = [s for s in secrets if s]
    data: dict[str, Any] = {
        "tool": "dodo-contract",
        "tool_version": _tool_version(),
        "report_format": _FORMAT_VERSION,
        "spec_version": SPEC_VERSION,
        "generated_at": generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        **run.to_dict(),
    }
    violations = []
    for index, finding in enumerate(data["violations"]):
        exchange = finding.pop("exchange", None) or {}
        violations.append(
            {"index": index, **finding, "request": exchange.get("request"), "response": exchange.get("response")}
        )
    data["violations"] = violations
    stats = data.get("stats") or {}
    data["rule_coverage"] = _coverage(stats)
    data["check_outcomes"] = check_outcomes(data)
    scrubbed: dict[str, Any] = _scrub(data, keys)
    return scrubbed


def render_json(data: Mapping[str, Any]) -> str:
    """Render the machine-readable report."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


def _xml_text(text: Any) -> str:
    return _XML_ILLEGAL.sub("\ufffd", str(text))


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


def render_junit(data: Mapping[str, Any]) -> str:
    """Render JUnit XML: one test case per check, failures carrying the violations and reproducers."""
    outcomes = data.get("check_outcomes") or check_outcomes(data)
    by_check: dict[str, list[Mapping[str, Any]]] = {}
    for v in data.get("violations") or []:
        by_check.setdefault(v.get("check", "?"), []).append(v)
    errors_text = "\n".join(data.get("errors") or []) or "the run could not check the implementation"
    stats = data.get("stats") or {}
    duration = f"{float(stats.get('duration_s') or 0):.3f}"
    tally = {"failed": 0, "error": 0, "not run": 0}
    suite = ET.Element("testsuite", name="dodo-contract", timestamp=str(data.get("generated_at", "")), time=duration)
    props = ET.SubElement(suite, "properties")
    for name in ("target", "seed", "verdict", "spec_version"):
        ET.SubElement(props, "property", name=name, value=_xml_text(data.get(name, "")))
    for name, outcome in outcomes.items():
        case = ET.SubElement(suite, "testcase", classname="dodo-contract", name=name, time="0")
        status = outcome["status"]
        if status in tally:
            tally[status] += 1
        if status == "failed":
            found = by_check.get(name, [])
            node = ET.SubElement(
                case, "failure", type="ContractViolation", message=_xml_text(f"{len(found)} contract violation(s)")
            )
            node.text = _xml_text("\n\n".join(_finding_text(v) for v in found))
        elif status == "error":
            node = ET.SubElement(case, "error", type="CouldNotCheck", message=_xml_text(errors_text.splitlines()[0]))
            node.text = _xml_text(errors_text)
        elif status == "not run":
            ET.SubElement(case, "skipped", message="not run by this contract run")
    if not outcomes and data.get("verdict") != "passed":
        case = ET.SubElement(suite, "testcase", classname="dodo-contract", name="run", time="0")
        node = ET.SubElement(case, "error", type="CouldNotCheck", message=_xml_text(errors_text.splitlines()[0]))
        node.text = _xml_text(errors_text)
        tally["error"] += 1
    counts = {
        "tests": str(len(suite.findall("testcase"))),
        "failures": str(tally["failed"]),
        "errors": str(tally["error"]),
        "skipped": str(tally["not run"]),
    }
    suite.attrib.update(counts)
    root = ET.Element("testsuites", {"name": "dodo-contract", "time": duration})
    root.attrib.update({k: v for k, v in counts.items() if k != "skipped"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _verdict_line(data: Mapping[str, Any]) -> str:
    n = len(data.get("violations") or [])
    verdict = data.get("verdict")
    if verdict == "passed":
        return "PASSED: the contract is honoured"
    if verdict == "failed":
        checks = {v.get("check") for v in data.get("violations") or []}
        return f"FAILED: {n} violation(s) in {len(checks)} check(s)"
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


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _fence(text: str, lang: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text}\n{ticks}"


def render_markdown(data: Mapping[str, Any]) -> str:
    """Render a Markdown summary fit for ``$GITHUB_STEP_SUMMARY``."""
    icon = {"passed": "✅", "failed": "❌"}.get(str(data.get("verdict")), "⚠️")
    out = [f"## {icon} dodo-contract: {_verdict_line(data)}", ""]
    out.extend(f"- {_md_cell(line)}" for line in _stat_line(data))
    out.extend(f"- **error:** {_md_cell(e)}" for e in data.get("errors") or [])
    out += ["", "| check | status | cases | violations |", "|---|---|---:|---:|"]
    for name, o in (data.get("check_outcomes") or check_outcomes(data)).items():
        out.append(f"| `{name}` | {o['status']} | {o['cases']} | {o['violations']} |")
    violations = list(data.get("violations") or [])
    if violations:
        out += ["", "### Violations", ""]
        for v in violations[:_MD_MAX_VIOLATIONS]:
            out.append(
                f"**{v['index']}. `{v.get('check')}`** `{v.get('pointer') or '(root)'}`: "
                f"{_md_cell(v.get('message'))} (`{v.get('rule')}`)"
            )
            if v.get("label"):
                out.append(f"  request: {_md_cell(v['label'])}")
            if v.get("curl"):
                out += ["", _fence(str(v["curl"]), "sh")]
            out.append("")
        if len(violations) > _MD_MAX_VIOLATIONS:
            out.append(f"... and {len(violations) - _MD_MAX_VIOLATIONS} more in the JSON/HTML reports.")
    cov = data.get("rule_coverage") or {}
    if cov.get("missing"):
        out += ["", f"Rules never exercised: {', '.join(f'`{r}`' for r in cov['missing'])}"]
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:72em;
padding:0 1em;color:#1b1f24}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
.v{padding:.6em 1em;border-radius:6px;font-weight:600}.passed{background:#dafbe1}.failed{background:#ffebe9}
.error{background:#fff8c5}table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.3em .6em;
text-align:left;vertical-align:top}td.n{text-align:right}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;
white-space:pre-wrap;word-break:break-all}details{margin:.4em 0;border:1px solid #d0d7de;border-radius:6px;
padding:.4em .8em}summary{cursor:pointer}code{background:#f6f8fa;padding:0 .2em}
.st-failed{color:#cf222e;font-weight:600}
.st-passed{color:#1a7f37}.st-error{color:#9a6700;font-weight:600}"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _chart(outcomes: Mapping[str, Mapping[str, Any]]) -> str:
    """Return an inline SVG horizontal bar chart of cases per check (red bars for failed checks)."""
    rows = list(outcomes.items())
    if not rows:
        return "<p>No checks ran.</p>"
    top = max((o["cases"] for _, o in rows), default=0) or 1
    label_w, bar_w, row_h = 230, 420, 20
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="cases per check" '
        f'width="{label_w + bar_w + 70}" height="{height}" font-size="12" font-family="monospace">'
    ]
    for i, (name, o) in enumerate(rows):
        y = 5 + i * row_h
        width = max(1, round(bar_w * o["cases"] / top)) if o["cases"] else 0
        color = {"failed": "#cf222e", "error": "#bf8700", "not run": "#afb8c1"}.get(o["status"], "#2da44e")
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{_e(name)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{width}" height="{row_h - 6}" fill="{color}">'
            f"<title>{_e(name)}: {o['cases']} case(s), {_e(o['status'])}</title></rect>"
        )
        parts.append(f'<text x="{label_w + width + 6}" y="{y + 13}">{o["cases"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _pre(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<pre>{_e(text)}</pre>"


def render_html(data: Mapping[str, Any]) -> str:
    """Render a self-contained HTML report (inline CSS and SVG, no scripts, no external resources)."""
    verdict = str(data.get("verdict"))
    outcomes = data.get("check_outcomes") or check_outcomes(data)
    body = [f'<h1>dodo-contract report</h1><p class="v {_e(verdict)}">{_e(_verdict_line(data))}</p><ul>']
    body += [f"<li>{_e(line)}</li>" for line in _stat_line(data)]
    body.append(
        f"<li>generated {_e(data.get('generated_at', ''))} · spec v{_e(data.get('spec_version', ''))} · "
        f"dodo-contract {_e(data.get('tool_version', ''))}</li></ul>"
    )
    body += [f'<p class="v error">{_e(err)}</p>' for err in data.get("errors") or []]
    body.append("<h2>Checks</h2><table><tr><th>check</th><th>status</th><th>cases</th><th>violations</th></tr>")
    for name, o in outcomes.items():
        body.append(
            f'<tr><td><code>{_e(name)}</code></td><td class="st-{_e(o["status"]).replace(" ", "-")}">'
            f'{_e(o["status"])}</td><td class="n">{o["cases"]}</td><td class="n">{o["violations"]}</td></tr>'
        )
    body.append("</table><h2>Cases per check</h2>" + _chart(outcomes))
    violations = list(data.get("violations") or [])
    body.append(f"<h2>Violations ({len(violations)})</h2>")
    if not violations:
        body.append("<p>None.</p>")
    for v in violations:
        response = v.get("response") or {}
        status = response.get("status")
        body.append(
            f"<details{' open' if v['index'] < 5 else ''}><summary><b>#{v['index']}</b> "
            f"<code>{_e(v.get('check'))}</code> <code>{_e(v.get('pointer') or '(root)')}</code>: "
            f"{_e(v.get('message'))} <small>[{_e(v.get('rule'))}]</small></summary>"
        )
        if v.get("label"):
            body.append(f"<p>Request: {_e(v['label'])}</p>")
        if v.get("curl"):
            body.append("<p>Reproduce:</p>" + _pre(v["curl"]))
        if v.get("request"):
            body.append("<p>Request sent:</p>" + _pre(v["request"]))
        answer = f"HTTP {status}" if status is not None else f"no answer ({response.get('error') or 'unknown'})"
        body.append(f"<p>Answer: {_e(answer)}</p>" + (_pre(response.get("body")) if status is not None else ""))
        body.append("</details>")
    cov = data.get("rule_coverage") or {}
    per_rule = (data.get("stats") or {}).get("cases_per_rule") or {}
    failing_rules: dict[str, int] = {}
    for v in violations:
        failing_rules[str(v.get("rule"))] = failing_rules.get(str(v.get("rule")), 0) + 1
    rules = sorted(set(cov.get("covered") or []) | set(cov.get("missing") or []) | set(per_rule))
    body.append("<h2>Rule coverage</h2>")
    if cov.get("ratio") is not None:
        body.append(
            f"<p>{cov['n_covered']} of {cov['n_covered'] + cov['n_missing']} rules exercised ({cov['ratio']:.0%}).</p>"
        )
    if rules:
        body.append("<table><tr><th>rule</th><th>cases</th><th>exercised</th><th>violations</th></tr>")
        missing = set(cov.get("missing") or [])
        for rule in rules:
            hit = "no" if rule in missing else "yes"
            body.append(
                f'<tr><td><code>{_e(rule)}</code></td><td class="n">{_e(per_rule.get(rule, 0))}</td>'
                f'<td>{hit}</td><td class="n">{failing_rules.get(rule, 0)}</td></tr>'
            )
        body.append("</table>")
    else:
        body.append("<p>No rule coverage recorded.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>dodo-contract: {_e(verdict)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; reports are meant to be read (CI artifacts, browsers)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_reports(
    run: ContractRun,
    report_dir: str | Path,
    *,
    secrets: Sequence[str | None] = (),
    generated_at: str | None = None,
) -> dict[str, Path]:
    """Write the four reports of ``run`` into ``report_dir`` (created if needed); return format -> path.

    Every text is redacted of ``secrets`` twice: in the data before rendering, and in the rendered text.
    Raise ``ConfigError`` when the folder cannot be created or written.
    """
    folder = Path(report_dir)
    keys = [s for s in secrets if s]
    data = report_data(run, secrets=keys, generated_at=generated_at)
    rendered = {
        "json": render_json(data),
        "junit": render_junit(data),
        "html": render_html(data),
        "markdown": render_markdown(data),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for kind, text in rendered.items():
            path = folder / REPORT_FILES[kind]
            _atomic_write(path, redact(text, keys))
            paths[kind] = path
    except OSError as exc:
        raise ConfigError(f"cannot write reports to {folder}: {exc.strerror or exc}") from None
    return paths


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a ``dodo-contract.json`` report; raise ``ConfigError`` when it is missing or not such a report."""
    file = Path(path)
    if file.is_dir():
        file = file / REPORT_FILES["json"]
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read report {file}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file} is not a JSON report: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("tool") != "dodo-contract"
        or not isinstance(data.get("violations"), list)
    ):
        raise ConfigError(f"{file} is not a dodo-contract JSON report")
    return data
