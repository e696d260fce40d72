"""The gate and replay commands, driven through ``dodo_contract.frontends.cli.main`` against the reference mock."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fault_server import PROXY, Reply, fault_server

from dodo_contract.engine.outcome import ContractRun
from dodo_contract.frontends import gate
from dodo_contract.frontends.cli import main
from dodo_contract.frontends.config import resolve_config
from dodo_contract.mock.app import serve_mock

KEY = "sk_test_gate_0123456789abcdef"
FAST = ["--max-examples", "8", "--seed", "11"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    for name in (
        "BASE_URL",
        "FIXTURES",
        "MAX_EXAMPLES",
        "SEED",
        "REPORT_DIR",
        "TIMEOUT",
        "RATE_LIMIT",
        "ALLOW_LIVE",
        "SCHEMATHESIS",
    ):
        monkeypatch.delenv(f"DODO_CONTRACT_{name}", raising=False)
    # The terminal's own settings must not decide what a test sees: a plain colour terminal unless a test says so.
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    monkeypatch.chdir(tmp_path)


def _run(argv: list[str], *, tty: bool = False) -> tuple[int, str, str]:
    out: io.StringIO = _Tty() if tty else io.StringIO()
    err = io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _summary_part(out: str) -> str:
    """Return what is left on screen after the run: the summary, without escape codes or progress frames."""
    text = _ANSI.sub("", out)
    return text[text.index("dodo-contract: ") :]


@pytest.fixture(scope="module")
def faithful() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=1) as server:
        yield server.url


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=1, fault="missing_client_secret") as server:
        yield server.url


@pytest.fixture(scope="module")
def broken_report(broken: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("broken")
    code = main(
        ["gate", "--base-url", broken, "--api-key", KEY, "--report-dir", str(folder), *FAST],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code == 1
    return folder / "dodo-contract.json"


def test_gate_without_arguments_gates_the_embedded_mock_and_writes_reports_under_cwd(tmp_path: Path) -> None:
    code, out, err = _run(["gate"])
    assert code == 0, out + err
    assert "gating the embedded reference mock" in out
    assert "PASSED" in out
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["dodo-contract.html", "dodo-contract.json", "dodo-contract.junit.xml", "dodo-contract.md"]
    data = json.loads((tmp_path / "reports" / "dodo-contract.json").read_text())
    assert data["passed"] is True
    assert data["target"].startswith("embedded reference mock at http://127.0.0.1:")
    assert isinstance(data["seed"], int)  # a random seed is still recorded, so the run can be repeated


def test_faithful_target_exits_0(faithful: str, tmp_path: Path) -> None:
    code, out, err = _run(["gate", "--base-url", faithful, "--api-key", KEY, "--report-dir", "r", *FAST])
    assert code == 0, out + err
    assert (tmp_path / "r" / "dodo-contract.junit.xml").is_file()


def test_broken_target_exits_1_with_violations_and_reproducer(broken: str) -> None:
    code, out, err = _run(["gate", "--base-url", broken, "--api-key", KEY, *FAST])
    assert code == 1, out + err
    assert "FAILED" in out
    assert "[response_schema_conformance]" in out
    assert '"client_secret" is a required property' in out
    assert "reproduce: curl" in out
    assert err == ""


def test_api_key_from_env(broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DODO_PAYMENTS_API_KEY", KEY)
    code, _, _ = _run(["gate", "--base-url", broken, *FAST])
    assert code == 1


def test_wrong_key_means_every_answer_401_and_fails_closed(faithful: str) -> None:
    code, out, err = _run(["gate", "--base-url", faithful, "--api-key", "sk_test_not_the_right_key", *FAST])
    assert code == 2
    assert "COULD NOT CHECK" in out
    assert "401" in err
    assert "failing closed" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-examples", "0"], "--max-examples: must be an integer >= 1"),
        (["--base-url", "ftp://x"], "--base-url: must be an absolute http(s) URL"),
        (["--base-url", "http://127.0.0.1:9"], "no API key"),
        (["--fixtures", "nope.json"], "fixtures file"),
        (["--base-url", "https://live.dodopayments.com", "--api-key", KEY], "refusing to test Dodo's live host"),
        (["--timeout", "soon"], "argument --timeout: invalid float value"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(argv: list[str], message: str, tmp_path: Path) -> None:
    code, out, err = _run(["gate", *argv])
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "reports").exists()  # nothing was run, nothing claims to be a result


def test_bad_fixtures_content_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text('{"products": "nope"}')
    code, out, err = _run(["gate", "--fixtures", "catalog.json", *FAST])
    assert code == 2
    assert "products" in out + err
    assert "Traceback" not in out + err


def test_progress_bar_only_on_a_terminal(faithful: str) -> None:
    argv = ["gate", "--base-url", faithful, "--api-key", KEY, *FAST]
    _, plain, _ = _run(argv)
    _, tty, _ = _run(argv, tty=True)
    assert "\r" not in plain
    before_summary = _ANSI.sub("", tty).split("dodo-contract: PASSED")[0]
    assert re.search(r"\d+/\d+ requests", before_summary)  # the bar was drawn before the summary
    assert "\x1b[" in tty


def test_an_internal_error_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    import dodo_contract.engine.engine

    def boom(*args: object, **kwargs: object) -> ContractRun:
        raise RuntimeError(f"bug while using {KEY}")

    monkeypatch.setattr(dodo_contract.engine.engine, "check_implementation", boom)
    config = resolve_config({"base_url": "http://127.0.0.1:9", "api_key": KEY}, env={})
    run = gate.run_gate(config)
    assert run.verdict == "error"
    assert gate.exit_code(run) == 2
    assert "internal error in dodo-contract: RuntimeError" in run.errors[0]
    assert KEY not in run.errors[0]


def test_a_pass_without_any_200_is_downgraded() -> None:
    run = ContractRun(verdict="passed", stats={"status_counts": {"401": 3, "422": 9}, "requests": 12})
    assert gate._fail_closed(run).verdict == "error"
    interrupted = ContractRun(verdict="passed", interrupted=True, stats={"status_counts": {"200": 1}})
    assert gate.exit_code(gate._fail_closed(interrupted)) == 2
    fine = ContractRun(verdict="passed", stats={"status_counts": {200: 4}, "requests": 4})
    assert gate._fail_closed(fine) is fine


@pytest.mark.parametrize(
    ("verdict", "interrupted", "code"),
    [("passed", False, 0), ("failed", False, 1), ("error", False, 2), ("failed", True, 2)],
)
def test_exit_codes(verdict: str, interrupted: bool, code: int) -> None:
    assert gate.exit_code(ContractRun(verdict=verdict, interrupted=interrupted)) == code  # type: ignore[arg-type]


def test_replay_still_violates_against_the_broken_target(broken: str, broken_report: Path) -> None:
    code, out, err = _run(["replay", str(broken_report), "--base-url", broken, "--api-key", KEY])
    assert code == 1, out + err
    assert "STILL VIOLATES (HTTP 200)" in out
    assert "client_secret" in out


def test_replay_no_longer_reproduces_against_a_fixed_target(faithful: str, broken_report: Path) -> None:
    code, out, err = _run(["replay", str(broken_report), "--case", "0", "--base-url", faithful, "--api-key", KEY])
    assert code == 0, out + err
    assert "no longer reproduces" in out


def test_replay_uses_the_report_target_by_default(broken_report: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DODO_API_KEY", KEY)
    code, out, _ = _run(["replay", str(broken_report.parent)])
    assert code == 1
    assert "STILL VIOLATES" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--case", "99"], "--case 99 is out of range"), (["--base-url", "https://live.dodopayments.com"], "live host")],
)
def test_replay_bad_options(broken_report: Path, extra: list[str], message: str) -> None:
    code, _, err = _run(["replay", str(broken_report), "--api-key", KEY, *extra])
    assert code == 2
    assert message in err


def test_replay_of_an_embedded_mock_report_needs_a_base_url(tmp_path: Path) -> None:
    report = tmp_path / "dodo-contract.json"
    report.write_text(
        json.dumps(
            {"tool": "dodo-contract", "target": "embedded reference mock at http://x", "violations": [{"check": "c"}]}
        )
    )
    code, _, err = _run(["replay", str(report)])
    assert code == 2
    assert "pass --base-url" in err


def test_replay_of_a_non_report_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]")
    code, _, err = _run(["replay", str(tmp_path / "x.json")])
    assert code == 2
    assert "is not a dodo-contract JSON report" in err


def _readme_example(after: str) -> str:
    """Return the first ```toml block of the README that follows the sentence ``after``, exactly as written."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rest = readme[readme.index(after) :]
    return rest.split("```toml\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_for_a_server_answering_400_passes_it(tmp_path: Path) -> None:
    # Schema errors answered 400, business refusals (and prose-rule refusals with their codes) still 422.
    example = _readme_example("for an implementation that answers schema violations with 400")
    assert "invalid-status = 400" in example
    with serve_mock(api_key=KEY, seed=1, fault="invalid_as_400") as server:
        argv = ["gate", "--base-url", server.url, "--api-key", KEY, *FAST]
        code, _, _ = _run(argv)
        before = json.loads((tmp_path / "reports" / "dodo-contract.json").read_text())
        (tmp_path / "pyproject.toml").write_text(example)
        after_code, out, err = _run(argv)
    assert code == 1
    assert "got 400 (INVALID_REQUEST_BODY), expected exactly 422" in json.dumps(before["violations"])
    assert (after_code, err) == (0, ""), out
    after = json.loads((tmp_path / "reports" / "dodo-contract.json").read_text())
    assert after["stats"]["cases_per_check"]["business_rules_enforced"] > 0  # refusals were judged, at 422


