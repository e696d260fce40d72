"""Regenerate ``schemas/`` from Dodo's OpenAPI subset (v1.86.0).

Run from the repo root: ``python tools/gen_schemas.py ../shared/dodo/openapi/dodo_payments_create_subset_v1.86.0.json``.
The spec is copied type by type; the prose rules the docs state (cart 1..100, metadata limits, int32 bounds,
absolute http(s) ``return_url``, payment_method_id => customer_id) are added as schema keywords, and the
customer ``oneOf`` becomes ``anyOf`` because Dodo's server takes the first variant that fits.
``tests/test_schemas.py`` checks the result against the spec, so hand edits that drift are caught.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

BASE = "https://schemas.dodo-contract.dev/v1.86.0/"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# An absolute http(s) URL: scheme, "://", a non-empty authority, then anything without whitespace.
RETURN_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$"


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                out[key] = value.rsplit("/", 1)[1] + ".json"
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _add(node: dict[str, Any], **keywords: Any) -> None:
    """Add keywords the docs state in prose, and list them in ``x-dodo-added`` so ``spec_only`` can drop them."""
    node.update(keywords)
    node["x-dodo-added"] = sorted({*node.get("x-dodo-added", []), *keywords})


def build(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{file name: schema}`` for every type the operation uses, plus the error body."""
    components = spec["components"]["schemas"]
    out: dict[str, dict[str, Any]] = {}
    for name, schema in components.items():
        s = _rewrite_refs(copy.deepcopy(schema))
        out[name] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": BASE + name + ".json", **s}

    req = out["CreateOneTimePaymentRequest"]["properties"]
    _add(req["product_cart"], minItems=1, maxItems=100)
    _add(req["return_url"], pattern=RETURN_URL_PATTERN)
    # payment_method_id (non-null) selects the attach-existing customer form.
    _add(
        out["CreateOneTimePaymentRequest"],
        **{
            "if": {"properties": {"payment_method_id": {"type": "string"}}, "required": ["payment_method_id"]},
            "then": {"properties": {"customer": {"$ref": "AttachExistingCustomer.json"}}},
        },
    )
    out["CustomerRequest"]["anyOf"] = out["CustomerRequest"].pop("oneOf")
    out["CustomerRequest"]["x-dodo-note"] = (
        "oneOf in the spec; both variants are open objects and Dodo's server takes the first that fits, so anyOf."
    )
    # The docs' metadata limits bind what a client may send; responses keep the spec's plain string map.
    _add(req["metadata"], maxProperties=50, propertyNames={"maxLength": 40}, additionalProperties={"maxLength": 500})
    item = out["OneTimeProductCartItemReq"]["properties"]
    _add(item["quantity"], maximum=INT32_MAX)
    _add(item["amount"], minimum=INT32_MIN, maximum=INT32_MAX)
    _add(out["CreateOneTimePaymentResponse"]["properties"]["total_amount"], maximum=INT32_MAX)

    out["ErrorResponse"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE + "ErrorResponse.json",
        "title": "Error Response",
        "description": 'Dodo error body, as the docs state it: {"code": "UNSUPPORTED_COUNTRY", "message": "..."}.',
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "UPPER_SNAKE error code, e.g. INVALID_REQUEST_BODY"},
            "message": {"type": "string"},
        },
    }
    return out


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    target = Path(argv[1]) if len(argv) > 1 else Path("schemas")
    for name, schema in build(spec).items():
        (target / f"{name}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
