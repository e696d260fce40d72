"""``dodo-contract validate --operation / --reading`` and ``spec list / diff --operation``, through ``main(argv)``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dodo_contract.frontends.cli import main
from tests import _shared

SESSION = {"product_cart": [{"product_id": "prod_basic", "quantity": 1}]}
ZERO = {"product_cart": [{"product_id": "prod_basic", "quantity": 0}]}


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _file(tmp_path: Path, payload: object, name: str = "p.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


def test_validate_a_session_request_and_each_response(tmp_path: Path) -> None:
    assert _run(["validate", "request", "--operation", "checkouts", _file(tmp_path, SESSION)])[0] == 0
    code, out, _ = _run(["validate", "request", "--operation", "checkouts", "--json", _file(tmp_path, ZERO)])
    (result,) = json.loads(out)
    assert code == 1 and [v["rule"] for v in result["violations"]] == ["product_cart.items.quantity.minimum"]
    # The same body is a payments request missing customer and billing: the operation decides the contract.
    code, out, _ = _run(["validate", "request", "--json", _file(tmp_path, SESSION)])
    assert code == 1 and {v["rule"] for v in json.loads(out)[0]["violations"]} == {"customer.required",
                                                                                   "billing.required"}  # fmt: skip
    bodies = {
        "checkouts": {"session_id": "cks_1", "checkout_url": None},
        "checkouts.preview": {"total_price": 0},
        "checkouts.get": {"id": "cks_1", "created_at": "2026-11-29T10:00:00Z", "payment_status": "succeeded"},
    }
    expected = {"checkouts": 0, "checkouts.preview": 1, "checkouts.get": 0}
    for operation, body in bodies.items():
        code, out, _ = _run(["validate", "response", "--operation", operation, _file(tmp_path, body)])
        assert code == expected[operation], (operation, out)


def test_validate_with_a_reading_judges_by_it(tmp_path: Path) -> None:
    path = _file(tmp_path, ZERO)
    assert _run(["validate", "request", "--operation", "checkouts", path])[0] == 1
    assert (
        _run(["validate", "request", "--operation", "checkouts", "--reading", "checkouts-min-quantity=0", path])[0] == 0
    )
    empty = _file(tmp_path, {"product_cart": []}, "empty.json")
    argv = ["validate", "request", "--operation", "checkouts", "--spec-version", "1.86.0", empty]
    assert _run(argv)[0] == 1
    assert _run([*argv, "--reading", "checkouts-cart=schema"])[0] == 0


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--operation", "checkouts.get", "request"], "has no request body"),
        (["--operation", "checkout", "request"], "invalid choice: 'checkout'"),
        (["--operation", "checkouts", "--reading", "checkouts-min-quantity=2", "request"], "must be one of 1, 0"),
        (["--operation", "checkouts", "--reading", "quantity=0", "request"], "NAME one of checkouts-min-quantity"),
        (["--operation", "checkouts", "--reading", "checkouts-cart", "request"], "give NAME=VALUE"),
    ],
)
def test_a_bad_operation_or_reading_is_exit_2_before_anything_is_read(argv: list[str], words: str) -> None:
    code, out, err = _run(["validate", *argv[:-1], argv[-1], "/nonexistent/file.json"])
    assert code == 2 and words in err and "Traceback" not in err and out == ""


def test_validate_with_a_users_document_and_an_operation(tmp_path: Path) -> None:
    source = _shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json"
    if not source.is_file():
        pytest.skip("shared/ is absent")
    argv = ["validate", "request", "--operation", "checkouts", "--openapi", str(source)]
    assert _run([*argv, _file(tmp_path, SESSION)])[0] == 0
    assert _run([*argv, _file(tmp_path, ZERO)])[0] == 1


def test_spec_list_shows_the_operations_of_each_version() -> None:
    code, out, err = _run(["spec", "list"])
    assert (code, err) == (0, "")
    assert out.count("checkouts.get (GET /checkouts/{id})") == 2
    code, out, _ = _run(["spec", "list", "--json"])
    listed = json.loads(out)
    for version in listed:
        ops = {o["operation"]: o for o in version["operations"]}
        assert list(ops) == ["payments", "checkouts", "checkouts.preview", "checkouts.get"]
        assert ops["checkouts.get"]["kinds"] == ["response", "error"] and "404" in ops["checkouts.get"]["statuses"]
        assert ops["checkouts.preview"]["path"] == "/checkouts/preview" and ops["checkouts"]["method"] == "POST"


def test_spec_diff_per_operation_finds_the_drift_checkout_sessions_md_lists() -> None:
    code, out, err = _run(["spec", "diff", "1.86.0", "1.113.0", "--operation", "checkouts", "--json"])
    assert (code, err) == (0, "")
    diff = json.loads(out)
    assert diff["operation"] == "POST /checkouts"
    request = diff["request"]
    for field in ("cancel_url", "customer_business_name", "discount_codes", "mandate_min_amount_inr_paise",
                  "product_cart.items.credit_entitlements", "feature_flags.require_phone_number",
                  "feature_flags.single_page", "feature_flags.allow_editing_addons",
                  "feature_flags.allow_customer_editing_business_name"):  # fmt: skip
        assert field in request["added"], field
    assert request["deprecated"] == ["discount_code"] and request["removed"] == []
    assert request["types_changed"]["customization.theme"] == ["string", "string|null"]
    assert set(diff["response"]["added"]) == {"client_secret", "payment_id", "publishable_key"}
    code, out, _ = _run(["spec", "diff", "1.86.0", "1.113.0", "--operation", "checkouts.preview", "--json"])
    preview = json.loads(out)
    assert {"is_byop", "next_billing_date", "trial_amount", "trial_period_days", "tax_id_business_name",
            "tax_id_format_name", "product_cart.items.addons.items.single_quantity_price"} <= set(
        preview["response"]["added"])  # fmt: skip
    assert "is_byop.required" in preview["response"]["rules"]["added"]
    code, out, _ = _run(["spec", "diff", "1.86.0", "latest", "--operation", "checkouts.get"])
    assert code == 0 and "(GET /checkouts/{id})" in out and "request:" not in out
