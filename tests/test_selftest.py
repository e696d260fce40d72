"""The self-test: the faithful mock passes clean and every fault is caught by a check it names."""

from __future__ import annotations

import io

import pytest

from dodo_contract import ConfigError
from dodo_contract.contract.versions import BUNDLED
from dodo_contract.frontends.cli import main
from dodo_contract.frontends.selftest import FAITHFUL, FAITHFUL_TAXED, SelftestRow, selftest
from dodo_contract.mock.faults import FAULTS


@pytest.mark.parametrize("version", BUNDLED)
def test_every_fault_is_caught_and_the_faithful_mock_passes(version: str) -> None:
    result = selftest(seed=0, max_examples=30, spec_version=version)
    matrix = result.matrix()
    print(matrix)  # shown with -s: the mutation matrix
    meant = [name for name, fault in FAULTS.items() if fault.applies_to(version)]
    assert [r.fault for r in result.rows] == [FAITHFUL, FAITHFUL_TAXED, *meant]
    assert {r.spec_version for r in result.rows} == {version}
    failed = [r for r in result.rows if not r.ok]
    assert not failed, "\n" + matrix
    assert result.passed
    assert result.score == 1.0
    for name in meant:
        assert name in matrix


def test_the_new_rules_have_faults_only_where_the_version_has_the_rules() -> None:
    new_rules = {"accept_21_discount_codes", "accept_discount_code_with_codes", "ignore_require_phone_number",
                 "refuse_numeric_metadata", "refuse_satispay", "discount_id_not_first"}  # fmt: skip
    assert new_rules <= {name for name, fault in FAULTS.items() if fault.applies_to("1.113.0")}
    assert not new_rules & {name for name, fault in FAULTS.items() if fault.applies_to("1.86.0")}


def test_by_default_every_bundled_version_gets_a_matrix() -> None:
    result = selftest(faults=["missing_client_secret", "accept_21_discount_codes"], max_examples=5)
    assert result.spec_versions == BUNDLED
    rows = [(r.spec_version, r.fault) for r in result.rows]
    assert rows == [
        ("1.86.0", FAITHFUL),
        ("1.86.0", FAITHFUL_TAXED),
        ("1.86.0", "missing_client_secret"),
        ("1.113.0", FAITHFUL),
        ("1.113.0", FAITHFUL_TAXED),
        ("1.113.0", "missing_client_secret"),
        ("1.113.0", "accept_21_discount_codes"),
    ]
    matrix = result.matrix()
    assert matrix.index("spec 1.86.0") < matrix.index("spec 1.113.0")
    assert matrix.count("mutation score:") == 2
    assert result.passed, matrix


def test_a_fault_that_means_nothing_in_the_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"mean nothing in spec version 1\.86\.0"):
        selftest(faults=["accept_21_discount_codes"], spec_version="1.86.0")


def test_rows_judge_what_was_caught() -> None:
    row = SelftestRow("status_201", "", ("status_code_documented",), "failed", ("valid_request_accepted",), (), 1, 0.1)
    assert not row.ok  # caught, but not by a check the fault names
    assert SelftestRow(FAITHFUL, "", (), "passed", (), (), 1, 0.1).ok
    assert not SelftestRow(FAITHFUL, "", (), "error", (), (), 1, 0.1).ok


def test_unknown_fault_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown fault"):
        selftest(faults=["no_such_fault"])


def test_the_selftest_command_takes_a_spec_version() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["selftest", "--spec-version", "1.86.0", "--fault", "metadata_not_echoed", "--max-examples", "5"]
    assert main(argv, stdout=out, stderr=err) == 0, out.getvalue() + err.getvalue()
    assert "spec 1.86.0" in out.getvalue()
    assert "spec 1.113.0" not in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["selftest", "--spec-version", "0.9"], stdout=out, stderr=err) == 2
    assert "unknown spec version '0.9'; bundled: 1.86.0, 1.113.0" in err.getvalue()
    assert "Traceback" not in err.getvalue()
