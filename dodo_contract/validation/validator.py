"""Validate Create Payment requests, 200 responses and error bodies against the contract.

Two paths share one compiled schema: a valid payload costs one ``jsonschema_rs`` ``is_valid`` call; anything
else takes the detailed path, which returns every violation with its pointer and stable rule id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema_rs

from ..contract.schemas import ERROR, REQUEST, RESPONSE, dereferenced
from ..errors import ContractViolation, Violation, join_pointer, sort_violations
from ._rules import (
    either,
    message,
    prefix_rule_path,
    rule_for,
    short,
    size_violations,
    split_size_keywords,
)

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
_SHADOWED_BY_TYPE = frozenset({"enum", "pattern", "format", "maxLength", "minimum", "maximum"})


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


def _non_json_values(payload: Any) -> list[Violation]:
    # Iterative, with parent links instead of path copies, so a 100k-deep document costs linear time and
    # no C stack. Tuples count as arrays: json.dumps sends them as such.
    found: list[Violation] = []
    Link = tuple[Any, str | int] | None
    stack: list[tuple[Any, Link]] = [(payload, None)]
    seen: set[int] = set()
    circular: bool | None = None  # asked once, on the first repeat: a DAG may repeat many times
    while stack and len(found) < 100:
        value, link = stack.pop()
        if value is None or isinstance(value, (str, bool, int)):
            continue
        if isinstance(value, (dict, list, tuple)):
            if id(value) in seen:  # shared (fine) or circular (not JSON): never walk it twice
                if circular is None:
                    circular = _is_circular(payload)
                if circular:
                    found.append(_json_violation(_path(link), "circular reference: not a JSON document"))
                    break
                continue
            seen.add(id(value))
        if isinstance(value, float):
            if not math.isfinite(value):
                found.append(_json_violation(_path(link), f"{value!r} is not a JSON number"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    stack.append((item, (link, key)))
                else:
                    found.append(_json_violation(_path(link), f"key {key!r} is not a string"))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (link, i)) for i, item in enumerate(value))
        else:
            found.append(_json_violation(_path(link), f"{type(value).__name__} is not a JSON value"))
    return found


def _is_circular(payload: Any) -> bool:
    try:
        json.dumps(payload, default=str)
    except ValueError as exc:
        return "ircular" in str(exc)
    except RecursionError:
        return False
    return False


def _path(link: Any) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    while link is not None:
        link, key = link
        parts.append(key)
    return tuple(reversed(parts))


def _json_violation(path: Sequence[str | int], message: str) -> Violation:
    return Violation(join_pointer(path), "body.json", "json", message)


def _node(root: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        # jsonschema-rs reports an object key that looks like a number ("0") as an int.
        root = root[str(part)] if isinstance(root, dict) else root[int(part)]
    return root


def _instance_path(raw: Sequence[str | int], payload: Any) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    node = payload
    for part in raw:
        if isinstance(node, dict):
            part = str(part)
        parts.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            node = node[part]
        else:
            node = None
    return tuple(parts)


_SITE_CACHE = 4096


@dataclass(frozen=True, slots=True)
class _Site:
    """Where an error sits, worked out once per (schema path, instance path) and then reused."""

    spath: tuple[str | int, ...]
    local: tuple[str | int, ...]  # instance path inside the validated sub-document
    ipath: tuple[str | int, ...]  # instance path in the whole document
    pointer: str
    keyword: str
    rule_path: tuple[str | int, ...]
    rule: str
    node: dict[str, Any]
    limit: Any

    @classmethod
    def build(
        cls,
        schema: Any,
        prefix: tuple[str | int, ...],
        spath: tuple[str | int, ...],
        raw_ipath: tuple[str | int, ...],
        payload: Any,
    ) -> _Site:
        local = _instance_path(raw_ipath, payload)
        ipath = prefix + local
        keyword = str(spath[-1])
        node = _node(schema, spath[:-1]) if len(spath) > 1 else schema
        rule_path = prefix_rule_path(prefix) + spath
        return cls(
            spath,
            local,
            ipath,
            join_pointer(ipath),
            keyword,
            rule_path,
            rule_for(rule_path),
            node,
            node.get(keyword) if isinstance(node, dict) else None,
        )


class _Contract:
    """One compiled document schema (request, response or error) and its sub-validators."""

    def __init__(self, kind: Kind, spec_only: bool = False) -> None:
        self.kind: Kind = kind
        self.schema = dereferenced(_SCHEMA_OF[kind], spec_only=spec_only)
        self.rs = jsonschema_rs.Draft202012Validator(self.schema, validate_formats=True)
        # jsonschema-rs copies the whole offending instance into each error; for size keywords on big arrays and
        # maps that copy costs more than the check, so the detailed path checks those few keywords itself.
        detail_schema, self._sizes = split_size_keywords(self.schema)
        self.rs_detail = jsonschema_rs.Draft202012Validator(detail_schema, validate_formats=True)
        self.ok = ValidationResult(kind, ())
        self._variants: dict[tuple[str | int, ...], tuple[jsonschema_rs.Validator, ...]] = {}
        self._sites: dict[tuple[Any, ...], _Site] = {}

    def validate(self, payload: Any, strict: bool) -> ValidationResult:
        if type(payload) is not dict and isinstance(payload, (str, bytes, bytearray, memoryview)):
            try:
                payload = parse_json(payload)
            except _InvalidJSON as exc:
                return ValidationResult(self.kind, (Violation("", "body.json", "json", f"body is not JSON: {exc}"),))
        try:
            valid = self.rs.is_valid(payload)
        except (ValueError, TypeError, OverflowError, RecursionError):
            valid = False
        if valid and not strict:
            return self.ok
        return ValidationResult(self.kind, sort_violations(self._details(payload, strict, valid)))

    def _details(self, payload: Any, strict: bool, valid: bool) -> list[Violation]:
        found: list[Violation] = []
        if not valid:
            found.extend(self._schema_violations(self.schema, self.rs_detail, payload, ()))
            found.extend(size_violations(self._sizes, payload))
        if any(v.rule == "body.json" for v in found):
            # The engine met a value JSON cannot hold (a set, a non-string key...): say exactly where.
            return _non_json_values(payload) or found
        if strict:
            found.extend(self._unknown_keys(self.schema, payload, (), ()))
        return found

    def _schema_violations(
        self, schema: Any, validator: jsonschema_rs.Validator, payload: Any, prefix: tuple[str | int, ...]
    ) -> Iterator[Violation]:
        try:
            errors = list(validator.iter_errors(payload))
        except ValueError as exc:  # jsonschema-rs refuses documents nested deeper than it can walk
            yield _json_violation(prefix, f"cannot be checked: {exc}")
            return
        sites: list[tuple[_Site, Any]] = []
        for error in errors:
            key = (id(schema), prefix, tuple(error.schema_path), tuple(error.instance_path))
            site = self._sites.get(key)
            if site is None:
                site = _Site.build(schema, prefix, key[2], key[3], payload)
                if len(self._sites) < _SITE_CACHE:
                    self._sites[key] = site
            sites.append((site, error))
        typed = {site.local for site, _ in sites if site.keyword == "type"}
        for site, error in sites:
            if site.keyword in _SHADOWED_BY_TYPE and site.local in typed:
                continue
            value = _node(payload, site.local)
            if site.keyword == "anyOf":
                yield from self._variant_violations(schema, site.spath[:-1], value, site.ipath, prefix)
            elif site.spath[0] == "then":
                yield Violation(
                    site.pointer,
                    "customer.payment_method_requires_customer_id",
                    "dependentRequired",
                    'payment_method_id requires an existing customer: customer must carry a string "customer_id"',
                )
            elif site.keyword == "required":
                missing = getattr(error.kind, "property", None) or next(
                    (k for k in site.limit if not (isinstance(value, dict) and k in value)), "?"
                )
                rule = rule_for((*site.rule_path[:-1], "properties", missing), "required")
                yield Violation(site.pointer, rule, "required", f'"{missing}" is a required property')
            elif site.keyword == "maxLength" and site.spath[-2] == "propertyNames":
                # A key has no pointer of its own: the violation sits at the object, naming the key.
                for long_key in (k for k in value if len(k) > site.limit):
                    yield Violation(
                        site.pointer,
                        site.rule,
                        "maxLength",
                        f"key {short(long_key)} is longer than {site.limit} characters",
                    )
            else:
                yield Violation(
                    site.pointer, site.rule, site.keyword, message(site.keyword, value, site.limit, site.node)
                )

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
        rule_base = prefix_rule_path(prefix) + spath
        pointer = join_pointer(ipath)
        if not isinstance(value, dict):
            yield Violation(pointer, rule_for(rule_base, "type"), "type", f'{short(value)} is not of type "object"')
            return
        aimed = [b for b in branches if any(k in value for k in b.get("required", ()))]
        if not aimed:
            keys = " or ".join(f'"{k}" ({b.get("title", "variant")})' for b in branches for k in b.get("required", ()))
            yield Violation(
                pointer,
                rule_for((*rule_base, "properties", either(branches)), "required"),
                "required",
                f"needs {keys}",
            )
            return
        for branch in aimed:
            index = branches.index(branch)
            key = (*spath, index)
            validators = self._variants.get(key)
            if validators is None:
                validators = (jsonschema_rs.Draft202012Validator(branch, validate_formats=True),)
                self._variants[key] = validators
            yield from self._schema_violations(branch, validators[0], value, ipath)

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
                    rule_for((*spath, "unknown")),
                    "additionalProperties",
                    f"unknown key {short(key)}: {why}",
                )
        items = schema.get("items")
        if isinstance(items, dict) and isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._unknown_keys(items, item, (*ipath, index), (*spath, "items"))


_CONTRACTS: dict[tuple[Kind, bool], _Contract] = {}


def _contract(kind: Kind, spec_only: bool = False) -> _Contract:
    contract = _CONTRACTS.get((kind, spec_only))
    if contract is None:
        contract = _CONTRACTS[(kind, spec_only)] = _Contract(kind, spec_only)
    return contract


def validate_request(payload: Any, *, strict: bool = False, spec_only: bool = False) -> ValidationResult:
    """Validate a ``POST /payments`` request body (a dict, or JSON as ``str``/``bytes``).

    Unknown keys are allowed, as Dodo's server ignores them; ``strict=True`` reports them as ``*.unknown``
    violations. ``spec_only=True`` drops the rules the docs state only in prose (cart 1..100 items, metadata
    limits, int32 bounds, absolute http(s) ``return_url``, payment_method_id needs customer_id) and judges by
    the spec's schema alone. Text input is parsed strictly: invalid UTF-8, NaN/Infinity or trailing data are
    ``body.json`` violations. A mapping is taken as an already parsed JSON document (as ``json.loads`` returns
    it; tuples count as arrays): values JSON cannot hold, such as sets or non-string keys, are reported as
    ``body.json`` where the checks meet them, but the mapping is not walked for them separately (that would cost
    the fast path its speed), and float NaN/Infinity read as ``null``. Validate the text you send to have every
    such value caught.
    """
    return _contract("request", spec_only).validate(payload, strict)


def validate_response(payload: Any, *, strict: bool = False, spec_only: bool = False) -> ValidationResult:
    """Validate a 200 response body of ``POST /payments``; ``strict=True`` reports unknown keys."""
    return _contract("response", spec_only).validate(payload, strict)


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
        for keyword in (
            "type",
            "enum",
            "minimum",
            "maximum",
            "minItems",
            "maxItems",
            "maxProperties",
            "maxLength",
            "uniqueItems",
            "pattern",
            "format",
        ):
            if keyword in node and not (keyword == "format" and node[keyword] == "int32"):
                rules.add(rule_for((*spath, keyword)))
        if not in_variant:
            for key in node.get("required", ()):
                rules.add(rule_for((*spath, "properties", key), "required"))
        if "anyOf" in node:
            # A form is only judged when its distinguishing key is present, so its "required" never fires.
            rules.add(rule_for((*spath, "properties", either(node["anyOf"])), "required"))
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
