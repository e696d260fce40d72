"""Derive the contract's rules from a dereferenced schema: their stable ids, where they bind, what they limit.

One walk over the schema serves three readers: the validator names each violation with ``rule_for`` (so ids and
pointers agree everywhere), ``known_rules`` lists what the validator can report (rule coverage), and the
generators build one labelled invalid case per rule and bad-value class from ``derive_rules`` (nothing is listed
by hand but the cross-field rules, which the overlay names).

A rule id is the schema path of the failing keyword, with property names, ``items``, ``key``/``value`` for maps,
then the keyword (``billing.country.enum``, ``product_cart.items.quantity.maximum``, ``metadata.value.type``); a
missing key is ``<path>.<key>.required``; ``body.json`` / ``body.type`` concern the whole document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .crossfield import CROSS_FIELD_RULES

__all__ = [
    "CHECKED_FORMATS",
    "ITEM",
    "KEY",
    "RULE_KEYWORDS",
    "VALUE",
    "Rule",
    "derive_rules",
    "either",
    "known_rule_ids",
    "prefix_rule_path",
    "rule_for",
]

ITEM, VALUE, KEY = "[]", "{}", "{key}"  # path slots: any item of an array, any value of a map, any key of a map
# Formats a validator checks; int32/int64/double are range annotations (their bounds are the overlay's).
CHECKED_FORMATS = frozenset({"date-time", "date", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname"})
RULE_KEYWORDS = (
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
)
RuleKind = Literal["keyword", "required", "forms", "cross_field", "body"]

_RULES: dict[tuple[tuple[str | int, ...], str | None], str] = {}


def rule_for(schema_path: Sequence[str | int], last: str | None = None) -> str:
    """Name a rule after the schema location: property names, ``items``, ``key``/``value`` for maps."""
    key = (tuple(schema_path), last)
    rule = _RULES.get(key)
    if rule is None:
        rule = _RULES[key] = _name_rule(key[0], last)
    return rule


def _name_rule(schema_path: tuple[str | int, ...], last: str | None) -> str:
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


def either(branches: Sequence[Mapping[str, Any]]) -> str:
    """Return the joined required keys of the customer forms (``customer_id_or_email``)."""
    return "_or_".join(k for b in branches for k in b.get("required", ()))


def prefix_rule_path(ipath: Sequence[str | int]) -> tuple[str | int, ...]:
    """Give an instance path the schema path that leads to it (``properties``/``items`` steps)."""
    out: list[str | int] = []
    for part in ipath:
        if isinstance(part, int):
            out.append("items")
        else:
            out.extend(("properties", part))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule a payload can break, as derived from the schema.

    ``path`` is where the judged value sits (property names, ``ITEM`` for any array item, ``VALUE`` for any map
    value, ``KEY`` for a map's keys); ``limit`` the keyword's value (a tuple for ``enum``, the key for
    ``required``, the forms' keys for ``forms``, the rule's name for ``cross_field``); ``types`` the JSON types
    of the node; ``form`` the customer form (``anyOf`` branch) the rule lives in, if any; ``prose`` whether the
    keyword comes from the overlay rather than the spec.
    """

    id: str
    kind: RuleKind
    keyword: str
    path: tuple[str, ...]
    limit: Any
    types: tuple[str, ...] = ()
    form: int | None = None
    prose: bool = False

    @property
    def nullable(self) -> bool:
        """True when ``null`` is one of the node's types."""
        return "null" in self.types


def _types(node: Mapping[str, Any]) -> tuple[str, ...]:
    value = node.get("type")
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def derive_rules(schema: Mapping[str, Any]) -> tuple[Rule, ...]:
    """Return every rule of a dereferenced document schema (plus ``body.json``), sorted by id, one per id."""
    found: dict[str, Rule] = {"body.json": Rule("body.json", "body", "json", (), ())}

    def add(rule: Rule) -> None:
        found.setdefault(rule.id, rule)

    def walk(node: Any, spath: tuple[str | int, ...], path: tuple[str, ...], form: int | None) -> None:
        if not isinstance(node, Mapping):
            return
        added = set(node.get("x-dodo-added", ()))
        types = _types(node)
        for keyword in RULE_KEYWORDS:
            if keyword not in node:
                continue
            if keyword == "format" and node[keyword] not in CHECKED_FORMATS:
                continue
            if keyword == "type" and spath and spath[-1] == "propertyNames":
                continue  # JSON keys are always strings
            limit = node[keyword]
            limit = tuple(limit) if isinstance(limit, list) else limit
            kind: RuleKind = "body" if not spath and keyword == "type" else "keyword"
            where = (*path, KEY) if spath and spath[-1] == "propertyNames" else path
            add(Rule(rule_for((*spath, keyword)), kind, keyword, where, limit, types, form, keyword in added))
        for name in node.get("x-dodo-cross-field", ()):
            named = CROSS_FIELD_RULES[name]  # reported relative to the object it binds
            where = (*path, *(p for p in named.pointer.split("/")[1:]))
            add(Rule(named.rule, "cross_field", named.keyword, where, name, (), None, True))
        if form is None:
            for key in node.get("required", ()):
                add(Rule(rule_for((*spath, "properties", key), "required"), "required", "required", path, key, types))
        branches = node.get("anyOf")
        if isinstance(branches, list):
            # A form is judged only when its distinguishing key is present, so its "required" never fires.
            keys = tuple(k for b in branches for k in b.get("required", ()))
            add(Rule(rule_for((*spath, "properties", either(branches)), "required"), "forms", "required", path, keys))
            for index, branch in enumerate(branches):
                walk(branch, spath, path, index)
        for key, sub in (node.get("properties") or {}).items():
            walk(sub, (*spath, "properties", key), (*path, key), form)
        if isinstance(node.get("items"), Mapping):
            walk(node["items"], (*spath, "items"), (*path, ITEM), form)
        if isinstance(node.get("additionalProperties"), Mapping):
            walk(node["additionalProperties"], (*spath, "additionalProperties"), (*path, VALUE), form)
        if isinstance(node.get("propertyNames"), Mapping):
            walk(node["propertyNames"], (*spath, "propertyNames"), path, form)

    walk(schema, (), (), None)
    return tuple(sorted(found.values(), key=lambda r: r.id))


def known_rule_ids(schema: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the sorted ids of ``derive_rules(schema)``."""
    return tuple(r.id for r in derive_rules(schema))
