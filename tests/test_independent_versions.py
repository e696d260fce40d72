"""Both spec versions against an implementation written apart from this repo (``tests/independent_payments.py``).

Every faithful configuration of it (tax on top or included, gzip, chunked answers, latency, an occasional 429,
the cart echoed) passes with zero violations when judged by its own version, on several seeds, in-process and
over loopback; every break of ``BREAKS[version]`` is caught. Through the Python API, the gate CLI (``main``) and
the pytest plugin (pytester), with the key grepped in everything they print and write.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from dodo_contract import check_implementation
from dodo_contract.frontends.cli import main
from tests import independent_payments
from tests._asgi_server import served
from tests.independent_payments import BREAKS, create_app

pytest_plugins = ["pytester"]

KEY = "sk_test_independent_versions_0123456789"
VERSIONS = tuple(BREAKS)
# Two distinct discount codes, so that a 200 to stacked codes can show which one came first.
CATALOG: dict[str, Any] = {
    "products": [
        {"id": "sku_shirt", "price": 2500, "currency": "USD"},
        {"id": "sku_tip", "price": 0, "currency": "USD", "pay_what_you_want": True, "min_amount": 50},
        {"id": "sku_book", "price": 79900, "currency": "INR"},
    ],
    "customers": [{"id": "cus_1", "email": "one@example.com", "name": "One", "payment_method_ids": ["pm_1"]}],
    "discount_codes": [
        {"code": "WELCOME", "id": "dsc_welcome", "percentage": 10},
        {"code": "SPRING", "id": "dsc_spring", "percentage": 20},
    ],
    "tax_ids": ["DE999999999"],
    "billing_currencies": ["USD", "INR"],
    "unsupported_countries": ["KP", "IR"],
    "enabled_payment_methods": ["credit", "debit", "upi_collect"],
}
FAITHFUL: dict[str, dict[str, Any]] = {
    "tax-on-top": {},
    "tax-included": {"tax": "inclusive"},
    "gzip": {"gzip": True},
    "chunked": {"chunked": True},
    "cart-echoed": {"echo_cart": True},
    "occasional-429": {"throttle_every": 37},
    "latency": {"latency_s": 0.012},
}
LOOPBACK: dict[str, dict[str, Any]] = {
    "gzip-chunked": {"gzip": True, "chunked": True},
    "latency-429-tax-included": {"latency_s": 0.015, "throttle_every": 41, "tax": "inclusive"},
}


# The implementation parses its whole OpenAPI document and compiles its validators on first use (~0.4 s for the
# 1.86.0 YAML): done here, so that a cold start on a busy machine is not what the latency budget judges.
for _version in VERSIONS:
    independent_payments._validators(_version, False)


def _app(version: str, **options: Any) -> Any:
    return create_app(CATALOG, KEY, version=version, **options)


def _clean(run: Any) -> None:
    assert [f"{f} ({f.label})" for f in run.violations] == []
    assert run.verdict == "passed", run.errors
    assert KEY not in json.dumps(run.to_dict())


# --- the Python API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("config", FAITHFUL)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_faithful_configuration_passes_clean_when_judged_by_its_version(version: str, config: str, seed: int) -> None:
    app = _app(version, **FAITHFUL[config])
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=seed, spec_version=version)
    _clean(run)
    assert run.spec_version == version
    assert run.spec_hint is None


@pytest.mark.parametrize("config", LOOPBACK)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_faithful_configuration_passes_clean_over_loopback(version: str, config: str) -> None:
    with served(_app(version, **LOOPBACK[config])) as url:
        run = check_implementation(url, api_key=KEY, fixtures=CATALOG, seed=3, spec_version=version, max_examples=60)
    _clean(run)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("version", "broken"), [(v, b) for v in VERSIONS for b in BREAKS[v]])
def test_every_break_of_the_version_is_caught(version: str, broken: str, seed: int) -> None:
    app = _app(version, breaks=frozenset({broken}))
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=seed, spec_version=version, max_examples=10)
    assert run.verdict == "failed", (broken, run.errors)
    assert run.violations
    assert run.spec_hint is None  # the version was chosen
    assert KEY not in json.dumps(run.to_dict())


def test_the_old_implementation_judged_by_the_default_fails_with_the_hint_and_passes_with_its_version() -> None:
    by_default = check_implementation(app=_app("1.86.0"), api_key=KEY, fixtures=CATALOG, seed=4, max_examples=30)
    assert by_default.verdict == "failed"
    assert by_default.spec_version == "1.113.0"
    assert by_default.spec_hint is not None and "--spec-version 1.86.0" in by_default.spec_hint
    chosen = check_implementation(
        app=_app("1.86.0"), api_key=KEY, fixtures=CATALOG, seed=4, max_examples=30, spec_version="1.86.0"
    )
    _clean(chosen)


def test_a_real_break_of_the_latest_judged_by_the_default_gets_no_hint() -> None:
    app = _app("1.113.0", breaks=frozenset({"discount_ids_string"}))
    run = check_implementation(app=app, api_key=KEY, fixtures=CATALOG, seed=4, max_examples=30)
    assert run.verdict == "failed"
    assert run.spec_hint is None


# --- the gate CLI -----------------------------------------------------------------------------------------------


@pytest.fixture
def _workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY", "DODO_CONTRACT_SPEC_VERSION", "DODO_CONTRACT_OPENAPI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DODO_API_KEY", KEY)
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _gate(url: str, *extra: str) -> tuple[int, str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["gate", "--base-url", url, "--fixtures", "catalog.json", "--seed", "5", "--max-examples", "20", *extra]
    code = main(argv, stdout=out, stderr=err)
    reports = "".join(p.read_text(encoding="utf-8") for p in sorted(Path("reports").iterdir()))
    return code, out.getvalue(), err.getvalue(), reports


@pytest.mark.usefixtures("_workdir")
@pytest.mark.parametrize("version", VERSIONS)
def test_the_gate_passes_each_faithful_version_and_catches_a_break(version: str) -> None:
    with served(_app(version, gzip=True)) as url:
        code, out, err, reports = _gate(url, "--spec-version", version)
        assert code == 0, out + err
        assert f"spec {version}" in out
        assert json.loads(Path("reports/dodo-contract.json").read_text())["spec_version"] == version
        assert KEY not in out + err + reports
    with served(_app(version, breaks=frozenset({BREAKS[version][0]}))) as url:
        code, out, err, reports = _gate(url, "--spec-version", version)
    assert code == 1, out + err
    assert KEY not in out + err + reports


@pytest.mark.usefixtures("_workdir")
def test_the_gate_hints_at_the_older_version_and_names_the_flag() -> None:
    with served(_app("1.86.0")) as url:
        code, out, err, reports = _gate(url)
    assert code == 1
    assert "spec 1.113.0" in out
    assert "hint: every violation concerns a rule that differs between 1.86.0 and 1.113.0" in out
    assert "run with --spec-version 1.86.0" in out
    data = json.loads(Path("reports/dodo-contract.json").read_text())
    assert "--spec-version 1.86.0" in data["spec_hint"]
    assert "--spec-version 1.86.0" in Path("reports/dodo-contract.md").read_text()
    assert KEY not in out + err + reports


# --- the pytest plugin ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_the_plugin_passes_each_faithful_version_and_catches_a_break(pytester: pytest.Pytester, version: str) -> None:
    pytester.makefile(".json", catalog=json.dumps(CATALOG))
    args = [f"--dodo-api-key={KEY}", "--dodo-fixtures=catalog.json", "--dodo-seed=6", "--dodo-max-examples=20"]
    args += [f"--dodo-spec-version={version}", f"--dodo-report-dir={pytester.path / 'out'}", "-p", "no:randomly"]
    with served(_app(version, chunked=True)) as url:
        result = pytester.runpytest_subprocess(f"--dodo-base-url={url}", *args)
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, text
    assert f"spec {version}" in text
    reports = "".join(p.read_text(encoding="utf-8") for p in (pytester.path / "out").iterdir())
    assert KEY not in text + reports
    broken = BREAKS[version][-1]
    with served(_app(version, breaks=frozenset({broken}))) as url:
        result = pytester.runpytest_subprocess(f"--dodo-base-url={url}", *args)
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, text
    assert "FAILED" in text
    reports = "".join(p.read_text(encoding="utf-8") for p in (pytester.path / "out").iterdir())
    assert KEY not in text + reports