def test_business_status_is_its_own_setting(tmp_path: Path) -> None:
    # invalid-status alone no longer moves what a business refusal must answer: the mock refuses them with 422.
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dodo-contract.inferred]\nbusiness-status = 409\ndocumented-statuses = [200, 401, 409, 422]\n"
    )
    with serve_mock(api_key=KEY, seed=1) as server:
        code, _, _ = _run(["gate", "--base-url", server.url, "--api-key", KEY, *FAST])
    data = json.loads((tmp_path / "reports" / "dodo-contract.json").read_text())
    assert code == 1
    messages = [v["message"] for v in data["violations"] if v["check"] == "business_rules_enforced"]
    assert messages and "expected 409" in messages[0]


def test_schemathesis_switch_adds_the_fuzzing_phase(faithful: str, tmp_path: Path) -> None:
    sent = {}
    for name, extra in (("plain", []), ("fuzz", ["--schemathesis"])):
        folder = tmp_path / name
        code, _, err = _run(
            ["gate", "--base-url", faithful, "--api-key", KEY, "--report-dir", str(folder), *FAST, *extra]
        )
        assert (code, err) == (0, "")
        sent[name] = json.loads((folder / "dodo-contract.json").read_text())["stats"]["requests"]
    assert sent["fuzz"] > sent["plain"]


