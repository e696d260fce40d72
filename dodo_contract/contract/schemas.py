"""Find, load and dereference the contract's JSON Schemas (``schemas/`` in the repo, bundled in the wheel)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "BUSINESS_ERROR_CODES",
    "DOCUMENTED_ERROR_CODES",
    "ERROR",
    "OTHER_ERROR_CODES",
    "REQUEST",
    "RESPONSE",
    "SCHEMA_BASE",
    "SCHEMA_ERROR_CODES",
    "SPEC_VERSION",
    "country_codes",
    "currency_codes",
    "dereferenced",
    "load_schema",
    "openapi_path",
    "payment_method_types",
    "schema_dir",
    "schema_names",
]

SPEC_VERSION = "1.86.0"
SCHEMA_BASE = f"https://schemas.dodo-contract.dev/v{SPEC_VERSION}/"
REQUEST = "CreateOneTimePaymentRequest"
RESPONSE = "CreateOneTimePaymentResponse"
ERROR = "ErrorResponse"

_HERE = Path(__file__).resolve().parent


@cache
def schema_dir() -> Path:
    """Return the folder holding the schema files: bundled in the wheel, else the repo's ``schemas/``."""
    for candidate in (_HERE.parent / "_schemas", _HERE.parent.parent / "schemas"):
        if (candidate / f"{REQUEST}.json").is_file():
            return candidate
    raise FileNotFoundError(f"dodo-contract schemas not found next to {_HERE}; the installation is incomplete")


def openapi_path() -> Path:
    """Return the path of ``openapi.yaml`` (OpenAPI 3.1, POST /payments) that references the schema files."""
    return schema_dir() / "openapi.yaml"


@cache
def schema_names() -> tuple[str, ...]:
    """Return the names of every schema file, without ``.json``."""
    return tuple(sorted(p.stem for p in schema_dir().glob("*.json")))


@cache
def _load(name: str) -> dict[str, Any]:
    path = schema_dir() / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no schema named {name!r}; known: {', '.join(schema_names())}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_schema(name: str) -> dict[str, Any]:
    """Return a fresh copy of one schema file as written (with its ``$id`` and relative ``$ref``s)."""
    return copy.deepcopy(_load(name))


def _inline(node: Any, spec_only: bool) -> Any:
    if isinstance(node, list):
        return [_inline(v, spec_only) for v in node]
    if not isinstance(node, dict):
        return node
    if spec_only and "x-dodo-added" in node:
        node = {k: v for k, v in node.items() if k not in node["x-dodo-added"] and k != "x-dodo-added"}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.endswith(".json"):
        target = _inline(_load(ref[: -len(".json")]), spec_only)
        target = {k: v for k, v in target.items() if k not in ("$id", "$schema")}
        siblings = {k: _inline(v, spec_only) for k, v in node.items() if k != "$ref"}
        return _merge(target, siblings)
    return {k: _inline(v, spec_only) for k, v in node.items()}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    # A $ref with sibling keywords: both apply. No keyword here appears on both sides with different values
    # except annotations, so a shallow merge (nested for sub-schemas) keeps the meaning.
    out = dict(base)
    for key, value in extra.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _flatten_nullable_enums(node: Any) -> Any:
    # oneOf [null, {type: string, enum}] means the same as {type: [string, null], enum: [..., null]}; the
    # flat form makes validators report "type" or "enum" at the field instead of an opaque oneOf failure.
    if isinstance(node, list):
        return [_flatten_nullable_enums(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _flatten_nullable_enums(v) for k, v in node.items()}
    branches = node.get("oneOf")
    if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
        other = branches[1] if branches[0] == {"type": "null"} else branches[0]
        if isinstance(other.get("type"), str) and isinstance(other.get("enum"), list):
            flat = {k: v for k, v in node.items() if k != "oneOf"}
            flat.update({k: v for k, v in other.items() if k not in ("type", "enum")})
            flat["type"] = [other["type"], "null"]
            flat["enum"] = [*other["enum"], None]
            return flat
    return node


@cache
def _dereferenced(name: str, spec_only: bool) -> str:
    return json.dumps(_flatten_nullable_enums(_inline(_load(name), spec_only)))


def dereferenced(name: str, *, spec_only: bool = False) -> dict[str, Any]:
    """Return one schema with every ``$ref`` inlined (a fresh copy; no ``$id`` inside), ready to compile.

    ``spec_only=True`` leaves out the keywords added from the docs' prose (each schema lists them in
    ``x-dodo-added``): what remains is Dodo's spec v1.86.0, with the customer ``oneOf`` read as ``anyOf``.
    """
    result: dict[str, Any] = json.loads(_dereferenced(name, spec_only))
    return result


@cache
def _enum(name: str) -> tuple[str, ...]:
    return tuple(_load(name)["enum"])


def country_codes() -> tuple[str, ...]:
    """Return the 249 ISO 3166-1 alpha-2 codes of ``CountryCodeAlpha2``, in spec order."""
    return _enum("CountryCodeAlpha2")


def currency_codes() -> tuple[str, ...]:
    """Return the ISO 4217 codes of ``Currency``, in spec order."""
    return _enum("Currency")


def payment_method_types() -> tuple[str, ...]:
    """Return the values of ``PaymentMethodTypes``, in spec order."""
    return _enum("PaymentMethodTypes")


# Error codes the docs list for this endpoint (API_NOTES §2). Which HTTP status each comes with is not
# documented; the engine's settings carry the inferred mapping (422 for all of these) so users can override it.
SCHEMA_ERROR_CODES = frozenset({"INVALID_REQUEST_BODY"})
BUSINESS_ERROR_CODES = frozenset(
    {
        "INVALID_REQUEST_PARAMETERS",
        "PRODUCT_CART_EMPTY",
        "NOT_FOUND",
        "MISSING_PRODUCT_INFORMATION",
        "PRODUCT_IS_DELETED",
        "BRAND_MISMATCH",
        "BRAND_NOT_ENABLED",
        "PAY_AS_YOU_WANT_AMOUNT_REQUIRED",
        "REQUEST_AMOUNT_BELOW_MINIMUM",
        "TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT",
        "INVALID_DISCOUNT_CODE",
        "DISCOUNT_CODE_EXPIRED",
        "DISCOUNT_CODE_USAGE_LIMIT_EXCEEDED",
        "DISCOUNT_NOT_AVAILABLE_FOR_PRODUCT",
        "INVALID_TAX_ID",
        "UNSUPPORTED_COUNTRY",
        "UNSUPPORTED_CURRENCY",
        "UNSUPPORTED_PAYMENT_CURRENCY",
        "EXCHANGE_RATE_NOT_FOUND",
        "NO_ELIGIBLE_PAYMENT_METHODS",
        "MAXIMUM_KEYS_REACHED",
        "MERCHANT_NOT_LIVE",
    }
)
OTHER_ERROR_CODES = frozenset(
    {
        "UNAUTHORIZED",
        "TOO_MANY_REQUESTS",
        "INTERNAL_SERVER_ERROR",
        "INVALID_REQUEST",
        # Transport-level answers of the reference mock (not Dodo codes); never returned for a proper POST.
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "REQUEST_TIMEOUT",
    }
)
DOCUMENTED_ERROR_CODES = SCHEMA_ERROR_CODES | BUSINESS_ERROR_CODES | OTHER_ERROR_CODES
