"""The gate against misbehaving servers: right exit code, a clear message, complete and valid reports."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _fault_server import DROP, HANG, PROXY, RESET, Reply, fault_server, free_port

from dodo_contract.frontends.cli import main
from dodo_contract.mock.app import serve_mock
from dodo_contract.reports.report import REPORT_FILES

KEY = "sk_test_reliability_0123456789"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=3) as server:
        yield server.url


def _gate(url: str, report_dir: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "gate",
        "--base-url",
        url,
        "--api-key",
        KEY,
        "--report-dir",
        str(report_dir),
        "--seed",
        "4",
        "--max-examples",
        "8",
        "--timeout",
        "0.5",
        *extra,
    ]
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _reports(folder: Path) -> dict[str, Any]:
    """Assert the four reports are complete and valid; return the JSON one."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(REPORT_FILES.values())  # no temp files left
    data: dict[str, Any] = json.loads((folder / REPORT_FILES["json"]).read_text())
    ET.fromstring((folder / REPORT_FILES["junit"]).read_text())
    assert (folder / REPORT_FILES["html"]).read_text().rstrip().endswith("</html>")
    assert (folder / REPORT_FILES["markdown"]).read_text().startswith("## ")
    return data


def _checks(data: dict[str, Any]) -> set[str]:
    return {v["check"] for v in data["violations"]}


def test_connection_refused(tmp_path: Path) -> None:
    code, out, err = _gate(f"http://127.0.0.1:{free_port()}", tmp_path)
    assert code == 2
    assert "cannot connect" in err
    assert "COULD NOT CHECK" in out
    data = _reports(tmp_path)
    assert data["verdict"] == "error"
    assert data["passed"] is False


Behaviour = Callable[[int, dict[str, str], bytes], Any]
SCENARIOS: dict[str, tuple[Behaviour, int, str, set[str]]] = {
    # name: (behaviour, exit code, text in the output, checks that must have findings)
    "timeout": (lambda n, h, b: HANG, 2, "no answer within 0.5 s", {"response_received"}),
    "reset_every_request": (lambda n, h, b: RESET, 2, "peer closed connection", {"response_received"}),
    "dropped_without_answer": (lambda n, h, b: DROP, 2, "no answer from", {"response_received"}),
    "reset_mid_body_sometimes": (lambda n, h, b: RESET if n % 4 == 0 else PROXY, 1, "FAILED", {"response_received"}),
    "non_json_200": (
        lambda n, h, b: Reply(200, b"<html>OK</html>", {"Content-Type": "text/html"}),
        1,
        "not readable JSON",
        {"content_type_json", "response_received"},
    ),
    "intermittent_5xx": (
        lambda n, h, b: Reply(503, b'{"code":"INTERNAL_SERVER_ERROR","message":"x"}', JSON) if n % 5 == 0 else PROXY,
        1,
        "server error 503",
        {"no_server_error"},
    ),
    "429_storm_with_retry_after": (
        lambda n, h, b: Reply(429, b'{"code":"TOO_MANY_REQUESTS","message":"slow"}', {**JSON, "Retry-After": "0"}),
        2,
        "429 Too Many Requests",
        set(),
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_faulty_server(name: str, mock_url: str, tmp_path: Path) -> None:
    behaviour, expected, text, checks = SCENARIOS[name]
    with fault_server(behaviour, upstream=mock_url) as server:
        code, out, err = _gate(server.url, tmp_path)
        sent = server.requests
    assert code == expected, out + err
    assert text in out + err
    assert "Traceback" not in out + err
    data = _reports(tmp_path)
    assert data["verdict"] == ("error" if expected == 2 else "failed")
    assert checks <= _checks(data)
    if name.startswith("429"):
        assert sent > 1  # Retry-After was honoured with retries, then the gate gave up and failed closed


@pytest.mark.parametrize(
    ("signum", "concurrency"),
    [(signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGINT, None), (signal.SIGTERM, None)],
    ids=["sigint-serial", "sigterm-serial", "sigint-default", "sigterm-default"],
)
def test_ctrl_c_or_sigterm_mid_run_exits_2_and_keeps_complete_reports(
    signum: int, concurrency: str | None, mock_url: str, tmp_path: Path
) -> None:
    # Answer the first 8 requests, then hold every answer back; interrupt once the 9th is waiting.
    def behaviour(n: int, headers: dict[str, str], body: bytes) -> Any:
        return PROXY if n <= 8 else HANG

    # An earlier run's PASSED reports in the same folder must not survive as if they were this run's.
    for name in REPORT_FILES.values():
        (tmp_path / name).write_text('{"tool": "dodo-contract", "passed": true, "verdict": "passed"}')
    env = {**os.environ, "DODO_API_KEY": KEY}
    extra = ["--concurrency", concurrency] if concurrency else []
    with fault_server(behaviour, upstream=mock_url, signal_after=9) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dodo_contract.frontends.cli",
                "gate",
                "--base-url",
                server.url,
                "--report-dir",
                str(tmp_path),
                "--seed",
                "4",
                "--timeout",
                "60",
                *extra,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.reached.wait(60), "the gate never reached the 9th request"
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 2
    assert "interrupted" in err
    assert "Traceback" not in out + err
    data = _reports(tmp_path)
    assert data["interrupted"] is True
    assert data["verdict"] == "error"
    if concurrency == "1":
        assert data["stats"]["requests"] >= 8  # what was answered before the interrupt is kept
