"""dodo-contract checks inside Schemathesis: the wrappers on hand-built exchanges, and `schemathesis run` end to end."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from schemathesis.checks import CHECKS as ST_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.parameters import ParameterLocation

from dodo_contract.errors import ConfigError
from dodo_contract.mock.app import serve_mock

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk_test_schemathesis_checks_key"
VALID = {"product_cart": [{"product_id": "prod_basic", "quantity": 1}], "customer": {"email": "a@example.com"}}
VALID = {**VALID, "billing": {"country": "US"}}


@pytest.fixture(scope="module")
def sc() -> Iterator[ModuleType]:
    """The module, freshly registered; its checks and hook are unregistered afterwards (they are process-global)."""
    import schemathesis.hooks

    module = importlib.import_module("dodo_contract.frontends.schemathesis_checks")
    module = importlib.reload(module)
    yield module
    schemathesis.hooks.unregister(module.before_add_examples)
    for name in module.CHECK_NAMES:
        if module.PREFIX + name in ST_CHECKS.get_all_names():
            ST_CHECKS.unregister(module.PREFIX + name)


def _exchange(
    body: Any,
    status: int,
    answer: Any,
    *,
    auth: str | None = f"Bearer {KEY}",
    path: str = "/payments",
    method: str = "POST",
    negative_header: bool = False,
    case_id: str = "c1",
) -> tuple[Any, Any, Any]:
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = SimpleNamespace(method=method, headers=headers, body=raw)
    content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    response = SimpleNamespace(
        status_code=status,
        headers={"content-type": ["application/json"]},
        content=content,
        content_size=len(content),
        request=request,
        elapsed=0.01,
    )
    meta = SimpleNamespace(is_negative_at=lambda loc: negative_header and loc == ParameterLocation.HEADER)
    case = SimpleNamespace(path=path, meta=meta, id=case_id)
    ctx = SimpleNamespace(internals=SimpleNamespace(headers={"Authorization": f"Bearer {KEY}"}))
    return ctx, response, case


def _run(sc: ModuleType, name: str, exchange: tuple[Any, Any, Any]) -> str | None:
    check = ST_CHECKS.get_one(sc.PREFIX + name)
    try:
        check(*exchange)
    except AssertionError as exc:
        return str(exc)
    return None


def test_every_check_is_registered_under_its_prefixed_name(sc: ModuleType) -> None:
    load_all_checks()
    names = set(ST_CHECKS.get_all_names())
    assert {sc.PREFIX + n for n in sc.CHECK_NAMES} <= names
    assert "response_schema_conformance" in names  # Schemathesis' own stays: ours do not shadow it


def test_invalid_body_is_judged_by_our_validator(sc: ModuleType) -> None:
    bad = {**VALID, "billing": {"country": "us"}}
    message = _run(sc, "invalid_request_rejected", _exchange(bad, 200, {"payment_id": "p"}))
    assert message is not None and "billing.country.enum" in message and "200" in message
    refused = {"code": "INVALID_REQUEST_BODY", "message": "bad country"}
    assert _run(sc, "invalid_request_rejected", _exchange(bad, 422, refused)) is None
    assert _run(sc, "invalid_request_rejected", _exchange(bad, 400, refused)) is not None


def test_valid_body_may_be_refused_only_with_a_business_code(sc: ModuleType) -> None:
    unknown = {**VALID, "product_cart": [{"product_id": "prod_nobody_knows", "quantity": 1}]}
    business = {"code": "NOT_FOUND", "message": "no such product"}
    assert _run(sc, "valid_request_accepted", _exchange(unknown, 422, business)) is None
    invalid = {"code": "INVALID_REQUEST_BODY", "message": "no"}
    message = _run(sc, "valid_request_accepted", _exchange(unknown, 422, invalid))
    assert message is not None and "valid_request_accepted" in message
    # The fixtures contradict NOT_FOUND for a cart of catalog products only.
    assert _run(sc, "valid_request_accepted", _exchange(VALID, 422, business)) is not None
    # The valid check never judges an invalid body, nor the invalid check a valid one.
    assert _run(sc, "valid_request_accepted", _exchange({"billing": 1}, 422, invalid)) is None
    assert _run(sc, "invalid_request_rejected", _exchange(unknown, 200, {"payment_id": "p"})) is None


def test_integral_floats_get_only_the_generic_checks(sc: ModuleType) -> None:
    floaty = {**VALID, "product_cart": [{"product_id": "prod_basic", "quantity": 1.0}]}
    invalid = {"code": "INVALID_REQUEST_BODY", "message": "quantity must be an integer"}
    assert _run(sc, "valid_request_accepted", _exchange(floaty, 422, invalid)) is None
    assert _run(sc, "no_server_error", _exchange(floaty, 500, invalid)) is not None


def test_a_changed_or_missing_auth_header_is_not_judged_by_body_checks(sc: ModuleType) -> None:
    bad = {**VALID, "billing": {"country": "us"}}
    unauthorised = {"code": "UNAUTHORIZED", "message": "no key"}
    for kwargs in ({"auth": "Bearer someone-else"}, {"auth": None}, {"negative_header": True}):
        exchange = _exchange(bad, 401, unauthorised, **kwargs)
        assert _run(sc, "invalid_request_rejected", exchange) is None, kwargs
        assert _run(sc, "error_schema_conformance", _exchange(bad, 401, {"error": "x"}, **kwargs)) is not None


def test_other_operations_get_only_the_generic_checks(sc: ModuleType) -> None:
    not_allowed = {"code": "METHOD_NOT_ALLOWED", "message": "no"}
    exchange = _exchange(b"", 405, not_allowed, method="TRACE")
    assert _run(sc, "status_code_documented", exchange) is None
    assert _run(sc, "no_server_error", _exchange(b"", 503, not_allowed, path="/other")) is not None
    # The same 405 on POST /payments is judged.
    assert _run(sc, "status_code_documented", _exchange(VALID, 405, not_allowed)) is not None


def test_the_key_never_appears_in_a_failure(sc: ModuleType) -> None:
    leaky = {"code": f"KEY_{KEY}", "message": f"bad key {KEY}"}
    message = _run(sc, "error_code_documented", _exchange(VALID, 422, leaky))
    assert message is not None and KEY not in message


def test_payment_id_unique_tolerates_re_checking_one_exchange(sc: ModuleType) -> None:
    cls = ST_CHECKS.get_one(sc.PREFIX + "payment_id_unique")
    check = cls()
    ok = {"payment_id": "pay_1", "total_amount": 1000}
    first = _exchange(VALID, 200, ok, case_id="a")
    assert check.after_response(*first) is None
    assert check.after_response(*first) is None  # shrinking/replay calls it again for the same exchange
    with pytest.raises(AssertionError, match="payment_id_unique"):
        check.after_response(*_exchange(VALID, 200, ok, case_id="b"))


def test_bad_environment_fails_when_the_hooks_load(sc: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LATENCY"):
        sc._context_from_env({sc.LATENCY_ENV: "-1"})
    with pytest.raises(ConfigError):
        sc._context_from_env({sc.FIXTURES_ENV: str(tmp_path / "missing.json")})
    assert sc._context_from_env({sc.LATENCY_ENV: "250"}).latency_budget_ms == 250.0


def test_the_spec_version_comes_from_the_environment(sc: ModuleType, tmp_path: Path) -> None:
    assert sc._context_from_env({}).contract.version == "1.113.0"
    old = sc._context_from_env({sc.SPEC_VERSION_ENV: "1.86.0"})
    assert old.contract.version == "1.86.0"
    assert "DISCOUNT_NOT_YET_ACTIVE" not in old.settings.documented_codes  # the version's codes
    with pytest.raises(ConfigError, match=r"env DODO_CONTRACT_SPEC_VERSION: unknown spec version '7'"):
        sc._context_from_env({sc.SPEC_VERSION_ENV: "7"})
    with pytest.raises(ConfigError, match="not both"):
        sc._context_from_env({sc.SPEC_VERSION_ENV: "1.86.0", sc.OPENAPI_ENV: str(tmp_path / "x.json")})


def test_importing_the_package_does_not_load_it() -> None:
    code = "import sys, dodo_contract; print('dodo_contract.frontends.schemathesis_checks' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def _schemathesis_run(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # cwd: `schemathesis run` keeps a crash cache in ./.schemathesis, which must not land in the repository.
    cli = [sys.executable, "-m", "schemathesis.cli"]
    args = ["--config-file", str(ROOT / "schemas" / "schemathesis.toml"), "run", str(ROOT / "schemas" / "openapi.yaml")]
    args += ["--url", url, "-H", f"Authorization: Bearer {KEY}", "-n", "10", "--no-color", "-w", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMATHESIS_", "DODO_CONTRACT_"))}
    return subprocess.run([*cli, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False)


def test_schemathesis_run_passes_the_faithful_mock(tmp_path: Path) -> None:
    with serve_mock(api_key=KEY) as server:
        done = _schemathesis_run(server.url, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "passed" in done.stdout


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("accept_missing_billing", "dodo_invalid_request_rejected"),
        ("metadata_not_echoed", "dodo_request_values_reflected"),
    ],
)
def test_schemathesis_run_catches_a_fault_with_our_check(fault: str, check: str, tmp_path: Path) -> None:
    with serve_mock(api_key=KEY, fault=fault) as server:
        done = _schemathesis_run(server.url, tmp_path)
    assert done.returncode != 0, done.stdout[-3000:]
    assert check in done.stdout
    assert KEY not in done.stdout + done.stderr


def test_a_200_is_read_strictly_as_the_engine_reads_it(sc: ModuleType) -> None:
    answer = json.dumps({"payment_id": "p", "total_amount": 1000}).encode()
    assert _run(sc, "response_json_strict", _exchange(VALID, 200, answer)) is None
    message = _run(sc, "response_json_strict", _exchange(VALID, 200, b"\xef\xbb\xbf" + answer))
    assert message is not None and "response.json.bom" in message
    message = _run(sc, "response_json_strict", _exchange(VALID, 200, b'{"total_amount":0,' + answer[1:]))
    assert message is not None and "response.json.duplicate_key" in message