# --- what the terminal shows (issue 8 §4) -------------------------------------------------------------------


def _verdict_and_reproducers(out: str) -> list[str]:
    lines = _summary_part(out).splitlines()
    return [lines[0], *(line for line in lines if "reproduce: " in line)]


def _printed_reproducers(report: Path, out: str) -> tuple[list[str], list[str]]:
    """Return the reproducers of the report's first violations and the ``reproduce:`` lines of the output."""
    data = json.loads(report.read_text())
    curls = [v["curl"] for v in data["violations"][:8]]
    lines = [line.strip() for line in _summary_part(out).splitlines() if line.strip().startswith("reproduce: ")]
    return curls, lines


@pytest.mark.parametrize("mode", ["pipe", "colour terminal", "NO_COLOR terminal"])
def test_reproducers_are_printed_whole_and_answers_shortened(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # narrower than any reproducer: a wrapping printer would break them
    if mode.startswith("NO_COLOR"):
        monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = _run(["gate", "--base-url", broken, "--api-key", KEY, *FAST], tty=mode != "pipe")
    assert code == 1
    curls, lines = _printed_reproducers(tmp_path / "reports" / "dodo-contract.json", out)
    assert max(len(c) for c in curls) > 240  # long enough to have been cut before
    assert lines == [f"reproduce: {c}" for c in curls]
    data = json.loads((tmp_path / "reports" / "dodo-contract.json").read_text())
    answers = [line.strip() for line in _summary_part(out).splitlines() if line.strip().startswith("answer: ")]
    assert len(answers) == len(curls)
    for answer, finding in zip(answers, data["violations"], strict=False):
        head = f"answer: HTTP {finding['response']['status']} "
        whole = json.dumps(finding["response"]["body"], ensure_ascii=False)
        assert answer.startswith(head)
        shown = answer[len(head) :]
        assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1]) and len(shown) < len(whole))
    assert any(a.endswith("…") for a in answers)  # this target's 200 bodies are long: the answer is shortened


