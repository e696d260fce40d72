"""Write the reports of one contract run: JSON, JUnit XML, self-contained HTML and Markdown; and the text summary.

Every renderer reads the same redacted dict (``report_data``), so the formats cannot disagree and the API key
cannot reach any of them. Every string in it also has its lone surrogates (a server may send ``"\\ud800"``)
written as ``\\udXXX`` text, so every format can be written whatever the answers held. Files are written
atomically (temp file + ``os.replace``): an interrupt leaves either the previous file or the new one, never half
of one; ``clear_reports`` removes an earlier run's files when a run starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._html import render_html
from ._summary import (
    _finding_text,
    _stat_line,
    _verdict_line,
    answer_text,
    check_outcomes,
    format_finding,
    format_summary,
    not_run_reason,
    stop_reason,
)
from ..errors import ConfigError, escape_surrogates, redact
from ..engine.outcome import ContractRun

__all__ = [
    "REPORT_FILES",
    "check_outcomes",
    "clear_reports",
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
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    """Return ``value`` with every secret replaced in every string, dict key included, and surrogates escaped."""
    if isinstance(value, str):
        return redact(escape_surrogates(value), secrets)
    if isinstance(value, Mapping):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, secrets) for v in value]
    return value


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
    from ..contract.schemas import SPEC_VERSION

    keys = [s for s in secrets if s]
    data: dict[str, Any] = {
        "tool": "dodo-contract",
        "tool_version": _tool_version(),
        "report_format": _FORMAT_VERSION,
        "spec_version": SPEC_VERSION,
        "generated_at": generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        **run.to_dict(),
    }
    data["spec_version"] = run.spec_version or SPEC_VERSION  # a run that never got to resolve one: the default
    violations = []
    for index, finding in enumerate(data["violations"]):
        exchange = finding.pop("exchange", None) or {}
        violations.append(
            {"index": index, **finding, "request": exchange.get("request"), "response": exchange.get("response")}
        )
    if data.get("operation") == "all":  # one list for both families: each check is named by its family
        for v in violations:
            v["check"] = f"{v.get('operation')}::{v['check']}"
    data["violations"] = violations
    # The parts' findings are the list above; each part keeps its verdict, checks and statistics.
    data["parts"] = [{k: v for k, v in part.items() if k != "violations"} for part in data.get("parts") or []]
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


def _run_problem(data: Mapping[str, Any]) -> str:
    """Return why a run that is not a clean judgement gave no verdict: its errors, else why it stopped."""
    errors = "\n".join(str(e) for e in data.get("errors") or [])
    if data.get("verdict") == "incomplete":
        stopped = stop_reason(data)
        head = f"the run was incomplete (stopped early: {stopped})" if stopped else "the run was incomplete"
        return f"{head}\n{errors}" if errors else head
    return errors or "the run could not check the implementation"


def render_junit(data: Mapping[str, Any]) -> str:
    """Render JUnit XML: one test case per check, failures carrying the violations and reproducers.

    A check that judged nothing is ``<skipped>`` with the reason; a run that could not give a verdict (error,
    incomplete) always has at least one ``<error>`` case, so no JUnit consumer can read it as green.
    """
    outcomes = data.get("check_outcomes") or check_outcomes(data)
    by_check: dict[str, list[Mapping[str, Any]]] = {}
    for v in data.get("violations") or []:
        by_check.setdefault(v.get("check", "?"), []).append(v)
    problem = _run_problem(data)
    stats = data.get("stats") or {}
    duration = f"{float(stats.get('duration_s') or 0):.3f}"
    tally = {"failed": 0, "error": 0, "not run": 0}
    suite = ET.Element("testsuite", name="dodo-contract", timestamp=str(data.get("generated_at", "")), time=duration)
    props = ET.SubElement(suite, "properties")
    for name in ("target", "seed", "verdict", "spec_version", "operation"):
        ET.SubElement(props, "property", name=name, value=_xml_text(data.get(name, "")))
    for name, outcome in outcomes.items():
        case = ET.SubElement(suite, "testcase", classname="dodo-contract", name=name, time="0")
        status = outcome.get("status")
        if status == "failed":
            found = by_check.get(name, [])
            node = ET.SubElement(
                case, "failure", type="ContractViolation", message=_xml_text(f"{len(found)} contract violation(s)")
            )
            node.text = _xml_text("\n\n".join(_finding_text(v) for v in found))
        elif status == "not run":
            ET.SubElement(case, "skipped", message=_xml_text(not_run_reason(data, name)))
        elif status != "passed":  # "error", and any status this version does not know: never a pass
            status = "error"
            node = ET.SubElement(case, "error", type="CouldNotCheck", message=_xml_text(problem.splitlines()[0]))
            node.text = _xml_text(problem)
        if status in tally:
            tally[status] += 1
    if data.get("verdict") not in ("passed", "failed") and not tally["error"]:
        case = ET.SubElement(suite, "testcase", classname="dodo-contract", name="run", time="0")
        node = ET.SubElement(case, "error", type="CouldNotCheck", message=_xml_text(problem.splitlines()[0]))
        node.text = _xml_text(problem)
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


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Return ``text`` as inline code, delimited by more backticks than it holds."""
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") or ticks != "`" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str, lang: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text}\n{ticks}"


def render_markdown(data: Mapping[str, Any]) -> str:
    """Render a Markdown summary fit for ``$GITHUB_STEP_SUMMARY``."""
    icon = {"passed": "✅", "failed": "❌"}.get(str(data.get("verdict")), "⚠️")
    out = [f"## {icon} dodo-contract: {_md_cell(_verdict_line(data))}", ""]
    out.extend(f"- {_md_cell(line)}" for line in _stat_line(data, " · "))
    out.extend(f"- **error:** {_md_cell(e)}" for e in data.get("errors") or [])
    out += ["", "| check | status | cases | violations |", "|---|---|---:|---:|"]
    for name, o in (data.get("check_outcomes") or check_outcomes(data)).items():
        status = str(o.get("status"))
        if status == "not run":
            status += f" ({not_run_reason(data, name)})"
        out.append(f"| `{name}` | {_md_cell(status)} | {o.get('cases', 0)} | {o.get('violations', 0)} |")
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
            answer = answer_text(v.get("response"), limit=200)
            if answer is not None:
                out.append(f"  answer: {_code(answer)}")
            if v.get("curl"):
                out += ["", _fence(str(v["curl"]), "sh")]
            out.append("")
        if len(violations) > _MD_MAX_VIOLATIONS:
            out.append(f"... and {len(violations) - _MD_MAX_VIOLATIONS} more in the JSON/HTML reports.")
    cov = data.get("rule_coverage") or {}
    if cov.get("missing"):
        out += ["", f"Rules never exercised: {', '.join(f'`{r}`' for r in cov['missing'])}"]
    return "\n".join(out).rstrip() + "\n"


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
            _atomic_write(path, redact(escape_surrogates(text), keys))
            paths[kind] = path
    except OSError as exc:
        raise ConfigError(f"cannot write reports to {folder}: {exc.strerror or exc}") from None
    return paths


def clear_reports(report_dir: str | Path) -> None:
    """Remove the reports (and stray temp files) an earlier run left in ``report_dir``, so none is taken for this run's.

    Raise ``ConfigError`` when one cannot be removed; a missing folder is fine.
    """
    folder = Path(report_dir)
    if not folder.is_dir():
        return
    names = set(REPORT_FILES.values())
    try:
        for path in folder.iterdir():
            stray = path.name.startswith(tuple(f".{name}." for name in names)) and path.name.endswith(".tmp")
            if path.name in names or stray:
                path.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot remove the previous run's reports in {folder}: {exc.strerror or exc}") from None


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
