"""The reference mock serves either spec version faithfully: what 1.113.0 adds, and that 1.86.0 knows none of it."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from dodo_contract.errors import ConfigError
from dodo_contract.frontends.cli import main
from dodo_contract.mock.app import create_app, serve_mock
from dodo_contract.validation.validator import validate_error, validate_response
from tests import _shared

KEY = "sk_test_mock_versions_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CATALOG = Path(__file__).parent / "cases" / "mock" / "catalog.json"
BASE: dict[str, Any] = {
    "billing": {"country": "US"},
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "product_cart": [{"product_id": "prod_basic", "quantity": 1}],
}
NEW, OLD = "1.113.0", "1.86.0"


def post(app: Any, body: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            return await client.post("/payments", json=body, headers=AUTH)

    return asyncio.run(go())


def with_(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BASE), **changes}


def app_of(version: str | None, catalog: Any = CATALOG) -> Any:
    return create_app(fixtures=catalog, api_key=KEY, seed=3, spec_version=version)


def ok(response: httpx.Response, version: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert validate_response(body, spec_version=version).ok, body
    return body


def refused(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert validate_error(body).ok, body
    assert body["code"] == code, body
    return body


@pytest.mark.parametrize("version", [OLD, NEW, None])
def test_an_empty_cart_gets_the_code_the_real_server_returns_in_every_version(version: str | None) -> None:
    refused(post(app_of(version), with_(product_cart=[])), "PRODUCT_CART_EMTPY")


# --- 1.113.0 -----------------------------------------------------------------------------------------------


def test_numeric_and_boolean_metadata_is_accepted_and_echoed_with_its_types() -> None:
    metadata = {"count": 5, "ratio": 5.5, "flag": True, "note": "five", "zero": 0, "off": False}
    body = ok(post(app_of(NEW), with_(metadata=metadata)), NEW)
    assert body["metadata"] == metadata
    assert [type(body["metadata"][k]) for k in metadata] == [int, float, bool, str, int, bool]


def test_satispay_is_a_payment_method_type_of_1_113_0_only() -> None:
    request = with_(allowed_payment_method_types=["credit", "satispay"])
    ok(post(app_of(NEW), request), NEW)
    refused(post(app_of(OLD), request), "INVALID_REQUEST_BODY")


def test_stacked_discount_codes_apply_in_order_and_discount_id_is_the_first() -> None:
    app = app_of(NEW)
    forward = ok(post(app, with_(discount_codes=["SAVE10", "FREE"])), NEW)
    backward = ok(post(app, with_(discount_codes=["FREE", "SAVE10"])), NEW)
    assert forward["discount_ids"] == ["dsc_save10", "dsc_free"]
    assert forward["discount_id"] == "dsc_save10"
    assert backward["discount_ids"] == ["dsc_free", "dsc_save10"]
    assert backward["discount_id"] == "dsc_free"
    assert forward["total_amount"] == backward["total_amount"] == 0  # 1000, less 10%, less 100%


def test_a_stacked_discount_is_taken_off_what_the_previous_one_left() -> None:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    catalog["discount_codes"] = [
        {"code": "A33", "id": "dsc_a", "percentage": 33},
        {"code": "B50", "id": "dsc_b", "percentage": 50},
    ]
    body = ok(post(app_of(NEW, catalog), with_(discount_codes=["A33", "B50"])), NEW)
    after_a = 1000 - 1000 * 33 // 100  # 670
    assert body["total_amount"] == after_a - after_a * 50 // 100  # 335, not 1000 less 83%


def test_every_stacked_code_must_be_a_catalog_code() -> None:
    refused(post(app_of(NEW), with_(discount_codes=["SAVE10", "NOPE"])), "INVALID_DISCOUNT_CODE")


def test_discount_code_with_discount_codes_is_refused_with_invalid_request_parameters() -> None:
    body = refused(
        post(app_of(NEW), with_(discount_code="SAVE10", discount_codes=["FREE"])), "INVALID_REQUEST_PARAMETERS"
    )
    assert [v["rule"] for v in body["violations"]] == ["discount_codes.exclusive_with_discount_code"]


def test_at_most_20_discount_codes() -> None:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    catalog["discount_codes"] = [{"code": f"C{i:02d}", "id": f"dsc_{i:02d}", "percentage": 1} for i in range(21)]
    codes = [d["code"] for d in catalog["discount_codes"]]
    app = app_of(NEW, catalog)
    assert ok(post(app, with_(discount_codes=codes[:20])), NEW)["discount_ids"] == [f"dsc_{i:02d}" for i in range(20)]
    refused(post(app, with_(discount_codes=codes)), "INVALID_REQUEST_PARAMETERS")


def test_require_phone_number_needs_a_new_customer_s_phone_unless_a_payment_link_is_asked() -> None:
    app = app_of(NEW)
    refused(post(app, with_(require_phone_number=True)), "INVALID_REQUEST_PARAMETERS")
    phone = {"email": "ada@example.com", "name": "Ada", "phone_number": "+14155550100"}
    ok(post(app, with_(require_phone_number=True, customer=phone)), NEW)
    ok(post(app, with_(require_phone_number=True, payment_link=True)), NEW)
    ok(post(app, with_(require_phone_number=True, customer={"customer_id": "cus_grace"})), NEW)


def test_customer_business_name_and_adaptive_currency_fees_inclusive_are_accepted() -> None:
    request = with_(customer_business_name="Ada Ltd", tax_id="DE123456789", adaptive_currency_fees_inclusive=True)
    ok(post(app_of(NEW), request), NEW)
    refused(post(app_of(NEW), with_(adaptive_currency_fees_inclusive="yes")), "INVALID_REQUEST_BODY")


# --- 1.86.0 knows none of it ----------------------------------------------------------------------------------


def test_the_1_86_0_mock_ignores_the_fields_it_does_not_know() -> None:
    request = with_(
        discount_code="SAVE10",
        discount_codes=["NOPE"] * 25,  # unknown key: neither refused nor applied
        require_phone_number=True,
        adaptive_currency_fees_inclusive="not a boolean",
        customer_business_name=5,
    )
    body = ok(post(app_of(OLD), request), OLD)
    assert body["discount_id"] == "dsc_save10"
    assert body["total_amount"] == 900
    assert "discount_ids" not in body  # not a field of the 1.86.0 response


def test_the_1_86_0_mock_refuses_numeric_metadata_as_an_invalid_body() -> None:
    body = refused(post(app_of(OLD), with_(metadata={"count": 5})), "INVALID_REQUEST_BODY")
    assert [v["rule"] for v in body["violations"]] == ["metadata.value.type"]


def test_a_fault_of_a_rule_the_version_lacks_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"fault 'accept_21_discount_codes' means nothing in spec version 1\.86\.0"):
        create_app(api_key=KEY, spec_version=OLD, fault="accept_21_discount_codes")
    assert create_app(api_key=KEY, spec_version=NEW, fault="accept_21_discount_codes")


def test_an_unknown_spec_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown spec version '1\.2\.3'.*1\.86\.0, 1\.113\.0"):
        create_app(api_key=KEY, spec_version="1.2.3")


# --- serving ---------------------------------------------------------------------------------------------------


def test_serve_mock_serves_the_version_it_was_given() -> None:
    with serve_mock(api_key=KEY, fixtures=CATALOG, spec_version=OLD) as server:
        assert server.spec_version == OLD
        answer = httpx.post(server.url + "/payments", json=with_(metadata={"n": 5}), headers=AUTH)
    assert answer.json()["code"] == "INVALID_REQUEST_BODY"


def _serve(extra: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "DODO_API_KEY": KEY}
    command = [sys.executable, "-m", "dodo_contract.frontends.cli", "mock", "--port", "0", "--catalog", str(CATALOG)]
    proc = subprocess.Popen([*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    return proc, [proc.stdout.readline(), proc.stdout.readline()]


@pytest.mark.parametrize(
    ("extra", "version"),
    [
        (["--spec-version", OLD], OLD),
        ([], NEW),
        (["--openapi", str(_shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json")], NEW),
    ],
    ids=["1.86.0", "default", "openapi"],
)
def test_mock_command_serves_the_chosen_version(extra: list[str], version: str) -> None:
    proc, lines = _serve(extra)
    try:
        url = lines[0].split(" on ", 1)[1].strip()
        assert f"serving spec version {version}" in lines[1], lines
        answer = httpx.post(url + "/payments", json=with_(metadata={"n": 5}), headers=AUTH)
        assert answer.status_code == (200 if version == NEW else 422)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--spec-version", "9.9.9"], "unknown spec version '9.9.9'; bundled: 1.86.0, 1.113.0"),
        (["--openapi", "/nonexistent/dodo.json"], "/nonexistent/dodo.json"),
        (["--spec-version", OLD, "--openapi", str(CATALOG)], "not both"),
    ],
)
def test_bad_version_options_of_the_mock_exit_2(argv: list[str], fragment: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["mock", "--port", "0", "--api-key", KEY, *argv], stdout=out, stderr=err) == 2
    assert fragment in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert KEY not in out.getvalue() + err.getvalue()


def test_list_faults_marks_the_faults_of_one_version() -> None:
    out = io.StringIO()
    assert main(["mock", "--list-faults"], stdout=out) == 0
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert lines["accept_21_discount_codes"].endswith("(spec 1.113.0 only)")
    assert "only)" not in lines["missing_client_secret"]
