"""Inline a contract's schema files into one self-contained schema per document kind, ready to compile.

Works on any ``{name: schema}`` mapping (the bundled files, or a user's document built in memory). These rewrites
keep the meaning and make validators report at the field instead of an opaque branch failure:
``oneOf [null, {type: string, enum}]`` becomes ``{type: [string, null], enum: [..., null]}``; ``oneOf [null, X]``
for any other X of one type (an object, an array) becomes X with ``null`` added to its type; ``oneOf [null,
{anyOf: forms}]`` (the nullable customer of Checkout Sessions) becomes ``{type: [object, null], anyOf: [...forms,
{type: null}]}`` (every form is an object); and an ``anyOf`` of bare types (the Metadata value: string | integer
| number | boolean) becomes ``{type: [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["dereference"]

_ANNOTATIONS = frozenset({"title", "description", "format", "examples", "deprecated"})
# Keywords that also judge null (or that combine schemas): a branch holding one is not simply "X or null".
_NOT_NULL_SAFE = frozenset({"oneOf", "anyOf", "allOf", "not", "if", "then", "else", "const", "enum", "$ref"})


def dereference(files: Mapping[str, Mapping[str, Any]], name: str, *, spec_only: bool = False) -> dict[str, Any]:
    """Return schema ``name`` with every file ``$ref`` inlined (no ``$id``/``$schema`` inside; a fresh dict).

    ``spec_only=True`` leaves out every keyword a node lists in ``x-dodo-added`` (the overlay's prose rules), and
    gives a keyword the overlay overwrote its spec value back (``x-dodo-replaced``).
    """
    result: dict[str, Any] = _flatten(_inline(files, files[name], spec_only))
    return result


def _inline(files: Mapping[str, Mapping[str, Any]], node: Any, spec_only: bool) -> Any:
    if isinstance(node, list):
        return [_inline(files, v, spec_only) for v in node]
    if not isinstance(node, Mapping):
        return node
    if spec_only and "x-dodo-added" in node:
        # The spec's own value of a keyword the overlay overwrote comes back (quantity's minimum 0, not 1).
        replaced = node.get("x-dodo-replaced", {})
        added = {*node["x-dodo-added"], "x-dodo-added", "x-dodo-replaced"} - set(replaced)
        node = {k: replaced.get(k, v) for k, v in node.items() if k not in added}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.endswith(".json"):
        target = _inline(files, files[ref[: -len(".json")]], spec_only)
        target = {k: v for k, v in target.items() if k not in ("$id", "$schema")}
        siblings = {k: _inline(files, v, spec_only) for k, v in node.items() if k != "$ref"}
        return _merge(target, siblings)
    return {k: _inline(files, v, spec_only) for k, v in node.items()}


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


def _flatten(node: Any) -> Any:
    if isinstance(node, list):
        return [_flatten(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _flatten(v) for k, v in node.items()}
    branches = node.get("oneOf")
    if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
        other = branches[1] if branches[0] == {"type": "null"} else branches[0]
        if isinstance(other.get("type"), str) and isinstance(other.get("enum"), list):
            flat = {k: v for k, v in node.items() if k != "oneOf"}
            flat.update({k: v for k, v in other.items() if k not in ("type", "enum")})
            flat["type"] = [other["type"], "null"]
            flat["enum"] = [*other["enum"], None]
            return flat
        if isinstance(other.get("type"), str) and other["type"] != "null" and not _NOT_NULL_SAFE & set(other):
            flat = {k: v for k, v in node.items() if k != "oneOf"}
            flat.update(other)
            flat["type"] = [other["type"], "null"]
            return flat
        forms = other.get("anyOf")
        if (
            isinstance(forms, list)
            and "type" not in other
            and not (_NOT_NULL_SAFE - {"anyOf"}) & set(other)
            and all(isinstance(f, dict) and f.get("type") == "object" for f in forms)
        ):
            flat = {k: v for k, v in node.items() if k != "oneOf"}
            flat.update(other)
            flat["type"] = ["object", "null"]
            flat["anyOf"] = [*forms, {"type": "null"}]
            return flat
    branches = node.get("anyOf")
    if (
        isinstance(branches, list)
        and "type" not in node
        and all(
            isinstance(b, dict) and isinstance(b.get("type"), str) and set(b) - {"type"} <= _ANNOTATIONS
            for b in branches
        )
    ):
        # anyOf of bare types: the same as one "type" list (formats such as int64 are annotations here).
        flat = {k: v for k, v in node.items() if k != "anyOf"}
        flat["type"] = list(dict.fromkeys(b["type"] for b in branches))
        return flat
    return node
