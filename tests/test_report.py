"""The four report formats, rendered from hand-built runs: complete, parseable, self-contained, redacted."""

from __future__ import annotations

import dataclasses
import json
import os
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dodo_contract.engine.outcome import ContractRun, Exchange, Finding
from dodo_contract.errors import REDACTED, ConfigError, Violation
from dodo_contract.reports.report import (
    REPORT_FILES,
    check_outcomes,
    format_finding,
    format_summary,
    load_report,
    render_html,
    render_json,
    render_junit,
    render_markdown,
    report_data,
    write_reports,
)

KEY = "sk_test_report_SECRET_0042"
CHECKS = ("response_received", "response_schema_conformance", "invalid_request_rejected", "auth_required")
STATS = {
    "requests": 12,
    "cases_per_check": {
        "response_received": 12,
        "response_schema_conformance": 5,
        "invalid_request_rejected": 6,
        "auth_required": 1,
    },
    "cases_per_rule": {"billing.required": 3, "product_cart.minItems": 3},
    "rule_coverage": {
        "covered": ["billing.required", "product_cart.minItems"],
        "missing": ["metadata.maxProperties"],
        "ratio": 2 / 3,
    },
    "status_counts": {"200": 5, "422": 6, "401": 1},
    "latency_ms": {"p50": 3.0, "p99": 9.5, "max": 12.0},
    "duration_s": 0.8,
}


def _finding(check: str, message: str, *, body: Any = None, curl: str = "", rule: str = "r.x") -> Finding:
    exchange = Exchange(
        method="POST",
        url="http://127.0.0.1:1/payments",
        request_headers={"Authorization": f"Bearer {REDACTED}", "Content-Type": "application/json"},
        request_body=body if body is not None else {"product_cart": []},
        status=200,
        response_headers={"content-type": "application/json"},
        response_body={"payment_id": "pay_1"},
        elapsed_ms=3.2,
    )
    return Finding(
        check,
        Violation("/product_cart", rule, "minItems", message),
        exchange,
        curl or "curl -sS -X POST http://127.0.0.1:1/payments --data-binary '{}'",
        "set /product_cart to []",
    )


def failed_run() -> ContractRun:
    return ContractRun(
        verdict="failed",
        violations=(
            _finding(
                "invalid_request_rejected", "empty cart got 200, expected exactly 422", rule="product_cart.minItems"
            ),
            _finding("response_schema_conformance", 'html <script>alert("x")</script> & | pipes | in it'),
        ),
        stats=STATS,
        seed=7,
        target="http://127.0.0.1:1",
        checks=CHECKS,
    )


def passed_run() -> ContractRun:
    return ContractRun(verdict="passed", stats=STATS, seed=1, target="http://127.0.0.1:1", checks=CHECKS)


def error_run() -> ContractRun:
    return ContractRun(
        verdict="error",
        errors=("no answer from http://127.0.0.1:1: connection refused",),
        target="http://127.0.0.1:1",
        seed=3,
    )


def test_json_report_has_every_field_a_consumer_needs(tmp_path: Path) -> None:
    paths = write_reports(failed_run(), tmp_path / "a" / "b")
    assert set(paths) == set(REPORT_FILES)
    data = json.loads(paths["json"].read_text())
    assert data["passed"] is False
    assert data["verdict"] == "failed"
    assert data["seed"] == 7
    assert data["stats"]["requests"] == 12
    assert data["rule_coverage"]["missing"] == ["metadata.maxProperties"]
    first = data["violations"][0]
    for key in ("index", "check", "rule", "pointer", "message", "keyword", "label", "request", "response", "curl"):
        assert key in first, key
    assert first["request"]["body"] == {"product_cart": []}
    assert first["response"]["status"] == 200
    assert data["check_outcomes"]["invalid_request_rejected"] == {"status": "failed", "cases": 6, "violations": 1}
    assert data["check_outcomes"]["auth_required"]["status"] == "passed"


def test_check_outcomes_for_error_and_unrun_checks() -> None:
    data = report_data(error_run())
    outcomes = check_outcomes(data, ["auth_required"])
    assert outcomes["auth_required"]["status"] == "error"  # could not check is never "passed"
    partial = report_data(ContractRun(verdict="passed", checks=("response_received",)))
    assert check_outcomes(partial, ["auth_required"])["auth_required"]["status"] == "not run"


