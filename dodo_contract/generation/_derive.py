"""Derive the labelled invalid cases from the contract's rules: every rule, every class of bad value, once each.

``CaseBook(contract, kind, fixtures)`` turns each rule of ``contract.rules(kind)`` (derived from the schema's
keywords, plus the overlay's cross-field rules) into templates, one per bad-value class (``_classes``), and builds
a case from a template and a valid base payload: it places the bad value where the rule binds (choosing the cart
item, list slot or metadata key with ``where``, creating a missing container), and checks the result with the
validator. A case must break exactly its rule at exactly its pointer; when the base makes another rule fire too
(a leftover ``payment_method_id``, a phone-requiring flag), the same template is applied to the base without the
cross-field trigger fields, then to a minimal request. Hand-written code is left for the cross-field rules
(``_crossfield``), the customer form "neither key" and the two whole-body rules (``_mutators``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..contract.fixtures import Fixtures
from ..contract.rules import ITEM, KEY, VALUE, Rule
from ..contract.versions import Contract, Kind
from ..errors import join_pointer
from ..validation.validator import validate_request, validate_response
from ._checkout_crossfield import CHECKOUT_CROSS_FIELD_CASES, CHECKOUT_TRIGGERS, UNIQUE_KEYS
from ._classes import FORMS_BAD, BadValue, bad_values, enum_misses, enum_representative
from ._crossfield import CROSS_FIELD_CASES, TRIGGERS, Breaker, Stock
from ._mutators import (
    NOT_JSON_CLASSES,
    NOT_OBJECT_CLASSES,
    InvalidCase,
    Payload,
    copy_payload,
    fresh,
    make_case,
    not_json,
    not_object,
    show,
)

__all__ = ["CaseBook", "Template"]

Build = Callable[[Payload, int], InvalidCase | None]
_CASES: Mapping[str, tuple[tuple[str, Breaker], ...]] = {**CROSS_FIELD_CASES, **CHECKOUT_CROSS_FIELD_CASES}
_TRIGGERS: Mapping[str, tuple[str, ...]] = {**TRIGGERS, **CHECKOUT_TRIGGERS}


@dataclass(frozen=True, slots=True)
class Template:
    """One (rule, bad-value class) pair and how to break a base payload that way."""

    rule: str
    value_class: str
    build: Build


def _child(schema: Any, step: str) -> Any:
    if not isinstance(schema, Mapping):
        return None
    if step == ITEM:
        return schema.get("items")
    if step in (VALUE, KEY):
        return schema.get("additionalProperties")
    found = (schema.get("properties") or {}).get(step)
    if found is None:
        for branch in schema.get("anyOf", ()):
            found = found or (branch.get("properties") or {}).get(step)
    return found


class CaseBook:
    """The invalid-case templates of one contract, document kind and set of fixtures.

    ``minimal`` is the smallest valid payload the templates are proved on (default: derived from the schema's
    required keys; Checkout Sessions pass a one-line cart, as an empty one is not valid without a collection).
    """

    def __init__(self, contract: Contract, kind: Kind, fixtures: Fixtures, *, minimal: Payload | None = None) -> None:
        self.contract, self.kind = contract, kind
        self.schema = contract.schema(kind)
        self.rules = contract.rules(kind)
        methods = tuple(m for c in fixtures.customers for m in c.payment_method_ids) or ("pm_example",)
        owners = tuple((c.id, m) for c in fixtures.customers for m in c.payment_method_ids)
        self.stock = Stock(
            methods,
            tuple(d.code for d in fixtures.discounts) or ("SAVE10",),
            owners or (("cus_placeholder", "pm_example"),),
            fixtures.tax_ids or ("DE123456789",),
        )
        self.realistic: dict[str, Any] = {
            "product_id": fixtures.products[0].id,
            "customer_id": fixtures.customers[0].id if fixtures.customers else "cus_placeholder",
            "email": "jane.doe@example.com",
            "name": "Jane Doe",
            "country": "US",
        }
        self.enabled = tuple(m for m in fixtures.enabled_payment_methods if m in contract.payment_method_types)
        self.triggers = tuple(t for r in contract.cross_field(kind) for t in _TRIGGERS.get(r.name, ()))
        self.forms = {r.path: r for r in self.rules if r.kind == "forms"}
        # Lists whose items must differ in one property (custom field keys): copies get distinct values of it.
        self.keyed = {
            r.path: UNIQUE_KEYS[r.limit] for r in self.rules if r.kind == "cross_field" and r.limit in UNIQUE_KEYS
        }
        self.pattern_bad = self._pattern_bad()
        self.minimal: Payload = self._minimal(self.schema) if minimal is None else minimal
        self.templates = tuple(t for t in self._templates() if self._works(t))

    # --- checking ------------------------------------------------------------------------------------------
    def _single(self, case: InvalidCase) -> bool:
        validate = validate_request if self.kind == "request" else validate_response
        found = validate(case.body, spec_version=self.contract).violations
        return len(found) == 1 and (found[0].pointer, found[0].rule) == (case.pointer, case.rule)

    def _works(self, template: Template) -> bool:
        case = template.build(copy_payload(self.minimal), 0)
        return case is not None and self._single(case)

    def case(self, template: Template, base: Payload, where: int) -> InvalidCase:
        """Return the case of ``template`` built on ``base`` (or a cleaner base, so that it breaks one rule)."""
        plain = {k: v for k, v in base.items() if k not in self.triggers} if isinstance(base, dict) else base
        for candidate, spot in ((base, where), (plain, where), (self.minimal, where), (self.minimal, 0)):
            if not isinstance(candidate, dict):
                continue
            case = template.build(copy_payload(candidate), spot)
            if case is not None and self._single(case):
                return case
        raise AssertionError(f"template {template.rule} ({template.value_class}) built no single-rule case")

    # --- values --------------------------------------------------------------------------------------------
    def _minimal(self, schema: Any, name: str = "") -> Any:
        """Return a small valid value of ``schema`` (realistic strings for known names)."""
        if not isinstance(schema, Mapping):
            return {}
        forms = schema.get("anyOf")
        if isinstance(forms, list) and forms and ("type" not in schema or forms[0].get("type") == "object"):
            return self._minimal(forms[0], name)  # the customer forms (nullable ones too): the first form
        enum = [v for v in schema.get("enum", ()) if v is not None]
        if enum:
            preferred = [v for v in (self.realistic.get(name), *self.enabled) if v in enum]
            return (preferred or enum)[0]
        types = schema.get("type")
        kind = next((t for t in ([types] if isinstance(types, str) else types or ()) if t != "null"), "object")
        if kind == "object":
            props = schema.get("properties") or {}
            return {k: self._minimal(props.get(k), k) for k in schema.get("required", ())}
        if kind == "array":
            return [self._minimal(schema.get("items"), name) for _ in range(schema.get("minItems", 0))]
        if kind == "string":
            return self.realistic.get(name, "x")
        if kind in ("integer", "number"):
            low = schema.get("minimum", 1)
            return max(1, low) if low <= 1 else low
        return False if kind == "boolean" else None

    def _pattern_bad(self) -> dict[str, tuple[Any, ...]]:
        # A pattern rule of the overlay names its bad values; find the derived rules of that very pattern (a
        # component's pattern may bind deep inside the document: customization.theme_config.radius).
        by_pattern: dict[str, tuple[Any, ...]] = {}
        for rule in self.contract.prose_rules:
            if rule.bad and rule.add is not None and "pattern" in rule.add:
                by_pattern[str(rule.add["pattern"])] = rule.bad
        return {
            r.id: by_pattern[str(r.limit)] for r in self.rules if r.keyword == "pattern" and str(r.limit) in by_pattern
        }

    # --- placing -------------------------------------------------------------------------------------------
    def _locate(self, payload: Any, path: tuple[str, ...], where: int) -> tuple[Any, Any, tuple[str | int, ...]]:
        """Return (container, key, concrete path) of the value at ``path``, creating missing containers."""
        node, schema = payload, self.schema
        concrete: list[str | int] = []
        for index, step in enumerate(path):
            last = index == len(path) - 1
            child = _child(schema, step)
            key: Any
            if step == ITEM:
                if not isinstance(node, list):
                    raise LookupError(path)
                if not node:
                    node.append(self._minimal(child))
                key = where % (len(node) + 1) if last else where % len(node)
                if key == len(node):
                    node.append(None)
            elif step == VALUE:
                if not isinstance(node, dict):
                    raise LookupError(path)
                keys = list(node)
                full = len(keys) >= (schema or {}).get("maxProperties", 10**9)
                pick = where % len(keys) if full else where % (len(keys) + 1)
                key = (
                    keys[pick] if pick < len(keys) else next(f"note_{i}" for i in range(99) if f"note_{i}" not in node)
                )
            else:
                if not isinstance(node, dict):
                    raise LookupError(path)
                key = step
            if last:
                return node, key, (*concrete, key)
            current = node[key] if (isinstance(node, list) or key in node) else None
            if not isinstance(current, (dict, list)):
                current = self._minimal(child, str(key))
                if not isinstance(current, (dict, list)):
                    current = [] if path[index + 1] == ITEM else {}
                node[key] = current
            node, schema = current, child
            concrete.append(key)
        return None, None, ()

    def _prepare_form(self, payload: Payload, rule: Rule, where: int) -> None:
        # A rule inside a customer form needs a payload that aims at that form (its distinguishing key present).
        for path in self.forms:
            if rule.form is not None and rule.path[: len(path)] == path and len(rule.path) > len(path):
                parent, key, _ = self._locate(payload, path, where)
                branches = (_child_node(self.schema, path) or {}).get("anyOf", ())
                parent[key] = self._minimal(branches[rule.form]) if rule.form < len(branches) else {}

    # --- templates -----------------------------------------------------------------------------------------
    def _templates(self) -> list[Template]:
        out: list[Template] = []
        for rule in self.rules:
            if rule.kind == "body":
                json_rule = rule.id == "body.json"
                count, breaker = (NOT_JSON_CLASSES, not_json) if json_rule else (NOT_OBJECT_CLASSES, not_object)
                out.extend(Template(rule.id, f"class {i}", _body(breaker, i)) for i in range(count))
            elif rule.kind == "required":
                out.append(Template(rule.id, "missing", self._remove(rule)))
            elif rule.kind == "forms":
                out.extend(Template(rule.id, label, self._set(rule, (), v, label)) for label, v in FORMS_BAD)
            elif rule.kind == "cross_field":
                breakers = _CASES[rule.limit]
                out.extend(Template(rule.id, label, self._cross(rule, b, label)) for label, b in breakers)
            elif rule.keyword == "enum":
                misses = enum_misses(enum_representative(rule.limit), rule.limit)
                out.extend(Template(rule.id, label, self._set(rule, rule.path, v, label)) for label, v in misses)
            elif rule.keyword in ("type", "minimum", "maximum", "pattern", "format"):
                values: list[BadValue] = bad_values(rule, pattern_bad=self.pattern_bad.get(rule.id, ()))
                out.extend(Template(rule.id, label, self._set(rule, rule.path, v, label)) for label, v in values)
            elif rule.keyword == "maxLength" and rule.path[-1:] == (KEY,):
                out.append(Template(rule.id, "a key one character too long", self._long_key(rule)))
            elif rule.keyword == "maxLength":
                label = "one character too long"
                out.append(Template(rule.id, label, self._set(rule, rule.path, "x" * (rule.limit + 1), label)))
            elif rule.keyword in ("minItems", "maxItems", "maxProperties"):
                out.append(Template(rule.id, "one past the bound", self._size(rule)))
            elif rule.keyword == "uniqueItems":
                out.append(Template(rule.id, "a repeated item", self._repeat(rule)))
        return out

    def _set(self, rule: Rule, path: tuple[str, ...], value: Any, label: str) -> Build:
        def build(payload: Payload, where: int) -> InvalidCase:
            self._prepare_form(payload, rule, where)
            parent, key, concrete = self._locate(payload, path or rule.path, where)
            parent[key] = fresh(value)
            pointer = join_pointer(concrete)
            return make_case(payload, rule.id, pointer, f"set {pointer} to {show(value)} ({label})", label)

        return build

    def _remove(self, rule: Rule) -> Build:
        def build(payload: Payload, where: int) -> InvalidCase:
            parent, key, concrete = self._locate(payload, (*rule.path, rule.limit), where)
            parent.pop(key, None)
            pointer = join_pointer(concrete[:-1])
            return make_case(payload, rule.id, pointer, f"removed {join_pointer(concrete)}", "missing")

        return build

    def _cross(self, rule: Rule, breaker: Breaker, label: str) -> Build:
        pointer = join_pointer(rule.path)

        def build(payload: Payload, where: int) -> InvalidCase:
            placed = breaker(payload, self.stock, where)  # a rule binding a list item says which item it broke
            at = placed if isinstance(placed, str) else pointer
            return make_case(payload, rule.id, at, f"broke {rule.id} ({label})", label)

        return build

    def _long_key(self, rule: Rule) -> Build:
        def build(payload: Payload, where: int) -> InvalidCase:
            parent, key, concrete = self._locate(payload, rule.path[:-1], where)
            target = parent.get(key) if isinstance(parent.get(key), dict) else {}
            parent[key] = target
            limit = (_child_node(self.schema, rule.path[:-1]) or {}).get("maxProperties")
            if limit is not None and len(target) >= limit:
                del target[next(iter(target))]
            long_key = "k" * (rule.limit + 1)
            target[long_key] = self._minimal(_child(_child_node(self.schema, rule.path[:-1]), VALUE)) or "v"
            pointer = join_pointer(concrete)
            return make_case(payload, rule.id, pointer, f"added a key of {len(long_key)} characters to {pointer}",
                             "a key one character too long")  # fmt: skip

        return build

    def _size(self, rule: Rule) -> Build:
        def build(payload: Payload, where: int) -> InvalidCase:
            parent, key, concrete = self._locate(payload, rule.path, where)
            node = _child_node(self.schema, rule.path) or {}
            current = parent.get(key) if isinstance(parent, dict) else None
            target: Any
            if rule.keyword == "maxProperties":
                target = dict(current) if isinstance(current, dict) else {}
                for i in range(rule.limit + 1):
                    if len(target) > rule.limit:
                        break
                    target.setdefault(f"extra_{i:03d}", self._minimal(node.get("additionalProperties")) or str(i))
                size = len(target)
            else:
                items = [x for x in current if x is not None] if isinstance(current, list) else []
                items = items or [self._minimal(node.get("items"))]
                size = rule.limit - 1 if rule.keyword == "minItems" else rule.limit + 1
                target = [fresh(items[i % len(items)]) for i in range(size)]
                key_name = self.keyed.get(rule.path)
                for i, item in enumerate(target):
                    if key_name is not None and isinstance(item, dict):
                        item[key_name] = f"{item.get(key_name, 'key')}_{i}"
            parent[key] = target
            pointer = join_pointer(concrete)
            return make_case(payload, rule.id, pointer, f"gave {pointer} {size} entries", "one past the bound")

        return build

    def _repeat(self, rule: Rule) -> Build:
        def build(payload: Payload, where: int) -> InvalidCase:
            parent, key, concrete = self._locate(payload, rule.path, where)
            items = parent.get(key)
            if not isinstance(items, list) or not items:
                items = parent[key] = [self._minimal(_child(_child_node(self.schema, rule.path), ITEM))]
            twice = items[where % len(items)]
            items.insert(where % (len(items) + 1), fresh(twice))
            pointer = join_pointer(concrete)
            return make_case(payload, rule.id, pointer, f"repeated {show(twice)} in {pointer}", "a repeated item")

        return build


def _child_node(schema: Any, path: tuple[str, ...]) -> Any:
    node = schema
    for step in path:
        node = _child(node, step)
    return node


def _body(breaker: Callable[[Payload, int, int], InvalidCase], index: int) -> Build:
    def build(payload: Payload, where: int) -> InvalidCase:
        return breaker(payload, index, where)

    return build
