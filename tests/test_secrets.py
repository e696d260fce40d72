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
