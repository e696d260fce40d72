"""Near-miss keys in the auth probe: each must get 401, and none is ever shown, even by a server that echoes it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from _fault_server import fault_server
from test_secrets import _echoing

from dodo_contract.engine._transport import curl_command, near_miss_placeholder
from dodo_contract.engine.engine import check_implementation
from dodo_contract.errors import NEAR_MISS_LABELS, REDACTED, near_miss_keys, redact
from dodo_contract.frontends.cli import main
from dodo_contract.mock.app import create_app, serve_mock

KEY = "sk_test_NEARMISS_5d9e1a7b3c"


def test_the_near_misses_differ_from_the_key_as_described() -> None:
    near = near_miss_keys(KEY)
    assert set(near) == set(NEAR_MISS_LABELS)
    assert near["near_last"][:-1] == KEY[:-1] and near["near_last"][-1].casefold() != KEY[-1].casefold()
    assert KEY.startswith(near["near_prefix"]) and len(near["near_prefix"]) < len(KEY)
    assert near["near_case"] == KEY.swapcase() != KEY
    assert "near_case" not in near_miss_keys("12345678-90123456")  # no letters: flipping the case changes nothing
    assert near_miss_keys("abcdefg0")["near_last"] == "abcdefg1"


@pytest.mark.parametrize("key", [KEY, "abcdefgh", "Ab3-xY9_Q2"])
def test_every_near_miss_is_redacted_like_the_key(key: str) -> None:
    for mode, near in near_miss_keys(key).items():
        assert near not in redact(f"you sent {near}!", [key]), mode
        assert REDACTED in redact(f"you sent {near}!", [key])


def test_the_reproducer_describes_a_near_miss_key_and_never_holds_it() -> None:
    for mode, label in NEAR_MISS_LABELS.items():
        curl = curl_command("https://example.com/payments", b"{}", auth=mode)  # type: ignore[arg-type]
        assert near_miss_placeholder(mode) in curl and label in curl and KEY[:8] not in curl


@pytest.mark.parametrize(
    ("fault", "rule"),
    [("auth_prefix_only", "auth.near_miss.last_character"), ("auth_case_insensitive", "auth.near_miss.case")],
)
def test_a_sloppy_key_comparison_is_caught(fault: str, rule: str) -> None:
    run = check_implementation(app=create_app(api_key=KEY, fault=fault), api_key=KEY, seed=1, checks=["auth_required"])
    assert run.verdict == "failed"
    finding = next(f for f in run.violations if f.rule == rule)
    assert finding.label.startswith("the API key") and "near_" not in finding.label
    text = json.dumps(run.to_dict())
    assert all(near not in text for near in near_miss_keys(KEY).values())
    assert f"Bearer {near_miss_placeholder('near_last' if 'last' in rule else 'near_case')}" in text


def test_a_faithful_server_refuses_every_near_miss() -> None:
    run = check_implementation(app=create_app(api_key=KEY), api_key=KEY, seed=1, checks=["auth_required"])
    assert run.verdict == "passed" and run.stats["cases_per_check"]["auth_required"] == 5


def test_a_server_that_accepts_and_echoes_a_near_miss_never_gets_it_shown(tmp_path: Path) -> None:
    with serve_mock(api_key=KEY, fault="auth_prefix_only") as mock, fault_server(_echoing(mock.url)) as echo:
        out, err = io.StringIO(), io.StringIO()
        argv = ["gate", "--base-url", echo.url, "--api-key", KEY, "--report-dir", str(tmp_path), "--seed", "2"]
        code = main([*argv, "--max-examples", "5"], stdout=out, stderr=err)
        r_out, r_err = io.StringIO(), io.StringIO()
        replay = main(["replay", str(tmp_path), "--api-key", KEY], stdout=r_out, stderr=r_err)
    assert code == 1 and replay == 1, (out.getvalue(), r_out.getvalue(), r_err.getvalue())
    report = (tmp_path / "dodo-contract.json").read_text()
    assert "auth.near_miss.last_character" in report
    texts = {"out": out.getvalue(), "err": err.getvalue(), "replay": r_out.getvalue() + r_err.getvalue()}
    texts.update({str(p): p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()})
    for name, text in texts.items():
        for near in (KEY, *near_miss_keys(KEY).values()):
            assert near not in text and near.casefold() not in text.casefold(), name
