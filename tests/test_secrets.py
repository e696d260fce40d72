"""The API key never leaks: grep every report, reproducer and output, even when the server echoes the key back."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fault_server import Reply, fault_server

from dodo_contract.frontends.cli import main
from dodo_contract.mock.app import serve_mock

pytest_plugins = ["pytester"]

KEY = "sk_test_LEAKCANARY_7f3a9c2e51d04b68"


def _echoing(upstream: str) -> Any:
    """Proxy to ``upstream`` and echo the Authorization header back in the body, a header and error messages."""

    def behaviour(n: int, headers: dict[str, str], body: bytes) -> Reply:
        auth = headers.get("Authorization", "")
        forward = {k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type")}
        answer = httpx.post(upstream + "/payments", content=body, headers=forward, timeout=10)
        data = answer.json()
        if isinstance(data, dict):
            if answer.status_code == 200:
                data["debug_auth"] = auth
                data.setdefault("metadata", {})["seen_key"] = auth
            else:
                data["message"] = f"{data.get('message')} (you sent {auth})"
        return Reply(
            answer.status_code, json.dumps(data).encode(), {"Content-Type": "application/json", "X-Echo": auth}
        )

    return behaviour


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    # A broken mock behind the echo, so there are findings carrying full exchanges and reproducers.
    with serve_mock(api_key=KEY, fault="missing_client_secret") as mock, fault_server(_echoing(mock.url)) as echo:
        yield echo.url


def _assert_clean(texts: dict[str, str]) -> None:
    assert texts, "nothing was checked"
    for name, text in texts.items():
        assert KEY not in text, f"the API key leaked into {name}"
        assert KEY[8:] not in text, f"part of the API key leaked into {name}"


def _files(folder: Path) -> dict[str, str]:
    return {str(p): p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()}


def test_gate_and_replay_never_show_the_key(echo_url: str, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "gate",
            "--base-url",
            echo_url,
            "--api-key",
            KEY,
            "--report-dir",
            str(tmp_path),
            "--seed",
            "6",
            "--max-examples",
            "8",
        ],
        stdout=out,
        stderr=err,
    )
    assert code == 1
    report = json.loads((tmp_path / "dodo-contract.json").read_text())
    assert report["violations"], "expected findings with exchanges"
    assert "***REDACTED***" in (tmp_path / "dodo-contract.json").read_text()  # the echo was there, and was masked
    r_out, r_err = io.StringIO(), io.StringIO()
    replay = main(["replay", str(tmp_path), "--api-key", KEY], stdout=r_out, stderr=r_err)
    assert replay == 1
    _assert_clean(
        {
            "gate stdout": out.getvalue(),
            "gate stderr": err.getvalue(),
            "replay stdout": r_out.getvalue(),
            "replay stderr": r_err.getvalue(),
            **_files(tmp_path),
        }
    )


def test_gate_with_the_key_in_the_environment_and_a_bad_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DODO_API_KEY", KEY)
    out, err = io.StringIO(), io.StringIO()
    assert main(["gate", "--base-url", "http://127.0.0.1:9/x?y=1"], stdout=out, stderr=err) == 2
    assert main(["gate", "--api-key", f"{KEY} extra"], stdout=out, stderr=err) == 2
    _assert_clean({"stdout": out.getvalue(), "stderr": err.getvalue()})


def test_embedded_mock_key_is_redacted_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    captured: list[str] = []
    import dodo_contract.frontends.gate as gate_module

    real = gate_module.secrets.token_hex

    def spy(n: int) -> str:
        captured.append(real(n))
        return captured[-1]

    monkeypatch.setattr(gate_module.secrets, "token_hex", spy)
    out, err = io.StringIO(), io.StringIO()
    assert main(["gate", "--max-examples", "8", "--seed", "2"], stdout=out, stderr=err) == 0
    assert captured
    for name, text in {"stdout": out.getvalue(), "stderr": err.getvalue(), **_files(tmp_path / "reports")}.items():
        assert captured[0] not in text, name


def test_pytest_plugin_never_shows_the_key(
    echo_url: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DODO_PAYMENTS_API_KEY", KEY)
    pytester.makepyfile(
        """
        def test_user_sees_client(dodo_client):
            assert dodo_client.post("/payments", json={}).status_code == 422
        """
    )
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        f"--dodo-base-url={echo_url}", "--dodo-seed=6", "--dodo-max-examples=8", "-v", "-rA", "-p", "no:randomly"
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*response_schema_conformance FAILED*"])
    _assert_clean({"stdout": result.stdout.str(), "stderr": result.stderr.str(), **_files(reports)})


# --- partial leaks, lone surrogates, and the pytest log -------------------------------------------------------


def _fragments(key: str = KEY) -> list[str]:
    return [key[i : i + 12] for i in range(len(key) - 11)]


def _assert_no_fragment(texts: dict[str, str]) -> None:
    """No 12-character run of the key, in any case, in any text (the whole key, upper or lower, included)."""
    assert texts, "nothing was checked"
    for name, text in texts.items():
        low = text.lower()
        found = [f for f in _fragments() if f.lower() in low]
        assert not found, f"{len(found)} fragment(s) of the API key leaked into {name}, e.g. {found[0][:4]}..."


def _asgi_echo(status: int, content_type: bytes, body: Any) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        key = auth.removeprefix("Bearer ").encode() or b"none"
        headers = [(b"content-type", content_type), (key, b"1"), (b"x-echo", key.upper())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body(key)})

    return app


def test_redaction_comes_before_the_cut_of_a_long_text_answer(tmp_path: Path) -> None:
    from dodo_contract.engine.engine import check_implementation
    from dodo_contract.reports.report import write_reports

    # A non-JSON 422 echoing the key across the 4,096-character cut of recorded text answers.
    app = _asgi_echo(422, b"text/plain", lambda key: b"x" * 4080 + key + b" trailing")
    run = check_implementation(app=app, api_key=KEY, max_examples=1, seed=1, checks=["error_schema_conformance"])
    assert run.violations, "expected a finding carrying the text answer"
    write_reports(run, tmp_path, secrets=[KEY])
    _assert_no_fragment({"run": json.dumps(run.to_dict()), **_files(tmp_path)})


def test_response_header_names_and_values_are_redacted_in_any_case(tmp_path: Path) -> None:
    from dodo_contract.engine.engine import check_implementation
    from dodo_contract.reports.report import write_reports

    app = _asgi_echo(200, b"application/json", lambda key: b'{"not": "a payment"}')
    run = check_implementation(app=app, api_key=KEY, max_examples=1, seed=1)
    headers = [f.exchange.response_headers for f in run.violations if f.exchange and f.exchange.status == 200]
    assert any("***REDACTED***" in json.dumps(h) for h in headers)  # the echo came back, masked
    write_reports(run, tmp_path, secrets=[KEY])
    _assert_no_fragment({"run": json.dumps(run.to_dict()), **_files(tmp_path)})


def _surrogate_echo(upstream: str) -> Any:
    """Proxy to ``upstream``; add a lone surrogate and the key (body, header value, header name) to every answer."""

    def behaviour(n: int, headers: dict[str, str], body: bytes) -> Reply:
        auth = headers.get("Authorization", "")
        forward = {k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type")}
        answer = httpx.post(upstream + "/payments", content=body, headers=forward, timeout=10)
        text = answer.text
        if text.startswith("{"):
            text = '{"note": "\\ud800 lone surrogate", "echo": ' + json.dumps(auth) + ", " + text[1:]
        key = auth.removeprefix("Bearer ") or "none"
        out = {"Content-Type": "application/json", "X-Echo": auth.upper(), key: "1"}
        return Reply(answer.status_code, text.encode(), out)

    return behaviour


@pytest.mark.parametrize("flags", [["--tb=long"], ["-l", "--tb=long", "--full-trace"]], ids=["tb-long", "showlocals"])
def test_a_lone_surrogate_in_an_answer_never_shows_the_key_in_the_pytest_log(
    flags: list[str], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DODO_API_KEY", KEY)
    reports = pytester.path / "reports"
    with (
        serve_mock(api_key=KEY, fault="missing_client_secret") as mock,
        fault_server(_surrogate_echo(mock.url)) as echo,
    ):
        result = pytester.runpytest_subprocess(
            f"--dodo-base-url={echo.url}", "--dodo-seed=6", "--dodo-max-examples=8", "-v", "-rA", *flags
        )
        received = echo.requests
    log = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, log[-3000:]
    assert "response_schema_conformance FAILED" in log
    assert "Traceback" not in log
    _assert_no_fragment({"pytest output": log, **_files(reports)})
    data = json.loads((reports / "dodo-contract.json").read_text())
    assert "\\ud800" in json.dumps(data)  # the surrogate reached a finding, written as text
    judged = data["stats"]["requests"] + data["stats"]["shrink_requests"] + data["stats"]["confirm_requests"]
    assert judged <= received < judged + 20  # one engine run (plus a few discarded in flight), not one per item


def test_a_bad_option_quoting_the_key_does_not_show_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A key pasted into the URL by mistake: the message that rejects the URL quotes it, redacted.
    monkeypatch.chdir(tmp_path)
    for argv in (
        ["gate", "--base-url", f"http://[zz]/{KEY}", "--api-key", KEY],
        ["replay", str(tmp_path), "--base-url", f"http://[zz]/{KEY}", "--api-key", KEY],
    ):
        if argv[0] == "replay":
            (tmp_path / "dodo-contract.json").write_text('{"tool": "dodo-contract", "violations": [], "target": ""}')
        out, err = io.StringIO(), io.StringIO()
        assert main(argv, stdout=out, stderr=err) == 2
        _assert_no_fragment({"stdout": out.getvalue() or "-", "stderr": err.getvalue()})


def test_an_internal_error_while_reporting_is_one_redacted_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dodo_contract.frontends.gate as gate_module

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError(f"renderer bug near {KEY}")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gate_module, "print_summary", broken)
    out, err = io.StringIO(), io.StringIO()
    assert main(["gate", "--max-examples", "1", "--seed", "1"], stdout=out, stderr=err) == 2
    assert "internal error in dodo-contract: RuntimeError" in err.getvalue()
    assert "Traceback" not in err.getvalue()
