"""The self-test: the faithful mock passes clean and every fault is caught by a check it names."""

from __future__ import annotations

import pytest

from dodo_contract import ConfigError
from dodo_contract.frontends.selftest import FAITHFUL, FAITHFUL_TAXED, SelftestRow, selftest
from dodo_contract.mock.faults import FAULTS


def test_every_fault_is_caught_and_the_faithful_mock_passes() -> None:
    result = selftest(seed=0, max_examples=30)
    matrix = result.matrix()
    print(matrix)  # shown with -s: the mutation matrix
    assert [r.fault for r in result.rows] == [FAITHFUL, FAITHFUL_TAXED, *FAULTS]
    failed = [r for r in result.rows if not r.ok]
    assert not failed, "\n" + matrix
    assert result.passed
    assert result.score == 1.0
    for name in FAULTS:
        assert name in matrix


def test_rows_judge_what_was_caught() -> None:
    row = SelftestRow("status_201", "", ("status_code_documented",), "failed", ("valid_request_accepted",), (), 1, 0.1)
    assert not row.ok  # caught, but not by a check the fault names
    assert SelftestRow(FAITHFUL, "", (), "passed", (), (), 1, 0.1).ok
    assert not SelftestRow(FAITHFUL, "", (), "error", (), (), 1, 0.1).ok


def test_unknown_fault_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown fault"):
        selftest(faults=["no_such_fault"])
