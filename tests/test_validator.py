"""The validator: table-driven rule cases, documented examples, API shape, and hostile input."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dodo_contract import ContractViolation, Violation, validate_error, validate_request, validate_response
from dodo_contract.contract.versions import BUNDLED, LATEST
from dodo_contract.errors import ConfigError, pointer_sort_key
from dodo_contract.validation.validator import known_rules
from tests import _shared

CASES = Path(__file__).parent / "cases"
EXAMPLES = _shared.EXAMPLES
VALIDATE = {"request": validate_request, "response": validate_response, "error": validate_error}


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _apply(base: Any, ops: list[list[Any]]) -> Any:
    doc = copy.deepcopy(base)
    for op in ops:
        *parents, last = [_unescape(t) for t in op[1].split("/")[1:]]
        target = doc
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        key: Any = int(last) if isinstance(target, list) else last
        if op[0] == "del":
            del target[key]
        else:
            target[key] = copy.deepcopy(op[2])
    return doc


def _table(kind: str) -> list[Any]:
    """Return (kind, version, base, case) rows: each case for each version it names (default: every one)."""
    data = json.loads((CASES / f"{kind}_rules.json").read_text(encoding="utf-8"))
    rows = []
    for version in BUNDLED:
        for case in data["cases"]:
            if version not in case.get("versions", BUNDLED):
                continue
            variants = [v for v in case["invalid"] if version in v.get("versions", BUNDLED)]
            rows.append(pytest.param(kind, version, data["base"], {**case, "invalid": variants},
                                     id=f"{version}:{kind}:{case['rule']}"))  # fmt: skip
    return rows


TABLE = _table("request") + _table("response") + _table("error")


@pytest.mark.parametrize(("kind", "version", "base", "case"), TABLE)
def test_rule_case_valid_then_each_invalid_variant(kind: str, version: str, base: Any, case: dict[str, Any]) -> None:
    validate = VALIDATE[kind]
    valid = _apply(base, case["valid"])
    assert validate(valid, spec_version=version).ok, validate(valid, spec_version=version).violations
    assert case["invalid"], "every rule needs at least one invalid payload"
    for bad in case["invalid"]:
        result = validate(_apply(base, bad["ops"]), spec_version=version)
        assert not result.ok
        assert {(v.pointer, v.rule) for v in result.violations} == {(bad["pointer"], case["rule"])}, bad


@pytest.mark.parametrize("version", BUNDLED)
def test_every_reportable_rule_has_a_table_case(version: str) -> None:
    for kind in ("request", "response", "error"):
        covered = {row.values[3]["rule"] for row in TABLE if row.values[0] == kind and row.values[1] == version}
        if kind == "request":
            covered |= {b["rule"] for b in json.loads((CASES / "request_rules.json").read_text())["bodies"]}
        else:
            covered |= {"body.json", "body.type"}
        assert set(known_rules(kind, spec_version=version)) == covered


@pytest.mark.parametrize("body", json.loads((CASES / "request_rules.json").read_text())["bodies"], ids=repr)
def test_raw_bodies_as_text_and_bytes(body: dict[str, str]) -> None:
    for payload in (body["body"], body["body"].encode()):
        result = validate_request(payload)
        assert [(v.pointer, v.rule) for v in result.violations] == [(body["pointer"], body["rule"])]


# Verdicts SOURCES.md states (validity against the spec v1.86.0 schema). The docs' prose rule for return_url
# (absolute http(s) URL) additionally rejects the SDK/docs placeholder "return_url" / "<string>".
SOURCES_VERDICT = {
    "request_01_sdk_minimal.json": True,
    "request_02_sdk_all_params_sdk1.84.1.json": True,
    "request_03_sdk_all_params_sdk1.123.0.json": True,
    "request_04_docs_mintlify_example_legacy.json": True,
    "request_05_docs_integration_guide_new_customer_INVALID_zipcode_int.json": False,
    "request_06_docs_changelog_v1.70_payment_method_id_INVALID_shape.json": False,
    "response_01_docs_mintlify_example_legacy.json": True,
    "response_02_docs_mintlify_example_current.json": True,
    "error_01_docs_error_codes_page.json": True,
    "error_02_docs_api_introduction.json": True,
}
PROSE_ONLY = {
    "request_02_sdk_all_params_sdk1.84.1.json": {("/return_url", "return_url.pattern")},
    "request_03_sdk_all_params_sdk1.123.0.json": {("/return_url", "return_url.pattern")},
    "request_04_docs_mintlify_example_legacy.json": {("/return_url", "return_url.pattern")},
}
# The SDK's generated all-params test sends discount_code and discount_codes together, which 1.113.0's prose forbids.
PROSE_ONLY_113 = {
    **PROSE_ONLY,
    "request_03_sdk_all_params_sdk1.123.0.json": {
        ("/return_url", "return_url.pattern"),
        ("/discount_codes", "discount_codes.exclusive_with_discount_code"),
    },
}


def test_sources_md_lists_every_example() -> None:
    sources = (EXAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    on_disk = {p.name for p in EXAMPLES.glob("*.json")}
    assert on_disk == set(SOURCES_VERDICT)
    for name in on_disk:
        assert name in sources


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("name", sorted(SOURCES_VERDICT))
def test_examples_get_the_verdict_sources_md_states(name: str, version: str) -> None:
    payload = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    kind = name.split("_", 1)[0]
    if kind == "error":
        assert validate_error(payload, spec_version=version).ok is SOURCES_VERDICT[name]
        return
    validate = VALIDATE[kind]
    assert validate(payload, spec_only=True, spec_version=version).ok is SOURCES_VERDICT[name]
    found = {(v.pointer, v.rule) for v in validate(payload, spec_version=version).violations}
    if SOURCES_VERDICT[name]:
        assert found == (PROSE_ONLY if version == "1.86.0" else PROSE_ONLY_113).get(name, set())


def test_invalid_examples_fail_where_sources_md_says() -> None:
    zipcode = validate_request(
        (EXAMPLES / "request_05_docs_integration_guide_new_customer_INVALID_zipcode_int.json").read_bytes()
    )
    assert [(v.pointer, v.rule) for v in zipcode.violations] == [("/billing/zipcode", "billing.zipcode.type")]
    shape = validate_request(
        (EXAMPLES / "request_06_docs_changelog_v1.70_payment_method_id_INVALID_shape.json").read_bytes()
    )
    assert {(v.pointer, v.rule) for v in shape.violations} == {("", "billing.required"), ("", "customer.required")}


BASE = {
    "billing": {"country": "US"},
    "customer": {"customer_id": "cus_1"},
    "product_cart": [{"product_id": "p", "quantity": 1}],
}


def test_ambiguous_customer_is_the_attach_form_and_valid() -> None:
    payload = {**BASE, "customer": {"customer_id": "cus_1", "email": "a@example.com"}, "payment_method_id": "pm_1"}
    assert validate_request(payload).ok
    strict = validate_request(payload, strict=True)
    assert [(v.pointer, v.rule) for v in strict.violations] == [("/customer/email", "customer.unknown")]
    assert "Attach Existing Customer" in strict.violations[0].message


def test_strict_reports_unknown_keys_everywhere_but_metadata() -> None:
    payload = {
        **BASE,
        "extra": 1,
        "billing": {"country": "US", "county": "x"},
        "product_cart": [{"product_id": "p", "quantity": 1, "sku": "s"}],
        "metadata": {"free": "form"},
    }
    assert validate_request(payload).ok
    found = [(v.pointer, v.rule, v.keyword) for v in validate_request(payload, strict=True).violations]
    assert found == [
        ("/billing/county", "billing.unknown", "additionalProperties"),
        ("/extra", "body.unknown", "additionalProperties"),
        ("/product_cart/0/sku", "product_cart.items.unknown", "additionalProperties"),
    ]


def test_all_violations_are_collected_and_sorted_by_pointer() -> None:
    payload = {
        "billing": {"country": "us", "zipcode": 1},
        "customer": {},
        "product_cart": [{"product_id": "p", "quantity": -1}] * 2 + [{"product_id": 1, "quantity": 1}] * 9,
        "return_url": "x",
    }
    pointers = [v.pointer for v in validate_request(payload).violations]
    assert pointers == sorted(pointers, key=pointer_sort_key)
    assert pointers == [
        "/billing/country",
        "/billing/zipcode",
        "/customer",
        "/product_cart/0/quantity",
        "/product_cart/1/quantity",
        *[f"/product_cart/{i}/product_id" for i in range(2, 11)],
        "/return_url",
    ]


def test_violation_shape_is_frozen_and_printable() -> None:
    result = validate_request({**BASE, "product_cart": [{"product_id": "p", "quantity": -1}]})
    (violation,) = result.violations
    assert str(violation) == "/product_cart/0/quantity: -1 is less than the minimum of 0 [minimum]"
    assert violation.to_dict() == {
        "pointer": "/product_cart/0/quantity",
        "rule": "product_cart.items.quantity.minimum",
        "keyword": "minimum",
        "message": "-1 is less than the minimum of 0",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.pointer = "/x"  # type: ignore[misc]
    assert isinstance(violation, Violation)


def test_raise_for_violations_is_an_assertion_listing_each() -> None:
    validate_request(BASE).raise_for_violations()
    result = validate_request({**BASE, "billing": {"country": "XX"}, "payment_link": "yes"})
    with pytest.raises(ContractViolation) as info:
        result.raise_for_violations()
    assert isinstance(info.value, AssertionError)
    assert len(info.value.violations) == 2
    assert "/billing/country" in str(info.value) and "/payment_link" in str(info.value)


def test_enum_messages_suggest_the_case_fix_and_stay_short() -> None:
    (v,) = validate_request({**BASE, "billing_currency": "usd"}).violations
    assert 'did you mean "USD"' in v.message
    huge = "A" * 50_000_000
    (big,) = validate_request({**BASE, "billing": {"country": huge}}).violations
    assert big.pointer == "/billing/country" and len(big.message) < 200


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe\x00garbage",
        b"\x80abc",
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"amount": Infinity}',
        "-Infinity",
        "NaN",
        "\ufeff{}",
    ],
    ids=["binary", "invalid-utf8", "deep-array", "deep-object", "infinity", "neg-infinity", "nan", "bom"],
)
def test_hostile_text_gives_violations_not_exceptions(payload: str | bytes) -> None:
    for validate in VALIDATE.values():
        result = validate(payload)
        assert not result.ok
        assert all(isinstance(v, Violation) for v in result.violations)


def test_hostile_python_values_give_body_json_violations() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["x"] = {}
        node = node["x"]
    assert validate_request({**BASE, "deep": deep}).ok  # unknown keys are not read, however deep
    assert [v.rule for v in validate_request({**BASE, "deep": deep}, strict=True).violations] == ["body.unknown"]
    assert not validate_request(deep).ok
    for bad, pointer in [
        ({1: 2}, ""),
        ({**BASE, "product_cart": ({"product_id": "p", "quantity": 1},), "metadata": {"x": {3}}}, "/metadata/x"),
        (object(), ""),
    ]:
        result = validate_request(bad)
        assert not result.ok
        assert pointer in [v.pointer for v in result.violations if v.rule == "body.json"]


def test_circular_structures_are_reported_not_walked_forever() -> None:
    loop: dict[str, Any] = {}
    loop["a"] = loop
    cart: list[Any] = []
    cart.append(cart)
    shared = {"product_id": "p", "quantity": 1}
    for payload, pointer in [(loop, "/a"), ({**BASE, "product_cart": cart}, "/product_cart/0")]:
        for strict in (False, True):
            found = validate_request(payload, strict=strict).violations
            assert [(v.pointer, v.rule) for v in found] == [(pointer, "body.json")]
            assert "circular" in found[0].message
    # The same object twice is not a cycle: it is judged like any other value.
    assert validate_request({**BASE, "product_cart": [shared, shared]}).ok


def test_nan_in_a_mapping_reads_as_null_as_documented() -> None:
    nan = float("nan")
    found = validate_request({**BASE, "product_cart": [{"product_id": "p", "quantity": nan}]}).violations
    assert [(v.pointer, v.rule) for v in found] == [("/product_cart/0/quantity", "product_cart.items.quantity.type")]
    text = json.dumps({**BASE, "product_cart": [{"product_id": "p", "quantity": 1, "amount": nan}]})
    assert [v.rule for v in validate_request(text).violations] == ["body.json"]


def test_fifty_megabyte_string_is_fine() -> None:
    big = "é" * 25_000_000
    assert validate_request({**BASE, "tax_id": big}).ok
    assert [v.rule for v in validate_request({**BASE, "metadata": {"k": big}}).violations] == [
        "metadata.value.maxLength"
    ]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
KEYS = st.sampled_from(["billing", "customer", "product_cart", "metadata", "return_url", "payment_method_id"])


@given(st.one_of(JSON_VALUES, st.dictionaries(KEYS, JSON_VALUES), st.binary(max_size=64)))
def test_any_json_value_gives_a_result_never_an_exception(payload: Any) -> None:
    for validate in VALIDATE.values():
        result = validate(payload)
        assert result.ok is (not result.violations)
        for v in result.violations:
            assert v.pointer == "" or v.pointer.startswith("/")
            assert v.rule and v.keyword and v.message
        if isinstance(payload, (dict, list)):
            text = json.dumps(payload)
            assert validate(text).violations == result.violations


def test_numeric_looking_object_keys_keep_their_pointer() -> None:
    found = validate_request({**BASE, "metadata": {"0": 1, "1": "ok"}}, spec_version="1.86.0").violations
    assert [(v.pointer, v.rule) for v in found] == [("/metadata/0", "metadata.value.type")]
    found = validate_request({**BASE, "metadata": {"0": None, "1": "ok"}}).violations
    assert [(v.pointer, v.rule) for v in found] == [("/metadata/0", "metadata.value.type")]


@pytest.mark.parametrize(
    ("items", "duplicated"),
    [
        (["ach", "ach"], True),
        (["ach", "credit"], False),
        ([1, 1.0], True),
        ([True, 1], False),
        ([{"a": 1}, {"a": 1.0}], True),
        ([[1], [1]], True),
        ([{"a": 1}, {"b": 1}], False),
    ],
)
def test_unique_items_follows_json_equality(items: list[Any], duplicated: bool) -> None:
    rules = {v.rule for v in validate_request({**BASE, "allowed_payment_method_types": items}).violations}
    assert ("allowed_payment_method_types.uniqueItems" in rules) is duplicated


@pytest.mark.parametrize(
    ("value", "valid_in_113"),
    [
        (5, True),
        (5.5, True),
        (True, True),
        (False, True),
        ("s", True),
        (-(2**63), True),
        (None, False),
        ([1], False),
        ({"a": 1}, False),
    ],
)
def test_metadata_values_the_1_113_0_trap(value: Any, valid_in_113: bool) -> None:
    # Strict oneOf over integer and number would reject every integer; read as anyOf, as the docs and SDK allow.
    for kind, validate, base in (("request", validate_request, BASE), ("response", validate_response, RESPONSE)):
        payload = {**base, "metadata": {"k": value}}
        assert validate(payload, spec_version="1.113.0").ok is valid_in_113, (kind, value)
        assert validate(payload, spec_version="1.86.0").ok is isinstance(value, str), (kind, value)
        if not valid_in_113:
            found = validate(payload, spec_version="1.113.0").violations
            assert [(v.pointer, v.rule) for v in found] == [("/metadata/k", "metadata.value.type")]


def test_only_string_metadata_values_are_length_limited_in_1_113_0() -> None:
    assert validate_request({**BASE, "metadata": {"k": 10**400}}, spec_version="1.113.0").ok
    (long,) = validate_request({**BASE, "metadata": {"k": "x" * 501}}, spec_version="1.113.0").violations
    assert long.rule == "metadata.value.maxLength"


RESPONSE = {
    "payment_id": "pay_1",
    "total_amount": 1,
    "client_secret": "cs",
    "customer": {"customer_id": "c", "email": "e", "name": "n"},
    "metadata": {},
}


@pytest.mark.parametrize("pointer", ["/product_cart/0/quantity", "/product_cart/0/amount"])
@pytest.mark.parametrize("sign", [1, -1])
def test_integers_longer_than_pythons_digit_limit_are_out_of_range(pointer: str, sign: int) -> None:
    huge = sign * 10**5000
    field = pointer.rsplit("/", 1)[1]
    payload = {**BASE, "product_cart": [{"product_id": "p", "quantity": 1, field: huge}]}
    rule = f"product_cart.items.{field}.{'maximum' if sign > 0 else 'minimum'}"
    as_dict = validate_request(payload).violations
    assert [(v.pointer, v.rule) for v in as_dict] == [(pointer, rule)]
    assert "5001 digits" in as_dict[0].message
    text = json.dumps(BASE)[:-1] + ', "x": 1}'
    text = text.replace('"quantity": 1', f'"quantity": 1, "{field}": {"-" if sign < 0 else ""}1' + "0" * 5000)
    as_text = validate_request(text).violations
    assert [(v.pointer, v.rule) for v in as_text] == [(pointer, rule)]
    assert validate_request(text.encode()).violations == as_text


def test_an_integral_float_is_an_integer_and_a_huge_float_is_out_of_range() -> None:
    assert validate_request({**BASE, "product_cart": [{"product_id": "p", "quantity": 1.0}]}).ok
    assert validate_request('{"billing": {"country": "US"}, "customer": {"customer_id": "c"}, '
                            '"product_cart": [{"product_id": "p", "quantity": 1.0}]}').ok  # fmt: skip
    (big,) = validate_request({**BASE, "product_cart": [{"product_id": "p", "quantity": 1e300}]}).violations
    assert big.rule == "product_cart.items.quantity.maximum"


def test_the_validate_command_judges_a_huge_integer_without_a_traceback(tmp_path: Path) -> None:
    from dodo_contract.frontends.cli import main

    path = tmp_path / "huge.json"
    path.write_text(json.dumps(BASE).replace('"quantity": 1', '"quantity": 1' + "0" * 5000))
    out, err = __import__("io").StringIO(), __import__("io").StringIO()
    assert main(["validate", "request", str(path)], stdout=out, stderr=err) == 1
    assert "product_cart.items.quantity.maximum" in out.getvalue() and "Traceback" not in err.getvalue()


def test_an_unknown_version_is_a_config_error_naming_the_bundled_ones() -> None:
    with pytest.raises(ConfigError, match=r"1\.86\.0, 1\.113\.0") as info:
        validate_request(BASE, spec_version="1.99.0")
    assert "latest" in str(info.value)
    assert validate_request(BASE, spec_version="latest") == validate_request(BASE, spec_version=LATEST)
    assert known_rules("request") == known_rules("request", spec_version=LATEST)
    assert "discount_codes.maxItems" not in known_rules("request", spec_version="1.86.0")


@pytest.mark.parametrize("version", BUNDLED)
@given(st.one_of(JSON_VALUES, st.dictionaries(KEYS, JSON_VALUES), st.fixed_dictionaries(
    {"billing": st.just({"country": "US"}), "customer": JSON_VALUES, "product_cart": JSON_VALUES,
     "metadata": JSON_VALUES, "discount_codes": JSON_VALUES, "require_phone_number": JSON_VALUES})))  # fmt: skip
def test_the_detailed_path_finds_a_violation_exactly_when_jsonschema_rs_does(version: str, payload: Any) -> None:
    # The walker must agree with the fast path on every payload, or the fallback (jsonschema_rs's own words)
    # would be needed: it never is.
    from dodo_contract.validation import validator as v

    for kind in ("request", "response"):
        compiled = v._compiled(version, kind, False)  # type: ignore[arg-type]
        found: list[Violation] = []
        compiled.root.check(payload, (), found)
        assert bool(found) is (not compiled.rs.is_valid(payload)), (kind, payload, found)
