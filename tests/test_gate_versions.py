"""The gate and replay with a spec version: --spec-version, --openapi, the env and pyproject, the embedded mock."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dodo_contract.errors import REDACTED
from dodo_contract.frontends.cli import main
from dodo_contract.mock import app as mock_app
from dodo_contract.mock.app import serve_mock
from tests import _shared

KEY = "sk_test_gate_versions_0123456789"
FAST = ["--max-examples", "8", "--seed", "11"]
DOCUMENT = _shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY", "DODO_CONTRACT_SPEC_VERSION", "DODO_CONTRACT_OPENAPI"):
        monkeypatch.delenv(var, raising=False)
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    monkeypatch.chdir(tmp_path)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("reports/dodo-contract.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def served_versions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the spec version the gate's embedded mock is started with."""
    seen: list[Any] = []
    real = mock_app.serve_mock

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs.get("spec_version"))
        return real(**kwargs)

    monkeypatch.setattr(mock_app, "serve_mock", spy)
    return seen


@pytest.mark.parametrize("version", ["1.86.0", "1.113.0"])
def test_the_embedded_mock_serves_the_version_the_gate_judges_by(version: str, served_versions: list[Any]) -> None:
    code, out, err = _run(["gate", "--spec-version", version, *FAST])
    assert code == 0, out + err
    assert [getattr(v, "version", v) for v in served_versions] == [version]
    assert f"spec {version}" in out
    data = _report()
    assert data["spec_version"] == version
    assert data["spec"]["version"] == version and data["spec"]["bundled"] is True
    junit = Path("reports/dodo-contract.junit.xml").read_text(encoding="utf-8")
    assert f'<property name="spec_version" value="{version}" />' in junit
    assert f"spec {version}" in Path("reports/dodo-contract.md").read_text(encoding="utf-8")
    assert f"spec {version}" in Path("reports/dodo-contract.html").read_text(encoding="utf-8")


def test_the_default_is_the_latest_and_the_embedded_mock_serves_it(served_versions: list[Any]) -> None:
    code, _out, _err = _run(["gate", *FAST])
    assert code == 0
    assert [getattr(v, "version", v) for v in served_versions] == ["1.113.0"]
    assert _report()["spec_version"] == "1.113.0"
    assert _report()["spec_hint"] is None


def test_the_version_from_the_environment_and_from_pyproject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DODO_CONTRACT_SPEC_VERSION", "1.86.0")
    assert _run(["gate", *FAST])[0] == 0
    assert _report()["spec_version"] == "1.86.0"
    monkeypatch.delenv("DODO_CONTRACT_SPEC_VERSION")
    Path("pyproject.toml").write_text('[tool.dodo-contract]\nspec-version = "1.86.0"\n')
    assert _run(["gate", *FAST])[0] == 0
    assert _report()["spec_version"] == "1.86.0"


def test_openapi_judges_by_the_document_and_the_report_names_it(tmp_path: Path) -> None:
    document = tmp_path / "dodo_openapi_newer.json"
    document.write_bytes(DOCUMENT.read_bytes())
    code, out, err = _run(["gate", "--openapi", str(document), *FAST])
    assert code == 0, out + err
    assert "spec 1.113.0 (from dodo_openapi_newer.json)" in out
    data = _report()
    assert data["spec"]["bundled"] is False
    assert data["spec"]["source"]["file"] == "dodo_openapi_newer.json"


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--spec-version", "1.99.0"], ["--spec-version: unknown spec version '1.99.0'", "1.86.0, 1.113.0"]),
        (["--openapi", "missing.json"], ["--openapi: OpenAPI document", "does not exist"]),
        (["--openapi", "pyproject.toml"], ["--openapi: ", "pyproject.toml"]),
        (["--openapi", str(DOCUMENT), "--spec-version", "1.86.0"], ["not both"]),
    ],
)
def test_bad_version_options_exit_2_before_anything_is_sent(
    argv: list[str], fragments: list[str], served_versions: list[Any]
) -> None:
    code, out, err = _run(["gate", "--api-key", KEY, *argv])
    assert code == 2
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err
    assert served_versions == []  # not even the mock was started
    assert not Path("reports").exists()
    assert KEY not in out + err


# --- replay judges by the report's version -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def new_server() -> Iterator[str]:
    with serve_mock(api_key=KEY, seed=2, spec_version="1.113.0") as server:
        yield server.url


def _recorded(target: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A report of a run judged by 1.86.0: a 200 echoing numeric metadata broke 1.86.0's response schema."""
    request = {
        "product_cart": [{"product_id": "prod_basic", "quantity": 1}],
        "customer": {"email": "a@example.com"},
        "billing": {"country": "US"},
        "metadata": {"count": 5},
    }
    finding = {
        "index": 0,
        "check": "response_schema_conformance",
        "rule": "response.metadata.value.type",
        "pointer": "/metadata/count",
        "message": "5 is not of type string",
        "request": {"method": "POST", "headers": {"Authorization": f"Bearer {REDACTED}"}, "body": request},
    }
    return {"tool": "dodo-contract", "target": target, "verdict": "failed", "violations": [finding], **spec}


def test_replay_rejudges_by_the_reports_version_unless_told_another(new_server: str, tmp_path: Path) -> None:
    report = tmp_path / "dodo-contract.json"
    report.write_text(json.dumps(_recorded(new_server, {"spec_version": "1.86.0"})))
    code, out, _err = _run(["replay", str(report), "--api-key", KEY])
    assert code == 1, out  # judged by 1.86.0, the report's version, the answer still breaks it
    assert "STILL VIOLATES" in out and "response.metadata.value.type" in out
    code, out, _err = _run(["replay", str(report), "--api-key", KEY, "--spec-version", "1.113.0"])
    assert code == 0, out
    assert "no longer reproduces" in out


def test_replay_of_a_report_judged_by_a_loaded_document_asks_for_it(new_server: str, tmp_path: Path) -> None:
    report = tmp_path / "dodo-contract.json"
    spec = {"spec_version": "2.0.0", "spec": {"bundled": False, "source": {"file": "dodo_v2.json"}}}
    report.write_text(json.dumps(_recorded(new_server, spec)))
    code, _out, err = _run(["replay", str(report), "--api-key", KEY])
    assert code == 2
    assert "dodo_v2.json" in err and "--openapi" in err
    code, out, _err = _run(["replay", str(report), "--api-key", KEY, "--openapi", str(DOCUMENT)])
    assert code == 0, out
