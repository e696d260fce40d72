"""The verdict (``engine/_verdict.py``): never pass what was not checked; say one thing when nothing could be."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dodo_contract.engine import _verdict
from dodo_contract.engine.engine import check_implementation
from dodo_contract.frontends.cli import main
from dodo_contract.mock.app import create_app, serve_mock
from dodo_contract.reports.report import REPORT_FILES, check_outcomes, report_data, write_reports

KEY = "sk_test_verdict_0123456789abcdef"
Send = Callable[[Any], Awaitable[None]]


def hang_after(n: int, inner: Any) -> Any:
    """An app that answers like ``inner`` for ``n`` requests, then never again (until the run gives up)."""
    count = {"n": 0}

    async def app(scope: Any, receive: Any, send: Send) -> None:
        count["n"] += 1
        if count["n"] > n:
            await asyncio.Event().wait()
        await inner(scope, receive, send)

    return app


def test_a_run_cut_short_by_the_time_budget_is_incomplete_not_passed(tmp_path: Path) -> None:
    app = hang_after(30, create_app(api_key=KEY, seed=1))
    run = check_implementation(app=app, api_key=KEY, seed=1, max_examples=20, time_budget_s=5, concurrency=1)
    assert run.verdict == "incomplete"
    assert run.violations == ()  # the request cut by the run's own deadline is not "no answer within 0.0 s"
    assert run.stats["stopped"] == "time budget"
    assert run.stats["requests"] == 30
    assert "stopped early (time budget)" in run.errors[0]
    assert "30 of" in run.errors[0]
    write_reports(run, tmp_path, secrets=[KEY])
    data = json.loads((tmp_path / REPORT_FILES["json"]).read_text())
    assert data["verdict"] == "incomplete" and data["passed"] is False
    for name in REPORT_FILES.values():  # the reason is in every report
        assert "stopped early (time budget)" in (tmp_path / name).read_text(), name
    assert {o["status"] for o in check_outcomes(data).values()} <= {"error", "not run"}


def test_a_run_cut_short_with_violations_is_failed() -> None:
    app = hang_after(30, create_app(api_key=KEY, seed=1, fault="missing_client_secret"))
    run = check_implementation(app=app, api_key=KEY, seed=1, max_examples=20, time_budget_s=5, concurrency=1)
    assert run.verdict == "failed"
    assert {f.check for f in run.violations} == {"response_schema_conformance"}
    assert any("stopped early" in e for e in run.errors)


def test_the_gate_exits_2_on_an_incomplete_run_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.dodo-contract]\ntime-budget-s = 5\n")
    from _fault_server import HANG, PROXY, fault_server

    with (
        serve_mock(api_key=KEY, seed=1) as mock,
        fault_server(lambda n, h, b: PROXY if n <= 20 else HANG, upstream=mock.url) as server,
    ):
        out, err = io.StringIO(), io.StringIO()
        code = main(["gate", "--base-url", server.url, "--api-key", KEY, "--concurrency", "1"], stdout=out, stderr=err)
    assert code == 2
    assert "INCOMPLETE" in out.getvalue()
    assert "stopped early (time budget)" in out.getvalue()
    assert "incomplete run (stopped early: time budget); failing closed" in err.getvalue()


def test_a_check_that_judged_nothing_is_not_run(tmp_path: Path) -> None:
    fixtures = {"products": [{"id": "prod_a", "price": 1000}]}  # no discount codes: discount_applied sees nothing
    app = create_app(api_key=KEY, fixtures=fixtures, seed=1)
    run = check_implementation(app=app, api_key=KEY, fixtures=fixtures, seed=1, max_examples=5)
    assert run.verdict == "passed"
    assert run.stats["cases_per_check"]["discount_applied"] == 0
    outcomes = check_outcomes(report_data(run))
    assert outcomes["discount_applied"]["status"] == "not run"
    assert outcomes["no_server_error"]["status"] == "passed"
    write_reports(run, tmp_path)
    junit = (tmp_path / REPORT_FILES["junit"]).read_text()
    assert 'name="discount_applied"' in junit and "skipped" in junit


def test_a_refused_key_is_one_error_and_nothing_else() -> None:
    run = check_implementation(app=create_app(api_key=KEY), api_key="sk_test_not_the_right_key_0", seed=1)
    assert run.verdict == "error"
    assert run.violations == ()
    assert len(run.errors) == 1
    assert run.errors[0].startswith("the API key was refused by in-process app")
    assert "test-mode" not in run.errors[0]  # the hint is for Dodo's own hosts only
    assert run.stats["requests"] < 30  # stopped after the canonical phase


def test_the_test_mode_hint_is_for_dodos_hosts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_mock(api_key=KEY) as server:
        local = check_implementation(server.url, api_key="sk_test_not_the_right_key_0", seed=1, max_examples=2)
        monkeypatch.setattr(_verdict, "is_dodo_host", lambda url: True)  # as if it were test.dodopayments.com
        dodo = check_implementation(server.url, api_key="sk_test_not_the_right_key_0", seed=1, max_examples=2)
    assert "Test-mode keys" not in local.errors[0]
    assert "Test-mode keys work only on https://test.dodopayments.com" in dodo.errors[0]


def test_a_wrong_base_path_is_could_not_check_with_a_hint(tmp_path: Path) -> None:
    with serve_mock(api_key=KEY) as server:
        url = server.url + "/v1"  # the mock serves /payments, not /v1/payments: every answer is 404
        run = check_implementation(url, api_key=KEY, seed=1, max_examples=5)
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["gate", "--base-url", url, "--api-key", KEY, "--report-dir", str(tmp_path)], stdout=out, stderr=err
        )
    assert run.verdict == "error"
    assert run.violations == ()
    assert run.errors == (run.errors[0],)
    assert "got 404: check the base URL" in run.errors[0]
    assert code == 2
    assert "check the base URL" in err.getvalue()


def test_a_server_refusing_every_multi_line_cart_fails_the_success_floor() -> None:
    app = create_app(api_key=KEY, seed=1, fault="refuse_multi_line_carts")
    run = check_implementation(app=app, api_key=KEY, seed=1)
    rules = {f.rule: f for f in run.violations}
    assert run.verdict == "failed"
    assert "valid.class_never_succeeds" in rules
    finding = rules["valid.class_never_succeeds"]
    assert finding.check == "valid_request_accepted"
    assert "carts of two or more lines" in finding.message
    assert finding.exchange is not None and len(finding.exchange.request_body["product_cart"]) >= 2
    assert finding.curl.startswith("curl ")


def test_a_server_refusing_every_request_with_a_business_code_fails() -> None:
    async def refuse(scope: Any, receive: Any, send: Send) -> None:
        body = b'{"code":"NO_ELIGIBLE_PAYMENT_METHODS","message":"No eligible payment methods found"}'
        auth = dict(scope["headers"]).get(b"authorization", b"")
        status = 422 if auth == f"Bearer {KEY}".encode() else 401
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": body})

    run = check_implementation(app=refuse, api_key=KEY, seed=1, max_examples=10)
    assert run.verdict == "failed"
    assert "valid.success_ratio" in {f.rule for f in run.violations}


def test_after_an_interrupt_no_coverage_line_is_added() -> None:
    sent: list[bytes] = []

    def interrupt(kind: str, body: bytes) -> None:
        sent.append(body)
        if len(sent) == 20:
            raise KeyboardInterrupt

    run = check_implementation(app=create_app(api_key=KEY), api_key=KEY, seed=1, on_request=interrupt, concurrency=1)
    assert run.interrupted and run.verdict == "error"
    assert not any("rule coverage" in e for e in run.errors)
    assert run.stats["rule_coverage"]["missing"]  # coverage was incomplete: the interrupt says it all
