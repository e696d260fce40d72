"""``selftest --operation checkouts``: the checkouts_* faults of the mock, judged on the three operations."""

from __future__ import annotations

import io

from dodo_contract.frontends.cli import main


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(argv, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_the_checkouts_matrix_catches_its_faults_and_the_faithful_mock_is_clean() -> None:
    faults = ["--fault", "checkouts_preview_hidden_fee"]  # the whole matrix: dodo-contract selftest --operation ...
    code, out, err = _run(
        ["selftest", "--operation", "checkouts", *faults, "--spec-version", "1.113.0", "--max-examples", "5"]
    )
    assert (code, err) == (0, "")
    assert "spec 1.113.0, operation checkouts" in out
    assert "checkouts_preview_hidden_fee" in out and "preview_arithmetic" in out
    assert "1/1 faults caught; faithful mock passed clean" in out


def test_a_fault_of_the_other_family_means_nothing_to_the_checkouts_matrix() -> None:
    code, _out, err = _run(["selftest", "--operation", "checkouts", "--fault", "missing_client_secret"])
    assert code == 2 and "mean nothing" in err
    code, _out, err = _run(["selftest", "--operation", "refunds"])
    assert code == 2 and "unknown operation" in err
