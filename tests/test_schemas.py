"""The schema files: faithful to Dodo's spec v1.86.0 plus the listed prose additions; OpenAPI document; packaging."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dodo_contract.contract import schemas
from tests import _shared

ROOT = Path(__file__).resolve().parents[1]
SUBSET = _shared.SUBSET
SPEC_COMPONENTS = json.loads(SUBSET.read_text(encoding="utf-8"))["components"]["schemas"]
# Our schema names: every type of the operation from the spec, plus the documented error body.
OURS = {p.stem for p in (ROOT / "schemas").glob("*.json")}


def test_one_file_per_spec_type_plus_the_error_body() -> None:
    assert set(SPEC_COMPONENTS) | {"ErrorResponse"} == OURS
    assert set(schemas.schema_names()) == OURS


@pytest.mark.parametrize("name", sorted(OURS))
def test_each_file_is_a_draft_2020_12_schema_with_its_id(name: str) -> None:
    schema = schemas.load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{schemas.SCHEMA_BASE}{name}.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    text = json.dumps(schema)
    for ref in set(__import__("re").findall(r'"\$ref": "([^"]+)"', text)):
        assert (ROOT / "schemas" / ref).is_file(), f"{name} refers to missing {ref}"


def _back_to_spec(node: Any) -> Any:
    """Undo our documented additions: drop x-dodo-added keywords and notes, map file refs back, anyOf -> oneOf."""
    if isinstance(node, list):
        return [_back_to_spec(v) for v in node]
    if not isinstance(node, dict):
        return node
    added = set(node.get("x-dodo-added", ()))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in added or key in ("x-dodo-added", "x-dodo-note", "$id", "$schema"):
            continue
        if key == "$ref":
            out[key] = "#/components/schemas/" + value[: -len(".json")]
        elif key == "anyOf" and "x-dodo-note" in node:
            out["oneOf"] = _back_to_spec(value)
        else:
            out[key] = _back_to_spec(value)
    return out


@pytest.mark.parametrize("name", sorted(SPEC_COMPONENTS))
def test_schema_is_the_spec_plus_only_the_listed_additions(name: str) -> None:
    assert _back_to_spec(schemas.load_schema(name)) == SPEC_COMPONENTS[name]


def test_the_prose_additions_are_exactly_the_documented_ones() -> None:
    found = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "x-dodo-added" in node:
                found[where] = {k: node[k] for k in node["x-dodo-added"]}
            for k, v in node.items():
                walk(v, f"{where}/{k}")

    for name in sorted(OURS):
        walk(schemas.load_schema(name), name)
    assert found == {
        "CreateOneTimePaymentRequest": {
            "if": {"properties": {"payment_method_id": {"type": "string"}}, "required": ["payment_method_id"]},
            "then": {"properties": {"customer": {"$ref": "AttachExistingCustomer.json"}}},
        },
        "CreateOneTimePaymentRequest/properties/metadata": {
            "maxProperties": 50,
            "propertyNames": {"maxLength": 40},
            "additionalProperties": {"maxLength": 500},
        },
        "CreateOneTimePaymentRequest/properties/product_cart": {"minItems": 1, "maxItems": 100},
        "CreateOneTimePaymentRequest/properties/return_url": {
            "pattern": schemas.load_schema("CreateOneTimePaymentRequest")["properties"]["return_url"]["pattern"]
        },
        "CreateOneTimePaymentResponse/properties/total_amount": {"maximum": 2**31 - 1},
        "OneTimeProductCartItemReq/properties/amount": {"minimum": -(2**31), "maximum": 2**31 - 1},
        "OneTimeProductCartItemReq/properties/quantity": {"maximum": 2**31 - 1},
    }


def test_enums_have_the_spec_sizes() -> None:
    assert len(schemas.country_codes()) == 249 and "NO" in schemas.country_codes()
    assert len(schemas.currency_codes()) == 145
    assert len(schemas.payment_method_types()) == 104


def test_nullability_matches_the_spec() -> None:
    request = schemas.dereferenced(schemas.REQUEST)["properties"]
    not_nullable = {"redirect_immediately", "show_saved_payment_methods", "metadata", "billing", "product_cart"}
    for key in not_nullable:
        assert "null" not in json.dumps(request[key].get("type", "")), key
    for key in (
        "allowed_payment_method_types",
        "billing_currency",
        "discount_code",
        "force_3ds",
        "payment_link",
        "payment_method_id",
        "return_url",
        "short_link",
        "tax_id",
    ):
        assert "null" in request[key]["type"], key


def test_dereferenced_is_a_fresh_copy() -> None:
    first = schemas.dereferenced(schemas.REQUEST)
    first["properties"].clear()
    assert schemas.dereferenced(schemas.REQUEST)["properties"]
    spec_only = schemas.dereferenced(schemas.REQUEST, spec_only=True)
    assert "minItems" not in spec_only["properties"]["product_cart"]
    assert spec_only["properties"]["metadata"]["additionalProperties"] == {"type": "string"}


def test_openapi_document_is_valid_and_declares_the_operation() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    document, base_uri = read_from_filename(str(schemas.openapi_path()))
    validate(document, base_uri=base_uri)
    operation = document["paths"]["/payments"]["post"]
    assert set(operation["responses"]) == {"200", "401", "422"}
    assert document["components"]["securitySchemes"]["API_KEY"] == {"type": "http", "scheme": "bearer"}


def test_openapi_document_loads_in_schemathesis() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_path(str(schemas.openapi_path()))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [(op.method.upper(), op.path) for op in operations] == [("POST", "/payments")]
    body = copy.deepcopy(operations[0].body[0].definition)
    assert body


def test_an_installed_wheel_finds_its_schemas(tmp_path: Path) -> None:
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
        assert "dodo_contract/_schemas/CreateOneTimePaymentRequest.json" in names
        assert "dodo_contract/_schemas/openapi.yaml" in names
        assert "dodo_contract/py.typed" in names
        archive.extractall(target)
    code = (
        "import dodo_contract, dodo_contract.contract.schemas as s;"
        "print(s.schema_dir());"
        "print(','.join(v.rule for v in dodo_contract.validate_request({'billing': {}}).violations))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out[0] == str(target / "dodo_contract" / "_schemas")
    assert out[1].split(",") == ["customer.required", "product_cart.required", "billing.country.required"]
