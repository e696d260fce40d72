"""The classes of bad values for each derived rule: every class once, never one random value.

A server that rejects ``-1`` but accepts ``5.5`` for an integer has a bug one random value finds by luck; so each
rule gets one value of each class that breaks it: for an integer a fractional number, a numeric string, a
boolean, an array, an object (and null where not nullable); for an enum case changes and near misses; for a
bound the first value past it (and past int32/int64 for integers); for a pattern or format a few distinct
malformations. Classes depend only on the rule (the schema), so every seed sends the same classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsonschema_rs

from ..contract.overlay import INT_FORMAT_BOUNDS
from ..contract.rules import Rule

__all__ = ["DATE_TIME_BAD", "FORMS_BAD", "BadValue", "bad_values", "enum_misses", "enum_representative"]

# (class label, value); a value may be a function of the valid value it replaces (enum near misses).
BadValue = tuple[str, Any]
EnumMiss = Callable[[str], str]

_TYPE_CLASSES: dict[str, tuple[BadValue, ...]] = {
    # Keyed by the type the node expects; 5.0 would be a valid integer, so the fractional class is 5.5.
    "integer": (("a fractional number", 5.5), ("a numeric string", "5"), ("a boolean", True), ("an array", [1]),
                ("an object", {"value": 1})),
    "number": (("a numeric string", "5"), ("a boolean", True), ("an array", [1]), ("an object", {"value": 1})),
    "string": (("a number", 5), ("a boolean", True), ("an array", ["x"]), ("an object", {"value": "x"})),
    "boolean": (('the string "true"', "true"), ("the number 1", 1), ("the number 0", 0), ("an array", [True]),
                ("an object", {})),
    "object": (("a string", "x"), ("a number", 5), ("a boolean", True), ("an array", [])),
    "array": (("a string", "x"), ("a number", 5), ("a boolean", True), ("an object", {})),
}  # fmt: skip
_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}

DATE_TIME_BAD: tuple[BadValue, ...] = (
    ("a space instead of T", "2023-11-07 05:31:56Z"),
    ("no UTC offset", "2023-11-07T05:31:56"),
    ("a date only", "2023-11-07"),
    ("month 13", "2023-13-07T05:31:56Z"),
    ("30 February", "2023-02-30T00:00:00Z"),
    ("hour 24", "2023-11-07T24:00:00Z"),
    ("day/month/year", "07/11/2023"),
    ("epoch seconds as text", "1699335116"),
    ("an empty string", ""),
)
# A customer object with neither form's distinguishing key (hand-written: the forms rule is the overlay's reading).
FORMS_BAD: tuple[BadValue, ...] = (
    ("an empty object", {}),
    ("a name only", {"name": "Ada Lovelace"}),
    ("a phone only", {"phone_number": "+14155550123"}),
    ("a null name only", {"name": None}),
    ("a look-alike key id", {"id": "cus_ada"}),
    ("a look-alike key Email", {"Email": "ada@example.com"}),
)
_FALLBACK_STRINGS = ("", " ", "x", "not valid", "\u0000", "https://", "0")


def _enum_classes(value: str) -> tuple[tuple[str, EnumMiss], ...]:
    upper = value.isupper()
    return (
        ("lower case" if upper else "upper case", lambda v: v.lower() if v.isupper() else v.upper()),
        ("mixed case", lambda v: v[:1].upper() + v[1:].lower() if v.isupper() else v[:1].upper() + v[1:]),
        ("one letter more", lambda v: v + ("A" if v.isupper() else "s")),
        ("one letter less", lambda v: v[:-1]),
        ("another separator", lambda v: v.replace("_", "-")),
        ("an empty string", lambda v: ""),
    )


_REPRESENTATIVES = ("US", "USD", "apple_pay", "credit")


def enum_representative(allowed: Sequence[Any]) -> str:
    """Return the valid value whose near misses are sent: the same for every seed, so the classes never vary."""
    strings = [v for v in allowed if isinstance(v, str)]
    return next((v for v in _REPRESENTATIVES if v in strings), strings[0] if strings else "x")


def enum_misses(current: str, allowed: Sequence[Any]) -> list[BadValue]:
    """Return the near misses of ``current`` (a valid enum string) that are not in ``allowed``, one per class."""
    taken = set(allowed)
    out: list[BadValue] = []
    seen: set[str] = set()
    for label, make in _enum_classes(current):
        miss = make(current)
        if miss not in taken and miss not in seen and miss != current:
            seen.add(miss)
            out.append((label, miss))
    return out


def _type_classes(rule: Rule) -> list[BadValue]:
    expected = set(rule.types)
    if {"integer", "number"} & expected and len(expected - {"null"}) == 1:
        base = _TYPE_CLASSES["integer" if "integer" in expected else "number"]
    elif len(expected - {"null"}) == 1:
        base = _TYPE_CLASSES.get(next(iter(expected - {"null"})), ())
    else:  # a union (the 1.113.0 Metadata value): every class no branch takes
        base = tuple(c for t in _TYPE_CLASSES.values() for c in t)
    out = [c for c in base if not _takes(expected, c[1])]
    if "null" not in expected:
        out.append(("null", None))
    unique: dict[str, BadValue] = {}
    for label, value in out:
        unique.setdefault(label, (label, value))
    return list(unique.values())


def _takes(expected: set[str], value: Any) -> bool:
    kind = _JSON_TYPE.get(type(value), "")
    if kind == "integer" and "number" in expected:
        return True
    if kind == "number" and "integer" in expected and float(value).is_integer():
        return True
    return kind in expected


def _bounds(rule: Rule) -> list[BadValue]:
    limit = rule.limit
    integer = "integer" in rule.types
    below = rule.keyword == "minimum"
    step = 1 if integer else 0.5
    out: list[BadValue] = [("the first value past the bound", limit - step if below else limit + step)]
    if integer:
        for name, (low, high) in INT_FORMAT_BOUNDS.items():
            value = low - 1 if below else high + 1
            if (value < limit) if below else (value > limit):
                out.append((f"the first value past {name}", value))
    unique: dict[Any, BadValue] = {}
    for label, value in out:
        unique.setdefault(value, (label, value))
    return list(unique.values())


def _rejected_strings(keyword: str, limit: Any, candidates: Sequence[BadValue]) -> list[BadValue]:
    check = jsonschema_rs.Draft202012Validator({keyword: limit}, validate_formats=True)
    return [(label, v) for label, v in candidates if isinstance(v, str) and not check.is_valid(v)]


def bad_values(rule: Rule, *, pattern_bad: Sequence[Any] = ()) -> list[BadValue]:
    """Return the bad-value classes of a keyword rule (sizes, required and cross-field rules are built elsewhere)."""
    if rule.keyword == "type":
        return _type_classes(rule)
    if rule.keyword in ("minimum", "maximum"):
        return _bounds(rule)
    if rule.keyword == "pattern":
        named = [(f"not a URL: {v!r}" if "://" in str(rule.limit) else repr(v), v) for v in pattern_bad]
        fallback = [(f"the string {v!r}", v) for v in _FALLBACK_STRINGS]
        return _rejected_strings("pattern", rule.limit, named) or _rejected_strings("pattern", rule.limit, fallback)
    if rule.keyword == "format":
        table = DATE_TIME_BAD if rule.limit == "date-time" else ()
        fallback = [(f"the string {v!r}", v) for v in _FALLBACK_STRINGS]
        return _rejected_strings("format", rule.limit, table) or _rejected_strings("format", rule.limit, fallback)
    return []
