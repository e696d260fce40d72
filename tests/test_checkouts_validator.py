"""The validator for Checkout Sessions: a rule table per rule (pointer and rule id), the SDK's requests, the API.

``tests/cases/checkouts_request_rules.json`` holds one case per request rule of ``POST /checkouts`` (the preview
takes the same body), ``checkouts_response_rules.json`` one per rule of each operation's 200 body: a valid variant
and invalid ones, each reporting exactly its rule at its pointer, for every version it names (default: both).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from dodo_contract.contract.settings import ContractSettings
from dodo_contract.contract.versions import BUNDLED, get_contract
from dodo_contract.errors import ConfigError
from dodo_contract.validation.validator import known_rules, validate_error, validate_request, validate_response
from tests.test_validator import _apply

CASES = Path(__file__).parent / "cases"
REQUESTS = json.loads((CASES / "checkouts_request_rules.json").read_text(encoding="utf-8"))
RESPONSES = json.loads((CASES / "checkouts_response_rules.json").read_text(encoding="utf-8"))
OPERATIONS = ("checkouts", "checkouts.preview", "checkouts.get")


def _rows() -> list[Any]:
    rows = []
    tables = [("request", "checkouts", REQUESTS)] + [("response", op, RESPONSES[op]) for op in OPERATIONS]
    for kind, operation, data in tables:
        for version in BUNDLED:
            for case in data["cases"]:
                if version not in case.get("versions", BUNDLED):
                    continue
                variants = [v for v in case["invalid"] if version in v.get("versions", BUNDLED)]
                rows.append(pytest.param(kind, operation, version, data["base"], {**case, "invalid": variants},
                                         id=f"{version}:{operation}:{kind}:{case['rule']}"))  # fmt: skip
    return rows


TABLE = _rows()


def _validate(kind: str, payload: Any, operation: str, version: str) -> Any:
    check = validate_request if kind == "request" else validate_response
    return check(payload, operation=operation, spec_version=version)


@pytest.mark.parametrize(("kind", "operation", "version", "base", "case"), TABLE)
def test_rule_case_valid_then_each_invalid_variant(
    kind: str, operation: str, version: str, base: Any, case: dict[str, Any]
) -> None:
    valid = _apply(base, case["valid"])
    assert _validate(kind, valid, operation, version).ok, _validate(kind, valid, operation, version).violations
    assert case["invalid"], "every rule needs at least one invalid payload"
    for bad in case["invalid"]:
        result = _validate(kind, _apply(base, bad["ops"]), operation, version)
        assert {(v.pointer, v.rule) for v in result.violations} == {(bad["pointer"], case["rule"])}, bad


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_reportable_rule_has_a_table_case(version: str, operation: str) -> None:
    def covered(kind: str, op: str) -> set[str]:
        return {row.values[4]["rule"] for row in TABLE if row.values[:3] == (kind, op, version)}

    whole = {"body.json", "body.type"}
    assert (
        set(known_rules("response", spec_version=version, operation=operation))
        == covered("response", operation) | whole
    )
    if operation != "checkouts.get":
        bodies = {b["rule"] for b in REQUESTS["bodies"]}
        assert (
            set(known_rules("request", spec_version=version, operation=operation))
            == covered("request", "checkouts") | bodies
        )
    assert set(known_rules("error", spec_version=version, operation=operation)) == set(known_rules("error"))


def test_the_preview_takes_the_very_request_of_create() -> None:
    for version in BUNDLED:
        create, preview = (get_contract(version, operation=o) for o in ("checkouts", "checkouts.preview"))
        assert create.schema("request") == preview.schema("request")
        assert create.names["response"] != preview.names["response"]


@pytest.mark.parametrize("body", REQUESTS["bodies"], ids=repr)
def test_raw_bodies_as_text_and_bytes(body: dict[str, str]) -> None:
    for payload in (body["body"], body["body"].encode()):
        result = validate_request(payload, operation="checkouts")
        assert [(v.pointer, v.rule) for v in result.violations] == [(body["pointer"], body["rule"])]


def test_every_violation_of_a_payload_is_reported_sorted_by_pointer() -> None:
    payload = {
        "product_cart": [{"product_id": "p", "quantity": 0}, {"product_id": 5, "quantity": 1}],
        "customer": {},
        "confirm": True,
        "customization": {"theme_config": {"radius": "4"}},
        "custom_fields": [{"key": "a", "label": "A", "field_type": "dropdown"}],
    }
    found = [(v.pointer, v.rule) for v in validate_request(payload, operation="checkouts").violations]
    assert found == [
        ("/billing_address", "billing_address.confirm_requires_full_address"),
        ("/custom_fields/0", "custom_fields.items.options.required_for_dropdown"),
        ("/customer", "customer.customer_id_or_email.required"),
        ("/customization/theme_config/radius", "customization.theme_config.radius.pattern"),
        ("/product_cart/0/quantity", "product_cart.items.quantity.minimum"),
        ("/product_cart/1/product_id", "product_cart.items.product_id.type"),
    ]


def test_messages_say_why_in_the_words_of_the_rule() -> None:
    line = {"product_cart": [{"product_id": "p", "quantity": 1}]}
    cases = {
        "customization.theme_config.font_primary_url.pattern": (
            {"customization": {"theme_config": {"font_primary_url": "http://x.com/a.woff"}}},
            '"http://x.com/a.woff" is not an absolute https URL',
        ),
        "customization.theme_config.radius.pattern": (
            {"customization": {"theme_config": {"radius": "4"}}},
            '"4" is not a number followed by px, rem or em',
        ),
        "customer.type": ({"customer": 5}, '5 is not of type "object" or "null"'),
        "feature_flags.require_phone_number_needs_collection": (
            {"feature_flags": {"require_phone_number": True, "allow_phone_number_collection": False}},
            "allow_phone_number_collection",
        ),
    }
    for rule, (extra, words) in cases.items():
        (violation,) = validate_request({**line, **extra}, operation="checkouts").violations
        assert violation.rule == rule and words in violation.message


def test_strict_reports_unknown_keys_of_a_session() -> None:
    payload = {"product_cart": [{"product_id": "p", "quantity": 1, "price": 5}], "payment_link": True}
    assert validate_request(payload, operation="checkouts").ok
    strict = validate_request(payload, operation="checkouts", strict=True)
    assert {(v.pointer, v.rule) for v in strict.violations} == {
        ("/payment_link", "body.unknown"), ("/product_cart/0/price", "product_cart.items.unknown")}  # fmt: skip


def test_spec_only_drops_the_prose_rules_of_the_overlay() -> None:
    broken = {
        "product_cart": [{"product_id": "p", "quantity": 0}] * 21,
        "confirm": True,
        "payment_method_id": "pm_1",
        "tax_id": "DE1",
        "customization": {"theme_config": {"radius": "4", "pay_button_text": "x" * 101}},
        "custom_fields": [{"key": "a", "label": "A", "field_type": "dropdown"}] * 6,
        "subscription_data": {"trial_period_days": 10001},
        "return_url": "return_url",
    }
    assert len(validate_request(broken, operation="checkouts").violations) >= 10
    assert validate_request(broken, operation="checkouts", spec_only=True).ok
    assert not validate_request({**broken, "confirm": "yes"}, operation="checkouts", spec_only=True).ok


def test_errors_of_the_checkouts_operations_are_the_documented_body() -> None:
    for operation in OPERATIONS:
        assert validate_error({"code": "NOT_FOUND", "message": "no such session"}, operation=operation).ok
        assert [(v.pointer, v.rule) for v in validate_error({"code": 404}, operation=operation).violations] == [
            ("", "message.required"), ("/code", "code.type")]  # fmt: skip


def test_an_unknown_operation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown operation"):
        validate_response({}, operation="checkout.get")


# --- the SDK's requests -----------------------------------------------------------------------------------
dodopayments = pytest.importorskip("dodopayments")


def _sent(call: str, **params: Any) -> dict[str, Any]:
    """Return the JSON body the official SDK (1.123.0) sends for ``checkout_sessions.<call>(**params)``."""
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        body = {"session_id": "cks_1"} if call == "create" else {}
        return httpx.Response(200, json=body)

    transport = httpx.Client(transport=httpx.MockTransport(answer))
    client = dodopayments.DodoPayments(bearer_token="sk_test_sdk_capture_0123", base_url="http://sdk.invalid",
                                       http_client=transport, max_retries=0)  # fmt: skip
    # Only the request body matters here, not how the SDK reads our stub answer.
    with client, contextlib.suppress(Exception):
        getattr(client.checkout_sessions, call)(**params)
    (body,) = seen
    return body


SDK_CASES = json.loads((CASES / "checkouts" / "sdk_requests.json").read_text(encoding="utf-8"))


@pytest.fixture(params=sorted(SDK_CASES), ids=str)
def sdk_case(request: pytest.FixtureRequest) -> dict[str, Any]:
    case: dict[str, Any] = SDK_CASES[request.param]
    return case


def test_the_sdk_sends_what_the_case_file_holds(sdk_case: dict[str, Any]) -> None:
    for call in ("create", "preview"):
        assert _sent(call, **sdk_case["params"]) == sdk_case["params"]


@pytest.mark.parametrize("version", BUNDLED)
def test_the_sdk_requests_get_the_verdict_their_case_states(sdk_case: dict[str, Any], version: str) -> None:
    body = _sent("create", **sdk_case["params"])
    for reading, expected in sdk_case["verdict"].items():
        settings = ContractSettings(**json.loads(reading)) if reading != "default" else ContractSettings()
        contract = settings.contract(version, operation="checkouts")
        found = sorted([v.pointer, v.rule] for v in validate_request(body, spec_version=contract).violations)
        wanted = expected.get(version, expected["all"]) if isinstance(expected, dict) else expected
        assert found == sorted(wanted), (reading, found)


def test_the_readme_example_prints_what_it_says() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if 'operation="checkouts"' in b]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    claimed = re.search(r"print\(v, v\.rule\)\s+# (.+?) \.\.\. (\S+)\n", block)
    assert claimed is not None
    line = printed.getvalue().strip()
    assert line.startswith(claimed.group(1)) and line.endswith(claimed.group(2))
    claims = re.findall(r"^(validate_response\(.*\)\.ok)\s+# (True|False)$", block, re.M)
    assert len(claims) == 2
    for expression, result in claims:
        assert str(eval(expression, {"validate_response": validate_response})) == result
