"""The validator's detailed path: walk an invalid payload once and report every violation with its rule id.

The dereferenced schema is compiled once into a tree of ``_Node``s that know their rule ids, limits and a
``jsonschema_rs`` validator of their own sub-schema. The walk starts from a payload the fast path already called
invalid and only descends where something is wrong: a leaf (a string, a number...) is judged in Python, a subtree
(an object, an array, the customer forms) is first asked ``is_valid`` and skipped when it is. So the cost is the
one broken field, not the document, and no ``jsonschema_rs`` error (which copies the offending instance and
formats a message that lists all 249 countries) is ever built.

Semantics follow JSON Schema 2020-12 as ``jsonschema_rs`` applies it: ``1.0`` is an integer, ``true`` is not,
a float NaN/Infinity in a mapping reads as ``null``; a failed ``type`` hides the other keywords at the same place;
the customer ``anyOf`` is judged against the form(s) the payload was aiming at (by their distinguishing key).
Each object node carries the cross-field rules its schema names (``x-dodo-cross-field``): at the root the
request's, deeper down those binding a component (a custom field, the feature flags), reported below its pointer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema_rs

from ..contract.crossfield import CROSS_FIELD_RULES, CrossFieldRule
from ..contract.rules import CHECKED_FORMATS, either, rule_for
from ..errors import Violation, join_pointer
from ._json import is_circular, json_violation
from ._rules import has_duplicates, message, short

__all__ = ["compile_schema", "guard_huge_ints"]

_PY_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int,),  # a float needs a look (integral? finite?), so it never takes the shortcut
    "null": (type(None),),
    "object": (dict,),
    "array": (list, tuple),
}
_SCALARS = frozenset({str, int, float, bool, type(None)})
_POINTERS: dict[tuple[str | int, ...], str] = {}


def _pointer(path: tuple[str | int, ...]) -> str:
    found = _POINTERS.get(path)
    if found is None:
        found = join_pointer(path)
        if len(_POINTERS) < 8192:
            _POINTERS[path] = found
    return found


def _type_ok(value: Any, types: frozenset[str]) -> bool | None:
    """Return whether ``value`` has one of the JSON ``types``; None when it is no JSON value at all."""
    if value is None:
        return "null" in types
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return "integer" in types or "number" in types
    if isinstance(value, float):
        if not math.isfinite(value):
            return "null" in types  # as jsonschema_rs reads a mapping's NaN/Infinity
        return "number" in types or ("integer" in types and value.is_integer())
    if isinstance(value, str):
        return "string" in types
    if isinstance(value, dict):
        return "object" in types
    if isinstance(value, (list, tuple)):
        return "array" in types
    return None


def _valid(validator: Any, value: Any) -> bool:
    try:
        return bool(validator.is_valid(value))
    except (ValueError, TypeError, OverflowError, RecursionError):  # not JSON inside: walk it to say where
        return False


def _validator(schema: Any) -> Any:
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


class _Node:
    """One compiled schema location (see the module docstring)."""

    __slots__ = (
        "additional",
        "branches",
        "cross",
        "enum",
        "enum_limit",
        "enum_rule",
        "fast",
        "format",
        "format_rs",
        "format_rule",
        "forms_message",
        "forms_rule",
        "items",
        "items_rs",
        "key_max",
        "key_rule",
        "kind",
        "max_items",
        "max_items_rule",
        "max_length",
        "max_length_rule",
        "max_props",
        "max_props_rule",
        "maximum",
        "maximum_rule",
        "messages",
        "min_items",
        "min_items_rule",
        "minimum",
        "minimum_rule",
        "pattern",
        "pattern_rs",
        "pattern_rule",
        "props",
        "required",
        "rs",
        "simple",
        "type_limit",
        "type_rule",
        "types",
        "unique_rule",
    )

    def __init__(self, node: Mapping[str, Any], guarded: Mapping[str, Any], spath: tuple[str | int, ...]) -> None:
        raw_types = node.get("type")
        names = [raw_types] if isinstance(raw_types, str) else list(raw_types or ())
        self.types = frozenset(names) if names else None
        self.type_limit = raw_types
        self.type_rule = rule_for((*spath, "type"))
        self.fast = frozenset(t for name in names for t in _PY_TYPES.get(name, ())) if names else frozenset()
        enum = node.get("enum")
        self.enum_limit = enum
        self.enum = frozenset(v for v in enum if not isinstance(v, (dict, list))) if isinstance(enum, list) else None
        self.enum_rule = rule_for((*spath, "enum"))
        self.minimum, self.minimum_rule = node.get("minimum"), rule_for((*spath, "minimum"))
        self.maximum, self.maximum_rule = node.get("maximum"), rule_for((*spath, "maximum"))
        self.max_length, self.max_length_rule = node.get("maxLength"), rule_for((*spath, "maxLength"))
        self.pattern, self.pattern_rule = node.get("pattern"), rule_for((*spath, "pattern"))
        self.pattern_rs = _validator({"pattern": self.pattern}) if isinstance(self.pattern, str) else None
        fmt = node.get("format")
        self.format, self.format_rule = fmt, rule_for((*spath, "format"))
        self.format_rs = _validator({"format": fmt}) if fmt in CHECKED_FORMATS else None
        # Cross-field rules binding this object (a nested one reports relative to it: /custom_fields/2).
        self.cross: tuple[CrossFieldRule, ...] = tuple(CROSS_FIELD_RULES[n] for n in node.get("x-dodo-cross-field", ()))
        self.messages: dict[tuple[str, type, Any], str] = {}
        self.rs: Any = None
        self.props: dict[str, _Node] = {}
        self.required: tuple[tuple[str, str], ...] = ()
        self.additional: _Node | None = None
        self.key_max = self.max_props = self.min_items = self.max_items = None
        self.key_rule = self.max_props_rule = self.min_items_rule = self.max_items_rule = self.unique_rule = ""
        self.items: _Node | None = None
        self.items_rs: Any = None
        self.branches: tuple[tuple[_Node, tuple[str, ...]], ...] = ()
        self.forms_rule = self.forms_message = ""
        branches = node.get("anyOf")
        if isinstance(branches, list):
            self.kind = "forms"
            self.branches = tuple(
                (_Node(b, guarded["anyOf"][i], (*spath, "anyOf", i)), tuple(b.get("required", ())))
                for i, b in enumerate(branches)
            )
            self.forms_rule = rule_for((*spath, "properties", either(branches)), "required")
            keys = " or ".join(f'"{k}" ({b.get("title", "variant")})' for b in branches for k in b.get("required", ()))
            self.forms_message = f"needs {keys}"
        elif any(k in node for k in ("properties", "additionalProperties", "required", "maxProperties")):
            self.kind = "object"
            props = node.get("properties") or {}
            self.props = {k: _Node(v, guarded["properties"][k], (*spath, "properties", k)) for k, v in props.items()}
            self.required = tuple(
                (k, rule_for((*spath, "properties", k), "required")) for k in node.get("required", ())
            )
            if isinstance(node.get("additionalProperties"), Mapping):
                sub = (*spath, "additionalProperties")
                self.additional = _Node(node["additionalProperties"], guarded["additionalProperties"], sub)
            names_node = node.get("propertyNames")
            if isinstance(names_node, Mapping) and isinstance(names_node.get("maxLength"), int):
                self.key_max, self.key_rule = names_node["maxLength"], rule_for((*spath, "propertyNames", "maxLength"))
            self.max_props, self.max_props_rule = node.get("maxProperties"), rule_for((*spath, "maxProperties"))
        elif any(k in node for k in ("items", "minItems", "maxItems", "uniqueItems")):
            self.kind = "array"
            if isinstance(node.get("items"), Mapping):
                self.items = _Node(node["items"], guarded["items"], (*spath, "items"))
                self.items_rs = _validator({"items": guarded["items"]})
            self.min_items, self.min_items_rule = node.get("minItems"), rule_for((*spath, "minItems"))
            self.max_items, self.max_items_rule = node.get("maxItems"), rule_for((*spath, "maxItems"))
            self.unique_rule = rule_for((*spath, "uniqueItems")) if node.get("uniqueItems") is True else ""
        else:
            self.kind = "leaf"
        if self.kind != "leaf":
            self.rs = _validator(guarded)
        more = (self.enum, self.minimum, self.maximum, self.max_length, self.pattern_rs, self.format_rs)
        self.simple = self.kind == "leaf" and all(v is None for v in more)

    def check(self, value: Any, path: tuple[str | int, ...], out: list[Violation]) -> None:
        """Append every violation of ``value`` (at ``path``) to ``out``."""
        if self.types is not None and type(value) not in self.fast:
            ok = _type_ok(value, self.types)
            if ok is None:
                out.append(json_violation(path, f"{type(value).__name__} is not a JSON value"))
                return
            if not ok:
                if isinstance(value, (dict, list, tuple)) and is_circular(value):
                    out.append(json_violation(path, "circular reference: not a JSON document"))
                    return
                text = self._message("type", value, self.type_limit)
                out.append(Violation(_pointer(path), self.type_rule, "type", text))
                return
        kind = self.kind
        if kind == "leaf":
            self._leaf(value, path, out)
        elif kind == "object":
            if isinstance(value, dict):
                self._object(value, path, out)
        elif kind == "array":
            if isinstance(value, (list, tuple)):
                self._array(value, path, out)
        else:
            self._forms(value, path, out)

    def _leaf(self, value: Any, path: tuple[str | int, ...], out: list[Violation]) -> None:
        if self.enum is not None:
            if isinstance(value, str) or value is None:
                hit = value in self.enum
            else:  # JSON equality: true is not 1
                hit = any(type(v) is type(value) and v == value for v in self.enum_limit or ())
            if not hit:
                out.append(
                    Violation(_pointer(path), self.enum_rule, "enum", self._message("enum", value, self.enum_limit))
                )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                text = self._message("minimum", value, self.minimum)
                out.append(Violation(_pointer(path), self.minimum_rule, "minimum", text))
            if self.maximum is not None and value > self.maximum:
                text = self._message("maximum", value, self.maximum)
                out.append(Violation(_pointer(path), self.maximum_rule, "maximum", text))
        elif isinstance(value, str):
            if self.max_length is not None and len(value) > self.max_length:
                text = self._message("maxLength", value, self.max_length)
                out.append(Violation(_pointer(path), self.max_length_rule, "maxLength", text))
            if self.pattern_rs is not None and not self.pattern_rs.is_valid(value):
                text = self._message("pattern", value, self.pattern)
                out.append(Violation(_pointer(path), self.pattern_rule, "pattern", text))
            if self.format_rs is not None and not self.format_rs.is_valid(value):
                out.append(
                    Violation(_pointer(path), self.format_rule, "format", self._message("format", value, self.format))
                )

    def _message(self, keyword: str, value: Any, limit: Any) -> str:
        # The same mistakes come back (a lower-case country, a quantity of -1): word each once per place.
        if type(value) not in _SCALARS or (type(value) is str and len(value) > 200):
            return message(keyword, value, limit)
        key = (keyword, type(value), value)
        found = self.messages.get(key)
        if found is None:
            if len(self.messages) >= 256:
                self.messages.clear()
            found = self.messages[key] = message(keyword, value, limit)
        return found

    def _object(self, value: dict[Any, Any], path: tuple[str | int, ...], out: list[Violation]) -> None:
        for key, required_rule in self.required:
            if key not in value:
                out.append(Violation(_pointer(path), required_rule, "required", f'"{key}" is a required property'))
        if self.max_props is not None and len(value) > self.max_props:
            text = message("maxProperties", value, self.max_props)
            out.append(Violation(_pointer(path), self.max_props_rule, "maxProperties", text))
        props, extra = self.props, self.additional
        for key, item in value.items():
            if type(key) is not str:
                out.append(json_violation(path, f"key {key!r} is not a string"))
                continue
            sub = props.get(key)
            if sub is None:
                if extra is None:
                    continue  # an unknown key: allowed (strict mode reports it elsewhere)
                if self.key_max is not None and len(key) > self.key_max:
                    text = f"key {short(key)} is longer than {self.key_max} characters"
                    out.append(Violation(_pointer(path), self.key_rule, "maxLength", text))
                sub = extra
            if sub.simple and type(item) in sub.fast:
                continue
            if sub.rs is not None:
                try:
                    if sub.rs.is_valid(item):
                        continue
                except (ValueError, TypeError, OverflowError, RecursionError):
                    pass  # not JSON inside: walk it to say where
            sub.check(item, (*path, key), out)
        for rule in self.cross:
            if rule.broken(value):
                where = _pointer(path) + rule.pointer if path else rule.pointer
                out.append(Violation(where, rule.rule, rule.keyword, rule.message))

    def _array(self, value: Sequence[Any], path: tuple[str | int, ...], out: list[Violation]) -> None:
        size = len(value)
        if self.min_items is not None and size < self.min_items:
            text = message("minItems", value, self.min_items)
            out.append(Violation(_pointer(path), self.min_items_rule, "minItems", text))
        if self.max_items is not None and size > self.max_items:
            text = message("maxItems", value, self.max_items)
            out.append(Violation(_pointer(path), self.max_items_rule, "maxItems", text))
        if self.unique_rule and has_duplicates(value):
            out.append(Violation(_pointer(path), self.unique_rule, "uniqueItems", message("uniqueItems", value, True)))
        item = self.items
        if item is None or _valid(self.items_rs, value):
            return
        for index, entry in enumerate(value):
            if item.simple and type(entry) in item.fast:
                continue
            if item.rs is not None and _valid(item.rs, entry):
                continue
            item.check(entry, (*path, index), out)

    def _forms(self, value: Any, path: tuple[str | int, ...], out: list[Violation]) -> None:
        # Dodo takes the first customer form that fits; when none fits, report against the form(s) the
        # payload was evidently aiming at (by its distinguishing required key), not an opaque anyOf failure.
        if value is None and self.types is not None and "null" in self.types:
            return  # a nullable customer (Checkout Sessions): null is its own branch
        if not isinstance(value, dict):
            out.append(Violation(_pointer(path), self.type_rule, "type", f'{short(value)} is not of type "object"'))
            return
        aimed = [node for node, keys in self.branches if any(k in value for k in keys)]
        if not aimed:
            out.append(Violation(_pointer(path), self.forms_rule, "required", self.forms_message))
            return
        for node in aimed:
            node.check(value, path, out)


def guard_huge_ints(node: Any) -> Any:
    """Return a copy of a schema where a bounded integer also fails on an integer too long for ``jsonschema_rs``.

    ``jsonschema_rs`` reads an int of more than 4,300 digits as 0, so ``maximum`` passes it; such an int is no
    ``number`` to it, though, which the added ``anyOf`` uses. Meaningless for any other value.
    """
    if isinstance(node, list):
        return [guard_huge_ints(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: guard_huge_ints(v) for k, v in node.items()}
    types = node.get("type")
    integer = types == "integer" or (isinstance(types, list) and "integer" in types)
    if integer and ("minimum" in node or "maximum" in node):
        guard = {"anyOf": [{"type": "number"}, {"not": {"type": "integer"}}]}
        out["allOf"] = [*out.get("allOf", ()), guard]
    return out


def compile_schema(schema: Mapping[str, Any], *, cross: tuple[CrossFieldRule, ...] = ()) -> _Node:
    """Compile a dereferenced document schema (and its cross-field rules) for the detailed path."""
    root = _Node(schema, guard_huge_ints(schema), ())
    root.cross = cross
    return root
