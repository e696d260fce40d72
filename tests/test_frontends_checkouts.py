"""The operation option through every front end: config layers, the gate CLI (``main(argv)``) and the plugin.

The target is the independent implementation (``tests/independent_checkouts.py``), faithful and broken, served
on loopback for the module.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dodo_contract.checks.core import checks_for
from dodo_contract.errors import ConfigError
from dodo_contract.frontends.cli import main
from dodo_contract.frontends.config import resolve_config
from tests._asgi_server import served
from tests.test_engine_checkouts import CATALOG, KEY, create_app

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY", "DODO_CONTRACT_BASE_URL", "DODO_CONTRACT_OPERATION"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def faithful() -> Iterator[str]:
    with served(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with served(create_app(breaks=["payment_id_before_payment"])) as url:
        yield url


@pytest.fixture(scope="module")
def shapeless() -> Iterator[str]:
    # Every create answer breaks the schema: max_failures stops the run within its first phases (a short run).
    with served(create_app(breaks=["session_id_renamed"])) as url:
        yield url


def test_the_operation_is_resolved_flag_env_ini_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dodo-contract]\noperation = "checkouts"\n')
    assert resolve_config(cwd=tmp_path, env={}).operation == "checkouts"
    assert resolve_config(ini={"operation": "all"}, cwd=tmp_path, env={}).operation == "all"
    env = {"DODO_CONTRACT_OPERATION": "payments"}
    assert resolve_config(ini={"operation": "all"}, cwd=tmp_path, env=env).operation == "payments"
    assert resolve_config({"operation": "all"}, cwd=tmp_path, env=env).families == ("payments", "checkouts")
    with pytest.raises(ConfigError, match=r"--operation: unknown operation 'refunds'"):
        resolve_config({"operation": "refunds"}, cwd=tmp_path, env={})


def _gate(url: str, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    argv = ["gate", "--base-url", url, "--api-key", KEY, "--report-dir", str(tmp_path / "out"), "--seed", "3",
            "--max-examples", "5", "--fixtures", str(tmp_path / "catalog.json"), *extra]  # fmt: skip
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_gate_cli_judges_checkout_sessions(faithful: str, shapeless: str, tmp_path: Path) -> None:
    code, out, err = _gate(faithful, tmp_path, "--operation", "checkouts")
    assert code == 0, out + err
    assert "operation checkouts" in out
    report = json.loads((tmp_path / "out" / "dodo-contract.json").read_text())
    assert report["operation"] == "checkouts" and report["verdict"] == "passed"
    junit = (tmp_path / "out" / "dodo-contract.junit.xml").read_text()
    assert 'name="operation" value="checkouts"' in junit and 'name="session_round_trip"' in junit
    code, out, err = _gate(shapeless, tmp_path, "--operation", "checkouts")
    assert code == 1
    assert "session.session_id.required" in out
    assert "/checkouts" in (tmp_path / "out" / "dodo-contract.md").read_text()
    # replay re-sends a finding to the operation it was found on (POST /payments would answer 404: no violation)
    replayed, replay_err = io.StringIO(), io.StringIO()
    code = main(["replay", str(tmp_path / "out"), "--case", "0", "--api-key", KEY], stdout=replayed, stderr=replay_err)
    assert code == 1, replayed.getvalue() + replay_err.getvalue()
    assert "STILL VIOLATES (HTTP 200)" in replayed.getvalue()
    for text in (out, err, *(p.read_text() for p in (tmp_path / "out").iterdir())):
        assert KEY not in text
    code, _out, err = _gate(faithful, tmp_path, "--operation", "refunds")
    assert code == 2 and "unknown operation" in err


def _plugin_args(url: str, pytester: pytest.Pytester, *extra: str) -> list[str]:
    return [f"--dodo-base-url={url}", f"--dodo-api-key={KEY}", f"--dodo-report-dir={pytester.path / 'out'}",
            "--dodo-seed=5", "--dodo-max-examples=5", "-p", "no:randomly", *extra]  # fmt: skip


def test_the_plugin_names_one_item_per_check_of_the_operation(faithful: str, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*_plugin_args(faithful, pytester, "--dodo-operation=checkouts", "-v"))
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=len(checks_for("checkouts")))
    result.stdout.fnmatch_lines(["dodo-contract::session_round_trip PASSED*", "*dodo-contract: PASSED*"])
    assert KEY not in result.stdout.str()


def test_the_plugin_names_items_per_operation_for_all(broken: str, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndodo_operation = all\n")
    result = pytester.runpytest_subprocess(*_plugin_args(broken, pytester, "-v", "-k", "auth_required or round_trip"))
    text = result.stdout.str()
    # The broken server serves no POST /payments: the payments run cannot check anything (every item errors).
    assert "dodo-contract::checkouts::session_round_trip FAILED" in text
    assert "dodo-contract::payments::auth_required ERROR" in text  # its own family's run could not check
    assert "dodo-contract::checkouts::auth_required PASSED" in text
    assert result.ret != 0 and KEY not in text
