"""The ``spec`` command and ``validate --spec-version / --openapi``, called through ``main(argv)``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dodo_contract.frontends.cli import main
from tests import _shared

VALID = {
    "billing": {"country": "US"},
    "customer": {"customer_id": "cus_1"},
    "product_cart": [{"product_id": "p", "quantity": 1}],
}
SPEC113 = _shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_spec_list_names_each_bundled_version_its_source_date_and_the_latest() -> None:
    code, out, err = _run(["spec", "list"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert any(
        line.startswith("1.86.0") and "dodo_openapi_v1.86.0.yml" in line and "2026-03-01" in line for line in lines
    )
    assert any(line.startswith("1.113.0") and "2026-08-17" in line and "latest" in line for line in lines)
    code, out, _ = _run(["spec", "list", "--json"])
    listed = json.loads(out)
    assert [v["version"] for v in listed] == ["1.86.0", "1.113.0"]
    assert [v["latest"] for v in listed] == [False, True]
    assert listed[1]["source"]["sha256"].startswith("c721c14a")


def test_spec_diff_finds_the_drift_spec_drift_md_lists() -> None:
    code, out, err = _run(["spec", "diff", "1.86.0", "1.113.0", "--json"])
    assert (code, err) == (0, "")
    diff = json.loads(out)
    request, response = diff["request"], diff["response"]
    for field in (
        "discount_codes",
        "require_phone_number",
        "adaptive_currency_fees_inclusive",
        "customer_business_name",
    ):
        assert field in request["added"]
    assert request["deprecated"] == ["discount_code"]
    assert request["removed"] == []
    assert "discount_ids" in response["added"] and response["deprecated"] == ["discount_id"]
    assert diff["enums"]["payment_method_types"] == {"added": ["satispay"], "removed": []}
    assert request["types_changed"]["metadata.value"] == ["string", "string|integer|number|boolean"]
    for code_ in ("DISCOUNT_NOT_YET_ACTIVE", "DISCOUNT_CUSTOMER_NOT_ELIGIBLE", "DISCOUNT_CONCURRENT_REDEMPTION",
                  "DISCOUNT_PER_CUSTOMER_USAGE_LIMIT_EXCEEDED", "DISCOUNT_MINIMUM_SUBTOTAL_NOT_MET",
                  "BYOP_CUSTOM_INVOICE_ADDRESS_MISSING"):  # fmt: skip
        assert code_ in diff["error_codes"]["added"]
    assert "UNSUPPORTED_PAYMENT_CURRENCY" not in diff["error_codes"]["removed"]  # still tolerated
    assert {"discount-code-xor-codes", "require-phone-number", "metadata-value-any-of"} <= set(
        diff["prose_rules"]["added"]
    )
    assert "discount_codes.maxItems" in request["rules"]["added"]


def test_spec_diff_reads_both_ways_and_says_so_in_words() -> None:
    code, out, _ = _run(["spec", "diff", "latest", "1.86.0"])
    assert code == 0
    assert "spec 1.113.0 -> 1.86.0" in out
    assert "fields removed: adaptive_currency_fees_inclusive" in out
    assert "payment_method_types removed: satispay" in out
    code, out, _ = _run(["spec", "diff", "1.86.0", "1.86.0"])
    assert code == 0 and out.count("no change") == 5


@pytest.mark.parametrize(
    "argv", [["spec", "diff", "1.86.0", "2.0.0"], ["spec", "diff", "nope", "latest", "--json"], ["spec"]]
)
def test_spec_with_an_unknown_version_or_no_subcommand_exits_two(argv: list[str]) -> None:
    code, out, err = _run(argv)
    assert code == 2 and out == ""
    assert "Traceback" not in err and err.strip()
    if "2.0.0" in argv:
        assert "1.86.0, 1.113.0" in err


def test_validate_follows_the_spec_version(tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps({**VALID, "metadata": {"count": 5}, "allowed_payment_method_types": ["satispay"]}))
    assert _run(["validate", "request", str(path)])[0] == 0  # latest: numbers and satispay are valid
    assert _run(["validate", "request", "--spec-version", "latest", str(path)])[0] == 0
    code, out, _ = _run(["validate", "request", "--spec-version", "1.86.0", "--json", str(path)])
    assert code == 1
    rules = {v["rule"] for v in json.loads(out)[0]["violations"]}
    assert rules == {"metadata.value.type", "allowed_payment_method_types.items.enum"}


def test_validate_with_an_unknown_version_exits_two_before_reading(tmp_path: Path) -> None:
    code, out, err = _run(["validate", "request", "--spec-version", "0.1", str(tmp_path / "missing.json")])
    assert code == 2 and out == ""
    assert "unknown spec version '0.1'" in err and "cannot read" not in err


def test_validate_with_an_openapi_document(tmp_path: Path) -> None:
    if not SPEC113.is_file():
        pytest.skip("shared/ is absent")
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**VALID, "discount_codes": ["A"] * 21}))
    code, out, _ = _run(["validate", "request", "--openapi", str(SPEC113), str(path)])
    assert code == 1 and "discount_codes.maxItems" in out
    code, _, err = _run(["validate", "request", "--openapi", str(SPEC113), "--spec-version", "1.86.0", str(path)])
    assert code == 2 and "not both" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("paths: [1, 2\n", "not valid JSON or YAML"),
        ('{"openapi": "3.1.0", "info": {"version": "9"}, "paths": {}}', "has no POST /payments operation"),
        (
            '{"openapi": "3.1.0", "paths": {"/payments": {"post": {"responses": {"422": {}}}}}}',
            "lacks a JSON request body schema and a 200 JSON response schema",
        ),
    ],
)
def test_a_bad_openapi_document_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    doc = tmp_path / "spec.yaml"
    doc.write_text(text)
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(VALID))
    code, out, err = _run(["validate", "request", "--openapi", str(doc), str(payload)])
    assert code == 2 and out == ""
    assert str(doc) in err and message in err and "Traceback" not in err
