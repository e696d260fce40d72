"""Build a version's contract files from Dodo's whole OpenAPI document and that version's overlay.

``build_contract_files(document, overlay)`` -> ``{file name: text}``: one Draft 2020-12 JSON Schema per component
that the overlay's operation family reaches (``$id`` ``https://schemas.dodo-contract.dev/v<version>/<Name>.json``
for payments, ``.../v<version>/checkouts/<Name>.json`` for Checkout Sessions; relative ``$ref``s), the overlay
applied, the documented error body (``ErrorResponse.json``), and an ``openapi.yaml`` that points at them (for the
Schemathesis phase); a family of several operations also gets ``operations.json``, what the document says of each
(method, path, operationId, request and 200 schema names, statuses). ``tools/gen_schemas.py`` writes them under
``schemas/<version>/`` (payments) and ``schemas/<version>/<family>/``; the bundled contract loads them from there;
``load_contract`` builds them in memory for a user's newer document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .endpoints import ENDPOINTS, FAMILIES
from .overlay import Overlay, apply_overlay
from .spec import DRAFT, Operation, extract_operation, file_ref

__all__ = [
    "ERROR",
    "ERROR_SCHEMA",
    "MANIFEST",
    "METHOD",
    "PATH",
    "REQUEST",
    "RESPONSE",
    "build_contract_files",
    "build_family",
    "build_schemas",
    "family_openapi_text",
    "manifest",
    "openapi_text",
    "schema_base",
]

METHOD, PATH = "post", "/payments"
REQUEST = "CreateOneTimePaymentRequest"
RESPONSE = "CreateOneTimePaymentResponse"
ERROR = "ErrorResponse"
# The docs' error body (error-codes "Error Response Format"); the spec declares 422 and 500 without content.
ERROR_SCHEMA: Mapping[str, Any] = {
    "title": "Error Response",
    "description": 'Dodo error body, as the docs state it: {"code": "UNSUPPORTED_COUNTRY", "message": "..."}.',
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "UPPER_SNAKE error code, e.g. INVALID_REQUEST_BODY"},
        "message": {"type": "string"},
    },
}


MANIFEST = "operations"  # operations.json: not a schema file


def schema_base(version: str, family: str = "payments") -> str:
    """Return the ``$id`` prefix of a version's schema files of an operation family."""
    return f"https://schemas.dodo-contract.dev/v{version}/" + ("" if family == "payments" else f"{family}/")


def build_schemas(
    document: Mapping[str, Any], overlay: Overlay, *, version: str, name: str = "document"
) -> tuple[Operation, dict[str, dict[str, Any]], tuple[str, ...]]:
    """Return the operation, ``{schema name: schema}`` (overlay applied, error body added) and the skipped rules.

    ``ConfigError`` naming ``name`` when the document has no ``POST /payments`` with a JSON request and 200 schema.
    """
    op = extract_operation(document, METHOD, PATH, name=name)
    wanted = (("a JSON request body schema", op.request), ("a 200 JSON response schema", op.responses.get("200")))
    missing = [what for what, found in wanted if not found]
    if missing:
        raise ConfigError(f"{name}: POST /payments lacks {' and '.join(missing)}")
    files, skipped = apply_overlay(op.components, overlay, request=op.request, response=op.responses["200"])
    files[ERROR] = json.loads(json.dumps(ERROR_SCHEMA))
    base = schema_base(version)
    out = {n: {"$schema": DRAFT, "$id": base + file_ref(n), **s} for n, s in sorted(files.items())}
    return op, out, skipped


def build_family(
    document: Mapping[str, Any],
    overlay: Overlay,
    *,
    version: str,
    name: str = "document",
    readings: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Operation], dict[str, dict[str, Any]], tuple[str, ...]]:
    """Return the family's operations by name, ``{schema name: schema}`` and the skipped rules.

    The schema files are the union of the components every operation of ``overlay.family`` reaches, the overlay
    applied once (its cross-field rules bind the family's request body, which all its request-bearing operations
    share). ``ConfigError`` naming ``name`` when an operation, its request or its 200 schema is missing.
    """
    ops: dict[str, Operation] = {}
    components: dict[str, dict[str, Any]] = {}
    for op_name in FAMILIES[overlay.family]:
        endpoint = ENDPOINTS[op_name]
        op = extract_operation(document, endpoint.method, endpoint.path, name=name)
        wanted = [("a 200 JSON response schema", op.responses.get("200"))]
        if endpoint.has_request:
            wanted.insert(0, ("a JSON request body schema", op.request))
        missing = [what for what, found in wanted if not found]
        if missing:
            raise ConfigError(f"{name}: {endpoint.label} lacks {' and '.join(missing)}")
        ops[op_name] = op
        components.update(op.components)
    requests = {op.request for op in ops.values() if op.request}
    if len(requests) > 1:
        raise ConfigError(f"{name}: the {overlay.family} operations take different request bodies {sorted(requests)}")
    request = next(iter(requests), None)
    files, skipped = apply_overlay(components, overlay, request=request, response=None, readings=readings)
    files[ERROR] = json.loads(json.dumps(ERROR_SCHEMA))
    base = schema_base(version, overlay.family)
    out = {n: {"$schema": DRAFT, "$id": base + file_ref(n), **s} for n, s in sorted(files.items())}
    return ops, out, skipped


def manifest(ops: Mapping[str, Operation]) -> dict[str, Any]:
    """Return what the document says of each operation of a family (the ``operations.json`` of its folder)."""
    return {
        op_name: {
            "method": op.method,
            "path": op.path,
            "operation_id": op.operation_id,
            "deprecated": op.deprecated,
            "request": op.request,
            "response": op.responses["200"],
            "statuses": list(op.statuses),
        }
        for op_name, op in ops.items()
    }


