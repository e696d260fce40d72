"""Validate requests, 200 responses and error bodies against the contract of a spec version and an operation.

Two paths share one contract: a valid payload costs one ``jsonschema_rs`` ``is_valid`` call on the dereferenced
schema (its cross-field rules encoded in it); anything else takes the detailed path (``_walker``), which returns
every violation with its pointer and stable rule id. ``spec_version`` picks the contract: None or ``"latest"``
(the newest bundled version), ``"1.86.0"``, ``"1.113.0"``, or a ``Contract`` (``get_contract``,
``load_contract``, ``ContractSettings.contract``). ``operation`` picks the API: ``payments`` (POST /payments, the
default), ``checkouts`` (POST /checkouts), ``checkouts.preview`` (its response is the preview's
``CalculateSessionResponse``) or ``checkouts.get`` (GET /checkouts/{id}: a response and errors, no request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jsonschema_rs

from ..contract.crossfield import CROSS_FIELD_RULES
from ..contract.rules import rule_for
from ..contract.versions import SpecVersion, get_contract
from ..errors import ContractViolation, Violation, join_pointer, sort_violations
from ._json import InvalidJSON, is_circular, non_json_values, parse_answer, parse_json
from ._rules import short
from ._walker import compile_schema, guard_huge_ints

__all__ = [
    "Kind",
    "ValidationResult",
    "known_rules",
    "parse_answer",
    "parse_json",
    "validate_error",
    "validate_request",
    "validate_response",
]

Kind = Literal["request", "response", "error"]


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


class _Compiled:
    """One compiled document schema (request, response or error) of one contract."""

    def __init__(self, contract_version: SpecVersion, kind: Kind, spec_only: bool) -> None:
        contract = get_contract(contract_version)
        self.kind: Kind = kind
        self.schema = contract.schema(kind, spec_only=spec_only)
        self.rs = jsonschema_rs.Draft202012Validator(guard_huge_ints(self.schema), validate_formats=True)
        cross = tuple(CROSS_FIELD_RULES[name] for name in self.schema.get("x-dodo-cross-field", ()))
        # Rules JSON Schema cannot encode are asked on every payload; the others sit in the schema's allOf.
        self.unencoded = tuple(rule for rule in cross if rule.encoding is None)
        self.root = compile_schema(self.schema, cross=cross)
        self.ok = ValidationResult(kind, ())
        self.is_valid = self.rs.is_valid
        # One is_valid call decides a valid payload, then the predicates of the rules JSON Schema cannot say
        # (none for a payments request; custom field keys for a session request).
        self.fast = self.rs.is_valid
        self.extra = tuple(rule.broken for rule in self.unencoded)

    def validate(self, payload: Any, strict: bool) -> ValidationResult:
        # The valid, non-strict dict is the common case: one jsonschema_rs call and nothing else.
        if type(payload) is dict and not strict:
            try:
                if self.is_valid(payload):
                    if not (self.extra and _broken(self.extra, payload)):
                        return self.ok
                else:
                    return self.invalid(payload, strict)
            except (ValueError, TypeError, OverflowError, RecursionError):
                pass
        return self._validate(payload, strict)

    def invalid(self, payload: Any, strict: bool) -> ValidationResult:
        """Judge a dict the fast path already called invalid (no second ``is_valid`` of the whole of it)."""
        found = self._details(payload, strict, False)
        return ValidationResult(self.kind, (found[0],) if len(found) == 1 else sort_violations(found))

    def _validate(self, payload: Any, strict: bool) -> ValidationResult:
        if type(payload) is not dict and isinstance(payload, (str, bytes, bytearray, memoryview)):
            try:
                payload = parse_json(payload)
            except InvalidJSON as exc:
                return ValidationResult(self.kind, (Violation("", "body.json", "json", f"body is not JSON: {exc}"),))
        try:
            valid = self.rs.is_valid(payload)
        except (ValueError, TypeError, OverflowError, RecursionError):
            # jsonschema_rs could not even read it: a value JSON cannot hold (a set, a cycle...), say where.
            odd = non_json_values(payload)
            if odd:
                return ValidationResult(self.kind, sort_violations(odd))
            valid = False
        if valid and self.unencoded and type(payload) is dict:
            valid = not any(rule.broken(payload) for rule in self.unencoded)
        if valid and not strict:
            return self.ok
        found = self._details(payload, strict, valid)
        return ValidationResult(self.kind, (found[0],) if len(found) == 1 else sort_violations(found))

    def _details(self, payload: Any, strict: bool, valid: bool) -> list[Violation]:
        found: list[Violation] = []
        if not valid:
            try:
                self.root.check(payload, (), found)
            except RecursionError:
                found.append(Violation("", "body.json", "json", "nested too deeply to be checked"))
            if not found:
                found = self._fallback(payload)
            whole = odd = False
            for v in found:
                whole = whole or v.pointer == ""
                odd = odd or v.rule == "body.json"
            if odd or (whole and is_circular(payload)):
                # A value JSON cannot hold (a set, a non-string key...): say exactly where. A cycle can hide
                # behind a violation of the whole document (the walk never enters unknown keys).
                return non_json_values(payload) or found
        if strict:
            found.extend(self._unknown_keys(self.schema, payload, (), ()))
        return found

    def _fallback(self, payload: Any) -> list[Violation]:
        # The walker agrees with jsonschema_rs on every payload the tests throw at it; should they ever part,
        # the payload is still reported invalid, in jsonschema_rs's words.
        try:
            errors = list(self.rs.iter_errors(payload))
        except ValueError as exc:  # jsonschema_rs refuses documents nested deeper than it can walk
            return [Violation("", "body.json", "json", f"cannot be checked: {exc}")]
        return [
            Violation(join_pointer(e.instance_path), rule_for(list(e.schema_path)), str(e.schema_path[-1]), e.message)
            for e in errors
        ] or [Violation("", "body.json", "json", "not a JSON document the contract can judge")]

    def _unknown_keys(
        self, schema: Any, value: Any, ipath: tuple[str | int, ...], spath: tuple[str | int, ...]
    ) -> list[Violation]:
        out: list[Violation] = []
        if not isinstance(schema, dict):
            return out
        if "anyOf" in schema and isinstance(value, dict):
            # Keys of another form are ignored by Dodo once the first fitting form is chosen: say so.
            others = {k for b in schema["anyOf"] for k in b.get("properties", {})}
            for index, branch in enumerate(schema["anyOf"]):
                if jsonschema_rs.is_valid(branch, value):
                    chosen = {**branch, "x-other-keys": others, "x-chosen": branch.get("title", "this form")}
                    return self._unknown_keys(chosen, value, ipath, (*spath, "anyOf", index))
            return out
        props = schema.get("properties")
        if isinstance(props, dict) and isinstance(value, dict) and "additionalProperties" not in schema:
            for key, item in value.items():
                if key in props:
                    out.extend(self._unknown_keys(props[key], item, (*ipath, key), (*spath, "properties", key)))
                    continue
                if key in schema.get("x-other-keys", ()):
                    why = f"ignored: this object is read as {schema['x-chosen']}"
                else:
                    why = "not in the contract (Dodo ignores it)"
                out.append(
                    Violation(
                        join_pointer((*ipath, key)),
                        rule_for((*spath, "unknown")),
                        "additionalProperties",
                        f"unknown key {short(key)}: {why}",
                    )
                )
        items = schema.get("items")
        if isinstance(items, dict) and isinstance(value, list):
            for index, item in enumerate(value):
                out.extend(self._unknown_keys(items, item, (*ipath, index), (*spath, "items")))
        return out


_COMPILED: dict[tuple[Any, ...], _Compiled] = {}


def _compiled(spec_version: SpecVersion, kind: Kind, spec_only: bool, operation: str | None = None) -> _Compiled:
    key = (spec_version, operation, kind, spec_only)
    found = _COMPILED.get(key)
    if found is None:
        contract = get_contract(spec_version, operation=operation)
        contract.schema(kind)  # an operation without this kind (the GET has no request) is a ConfigError here
        canonical = (contract.key, kind, spec_only)
        found = _COMPILED.get(canonical) or _Compiled(contract, kind, spec_only)
        _COMPILED[canonical] = found
        if not hasattr(spec_version, "key"):  # a version string or None: remember the spelling too
            _COMPILED[key] = found
    return found


_REQUESTS: dict[Any, _Compiled] = {}  # spec_version (and operation) -> the request contract, the hot lookup


def validate_request(
    payload: Any,
    *,
    strict: bool = False,
    spec_only: bool = False,
    spec_version: SpecVersion = None,
    operation: str | None = None,
) -> ValidationResult:
    """Validate a request body (a dict, or JSON as ``str``/``bytes``) of ``POST /payments`` or another operation.

    ``operation``: ``payments`` (None, the default), ``checkouts`` or ``checkouts.preview`` (the same request
    body); ``checkouts.get`` takes none (``ConfigError``). ``spec_version``: the contract to judge by (None or
    ``"latest"`` = the newest bundled version; ``"1.86.0"``; or a ``Contract``, whose readings it keeps; an
    unknown version raises ``ConfigError``). Unknown keys are
    allowed, as Dodo's server ignores them; ``strict=True`` reports them as ``*.unknown`` violations.
    ``spec_only=True`` drops the rules the docs state only in prose (cart 1..100 items, metadata limits, int32
    bounds, absolute http(s) ``return_url``, the cross-field rules) and judges by the spec's schema alone. Text
    input is parsed strictly: invalid UTF-8, NaN/Infinity or trailing data are ``body.json`` violations; an
    integer too long for Python's digit limit is judged as out of range. A mapping is taken as an already parsed
    JSON document (as ``json.loads`` returns it; tuples count as arrays): values JSON cannot hold, such as sets or
    non-string keys, are reported as ``body.json`` where the checks meet them, but the mapping is not walked for
    them separately (that would cost the fast path its speed), and float NaN/Infinity read as ``null``. Validate
    the text you send to have every such value caught.
    """
    hot = spec_version if operation is None else (spec_version, operation)
    compiled = None if spec_only else _REQUESTS.get(hot)
    if compiled is None:
        compiled = _compiled(spec_version, "request", spec_only, operation)
        if not spec_only and not hasattr(spec_version, "key"):
            _REQUESTS[hot] = compiled
    if type(payload) is dict and not strict:
        try:
            if compiled.fast(payload):
                if not (compiled.extra and _broken(compiled.extra, payload)):
                    return compiled.ok  # the hot path, inlined: a valid request costs one call
            else:
                return compiled.invalid(payload, strict)
        except (ValueError, TypeError, OverflowError, RecursionError):
            pass
    return compiled.validate(payload, strict)


def _broken(predicates: tuple[Any, ...], payload: Any) -> bool:
    return any(broken(payload) for broken in predicates)


_RESPONSES: dict[Any, _Compiled] = {}  # the same hot lookup for 200 bodies


def validate_response(
    payload: Any,
    *,
    strict: bool = False,
    spec_only: bool = False,
    spec_version: SpecVersion = None,
    operation: str | None = None,
) -> ValidationResult:
    """Validate a 200 response body of the operation; ``strict=True`` reports unknown keys.

    ``operation``: ``payments`` (None), ``checkouts`` (``CreateSessionResponse``), ``checkouts.preview``
    (``CalculateSessionResponse``) or ``checkouts.get`` (``GetCheckoutSessionsStatus``).
    """
    hot = spec_version if operation is None else (spec_version, operation)
    compiled = None if spec_only else _RESPONSES.get(hot)
    if compiled is None:
        compiled = _compiled(spec_version, "response", spec_only, operation)
        if not spec_only and not hasattr(spec_version, "key"):
            _RESPONSES[hot] = compiled
    if type(payload) is dict and not strict:
        try:
            if compiled.fast(payload):
                if not (compiled.extra and _broken(compiled.extra, payload)):
                    return compiled.ok
            else:
                return compiled.invalid(payload, strict)
        except (ValueError, TypeError, OverflowError, RecursionError):
            pass
    return compiled.validate(payload, strict)


def validate_error(payload: Any, *, spec_version: SpecVersion = None, operation: str | None = None) -> ValidationResult:
    """Validate an error body: an object with string ``code`` and ``message`` (extra keys allowed)."""
    return _compiled(spec_version, "error", False, operation).validate(payload, False)


def known_rules(
    kind: Kind = "request", *, spec_version: SpecVersion = None, operation: str | None = None
) -> tuple[str, ...]:
    """Return every rule id the validator can report for ``kind``, sorted (for coverage accounting)."""
    return get_contract(spec_version, operation=operation).known_rules(kind)
