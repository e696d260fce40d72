"""Load a whole Dodo OpenAPI document and extract one operation: its request, its responses, what they reach.

Operation-generic on purpose (``POST /payments`` today; Checkout Sessions reuse it): ``extract_operation(document,
"post", "/payments")`` finds the operation, names the schema of its JSON request body and of each response that has
one, and collects every component schema reachable from them, with ``#/components/schemas/X`` rewritten to the
file reference ``X.json`` (one Draft 2020-12 file per component). Nothing here knows Dodo's prose rules: those are
the overlay's (``overlay.py``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["DRAFT", "Operation", "extract_operation", "file_ref", "load_document", "read_document"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_LOCAL = "#/components/schemas/"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of an OpenAPI document, as the contract needs it.

    ``request`` names the component of the JSON request body (None when the operation takes none); ``responses``
    maps each status with a JSON body to its component; ``components`` holds every component reachable from them,
    refs rewritten to ``<Name>.json`` (fresh dicts: callers may change them). An inline body schema is registered
    under ``<operationId>_request`` / ``<operationId>_<status>``.
    """

    method: str
    path: str
    operation_id: str
    deprecated: bool
    request: str | None
    responses: Mapping[str, str]
    statuses: tuple[str, ...]
    components: Mapping[str, dict[str, Any]]
    info_version: str


def read_document(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read an OpenAPI document (JSON or YAML) and return it with the sha256 of its bytes; ``ConfigError`` if not."""
    where = Path(path)
    try:
        raw = where.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read OpenAPI document {where}: {exc.strerror or exc}") from None
    return load_document(raw, name=str(where)), hashlib.sha256(raw).hexdigest()


def load_document(raw: bytes | str, *, name: str = "OpenAPI document") -> dict[str, Any]:
    """Parse an OpenAPI document from JSON or YAML text; raise ``ConfigError`` naming ``name`` and the problem."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip("\ufeff \t\r\n")
    try:
        if stripped.startswith("{"):
            data = json.loads(stripped)
        else:
            import yaml  # PyYAML comes with schemathesis; the C loader parses Dodo's 750 kB document in 0.3 s

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(stripped, Loader=loader)
    except ValueError as exc:
        raise ConfigError(f"{name}: not valid JSON: {exc}") from None
    except Exception as exc:  # yaml.YAMLError and its kin: the module is imported lazily
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{name}: not valid JSON or YAML: {first}") from None
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise ConfigError(f"{name}: not an OpenAPI document (no 'paths' object at the top level)")
    return data


def file_ref(name: str) -> str:
    """Return the relative ``$ref`` of one component's schema file."""
    return f"{name}.json"


def extract_operation(document: Mapping[str, Any], method: str, path: str, *, name: str = "document") -> Operation:
    """Return ``method path`` of ``document`` with every component it reaches; ``ConfigError`` if it is not there."""
    paths = document.get("paths") or {}
    item = paths.get(path) if isinstance(paths, dict) else None
    operation = item.get(method.lower()) if isinstance(item, dict) else None
    if not isinstance(operation, dict):
        raise ConfigError(f"{name}: has no {method.upper()} {path} operation")
    components = (document.get("components") or {}).get("schemas") or {}
    if not isinstance(components, dict):
        raise ConfigError(f"{name}: components.schemas is not an object")
    op_id = str(operation.get("operationId") or f"{method.lower()}_{path.strip('/').replace('/', '_')}")
    found: dict[str, dict[str, Any]] = {}

    def root(schema: Any, fallback: str) -> str:
        if isinstance(schema, dict) and set(schema) == {"$ref"} and str(schema["$ref"]).startswith(_LOCAL):
            target = str(schema["$ref"])[len(_LOCAL) :]
            _reach(components, target, found, name)
            return target
        found[fallback] = _rewrite(copy.deepcopy(schema))
        for ref in _refs(schema):
            _reach(components, ref, found, name)
        return fallback

    body = _json_schema(operation.get("requestBody"))
    request = root(body, f"{op_id}_request") if body is not None else None
    responses: dict[str, str] = {}
    raw_responses = operation.get("responses") or {}
    for status, response in raw_responses.items() if isinstance(raw_responses, dict) else ():
        schema = _json_schema(response)
        if schema is not None:
            responses[str(status)] = root(schema, f"{op_id}_{status}")
    info = document.get("info") or {}
    return Operation(
        method=method.upper(),
        path=path,
        operation_id=op_id,
        deprecated=bool(operation.get("deprecated", False)),
        request=request,
        responses=responses,
        statuses=tuple(str(s) for s in raw_responses) if isinstance(raw_responses, dict) else (),
        components=found,
        info_version=str(info.get("version", "")) if isinstance(info, dict) else "",
    )


def _json_schema(holder: Any) -> Any:
    content = holder.get("content") if isinstance(holder, dict) else None
    media = content.get("application/json") if isinstance(content, dict) else None
    return media.get("schema") if isinstance(media, dict) else None


def _refs(node: Any) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(_LOCAL):
                out.append(ref[len(_LOCAL) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _reach(components: Mapping[str, Any], start: str, found: dict[str, dict[str, Any]], name: str) -> None:
    todo = [start]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        schema = components.get(current)
        if not isinstance(schema, dict):
            raise ConfigError(f"{name}: $ref to #/components/schemas/{current}, which the document does not define")
        found[current] = _rewrite(copy.deepcopy(schema))
        todo.extend(_refs(schema))


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_LOCAL):
            out[key] = file_ref(value[len(_LOCAL) :])
        else:
            out[key] = _rewrite(value)
    return out
