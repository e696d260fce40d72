"""The ``validate`` command, called through ``main(argv)``."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from dodo_contract.frontends.cli import main

VALID = {
    "billing": {"country": "US"},
    "customer": {"customer_id": "cus_1"},
    "product_cart": [{"product_id": "p", "quantity": 1}],
}


def _run(
    argv: list[str], stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_valid_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(VALID))
    code, out, err = _run(["validate", "request", str(path)])
    assert (code, err) == (0, "")
    assert out == f"{path}: valid request\n"


def test_violations_exit_one_with_pointer_rule_and_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**VALID, "billing": {"country": "us"}}))
    code, out, _ = _run(["validate", "request", str(path)])
    assert code == 1
    assert "INVALID request (1 violation(s))" in out
    assert '/billing/country: "us" is not one of the 249' in out and "<billing.country.enum>" in out


def test_json_lines_and_json_output(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join([json.dumps(VALID), json.dumps({**VALID, "product_cart": []}), "{oops"]) + "\n")
    code, out, _ = _run(["validate", "request", "--json", str(path)])
    assert code == 1
    report = json.loads(out)
    assert [r["source"] for r in report] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert [r["ok"] for r in report] == [True, False, False]
    assert report[1]["violations"] == [
        {
            "pointer": "/product_cart",
            "rule": "product_cart.minItems",
            "keyword": "minItems",
            "message": "has 0 item(s); at least 1 required",
        }
    ]
    assert report[2]["violations"][0]["rule"] == "body.json"


def test_stdin_is_read_with_dash_or_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(["validate", "error"], '{"code": "NOT_FOUND", "message": "Item not found"}', monkeypatch)[0] == 0
    assert _run(["validate", "error", "-"], '{"code": 404}', monkeypatch)[0] == 1


def test_strict_and_spec_only_flags(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({**VALID, "extra": 1, "return_url": "return_url"}))
    assert _run(["validate", "request", "--spec-only", str(path)])[0] == 0
    code, out, _ = _run(["validate", "request", "--strict", "--spec-only", str(path)])
    assert code == 1 and "/extra" in out


def test_response_kind(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {
                "payment_id": "p",
                "total_amount": -1,
                "client_secret": "s",
                "metadata": {},
                "customer": {"customer_id": "c", "email": "e", "name": "n"},
            }
        )
    )
    code, out, _ = _run(["validate", "response", str(path)])
    assert code == 1 and "/total_amount: -1 is less than the minimum of 0" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "request", "/nonexistent/x.json"], "cannot read /nonexistent/x.json"),
        (["validate", "bogus"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["validate"], "the following arguments are required"),
    ],
)
def test_usage_and_io_errors_exit_two_with_a_clear_message(argv: list[str], message: str) -> None:
    code, out, err = _run(argv)
    assert code == 2
    assert message in err and "Traceback" not in err + out


def test_binary_file_is_an_io_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00")
    code, _, err = _run(["validate", "request", str(path)])
    assert code == 2 and "not UTF-8" in err


def test_selftest_command_prints_the_matrix_and_exits_on_the_score() -> None:
    code, out, err = _run(
        ["selftest", "--fault", "missing_client_secret", "--fault", "auth_ignored", "--max-examples", "5"]
    )
    assert (code, err) == (0, "")
    assert "missing_client_secret" in out and "auth_ignored" in out and "faithful" in out
    assert "2/2 faults caught" in out
    code, _, err = _run(["selftest", "--fault", "no_such_fault"])
    assert code == 2 and "no_such_fault" in err


def test_a_malformed_pretty_printed_document_is_one_violation_not_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(VALID, indent=2).replace('"US"', '"US",'))  # trailing comma
    code, out, _ = _run(["validate", "request", "--json", str(path)])
    assert code == 1
    (only,) = json.loads(out)
    assert only["source"] == str(path)
    assert [v["rule"] for v in only["violations"]] == ["body.json"]


def _options() -> list[tuple[str, argparse.Action]]:
    """Return (command, action) for every argument of every subcommand, ``-h`` excepted."""
    from dodo_contract.frontends.cli import _build_parser

    parser = _build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [
        (name, action)
        for name, command in sub.choices.items()
        for action in command._actions
        if not isinstance(action, argparse._HelpAction)
    ]


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, action in _options()
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_every_option_that_takes_a_value_says_its_default() -> None:
    silent = [
        f"{name} {action.option_strings}"
        for name, action in _options()
        if action.option_strings and action.nargs != 0 and "default" not in str(action.help)
    ]
    assert silent == []


def test_gate_help_names_the_environment_variable_of_each_option() -> None:
    from dodo_contract.frontends.config import API_KEY_ENV, OPTION_NAMES, env_name

    gate = [action for name, action in _options() if name == "gate" and action.option_strings]
    assert {a.dest for a in gate} <= set(OPTION_NAMES)
    for action in gate:
        wanted = API_KEY_ENV[0] if action.dest == "api_key" else env_name(action.dest)
        assert wanted in str(action.help), action.dest


def test_gate_help_states_the_defaults_the_code_uses(tmp_path: Path) -> None:
    import inspect

    from dodo_contract.engine.engine import check_implementation
    from dodo_contract.frontends.config import resolve_config

    defaults = resolve_config({}, env={}, cwd=tmp_path)
    helps = {a.dest: str(a.help) for name, a in _options() if name == "gate"}
    assert f"default: {defaults.timeout:g}" in helps["timeout"]
    assert f"default: {defaults.report_dir.name}/" in helps["report_dir"]
    assert (
        f"default: {inspect.signature(check_implementation).parameters['max_examples'].default}"
        in helps["max_examples"]
    )


def test_gate_help_through_main() -> None:
    code, out, _ = _run(["gate", "--help"])
    assert code == 0
    for flag in ("--base-url", "--api-key", "--fixtures", "--seed"):
        line = next(line for line in out.splitlines() if line.strip().startswith(flag))
        assert len(line.split(maxsplit=2)) == 3, line  # the flag, its metavar, then help text