def test_no_escape_codes_unless_a_colour_terminal(broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["gate", "--base-url", broken, "--api-key", KEY, *FAST]
    _, piped, piped_err = _run(argv)
    assert "\x1b" not in piped + piped_err
    assert "\r" not in piped  # no progress bar in a log
    monkeypatch.setenv("NO_COLOR", "1")
    _, no_color, no_color_err = _run(argv, tty=True)
    assert "\x1b" not in no_color + no_color_err
    assert re.search(r"\r\[[#-]+\] \d+/\d+ requests", no_color)  # a plain progress line, redrawn with \r only
    assert _verdict_and_reproducers(no_color) == _verdict_and_reproducers(piped)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    _, dumb, _ = _run(argv, tty=True)
    assert "\x1b" not in dumb


def test_colour_on_a_terminal_and_when_forced(broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["gate", "--base-url", broken, "--api-key", KEY, *FAST]
    _, tty, _ = _run(argv, tty=True)
    assert "\x1b[1;31mFAILED" in tty  # the verdict in bold red
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, forced, _ = _run(argv)  # not a terminal, but FORCE_COLOR says colour anyway (as rich reads it)
    assert "\x1b[1;31mFAILED" in forced
    assert _verdict_and_reproducers(forced) == _verdict_and_reproducers(tty)


def test_summary_says_why_a_run_stopped_early() -> None:
    with serve_mock(api_key=KEY, seed=1, fault="invalid_as_500") as server:
        _, out, _ = _run(["gate", "--base-url", server.url, "--api-key", KEY, *FAST])
    data = json.loads((Path("reports") / "dodo-contract.json").read_text())
    assert data["stats"]["stopped"]
    assert f"stopped early: {data['stats']['stopped']}" in out


def test_an_empty_body_is_shown_as_such_not_as_null(faithful: str) -> None:
    def behaviour(n: int, headers: dict[str, str], body: bytes) -> Reply | str:
        return Reply(404) if b"payment_link" in body else PROXY

    with fault_server(behaviour, upstream=faithful) as server:
        _, out, _ = _run(["gate", "--base-url", server.url, "--api-key", KEY, *FAST])
    assert "answer: HTTP 404 (empty body)" in out
    assert "HTTP 404 null" not in out


def test_could_not_check_is_said_once(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text('{"products": "nope"}')
    code, _, err = _run(["gate", "--fixtures", "catalog.json", *FAST])
    assert code == 2
    assert err.count("could not check") == 1, err
    assert "failing closed" in err


def test_a_gate_run_leaves_nothing_but_the_reports_in_the_working_directory(tmp_path: Path) -> None:
    # A subprocess: Hypothesis fixes its default storage folder from the working directory at import time,
    # so only a fresh interpreter started in the empty folder shows what a user's gate run leaves there.
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HYPOTHESIS", "DODO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "dodo_contract.frontends.cli", "gate", *FAST],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["reports"]


# --- replay fails closed ------------------------------------------------------------------------------------


def test_replay_with_a_refused_key_exits_2(faithful: str, broken_report: Path) -> None:
    code, out, err = _run(["replay", str(broken_report), "--base-url", faithful, "--api-key", "sk_test_wrong_key_01"])
    assert code == 2
    assert "COULD NOT JUDGE" in out and "the API key was refused" in out
    assert "failing closed" in err


def test_replay_when_nothing_listens_or_answers_exits_2(broken_report: Path) -> None:
    from _fault_server import HANG, fault_server, free_port

    code, out, _ = _run(
        ["replay", str(broken_report), "--base-url", f"http://127.0.0.1:{free_port()}", "--api-key", KEY]
    )
    assert code == 2
    assert "COULD NOT JUDGE (no answer" in out
    with fault_server(lambda n, h, b: HANG) as server:
        code, out, _ = _run(
            ["replay", str(broken_report), "--base-url", server.url, "--api-key", KEY, "--timeout", "0.3"]
        )
    assert code == 2
    assert "no answer within 0.3 s" in out


def test_replay_of_a_case_that_needs_the_whole_run_is_not_a_pass(broken_report: Path, faithful: str) -> None:
    data = json.loads(broken_report.read_text())
    data["violations"] = [{**data["violations"][0], "check": "payment_id_unique"}]
    report = broken_report.parent / "only-run-level.json"
    report.write_text(json.dumps(data))
    code, out, _ = _run(["replay", str(report), "--base-url", faithful, "--api-key", KEY])
    assert code == 2
    assert "not replayable on its own" in out


def test_replay_never_sends_the_key_to_a_live_report_target(broken_report: Path) -> None:
    data = json.loads(broken_report.read_text())
    for target in ("https://live\u3002dodopayments\u3002com", " https://LIVE.dodopayments.com. "):
        report = broken_report.parent / "live-target.json"
        report.write_text(json.dumps({**data, "target": target}))
        code, _, err = _run(["replay", str(report), "--api-key", KEY])
        assert code == 2
        assert "refusing to test Dodo's live host" in err


def test_replay_of_a_report_without_violations_that_did_not_pass_exits_2(tmp_path: Path) -> None:
    report = tmp_path / "dodo-contract.json"
    report.write_text(
        json.dumps({"tool": "dodo-contract", "target": "http://127.0.0.1:9", "verdict": "incomplete", "violations": []})
    )
    code, _, err = _run(["replay", str(report), "--api-key", KEY])
    assert code == 2
    assert "nothing can be replayed" in err


# --- stale reports, bounds -----------------------------------------------------------------------------------


def test_a_run_starts_by_removing_an_earlier_runs_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dodo_contract.reports.report import REPORT_FILES

    folder = tmp_path / "reports"
    folder.mkdir()
    for name in REPORT_FILES.values():
        (folder / name).write_text("PASSED (an earlier run)")
    (folder / ".dodo-contract.json.abc.tmp").write_text("half")
    seen: dict[str, bool] = {}

    def spy(config: object, **kwargs: object) -> ContractRun:
        seen["old reports gone"] = not any((folder / name).exists() for name in REPORT_FILES.values())
        return ContractRun(verdict="error", errors=("stopped",))

    monkeypatch.setattr(gate, "run_gate", spy)
    code, _, _ = _run(["gate"])
    assert code == 2
    assert seen == {"old reports gone": True}  # gone before the run, not only overwritten after it
    assert not (folder / ".dodo-contract.json.abc.tmp").exists()


def test_max_examples_above_the_maximum_is_a_clear_error(tmp_path: Path) -> None:
    code, _out, err = _run(["gate", "--max-examples", "100000000"])
    assert code == 2
    assert "--max-examples: must be at most 10,000" in err
    assert not (tmp_path / "reports").exists()
