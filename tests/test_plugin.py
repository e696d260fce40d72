"""The pytest plugin, run with pytester in empty folders against the reference mock (faithful and broken)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from _fault_server import PROXY, fault_server, free_port

from dodo_contract.checks.core import checks_for
from dodo_contract.mock.app import serve_mock

pytest_plugins = ["pytester"]

# Every run is a subprocess: an in-process pytester run drops the modules it imported first when it ends, and a
# later import makes second copies (httpx exceptions then stop matching their handlers in this process).

KEY = "sk_test_plugin_0123456789abcdef"
PAYMENTS_CHECKS = checks_for("payments")  # the items of the default operation


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY", "DODO_CONTRACT_BASE_URL", "DODO_CONTRACT_SEED"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def faithful() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=2) as server:
        yield server.url


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=2, fault="missing_client_secret") as server:
        yield server.url


def _args(url: str, pytester: pytest.Pytester, *extra: str) -> list[str]:
    return [
        f"--dodo-base-url={url}",
        f"--dodo-api-key={KEY}",
        f"--dodo-report-dir={pytester.path / 'out'}",
        "--dodo-seed=5",
        "--dodo-max-examples=8",
        "-p",
        "no:randomly",
        *extra,
    ]


USER_TESTS = """
def test_my_own_use_of_the_fixtures(dodo_client, dodo_fixtures, dodo_validator):
    product = dodo_fixtures.products[0].id
    payload = {"product_cart": [{"product_id": product, "quantity": 1}],
               "customer": {"email": "me@example.com", "name": "Me"}, "billing": {"country": "US"}}
    assert dodo_validator.request(payload).ok
    answer = dodo_client.post("/payments", json=payload)
    assert answer.status_code == 200
    assert dodo_validator.response(answer.json()).ok
