"""Validate Create Payment requests, 200 responses and error bodies against the contract.

Two paths share one compiled schema: a valid payload costs one ``jsonschema_rs`` ``is_valid`` call; anything
else takes the detailed path, which returns every violation with its pointer and stable rule id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import jsonschema_rs

from .errors import ContractViolation, Violation, join_pointer, sort_violations
from .schemas import ERROR, REQUEST, RESPONSE, dereferenced

__all__ = [
    "Kind",
    "ValidationResult",
    "known_rules",
    "parse_json",
    "validate_error",
    "validate_request",
    "validate_response",
]

Kind = Literal["request", "response", "error"]
_SCHEMA_OF: dict[str, str] = {"request": REQUEST, "response": RESPONSE, "error": ERROR}
_MAX_SHOWN = 60
# Keywords whose failure is better reported by a sibling at the same pointer ("5" fails type and enum).
_SHADOWED_BY_TYPE = frozenset({"enum", "pattern", "format", "maxLength", "minimum", "maximum"})
_ENUM_NAMES = {
    "CountryCodeAlpha2": "ISO 3166-1 alpha-2 country codes",
    "Currency": "ISO 4217 currency codes",
    "PaymentMethodTypes": "payment method types",
}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The verdict on one payload: ``ok`` and every violation, sorted by pointer."""

    kind: Kind
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        """True when the payload honours the contract."""
        return not self.violations

    def raise_for_violations(self) -> None:
        """Raise ``ContractViolation`` (an ``AssertionError``) listing every violation, if there is any."""
        if self.violations:
            raise ContractViolation(self.violations, what=self.kind)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: kind, ok, violations."""
        return {"kind": self.kind, "ok": self.ok, "violations": [v.to_dict() for v in self.violations]}


class _InvalidJSON(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _InvalidJSON(f"{name} is not a JSON number")


def parse_json(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse a JSON document strictly (UTF-8, no NaN/Infinity, no trailing data); raise ``ValueError``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _InvalidJSON(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if data.startswith("\ufeff"):
        data = data[1:]
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise _InvalidJSON("nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise _InvalidJSON(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _non_json_values(payload: Any) -> list[Violation]:
    # Iterative, so a 100k-deep document costs memory, not the C stack.
    found: list[Violation] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(payload, ())]
    while stack and len(found) < 100:
        value, path = stack.pop()
        if value is None or isinstance(value, (str, bool, int)):
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                found.append(_json_violation(path, f"{value!r} is not a JSON number"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    found.append(_json_violation(path, f"key {key!r} is not a string"))
                else:
                    stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        else:
            found.append(_json_violation(path, f"{type(value).__name__} is not a JSON value"))
    return found


def _json_violation(path: Sequence[str | int], message: str) -> Violation:
    return Violation(join_pointer(path), "body.json", "json", message)


def _rule_for(schema_path: Sequence[str | int], last: str | None = None) -> str:
    """Name a rule after the schema location: property names, ``items``, ``key``/``value`` for maps."""
    names: list[str] = []
    for i, part in enumerate(schema_path):
        prev = schema_path[i - 1] if i else None
        if prev == "properties" and isinstance(part, str):
            names.append(part)
        elif part == "items":
            names.append("items")
        elif part == "additionalProperties":
            names.append("value")
        elif part == "propertyNames":
            names.append("key")
    names.append(last if last is not None else str(schema_path[-1]))
    return ".".join(names) if len(names) > 1 else "body." + names[0]


def _node(root: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        root = root[part]
    return root


class _Contract:
    """One compiled document schema (request, response or error) and its sub-validators."""

    def __init__(self, kind: Kind) -> None:
        self.kind: Kind = kind
        self.schema = dereferenced(_SCHEMA_OF[kind])
        self.rs = jsonschema_rs.Draft202012Validator(self.schema, validate_formats=True)
        self.ok = ValidationResult(kind, ())
        self._variants: dict[tuple[str | int, ...], tuple[jsonschema_rs.Validator, ...]] = {}

    def validate(self, payload: Any, strict: bool) -> ValidationResult:
        if isinstance(payload, (str, bytes, bytearray, memoryview)):
            try:
                payload = parse_json(payload)
            except _InvalidJSON as exc:
                return ValidationResult(self.kind, (Violation("", "body.json", "json", f"body is not JSON: {exc}"),))
        try:
            valid = self.rs.is_valid(payload)
        except (ValueError, TypeError, OverflowError, RecursionError):
            valid = False
        if valid and not strict:
            # The Rust engine reads NaN/Infinity as null; a float anywhere is rare enough to look for cheaply.
            return self.ok
        return ValidationResult(self.kind, sort_violations(self._details(payload, strict, valid)))

    def _details(self, payload: Any, strict: bool, valid: bool) -> list[Violation]:
        foreign = _non_json_values(payload)
        if foreign:
            return foreign
        found: list[Violation] = [] if valid else list(self._schema_violations(self.schema, self.rs, payload, ()))
        if strict:
            found.extend(self._unknown_keys(self.schema, payload, (), ()))
        return found

    def _schema_violations(
        self, schema: Any, validator: jsonschema_rs.Validator, payload: Any, prefix: tuple[str | int, ...]
    ) -> Iterator[Violation]:
        typed: set[tuple[str | int, ...]] = set()
        errors = list(validator.iter_errors(payload))
        for error in errors:
            if error.schema_path[-1] == "type":
                typed.add(tuple(error.instance_path))
        for error in errors:
            ipath = tuple(error.instance_path)
            spath = tuple(error.schema_path)
            keyword = str(spath[-1])
            if keyword in _SHADOWED_BY_TYPE and ipath in typed:
                continue
            value = _node(payload, ipath)
            if keyword == "anyOf":
                yield from self._variant_violations(schema, spath[:-1], value, prefix + ipath, prefix)
                continue
            missing = getattr(error.kind, "property", None) if keyword == "required" else None
            yield self._violation(schema, spath, prefix + ipath, value, keyword, prefix, missing)

    def _violation(
        self,
        schema: Any,
        spath: tuple[str | int, ...],
        ipath: tuple[str | int, ...],
        value: Any,
        keyword: str,
        prefix: tuple[str | int, ...],
        missing: str | None = None,
    ) -> Violation:
        node = _node(schema, spath[:-1])
        limit = node.get(keyword)
        rule_path = _prefix_rule_path(prefix) + spath
        pointer = join_pointer(ipath)
        if spath and spath[0] == "then":
            return Violation(
                pointer,
                "customer.payment_method_requires_customer_id",
                "dependentRequired",
                'payment_method_id requires an existing customer: customer must carry a string "customer_id"',
            )
        if keyword == "required":
            if missing is None:
                missing = next((k for k in limit if not (isinstance(value, dict) and k in value)), "?")
            return Violation(pointer, _rule_for(rule_path[:-1] + ("properties", missing), "required"), keyword,
                             f'"{missing}" is a required property')
        if keyword == "maxLength" and spath[-2] == "propertyNames":
            long_key = next((k for k in value if len(k) > limit), "")
            return Violation(join_pointer((*ipath, long_key)), _rule_for(rule_path), keyword,
                             f"key {_short(long_key)} is longer than {limit} characters")
        return Violation(pointer, _rule_for(rule_path), keyword, _message(keyword, value, limit, node))

    def _variant_violations(
        self,
        schema: Any,
        spath: tuple[str | int, ...],
        value: Any,
        ipath: tuple[str | int, ...],
        prefix: tuple[str | int, ...],
    ) -> Iterator[Violation]:
        # Dodo takes the first customer form that fits; when none fits, report against the form(s) the
        # payload was evidently aiming at (by its distinguishing required key), not an opaque anyOf failure.
        node = _node(schema, spath)
        branches: list[dict[str, Any]] = node["anyOf"]
        rule_base = _prefix_rule_path(prefix) + spath
        pointer = join_pointer(ipath)
        if not isinstance(value, dict):
            yield Violation(pointer, _rule_for(rule_base, "type"), "type", f"{_short(value)} is not of type \"object\"")
            return
        aimed = [b for b in branches if any(k in value for k in b.get("required", ()))]
        if not aimed:
            keys = " or ".join(f'"{k}" ({b.get("title", "variant")})' for b in branches for k in b.get("required", ()))
            yield Violation(pointer, _rule_for((*rule_base, "properties", _either(branches)), "required"), "required",
                            f"needs {keys}")
            return
        for branch in aimed:
            index = branches.index(branch)
            key = (*spath, index)
            validators = self._variants.get(key)
            if validators is None:
                validators = (jsonschema_rs.Draft202012Validator(branch, validate_formats=True),)
                self._variants[key] = validators
            for violation in self._schema_violations(branch, validators[0], value, ipath):
                yield violation

    def _unknown_keys(
        self, schema: Any, value: Any, ipath: tuple[str | int, ...], spath: tuple[str | int, ...]
    ) -> Iterator[Violation]:
        if not isinstance(schema, dict):
            return
        if "anyOf" in schema and isinstance(value, dict):
            # Keys of another form are ignored by Dodo once the first fitting form is chosen: say so.
            others = {k for b in schema["anyOf"] for k in b.get("properties", {})}
            for index, branch in enumerate(schema["anyOf"]):
                if jsonschema_rs.is_valid(branch, value):
                    chosen = {**branch, "x-other-keys": others, "x-chosen": branch.get("title", "this form")}
                    yield from self._unknown_keys(chosen, value, ipath, (*spath, "anyOf", index))
                    return
            return
        props = schema.get("properties")
        if isinstance(props, dict) and isinstance(value, dict) and "additionalProperties" not in schema:
            for key, item in value.items():
                if key in props:
                    yield from self._unknown_keys(props[key], item, (*ipath, key), (*spath, "properties", key))
                    continue
                if key in schema.get("x-other-keys", ()):
                    why = f"ignored: this object is read as {schema['x-chosen']}"
                else:
                    why = "not in the contract (Dodo ignores it)"
                yield Violation(
                    join_pointer((*ipath, key)),
                    _rule_for((*spath, "unknown")),
                    "additionalProperties",
                    f"unknown key {_short(key)}: {why}",
                )
        items = schema.get("items")
        if isinstance(items, dict) and isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._unknown_keys(items, item, (*ipath, index), (*spath, "items"))


def _either(branches: list[dict[str, Any]]) -> str:
    return "_or_".join(k for b in branches for k in b.get("required", ()))


def _prefix_rule_path(ipath: tuple[str | int, ...]) -> tuple[str | int, ...]:
    # Sub-validators see a sub-document; give their schema paths the property names that lead to it.
    out: list[str | int] = []
    for part in ipath:
        if isinstance(part, int):
            out.append("items")
        else:
            out.extend(("properties", part))
    return tuple(out)


def _message(keyword: str, value: Any, limit: Any, node: dict[str, Any]) -> str:
    shown = _short(value)
    if keyword == "type":
        types = limit if isinstance(limit, list) else [limit]
        return f"{shown} is not of type {' or '.join(repr(t).replace(chr(39), chr(34)) for t in types)}"
    if keyword == "enum":
        allowed = [v for v in limit if v is not None]
        name = _ENUM_NAMES.get(str(node.get("title", "")), "") or _enum_name(allowed)
        hint = ""
        if isinstance(value, str):
            for cand in (value.upper(), value.lower()):
                if cand != value and cand in allowed:
                    hint = f' (did you mean "{cand}"?)'
        return f"{shown} is not one of the {len(allowed)} {name}{hint}"
    if keyword == "minimum":
        return f"{shown} is less than the minimum of {limit}"
    if keyword == "maximum":
        return f"{shown} is greater than the maximum of {limit}"
    if keyword == "minItems":
        return f"has {len(value)} item(s); at least {limit} required"
    if keyword == "maxItems":
        return f"has {len(value)} items; at most {limit} allowed"
    if keyword == "maxProperties":
        return f"has {len(value)} keys; at most {limit} allowed"
    if keyword == "maxLength":
        return f"{shown} is longer than {limit} characters ({len(value)})"
    if keyword == "uniqueItems":
        seen: list[Any] = []
        dup = next((v for v in value if v in seen or seen.append(v)), None)
        return f"has repeated items ({_short(dup)} more than once)"
    if keyword == "pattern":
        return f"{shown} is not an absolute http(s) URL" if "://" in str(limit) else f"{shown} does not match {limit}"
    if keyword == "format":
        return f"{shown} is not a valid {'RFC 3339 date-time' if limit == 'date-time' else limit}"
    return f"{shown} is not valid under {keyword}"


def _enum_name(allowed: list[Any]) -> str:
    if len(allowed) == 249:
        return _ENUM_NAMES["CountryCodeAlpha2"]
    if allowed and all(isinstance(a, str) and a.isupper() and len(a) == 3 for a in allowed):
        return _ENUM_NAMES["Currency"]
    return "allowed values"


@cache
def _contract(kind: Kind) -> _Contract:
    return _Contract(kind)


def validate_request(payload: Any, *, strict: bool = False) -> ValidationResult:
    """Validate a ``POST /payments`` request body (a dict, or JSON as ``str``/``bytes``).

    Unknown keys are allowed, as Dodo's server ignores them; ``strict=True`` reports them as
    ``*.unknown`` violations. A mapping is read as a parsed JSON document: Python values JSON cannot hold
    (tuples, sets, non-string keys, NaN) are reported as ``body.json`` violations.
    """
    return _contract("request").validate(payload, strict)


def validate_response(payload: Any, *, strict: bool = False) -> ValidationResult:
    """Validate a 200 response body of ``POST /payments``; ``strict=True`` reports unknown keys."""
    return _contract("response").validate(payload, strict)


def validate_error(payload: Any) -> ValidationResult:
    """Validate an error body: an object with string ``code`` and ``message`` (extra keys allowed)."""
    return _contract("error").validate(payload, False)


def known_rules(kind: Kind = "request") -> tuple[str, ...]:
    """Return every rule id the validator can report for ``kind``, sorted (for coverage accounting)."""
    schema = _contract(kind).schema
    rules: set[str] = {"body.json"}

    def walk(node: Any, spath: tuple[str | int, ...], in_variant: bool = False) -> None:
        if not isinstance(node, dict):
            return
        if spath and spath[-1] == "propertyNames":
            node = {k: v for k, v in node.items() if k != "type"}  # JSON keys are always strings
        for keyword in ("type", "enum", "minimum", "maximum", "minItems", "maxItems", "maxProperties",
                        "maxLength", "uniqueItems", "pattern", "format"):
            if keyword in node and not (keyword == "format" and node[keyword] == "int32"):
                rules.add(_rule_for((*spath, keyword)))
        if not in_variant:
            for key in node.get("required", ()):
                rules.add(_rule_for((*spath, "properties", key), "required"))
        if "anyOf" in node:
            # A form is only judged when its distinguishing key is present, so its "required" never fires.
            rules.add(_rule_for((*spath, "properties", _either(node["anyOf"])), "required"))
            for branch in node["anyOf"]:
                walk(branch, spath, True)
        for key, sub in node.get("properties", {}).items():
            walk(sub, (*spath, "properties", key))
        for sub_key in ("items", "additionalProperties", "propertyNames"):
            if isinstance(node.get(sub_key), dict):
                walk(node[sub_key], (*spath, sub_key))

    walk(schema, ())
    if "then" in schema:
        rules.add("customer.payment_method_requires_customer_id")
    return tuple(sorted(rules))
