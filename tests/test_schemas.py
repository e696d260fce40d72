"""The schema files of each bundled version: a fresh generation from Dodo's whole OpenAPI document, the spec's types
plus exactly the overlay's additions; the OpenAPI documents; packaging."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dodo_contract.contract import schemas
from dodo_contract.contract.generate import generate_bundled
from dodo_contract.contract.overlay import load_overlay
from dodo_contract.contract.spec import read_document
from dodo_contract.contract.versions import BUNDLED, LATEST
from tests import _shared

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = _shared.SHARED / "dodo" / "openapi"
INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$"
OPERATION_TYPES = {
    "AttachExistingCustomer",
    "BillingAddress",
    "CountryCodeAlpha2",
    "CreateOneTimePaymentRequest",
    "CreateOneTimePaymentResponse",
    "Currency",
    "CustomerLimitedDetailsResponse",
    "CustomerRequest",
    "Metadata",
    "NewCustomer",
    "OneTimeProductCartItemReq",
    "PaymentMethodTypes",
}


@cache
def _whole_document(version: str) -> dict[str, Any]:
    path = OPENAPI / load_overlay(version).source.file
    if not path.is_file():
        pytest.skip(f"{path} is not here (shared/ is absent)")
    document, _ = read_document(path)
    return document


def _files_on_disk() -> dict[str, str]:
    folder = ROOT / "schemas"
    files = [p for p in folder.rglob("*") if p.is_file() and p.name != "schemathesis.toml"]
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in files}


def test_committed_files_equal_a_fresh_generation_from_the_whole_documents() -> None:
    if not OPENAPI.is_dir():
        pytest.skip("shared/dodo/openapi is absent")
    fresh = generate_bundled(OPENAPI)
    on_disk = _files_on_disk()
    assert sorted(on_disk) == sorted(fresh)
    for name, text in fresh.items():
        assert on_disk[name] == text, f"schemas/{name} differs from a fresh generation (run tools/gen_schemas.py)"


@pytest.mark.parametrize("version", BUNDLED)
def test_one_file_per_type_the_operation_reaches_plus_the_error_body(version: str) -> None:
    assert set(schemas.schema_names(version)) == OPERATION_TYPES | {"ErrorResponse"}
    assert {p.stem for p in (ROOT / "schemas" / version).glob("*.json")} == OPERATION_TYPES | {"ErrorResponse"}


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("name", sorted(OPERATION_TYPES | {"ErrorResponse"}))
def test_each_file_is_a_draft_2020_12_schema_with_its_id(version: str, name: str) -> None:
    schema = schemas.load_schema(name, version)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.dodo-contract.dev/v{version}/{name}.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(schema))):
        assert (ROOT / "schemas" / version / ref).is_file(), f"{name} refers to missing {ref}"


def _back_to_spec(node: Any) -> Any:
    """Undo the overlay: drop x-dodo-added keywords and notes, map file refs back, renamed keywords back."""
    if isinstance(node, list):
        return [_back_to_spec(v) for v in node]
    if not isinstance(node, dict):
        return node
    added = set(node.get("x-dodo-added", ()))
    renamed = node.get("x-dodo-renamed", {})
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in added or key in ("x-dodo-added", "x-dodo-renamed", "x-dodo-note", "$id", "$schema"):
            continue
        if key == "$ref":
            out[key] = "#/components/schemas/" + value[: -len(".json")]
        else:
            out[renamed.get(key, key)] = _back_to_spec(value)
    return out


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("name", sorted(OPERATION_TYPES))
def test_schema_is_the_spec_type_plus_only_the_overlay_additions(version: str, name: str) -> None:
    spec = _whole_document(version)["components"]["schemas"][name]
    assert _back_to_spec(schemas.load_schema(name, version)) == spec


def _additions(version: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "x-dodo-added" in node:
                found[where] = {k: node[k] for k in node["x-dodo-added"]}
            if "x-dodo-renamed" in node:
                found[where + "#renamed"] = node["x-dodo-renamed"]
            for k, v in node.items():
                walk(v, f"{where}/{k}")

    for name in sorted(OPERATION_TYPES):
        walk(schemas.load_schema(name, version), name)
    return found


def _cross_field(names: list[str]) -> dict[str, Any]:
    return {"x-dodo-cross-field": names}


def test_the_additions_of_1_86_0_are_exactly_the_documented_ones() -> None:
    found = _additions("1.86.0")
    request_root = found.pop("CreateOneTimePaymentRequest")
    assert request_root["x-dodo-cross-field"] == ["payment_method_requires_customer_id"]
    assert [set(e) for e in request_root["allOf"]] == [{"if", "then"}]
    assert found == {
        "CreateOneTimePaymentRequest/properties/metadata": {
            "maxProperties": 50,
            "propertyNames": {"maxLength": 40},
            "additionalProperties": {"maxLength": 500},
        },
        "CreateOneTimePaymentRequest/properties/product_cart": {"minItems": 1, "maxItems": 100},
        "CreateOneTimePaymentRequest/properties/return_url": {"pattern": URL_PATTERN},
        "CreateOneTimePaymentResponse/properties/total_amount": {"maximum": 2**31 - 1},
        "CustomerRequest#renamed": {"anyOf": "oneOf"},
        "OneTimeProductCartItemReq/properties/amount": INT32,
        "OneTimeProductCartItemReq/properties/quantity": {"maximum": 2**31 - 1},
    }


def test_the_additions_of_1_113_0_are_exactly_the_documented_ones() -> None:
    found = _additions("1.113.0")
    request_root = found.pop("CreateOneTimePaymentRequest")
    assert request_root["x-dodo-cross-field"] == [
        "payment_method_requires_customer_id",
        "discount_codes_exclusive",
        "phone_number_required",
    ]
    assert len(request_root["allOf"]) == 3
    assert found.pop("CreateOneTimePaymentResponse") == _cross_field(["discount_id_is_first"])
    assert found == {
        "CreateOneTimePaymentRequest/properties/metadata": {
            "maxProperties": 50,
            "propertyNames": {"maxLength": 40},
            "additionalProperties": {"maxLength": 500},
        },
        "CreateOneTimePaymentRequest/properties/product_cart": {"minItems": 1, "maxItems": 100},
        "CreateOneTimePaymentRequest/properties/discount_codes": {"maxItems": 20},
        "CreateOneTimePaymentRequest/properties/return_url": {"pattern": URL_PATTERN},
        "CreateOneTimePaymentResponse/properties/total_amount": {"maximum": 2**31 - 1},
        "CustomerRequest#renamed": {"anyOf": "oneOf"},
        "Metadata/additionalProperties#renamed": {"anyOf": "oneOf"},
        "OneTimeProductCartItemReq/properties/amount": INT32,
        "OneTimeProductCartItemReq/properties/quantity": {"maximum": 2**31 - 1},
    }


@pytest.mark.parametrize(("version", "methods"), [("1.86.0", 104), ("1.113.0", 105)])
def test_enums_have_the_spec_sizes(version: str, methods: int) -> None:
    assert len(schemas.country_codes(version)) == 249 and "NO" in schemas.country_codes(version)
    assert len(schemas.currency_codes(version)) == 145
    assert len(schemas.payment_method_types(version)) == methods
    assert ("satispay" in schemas.payment_method_types(version)) is (version == "1.113.0")
    assert schemas.payment_method_types() == schemas.payment_method_types(LATEST)


@pytest.mark.parametrize("version", BUNDLED)
def test_nullability_matches_the_spec(version: str) -> None:
    request = schemas.dereferenced(schemas.REQUEST, spec_version=version)["properties"]
    not_nullable = {"redirect_immediately", "show_saved_payment_methods", "metadata", "billing", "product_cart"}
    nullable = {"allowed_payment_method_types", "billing_currency", "discount_code", "force_3ds", "payment_link",
                "payment_method_id", "return_url", "short_link", "tax_id"}  # fmt: skip
    if version == "1.113.0":
        not_nullable.add("require_phone_number")
        nullable |= {"adaptive_currency_fees_inclusive", "customer_business_name", "discount_codes"}
    for key in not_nullable:
        assert "null" not in json.dumps(request[key].get("type", "")), key
    for key in nullable:
        assert "null" in request[key]["type"], key
    assert set(request) == not_nullable | nullable | {"customer"}


def test_dereferenced_is_a_fresh_copy_and_spec_only_drops_the_overlay() -> None:
    first = schemas.dereferenced(schemas.REQUEST)
    first["properties"].clear()
    assert schemas.dereferenced(schemas.REQUEST)["properties"]
    spec_only = schemas.dereferenced(schemas.REQUEST, spec_only=True, spec_version="1.86.0")
    assert "minItems" not in spec_only["properties"]["product_cart"]
    assert spec_only["properties"]["metadata"]["additionalProperties"] == {"type": "string"}
    assert "allOf" not in spec_only and "x-dodo-cross-field" not in spec_only
    # The 1.113.0 Metadata value: the anyOf of bare types is one type list (the anyOf reading stays in spec_only).
    value = schemas.dereferenced(schemas.REQUEST, spec_only=True)["properties"]["metadata"]["additionalProperties"]
    assert value["type"] == ["string", "integer", "number", "boolean"]


@pytest.mark.parametrize("where", [*BUNDLED, "top"])
def test_openapi_documents_are_valid_and_declare_the_operation(where: str) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    path = ROOT / "schemas" / "openapi.yaml" if where == "top" else schemas.openapi_path(where)
    document, base_uri = read_from_filename(str(path))
    validate(document, base_uri=base_uri)
    operation = document["paths"]["/payments"]["post"]
    assert set(operation["responses"]) == {"200", "401", "422"}
    assert document["info"]["version"] == (LATEST if where == "top" else where)
    assert document["components"]["securitySchemes"]["API_KEY"] == {"type": "http", "scheme": "bearer"}


@pytest.mark.parametrize("version", BUNDLED)
def test_openapi_document_loads_in_schemathesis(version: str) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_path(str(schemas.openapi_path(version)))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [(op.method.upper(), op.path) for op in operations] == [("POST", "/payments")]
    assert operations[0].body[0].definition


def test_an_installed_wheel_finds_its_schemas_and_overlays(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("dodo_contract-*.whl")
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for version in BUNDLED:
            assert f"dodo_contract/_schemas/{version}/CreateOneTimePaymentRequest.json" in names
            assert f"dodo_contract/_schemas/{version}/openapi.yaml" in names
            assert f"dodo_contract/contract/overlays/{version}.toml" in names
            assert f"dodo_contract/_schemas/{version}/checkouts/CreateCheckoutSessionRequest.json" in names
            assert f"dodo_contract/_schemas/{version}/checkouts/operations.json" in names
            assert f"dodo_contract/contract/overlays/{version}.checkouts.toml" in names
        assert "dodo_contract/_schemas/openapi.yaml" in names
        assert "dodo_contract/py.typed" in names
        archive.extractall(target)
    code = (
        "import dodo_contract, dodo_contract.contract.schemas as s;"
        "print(s.schema_dir());"
        "print(','.join(v.rule for v in dodo_contract.validate_request({'billing': {}}).violations));"
        "print(dodo_contract.validate_request({'metadata': {'k': 5}}, spec_version='1.86.0').violations[-1].rule);"
        "print(dodo_contract.validate_request({'product_cart': []}, operation='checkouts').violations[0].rule)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out[0] == str(target / "dodo_contract" / "_schemas" / LATEST)
    assert out[1].split(",") == ["customer.required", "product_cart.required", "billing.country.required"]
    assert out[2] == "metadata.value.type"
    assert out[3] == "product_cart.empty_requires_product_collection_id"
