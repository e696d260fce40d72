"""The bundled versions and their contracts: resolving a version, sources, codes, settings, a user's document."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dodo_contract.contract.settings import ContractSettings, VersionCodes
from dodo_contract.contract.versions import BUNDLED, LATEST, get_contract, load_contract, resolve_version
from dodo_contract.errors import ConfigError
from dodo_contract.validation.validator import validate_request, validate_response
from tests import _shared

OPENAPI = _shared.SHARED / "dodo" / "openapi"
VALID = {
    "billing": {"country": "US"},
    "customer": {"email": "a@example.com"},
    "product_cart": [{"product_id": "p", "quantity": 1}],
}
NEW_CODES = {
    "DISCOUNT_NOT_YET_ACTIVE",
    "DISCOUNT_CUSTOMER_NOT_ELIGIBLE",
    "DISCOUNT_PER_CUSTOMER_USAGE_LIMIT_EXCEEDED",
    "DISCOUNT_MINIMUM_SUBTOTAL_NOT_MET",
    "DISCOUNT_CONCURRENT_REDEMPTION",
    "BYOP_CUSTOM_INVOICE_ADDRESS_MISSING",
}


def test_latest_is_the_newest_bundled_version_and_the_default() -> None:
    assert BUNDLED == ("1.86.0", "1.113.0") and LATEST == "1.113.0"
    assert resolve_version(None) == resolve_version("latest") == "1.113.0"
    assert resolve_version("v1.86.0") == "1.86.0"
    assert get_contract() is get_contract("latest") is get_contract("1.113.0")
    assert get_contract(get_contract("1.86.0")) is get_contract("1.86.0")


@pytest.mark.parametrize("bad", ["1.99.0", "", "1.86", "2"])
def test_an_unknown_version_is_a_config_error_listing_the_bundled_ones(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"bundled: 1\.86\.0, 1\.113\.0 \(latest = 1\.113\.0\)"):
        get_contract(bad)


@pytest.mark.parametrize("version", BUNDLED)
def test_each_contract_names_its_source(version: str) -> None:
    contract = get_contract(version)
    path = OPENAPI / contract.source.file
    if path.is_file():
        import hashlib

        assert hashlib.sha256(path.read_bytes()).hexdigest() == contract.source.sha256
    assert contract.source.date == {"1.86.0": "2026-03-01", "1.113.0": "2026-08-17"}[version]
    assert contract.to_dict()["latest"] is (version == LATEST)
    assert all(rule.source for rule in contract.prose_rules)
    assert {r.id for r in contract.prose_rules if r.inferred} >= {"return-url", "customer-first-form"}


@pytest.mark.parametrize("version", BUNDLED)
def test_both_empty_cart_spellings_are_business_codes_and_the_real_one_is_answered(version: str) -> None:
    codes = get_contract(version).codes
    assert {"PRODUCT_CART_EMPTY", "PRODUCT_CART_EMTPY"} <= codes.business
    assert codes.empty_cart == "PRODUCT_CART_EMTPY"
    assert codes.status_of("TOO_MANY_REQUESTS") == 429
    assert "UNSUPPORTED_PAYMENT_CURRENCY" in codes.business
    assert codes.schema == {"INVALID_REQUEST_BODY"}
    assert not codes.schema & codes.business


def test_1_113_0_documents_the_new_refusal_codes_and_their_status() -> None:
    old, new = get_contract("1.86.0").codes, get_contract("1.113.0").codes
    assert new.business >= NEW_CODES and not NEW_CODES & old.documented
    assert new.status_of("DISCOUNT_CONCURRENT_REDEMPTION") == 503
    assert "retry" in new.notes["DISCOUNT_CONCURRENT_REDEMPTION"]
    assert old.status_of("DISCOUNT_CONCURRENT_REDEMPTION") is None
    assert set(new.inferred) >= NEW_CODES


def test_settings_codes_follow_the_version_unless_given() -> None:
    default = ContractSettings()
    assert isinstance(default.business_codes, VersionCodes)
    assert default.business_codes == get_contract(LATEST).codes.business
    old = default.for_contract(get_contract("1.86.0"))
    assert old.business_codes == get_contract("1.86.0").codes.business
    assert old.documented_codes == get_contract("1.86.0").codes.documented
    assert old.for_contract(get_contract("1.113.0")).business_codes == get_contract("1.113.0").codes.business
    given = ContractSettings(business_codes=frozenset({"ONLY_THIS"}))
    assert given.for_contract(get_contract("1.86.0")).business_codes == {"ONLY_THIS"}
    # dataclasses.replace keeps the "left to the version" mark; None means the version's too.
    replaced = dataclasses.replace(default, invalid_status=422).for_contract(get_contract("1.86.0"))
    assert replaced.business_codes == get_contract("1.86.0").codes.business
    assert ContractSettings(schema_codes=None).schema_codes == {"INVALID_REQUEST_BODY"}  # type: ignore[arg-type]


def _copy_of_1_113_0(tmp_path: Path, edit: object = None) -> Path:
    source = OPENAPI / "dodo_openapi_v1.113.0.json"
    if not source.is_file():
        pytest.skip("shared/ is absent")
    document = json.loads(source.read_text(encoding="utf-8"))
    document["info"]["version"] = "1.120.0"
    if callable(edit):
        edit(document)
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(document))
    return path


def test_a_users_newer_document_is_judged_with_the_newest_overlay(tmp_path: Path) -> None:
    contract = load_contract(_copy_of_1_113_0(tmp_path))
    assert contract.version == "1.120.0" and not contract.bundled and contract.skipped == ()
    assert contract.known_rules("request") == get_contract("1.113.0").known_rules("request")
    for payload in (VALID, {**VALID, "discount_codes": ["A"], "discount_code": "B"}, {**VALID, "metadata": {"k": 5}}):
        assert validate_request(payload, spec_version=contract) == validate_request(payload, spec_version="1.113.0")
    assert load_contract(_copy_of_1_113_0(tmp_path)) is contract  # cached by path and content


def test_overlay_rules_naming_fields_the_document_lacks_are_skipped(tmp_path: Path) -> None:
    def drop(document: dict) -> None:  # type: ignore[type-arg]
        request = document["components"]["schemas"]["CreateOneTimePaymentRequest"]["properties"]
        for field in ("discount_codes", "require_phone_number"):
            del request[field]
        del document["components"]["schemas"]["CreateOneTimePaymentResponse"]["properties"]["discount_ids"]

    contract = load_contract(_copy_of_1_113_0(tmp_path, drop))
    assert set(contract.skipped) == {"discount-codes-max", "discount-code-xor-codes", "require-phone-number",
                                     "discount-id-first"}  # fmt: skip
    assert "discount_codes.maxItems" not in contract.known_rules("request")
    assert validate_request({**VALID, "metadata": {"k": 5}}, spec_version=contract).ok
    assert validate_response({"payment_id": "p"}, spec_version=contract).violations


def test_a_yaml_document_loads_too(tmp_path: Path) -> None:
    source = OPENAPI / "dodo_openapi_v1.86.0.yml"
    if not source.is_file():
        pytest.skip("shared/ is absent")
    contract = load_contract(source)
    assert contract.version == "1.86.0" and not contract.bundled
    assert "discount-codes-max" in contract.skipped and "metadata-value-any-of" in contract.skipped
    assert not validate_request({**VALID, "metadata": {"k": 5}}, spec_version=contract).ok
    assert contract.known_rules("request") == get_contract("1.86.0").known_rules("request")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not an OpenAPI document"),
        (b'{"paths": {"/payments": {"get": {}}}}', "has no POST /payments operation"),
        (
            b'{"paths": {"/payments": {"post": {"requestBody": {"content": {"application/json": {"schema": '
            b'{"$ref": "#/components/schemas/Nope"}}}}}}}}',
            "does not define",
        ),
    ],
)
def test_a_bad_document_is_a_config_error_naming_the_file(tmp_path: Path, text: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_contract(path)
    assert str(path) in str(info.value)