def build_contract_files(
    document: Mapping[str, Any], overlay: Overlay, *, version: str | None = None
) -> dict[str, str]:
    """Return ``{file name: text}`` of a version's contract for the overlay's family: schemas, ``openapi.yaml``."""
    version = version or overlay.version
    if overlay.family != "payments":
        ops, files, _ = build_family(document, overlay, version=version)
        out = {file_ref(n): json.dumps(s, indent=2, ensure_ascii=False) + "\n" for n, s in files.items()}
        entries = manifest(ops)
        out[file_ref(MANIFEST)] = json.dumps(entries, indent=2) + "\n"
        out["openapi.yaml"] = family_openapi_text(version=version, ops=entries)
        return out
    op, schemas, _ = build_schemas(document, overlay, version=version)
    out = {file_ref(n): json.dumps(s, indent=2, ensure_ascii=False) + "\n" for n, s in schemas.items()}
    out["openapi.yaml"] = openapi_text(
        version=version, operation_id=op.operation_id, request=op.request or REQUEST, response=op.responses["200"]
    )
    return out


def openapi_text(
    *,
    version: str,
    operation_id: str = "create_one_time_payment_handler",
    request: str = REQUEST,
    response: str = RESPONSE,
    prefix: str = "",
) -> str:
    """Return an OpenAPI 3.1 document (YAML) of ``POST /payments`` whose schemas are the files beside it.

    ``prefix`` is put before each file reference (``1.113.0/`` for a document one folder up).
    """

    def ref(name: str) -> str:
        return json.dumps(prefix + file_ref(name))  # a JSON string is a valid YAML scalar

    return f"""openapi: 3.1.0
info:
  title: Dodo Payments — Create One-Time Payment (contract of dodo-contract)
  version: {version}
  description: >-
    POST /payments as Dodo's OpenAPI document v{version} defines it, with the documented error body, the 401 answer
    and the prose rules of the docs added as schema keywords (see ARCHITECTURE.md). The request, response and
    error schemas are the JSON Schema files beside this document. Generated by tools/gen_schemas.py.
servers:
  - url: https://test.dodopayments.com
    description: Test Mode Server Host
  - url: https://live.dodopayments.com
    description: Live Mode Server Host
security:
  - API_KEY: []
paths:
  /payments:
    post:
      operationId: {operation_id}
      summary: Create a one-time payment
      tags: [Payments]
      security:
        - API_KEY: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: {ref(request)}
      responses:
        "200":
          description: One Time payment successfully initiated
          content:
            application/json:
              schema:
                $ref: {ref(response)}
        "401":
          description: Missing or invalid API key (code UNAUTHORIZED)
          content:
            application/json:
              schema:
                $ref: {ref(ERROR)}
        "422":
          description: Invalid request object or parameters (code INVALID_REQUEST_BODY, or a business error code)
          content:
            application/json:
              schema:
                $ref: {ref(ERROR)}
components:
  securitySchemes:
    API_KEY:
      type: http
      scheme: bearer
"""


def family_openapi_text(*, version: str, ops: Mapping[str, Mapping[str, Any]], prefix: str = "") -> str:
    """Return an OpenAPI 3.1 document (YAML) of a family's operations whose schemas are the files beside it.

    ``ops`` is the family's manifest (``manifest(...)``: method, path, operation_id, request, response, statuses).
    """

    def ref(name: str) -> str:
        return json.dumps(prefix + file_ref(name))  # a JSON string is a valid YAML scalar

    def answer(status: str, text: str, schema: str) -> list[str]:
        head = [f'        "{status}":', f"          description: {text}", "          content:"]
        return [*head, "            application/json:", "              schema:", f"                $ref: {ref(schema)}"]

    lines: list[str] = []
    for path in dict.fromkeys(op["path"] for op in ops.values()):
        lines.append(f"  {json.dumps(path)}:")
        for op in (o for o in ops.values() if o["path"] == path):
            lines += [f"    {op['method'].lower()}:", f"      operationId: {op['operation_id']}",
                      "      tags: [Checkout Sessions]", "      security:", "        - API_KEY: []"]  # fmt: skip
            if "{id}" in path:
                lines += ["      parameters:", "        - name: id", "          in: path", "          required: true",
                          "          description: Checkout Session ID", "          schema:",
                          "            type: string"]  # fmt: skip
            if op["request"]:
                lines += ["      requestBody:", "        required: true", "        content:",
                          "          application/json:", "            schema:",
                          f"              $ref: {ref(op['request'])}"]  # fmt: skip
            lines += ["      responses:", *answer("200", "Success", op["response"])]
            lines += answer("401", "Missing or invalid API key (code UNAUTHORIZED)", ERROR)
            if "404" in op["statuses"]:
                lines += answer("404", "Not found (code NOT_FOUND)", ERROR)
            invalid = "Invalid request object or parameters (code INVALID_REQUEST_BODY, or a business code)"
            lines += answer("422", invalid, ERROR)
    text = "\n".join(lines)
    return f"""openapi: 3.1.0
info:
  title: Dodo Payments — Checkout Sessions (contract of dodo-contract)
  version: {version}
  description: >-
    The Checkout Sessions operations as Dodo's OpenAPI document v{version} defines them, with the documented error
    body, the 401 answer and the prose rules of the docs added as schema keywords (see ARCHITECTURE.md). The
    schemas are the JSON Schema files beside this document. Generated by tools/gen_schemas.py.
servers:
  - url: https://test.dodopayments.com
    description: Test Mode Server Host
  - url: https://live.dodopayments.com
    description: Live Mode Server Host
security:
  - API_KEY: []
paths:
{text}
components:
  securitySchemes:
    API_KEY:
      type: http
      scheme: bearer
"""