def test_junit_is_valid_xml_with_one_case_per_check() -> None:
    data = report_data(failed_run())
    root = ET.fromstring(render_junit(data))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == set(CHECKS)
    assert suite.get("failures") == "2"
    assert suite.get("tests") == "4"
    failure = cases["invalid_request_rejected"].find("failure")
    assert failure is not None
    assert "curl -sS" in (failure.text or "")
    assert cases["auth_required"].find("failure") is None


def test_junit_of_a_run_that_could_not_check_has_errors_not_passes() -> None:
    root = ET.fromstring(render_junit(report_data(error_run())))
    errors = root.findall(".//error")
    assert errors
    assert "connection refused" in (errors[0].text or "")
    assert root.get("errors") == "1"


def test_junit_survives_control_characters() -> None:
    run = ContractRun(
        verdict="failed",
        violations=(_finding("response_received", "bad \x00\x07 bytes \x1b[0m"),),
        checks=("response_received",),
    )
    ET.fromstring(render_junit(report_data(run)))  # raises if the XML is not well-formed


class _Resources(HTMLParser):
    """Collect everything in an HTML page that could fetch something from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data") and value:
                self.external.append(f"{tag} {name}={value}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escapes_everything() -> None:
    page = render_html(report_data(failed_run()))
    parser = _Resources()
    parser.feed(page)
    assert parser.external == []
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "img" not in parser.tags
    assert "@import" not in page
    assert "url(" not in page
    assert "svg" in parser.tags
    assert "rect" in parser.tags
    text = "".join(parser.text)
    assert '<script>alert("x")</script>' in text  # shown as text, not markup
    assert "curl -sS -X POST" in text
    for check in CHECKS:
        assert check in text
    assert "metadata.maxProperties" in text  # rule coverage table lists the missing rule


def test_html_and_markdown_of_a_passed_run() -> None:
    data = report_data(passed_run())
    assert "PASSED" in render_html(data)
    md = render_markdown(data)
    assert md.startswith("## ✅ dodo-contract: PASSED")
    assert "| `auth_required` | passed | 1 | 0 |" in md


def test_markdown_escapes_table_cells_and_fences_reproducers() -> None:
    md = render_markdown(report_data(failed_run()))
    assert "FAILED: 2 violations in 2 checks" in md
    assert "pipes \\| in it" in md
    assert "```sh\ncurl -sS -X POST" in md
    assert "`metadata.maxProperties`" in md


def test_markdown_fence_is_longer_than_any_backticks_in_the_reproducer() -> None:
    run = ContractRun(
        verdict="failed",
        checks=("response_received",),
        violations=(_finding("response_received", "m", curl="curl ```` x"),),
    )
    assert "`````sh\ncurl ```` x\n`````" in render_markdown(report_data(run))


def test_every_format_is_redacted_even_where_the_engine_forgot(tmp_path: Path) -> None:
    leaky = Finding(
        "response_schema_conformance",
        Violation("/x", "r", "k", f"server echoed {KEY}"),
        Exchange(
            "POST",
            "http://h/payments",
            {"Authorization": f"Bearer {KEY}"},
            {KEY: KEY},
            200,
            {"x-echo": KEY},
            {"echo": f"Bearer {KEY}"},
        ),
        f"curl -H 'Authorization: Bearer {KEY}'",
        f"label {KEY}",
    )
    run = ContractRun(
        verdict="failed",
        violations=(leaky,),
        errors=(f"error {KEY}",),
        target=f"http://h/{KEY}",
        checks=("response_schema_conformance",),
    )
    paths = write_reports(run, tmp_path, secrets=[KEY])
    for path in paths.values():
        text = path.read_text()
        assert KEY not in text, path.name
        assert REDACTED in text, path.name
    assert KEY not in format_summary(report_data(run, secrets=[KEY]))


def test_reports_are_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_reports(passed_run(), tmp_path)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    calls = {"n": 0}
    real_replace = os.replace

    def interrupted_replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        write_reports(failed_run(), tmp_path)
    monkeypatch.undo()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(REPORT_FILES.values())  # no temp file left behind
    json.loads((tmp_path / REPORT_FILES["json"]).read_text())  # the first file is the new, complete one
    assert json.loads((tmp_path / REPORT_FILES["json"]).read_text())["verdict"] == "failed"
    assert (tmp_path / REPORT_FILES["junit"]).read_text() == before[REPORT_FILES["junit"]]  # the old one, intact


def test_unwritable_report_dir_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot write reports"):
        write_reports(passed_run(), blocker / "reports")


def test_load_report_round_trip_and_rejects_other_files(tmp_path: Path) -> None:
    write_reports(failed_run(), tmp_path)
    assert load_report(tmp_path)["violations"][1]["index"] == 1
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="not a dodo-contract JSON report"):
        load_report(other)
    other.write_text("{nope")
    with pytest.raises(ConfigError, match="not a JSON report"):
        load_report(other)
    with pytest.raises(ConfigError, match="cannot read report"):
        load_report(tmp_path / "missing.json")


def test_summary_fits_on_one_screen() -> None:
    many = tuple(_finding("response_received", f"violation {i}") for i in range(30))
    run = ContractRun(verdict="failed", violations=many, stats=STATS, checks=("response_received",), seed=5)
    text = format_summary(report_data(run), report_dir=Path("reports"))
    assert text.startswith("dodo-contract: FAILED: 30 violations in 1 check\n")
    assert "... and 22 more" in text
    assert len(text.splitlines()) <= 50
    assert "seed 5" in text
    assert "rule coverage 2/3 (67%)" in text


def test_summary_of_a_run_that_could_not_check() -> None:
    text = format_summary(report_data(error_run()))
    assert text.startswith("dodo-contract: COULD NOT CHECK")
    assert "connection refused" in text


# --- presentation (issue 8 §4) ------------------------------------------------------------------------------


def _html_text(page: str) -> str:
    parser = _Resources()
    parser.feed(page)
    return " ".join("".join(parser.text).split())


def test_every_format_separates_the_summary_fields() -> None:
    data = report_data(failed_run())
    fields = ["target http://127.0.0.1:1", "spec 1.113.0", "seed 7", "12 requests in 0.8 s"]
    assert "  ·  ".join(fields) in format_summary(data)
    assert "- " + " · ".join(fields) + "\n" in render_markdown(data)
    assert " · ".join(fields) in _html_text(render_html(data))
    assert "seed 7 12" not in _html_text(render_html(data))
    for text in (format_summary(data), render_markdown(data), _html_text(render_html(data))):
        assert "request(s)" not in text
        assert "statuses 200: 5 · 401: 1 · 422: 6" in " ".join(text.split())
        assert "latency p50 3 ms · p99 10 ms · max 12 ms" in " ".join(text.split())


def _answered(status: int, body: Any, headers: dict[str, str]) -> ContractRun:
    exchange = Exchange(
        "POST", "http://127.0.0.1:1/payments", {}, {"product_cart": []}, status, headers, body, elapsed_ms=1.0
    )
    finding = Finding("status_code_documented", Violation("", "status.documented", "status", "status 404"), exchange)
    return ContractRun(verdict="failed", violations=(finding,), checks=("status_code_documented",))


def test_an_empty_body_is_called_so_in_every_format() -> None:
    for headers in ({"content-length": "0"}, {}):
        data = report_data(_answered(404, None, headers))
        assert "answer: HTTP 404 (empty body)" in format_summary(data)
        assert "answer: HTTP 404 (empty body)" in format_finding(data["violations"][0])
        assert "answer: `HTTP 404 (empty body)`" in render_markdown(data)
        assert "Answer: HTTP 404 (empty body)" in _html_text(render_html(data))
        junit = ET.fromstring(render_junit(data)).find(".//failure")
        assert junit is not None
        assert "answer: HTTP 404 (empty body)" in (junit.text or "")
        for text in (format_summary(data), render_markdown(data), render_html(data), render_junit(data)):
            assert "null" not in text
    # A body that really is JSON null (4 bytes) is not empty.
    assert "answer: HTTP 200 null" in format_summary(report_data(_answered(200, None, {"Content-Length": "4"})))


def _incomplete() -> dict[str, Any]:
    """A report dict as a run cut short by its time budget gives it: verdict incomplete, two checks not run."""
    data = report_data(passed_run())
    data["verdict"] = "incomplete"
    data["passed"] = False
    data["stats"] = {**data["stats"], "stopped": "time budget"}
    data["check_outcomes"]["invalid_request_rejected"] = {"status": "not run", "cases": 0, "violations": 0}
    data["check_outcomes"]["auth_required"] = {
        "status": "not run",
        "cases": 0,
        "violations": 0,
        "reason": "deselected by -k",
    }
    return data


def test_an_incomplete_run_reads_as_incomplete_in_every_format() -> None:
    data = _incomplete()
    text = format_summary(data)
    assert text.startswith("dodo-contract: INCOMPLETE: the run stopped before it sent every planned request")
    assert "stopped early: time budget" in text
    assert "checks 2 passed  ·  2 not run" in text
    assert "PASSED" not in text
    md = render_markdown(data)
    assert md.startswith("## ⚠️ dodo-contract: INCOMPLETE")
    stopped = "not run (the check judged no case; the run stopped early: time budget)"
    assert f"| `invalid_request_rejected` | {stopped} |" in md
    assert "| `auth_required` | not run (deselected by -k) |" in md
    page = render_html(data)
    assert '<p class="v incomplete">' in page
    assert ".incomplete{" in page or ",.incomplete{" in page
    assert 'class="st-not-run">not run <small>(deselected by -k)</small>' in page
    assert "<title>dodo-contract: incomplete</title>" in page


def test_junit_marks_not_run_checks_skipped_with_the_reason_and_an_incomplete_run_as_an_error() -> None:
    root = ET.fromstring(render_junit(_incomplete()))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    skipped = cases["invalid_request_rejected"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "the check judged no case; the run stopped early: time budget"
    by_k = cases["auth_required"].find("skipped")
    assert by_k is not None
    assert by_k.get("message") == "deselected by -k"
    assert suite.get("skipped") == "2"
    run = cases["run"].find("error")  # nothing failed, yet the run gave no verdict: never green
    assert run is not None
    assert "incomplete" in (run.get("message") or "")
    assert "time budget" in (run.get("message") or "")
    assert root.get("errors") == "1"


def test_renderers_survive_a_status_and_a_verdict_they_do_not_know() -> None:
    data = report_data(passed_run())
    data["verdict"] = "something-new"
    data["check_outcomes"]["auth_required"]["status"] = "flaky"
    root = ET.fromstring(render_junit(data))
    errors = root.findall(".//testcase[@name='auth_required']/error")
    assert errors  # an unknown status is never reported as a pass
    assert "PASSED" not in format_summary(data)
    assert "COULD NOT CHECK" in format_summary(data)
    assert "✅" not in render_markdown(data)
    page = render_html(data)
    assert "flaky" in page
    assert 'fill="#2da44e"><title>auth_required' not in page  # not drawn as a green bar


def test_the_spec_version_judged_by_and_the_hint_are_in_every_format() -> None:
    source = {"file": "dodo_v1.120.json", "sha256": "ab" * 32, "date": "", "origin": "user document", "notes": ""}
    spec = {"version": "1.120.0", "latest": False, "bundled": False, "source": source}
    hint = "every violation concerns a rule that differs between 1.86.0 and 1.113.0: run with --spec-version 1.86.0"
    run = dataclasses.replace(failed_run(), spec_version="1.120.0", spec=spec, spec_hint=hint)
    data = report_data(run)
    assert json.loads(render_json(data))["spec_version"] == "1.120.0"
    assert json.loads(render_json(data))["spec"]["source"]["file"] == "dodo_v1.120.json"
    assert json.loads(render_json(data))["spec_hint"] == hint
    props = {p.get("name"): p.get("value") for p in ET.fromstring(render_junit(data)).iter("property")}
    assert props["spec_version"] == "1.120.0"
    for text in (format_summary(data), render_markdown(data), _html_text(render_html(data))):
        assert "spec 1.120.0 (from dodo_v1.120.json)" in text
        assert f"hint: {hint}" in " ".join(text.split())
    bundled = report_data(dataclasses.replace(failed_run(), spec_version="1.86.0"))
    assert bundled["spec_version"] == "1.86.0"
    assert "spec 1.86.0  ·  seed" in format_summary(bundled)