"""


def test_without_base_url_the_plugin_adds_nothing(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "dodo-contract::" not in result.stdout.str()


def test_fixtures_work_without_a_target_and_the_client_skips(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_validator(dodo_validator, dodo_fixtures):
            assert not dodo_validator.request({"product_cart": []}).ok
            assert dodo_validator.error({"code": "UNAUTHORIZED", "message": "no"}).ok
            assert dodo_fixtures.products

        def test_client(dodo_client):
            raise AssertionError("not reached")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*dodo_client needs a target*"])


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, dodo_contract.frontends.plugin; "
        "heavy = [m for m in ('dodo_contract.engine.engine', 'dodo_contract.reports.report', "
        "'dodo_contract.frontends.gate', 'dodo_contract.generation.strategies', 'httpx', 'schemathesis', "
        "'starlette') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_faithful_implementation_passes_one_item_per_check(faithful: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=USER_TESTS)
    result = pytester.runpytest_subprocess(*_args(faithful, pytester, "-v"))
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=len(PAYMENTS_CHECKS) + 1)
    result.stdout.fnmatch_lines(["dodo-contract::valid_request_accepted PASSED*", "*dodo-contract: PASSED*"])
    report = json.loads((pytester.path / "out" / "dodo-contract.json").read_text())
    assert report["passed"] is True
    assert report["seed"] == 5


def test_broken_implementation_fails_with_readable_violations(broken: str, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*_args(broken, pytester))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # Every 200 breaks the schema, so max_failures stops the run before its last phase, the pricing pairs.
    result.assert_outcomes(failed=1, skipped=1, passed=len(PAYMENTS_CHECKS) - 2)
    text = result.stdout.str()
    assert "dodo-contract::response_schema_conformance" in text
    assert '"client_secret" is a required property' in text
    assert "reproduce: curl" in text
    assert "Traceback" not in text
    assert (pytester.path / "out" / "dodo-contract.junit.xml").is_file()


def test_k_selects_single_checks(broken: str, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*_args(broken, pytester, "-k", "auth_required or response_schema"))
    result.assert_outcomes(failed=1, passed=1, deselected=len(PAYMENTS_CHECKS) - 2)


def test_unreachable_target_never_passes(pytester: pytest.Pytester) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = pytester.runpytest_subprocess(*_args(url, pytester, "--dodo-timeout=1"))
    assert result.ret != 0
    outcomes = result.parseoutcomes()
    assert "passed" not in outcomes
    assert outcomes.get("errors", 0) + outcomes.get("failed", 0) == len(PAYMENTS_CHECKS)
    assert "could not check" in result.stdout.str()


def test_bad_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--dodo-base-url=http://127.0.0.1:9", "--dodo-max-examples=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--dodo-max-examples: must be an integer >= 1" in result.stderr.str()


def test_live_host_refused_without_allow_live(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--dodo-base-url=https://live.dodopayments.com", f"--dodo-api-key={KEY}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "refusing to test Dodo's live host" in result.stderr.str()


def test_ini_keys_configure_the_run(broken: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini(
        f"""
        [pytest]
        dodo_base_url = {broken}
        dodo_seed = 5
        dodo_max_examples = 8
        dodo_report_dir = ini-reports
        """
    )
    monkeypatch.setenv("DODO_API_KEY", KEY)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert (pytester.path / "ini-reports" / "dodo-contract.json").is_file()


def test_xdist_runs_the_engine_once_and_writes_one_report(broken: str, pytester: pytest.Pytester) -> None:
    with fault_server(lambda n, headers, body: PROXY, upstream=broken) as proxy:
        # One at a time, so the server sees exactly the judged requests (a concurrent run may also have a few
        # in flight when it stops, discarded): the count then proves one engine run, not one per worker.
        result = pytester.runpytest_subprocess(*_args(proxy.url, pytester, "-n", "2", "--dodo-concurrency=1"))
        sent = proxy.requests
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, skipped=1, passed=len(PAYMENTS_CHECKS) - 2)  # the pricing pairs: not reached
    report = json.loads((pytester.path / "out" / "dodo-contract.json").read_text())
    assert report["stats"]["requests"] == sent  # one engine run, not one per worker
    assert [v["check"] for v in report["violations"]] == ["response_schema_conformance"]


def test_a_check_that_judged_nothing_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    catalog = pytester.path / "catalog.json"
    catalog.write_text(json.dumps({"products": [{"id": "prod_a", "price": 1000}]}))  # no discount codes
    with serve_mock(api_key=KEY, seed=2, fixtures=catalog) as server:
        result = pytester.runpytest_subprocess(*_args(server.url, pytester, f"--dodo-fixtures={catalog}", "-rs"))
    assert result.ret == 0, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) >= 1
    result.stdout.fnmatch_lines(["*discount_applied judged no request in this run*"])


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_k_plans_and_sends_only_what_the_selected_checks_need(
    faithful: str, pytester: pytest.Pytester, xdist: list[str]
) -> None:
    with fault_server(lambda n, headers, body: PROXY, upstream=faithful) as proxy:
        result = pytester.runpytest_subprocess(*_args(proxy.url, pytester, "-k", "auth_required", *xdist))
        sent = proxy.requests
    assert result.parseoutcomes().get("passed") == 1 and result.ret == 0, result.stdout.str()
    assert sent == 6  # the five auth probes and one canonical control, not the whole run
    report = json.loads((pytester.path / "out" / "dodo-contract.json").read_text())
    assert report["checks"] == ["auth_required"]


def test_an_incomplete_run_errors_every_item_with_the_reason(
    faithful: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _fault_server import HANG

    monkeypatch.setenv("DODO_CONTRACT_TIME_BUDGET_S", "5")
    with fault_server(lambda n, headers, body: PROXY if n <= 20 else HANG, upstream=faithful) as proxy:
        result = pytester.runpytest_subprocess(*_args(proxy.url, pytester, "--dodo-concurrency=1"))
    assert result.ret != 0
    outcomes = result.parseoutcomes()
    assert "passed" not in outcomes
    assert outcomes.get("errors", 0) == len(PAYMENTS_CHECKS)
    result.stdout.fnmatch_lines(["*dodo-contract did not finish checking*", "*stopped early (time budget)*"])


# --- the spec version ----------------------------------------------------------------------------------------------


def test_an_unknown_spec_version_is_a_usage_error_naming_the_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--dodo-base-url=http://127.0.0.1:9", "--dodo-spec-version=1.2.3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "--dodo-spec-version: unknown spec version '1.2.3'; bundled: 1.86.0, 1.113.0" in err
    assert "Traceback" not in err


def test_the_ini_spec_version_judges_an_old_server_by_its_version(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DODO_API_KEY", KEY)
    with serve_mock(api_key=KEY, seed=2, spec_version="1.86.0") as server:
        pytester.makeini(f"[pytest]\ndodo_base_url = {server.url}\ndodo_spec_version = 1.86.0\n")
        result = pytester.runpytest_subprocess("--dodo-seed=5", "--dodo-max-examples=8", "-p", "no:randomly")
        assert result.ret == 0, result.stdout.str()
        result.stdout.fnmatch_lines(["*spec 1.86.0*"])
        pytester.makeini(f"[pytest]\ndodo_base_url = {server.url}\n")  # the default, 1.113.0: a hint
        result = pytester.runpytest_subprocess("--dodo-seed=5", "--dodo-max-examples=30", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*hint: every violation concerns a rule that differs*--dodo-spec-version 1.86.0*"])
    assert KEY not in result.stdout.str() + result.stderr.str()


def test_dodo_validator_judges_by_the_sessions_version(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_numeric_metadata(dodo_validator):
            payload = {"product_cart": [{"product_id": "p", "quantity": 1}], "customer": {"email": "a@example.com"},
                       "billing": {"country": "US"}, "metadata": {"n": 5}}
            assert dodo_validator.request(payload).ok is EXPECTED
        """.replace("EXPECTED", "False")
    )
    assert pytester.runpytest_subprocess("--dodo-spec-version=1.86.0", "-p", "no:randomly").ret == 0
    assert pytester.runpytest_subprocess("-p", "no:randomly").ret == 1  # the latest allows numbers
