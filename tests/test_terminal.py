"""The gate's terminal output: when it is coloured, the progress bar's protocol, the summary's whole reproducers."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from dodo_contract.reports import _terminal
from dodo_contract.reports._terminal import exit_line, output_mode, print_summary, progress_bar

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KEY = "sk_test_terminal_SECRET_77"
CURL = (
    "curl -sS -i -X POST http://127.0.0.1:1/payments -H 'Content-Type: application/json' "
    """-H "Authorization: Bearer $DODO_API_KEY" --data-binary '{"product_cart":[{"product_id":"prod_basic","""
    """"quantity":1}],"customer":{"email":"canonical@example.com","name":"Ada"},"billing":{"country":"US"}}'"""
)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "50")


def _data(**extra: object) -> dict[str, object]:
    finding = {
        "index": 0,
        "check": "response_schema_conformance",
        "rule": "response.client_secret.required",
        "pointer": "",
        "message": f'"client_secret" is a required property [not markup] :smile: {KEY}',
        "label": "product:prod_basic",
        "response": {"status": 200, "headers": {}, "body": {"payment_id": "pay_" + "x" * 400}},
        "curl": CURL,
    }
    return {
        "verdict": "failed",
        "target": "http://127.0.0.1:1",
        "seed": 1,
        "violations": [finding],
        "stats": {"requests": 3, "duration_s": 0.5},
        **extra,
    }


@pytest.mark.parametrize(
    ("env", "tty", "mode"),
    [
        ({}, True, "rich"),
        ({}, False, "plain"),
        ({"NO_COLOR": "1"}, True, "plain-tty"),
        ({"NO_COLOR": ""}, True, "rich"),  # an empty NO_COLOR does not count (no-color.org)
        ({"TERM": "dumb"}, True, "plain-tty"),
        ({"FORCE_COLOR": "1"}, False, "rich"),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, "plain-tty"),
        ({"TTY_COMPATIBLE": "0"}, True, "plain"),
    ],
)
def test_output_mode_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, mode: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert output_mode(_Tty() if tty else io.StringIO()) == mode


def test_no_progress_bar_when_not_a_terminal() -> None:
    assert progress_bar(io.StringIO()) is None


def test_plain_bar_shows_the_live_violation_count_without_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = _Tty()
    bar = progress_bar(out)
    assert bar is not None
    bar(0, 10, "auth")  # the engine's three-argument call
    bar(10, 10, "invalid", 3)  # the optional fourth: findings so far
    bar.close()
    text = out.getvalue()
    assert "\x1b" not in text
    assert "\r[------------------------------] 0/10 requests  ·  auth" in text
    assert "\r[##############################] 10/10 requests  ·  invalid  ·  3 violations" in text
    assert text.endswith("\r")  # the line is blanked, the summary starts at column 0


def test_rich_bar_shows_phase_counts_and_the_live_violation_count() -> None:
    out = _Tty()
    bar = progress_bar(out)
    assert bar is not None
    bar(1, 4, "canonical")
    bar(4, 4, "valid", 1)
    bar.close()
    bar.close()  # closing twice (an interrupt, then the finally) is harmless
    text = _ANSI.sub("", out.getvalue())
    assert "canonical" in text
    assert "4/4 requests" in text
    assert "1 violation" in text


def test_summary_on_a_colour_terminal_keeps_the_reproducer_on_one_line() -> None:
    out = _Tty()
    print_summary(_data(), out, secrets=[KEY])
    raw = out.getvalue()
    assert "\x1b[" in raw
    text = _ANSI.sub("", raw)
    assert f"    reproduce: {CURL}\n" in text  # 50 columns wide, and still one unbroken line
    assert "[not markup] :smile:" in text  # printed as it is: rich markup and emoji codes are not interpreted
    assert KEY not in raw


def test_plain_summary_has_no_escape_codes_and_the_same_words(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = io.StringIO()
    print_summary(_data(), plain, secrets=[KEY])
    coloured = _Tty()
    print_summary(_data(), coloured, secrets=[KEY])
    assert "\x1b" not in plain.getvalue()
    assert _ANSI.sub("", coloured.getvalue()) == plain.getvalue()
    assert KEY not in plain.getvalue()


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (
            {"verdict": "error", "errors": ["could not check: fixtures file x.json: products must be a list"]},
            "dodo-contract gate: could not check: fixtures file x.json: products must be a list; failing closed",
        ),
        (
            {"verdict": "error", "errors": ["no answer from http://127.0.0.1:9: connection refused"]},
            "dodo-contract gate: could not check: no answer from http://127.0.0.1:9: connection refused; "
            "failing closed",
        ),
        ({"verdict": "error"}, "dodo-contract gate: could not check: the run gave no verdict and recorded no reason"),
        (
            {"verdict": "incomplete", "stats": {"stopped": "time budget"}},
            "dodo-contract gate: incomplete run (stopped early: time budget); failing closed",
        ),
    ],
)
def test_exit_line_says_could_not_check_once(data: dict[str, object], line: str) -> None:
    assert exit_line(data).startswith(line)
    assert exit_line(data).count("could not check") <= 1


def test_importing_the_gate_does_not_import_rich() -> None:
    code = "import sys, dodo_contract.frontends.gate, dodo_contract.reports.report; print('rich' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "False"
    assert _terminal.__doc__ and "NO_COLOR" in _terminal.__doc__
