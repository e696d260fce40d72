"""Load a version's overlay (``overlays/<version>.toml``) and apply its prose rules to the spec's schema files.

An overlay holds what Dodo states only in prose, as data beside its OpenAPI document: each rule with an id, the
JSON location it binds, what it adds and its source (``ProseRule``), and the documented error codes of that
version (``codes.CodeBook``). There is one overlay per version and operation family: ``<version>.toml`` for
``POST /payments``, ``<version>.checkouts.toml`` for the Checkout Sessions operations. ``apply_overlay`` turns the
spec's types into the contract's: every keyword it adds is listed in the node's ``x-dodo-added`` (so ``spec_only``
can drop it and a test can prove nothing else changed), the spec's value of a keyword it overwrites in
``x-dodo-replaced``, every ``oneOf`` it reads as ``anyOf`` in ``x-dodo-renamed``; ``strip_overlay`` undoes all of
it. A rule whose location the document lacks (an older or newer document judged with this overlay) is skipped
and reported, never an error.

Where the sources disagree, the overlay declares a **reading** (``[readings.<name>]``: its default, its choices,
its source) and the rules that hold under one choice only say so (``reading = { <name> = <choice> }``); the
contract is built with the default choices unless others are asked for (``get_contract(..., readings=...)``,
``ContractSettings``).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .codes import CodeBook, code_book
from .crossfield import cross_field_rule

__all__ = [
    "INT_FORMAT_BOUNDS",
    "Overlay",
    "ProseRule",
    "Reading",
    "SpecSource",
    "apply_overlay",
    "load_overlay",
    "overlay_dir",
    "resolve_pointer",
    "strip_overlay",
]

INT_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_HERE = Path(__file__).resolve().parent
_RULE_KEYS = frozenset(
    {"id", "schema", "at", "add", "rename", "derive", "cross_field", "source", "inferred", "note", "bad", "reading"}
)
_READING_KEYS = frozenset({"default", "choices", "source", "inferred", "note"})
_MARKS = ("x-dodo-added", "x-dodo-replaced", "x-dodo-renamed", "x-dodo-note")


@dataclass(frozen=True, slots=True, eq=False)
class SpecSource:
    """Where a version's OpenAPI document comes from: file name, sha256 of its bytes, spec date, origin."""

    file: str
    sha256: str
    date: str
    origin: str
    notes: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-ready dict."""
        return {"file": self.file, "sha256": self.sha256, "date": self.date, "origin": self.origin}


@dataclass(frozen=True, slots=True, eq=False)
class ProseRule:
    """One rule of the overlay: ``id``, where it binds, what it adds, its ``source``; ``inferred`` if ours.

    Exactly one of ``add`` (keywords added at ``schema``/``at``), ``rename`` (keywords read differently there),
    ``derive`` (a family of keywords derived from the spec, e.g. ``format-bounds``) or ``cross_field`` (a named
    rule of ``crossfield.py``). ``bad`` lists the classes of bad values the engine sends for a pattern rule.
    """

    id: str
    source: str
    inferred: bool = False
    note: str = ""
    schema: str | None = None
    at: str | None = None
    add: Mapping[str, Any] | None = None
    rename: Mapping[str, str] | None = None
    derive: str | None = None
    cross_field: str | None = None
    bad: tuple[Any, ...] = ()
    reading: Mapping[str, Any] | None = None

    def holds(self, readings: Mapping[str, Any]) -> bool:
        """True when the rule applies under the chosen ``readings`` (a rule without a reading always does)."""
        return all(readings.get(name) == choice for name, choice in (self.reading or {}).items())

    @property
    def binds(self) -> str:
        """Return the JSON location the rule binds, in words (``CreateOneTimePaymentRequest#/properties/...``)."""
        if self.cross_field is not None:
            rule = cross_field_rule(self.cross_field)
            where = f"{rule.binds} objects, at {rule.pointer or 'the object'}" if rule.binds else rule.pointer
            return f"{rule.kind} {where or '(root)'} ({', '.join(rule.needs)})"
        if self.derive is not None:
            return "every integer field with format int32/int64"
        return f"{self.schema}#{self.at}"

    @property
    def adds(self) -> str:
        """Return what the rule adds, in words."""
        if self.cross_field is not None:
            rule = cross_field_rule(self.cross_field)
            return f"cross-field rule {rule.rule}: {rule.message}"
        if self.derive is not None:
            return "minimum/maximum of the format's range"
        if self.rename is not None:
            return ", ".join(f"{old} read as {new}" for old, new in self.rename.items())
        return ", ".join(f"{k}={v!r}" for k, v in (self.add or {}).items())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (id, binds, adds, source, inferred, note; the reading it holds under)."""
        out = {
            "id": self.id,
            "binds": self.binds,
            "adds": self.adds,
            "source": self.source,
            "inferred": self.inferred,
            "note": self.note,
        }
        if self.reading:
            out["reading"] = dict(self.reading)
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Reading:
    """A point where the sources disagree: the ``choices``, the ``default`` one, and why (``source``, ``note``)."""

    name: str
    default: Any
    choices: tuple[Any, ...]
    source: str
    inferred: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"name": self.name, "default": self.default, "choices": list(self.choices), "source": self.source,
                "inferred": self.inferred, "note": self.note}  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class Overlay:
    """A version's prose rules, readings and error codes for one operation family, and its document's source."""

    version: str
    source: SpecSource
    rules: tuple[ProseRule, ...]
    codes: CodeBook
    family: str = "payments"
    readings: Mapping[str, Reading] = field(default_factory=dict)

    def choose(self, readings: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the choice of each reading this overlay declares: ``readings``' where given, else the default.

        Names this overlay does not declare are ignored (they belong to another family); a choice it does not
        offer is a ``ConfigError`` listing the ones it does.
        """
        chosen = {name: r.default for name, r in self.readings.items()}
        for name, value in (readings or {}).items():
            declared = self.readings.get(name)
            if declared is None:
                continue
            if value not in declared.choices:
                offered = ", ".join(repr(c) for c in declared.choices)
                raise ConfigError(f"reading {name}: {value!r} is not one of {offered}")
            chosen[name] = value
        return chosen


def overlay_dir() -> Path:
    """Return the folder of the bundled overlay files."""
    return _HERE / "overlays"


def overlay_name(version: str, family: str = "payments") -> str:
    """Return the file name of a version's overlay for an operation family."""
    return f"{version}.toml" if family == "payments" else f"{version}.{family}.toml"


@cache
def load_overlay(version: str, family: str = "payments") -> Overlay:
    """Return the bundled overlay of ``version`` for ``family``; ``ConfigError`` if there is none or it is malformed.

    A family's ``[codes]`` may say ``inherit = "payments"``: its code sets then extend that version's payments ones.
    """
    path = overlay_dir() / overlay_name(version, family)
    if not path.is_file():
        raise ConfigError(f"no {family} overlay for spec version {version!r} in {overlay_dir()}")
    where = f"overlay {path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if data.get("version") != version:
        raise ConfigError(f"{where}: says version {data.get('version')!r}")
    if data.get("family", "payments") != family:
        raise ConfigError(f"{where}: says family {data.get('family')!r}")
    src = data.get("source")
    if src is None and family != "payments":
        source = load_overlay(version).source  # the same document as the payments overlay's
    else:
        src = src or {}
        source = SpecSource(
            file=str(src.get("file", "")),
            sha256=str(src.get("sha256", "")),
            date=str(src.get("date", "")),
            origin=str(src.get("origin", "")),
            notes=str(src.get("notes", "")),
        )
    readings = {name: _reading(where, name, raw) for name, raw in (data.get("readings") or {}).items()}
    rules = tuple(_rule(where, i, raw) for i, raw in enumerate(data.get("rule") or ()))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: duplicate rule ids")
    for rule in rules:
        for name, choice in (rule.reading or {}).items():
            if name not in readings or choice not in readings[name].choices:
                raise ConfigError(f"{where} ({rule.id}): reading {name} = {choice!r} is not declared")
    table = dict(data.get("codes") or {})
    inherit = table.pop("inherit", None)
    if inherit is not None and (inherit != "payments" or family == "payments"):
        raise ConfigError(f'{where}: codes.inherit may only name "payments", from another family')
    base = load_overlay(version).codes if inherit else None
    return Overlay(version, source, rules, code_book(table, where=where, base=base), family, readings)


def _reading(where: str, name: str, raw: Any) -> Reading:
    at = f"{where} readings.{name}"
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str) or not isinstance(raw.get("choices"), list):
        raise ConfigError(f"{at}: needs a source and a list of choices")
    unknown = set(raw) - _READING_KEYS
    if unknown:
        raise ConfigError(f"{at}: unknown keys {sorted(unknown)}")
    if raw.get("default") not in raw["choices"]:
        raise ConfigError(f"{at}: the default must be one of the choices")
    return Reading(name, raw["default"], tuple(raw["choices"]), raw["source"], bool(raw.get("inferred", True)),
                   str(raw.get("note", "")))  # fmt: skip


def _rule(where: str, index: int, raw: Any) -> ProseRule:
    at = f"{where} rule[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("source"), str):
        raise ConfigError(f"{at}: needs a string id and source")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"{at}: unknown keys {sorted(unknown)}")
    actions = [k for k in ("add", "rename", "derive", "cross_field") if k in raw]
    if len(actions) != 1:
        raise ConfigError(f"{at} ({raw['id']}): needs exactly one of add, rename, derive, cross_field")
    if actions[0] in ("add", "rename") and not (isinstance(raw.get("schema"), str) and isinstance(raw.get("at"), str)):
        raise ConfigError(f"{at} ({raw['id']}): {actions[0]} needs schema and at")
    if "cross_field" in raw:
        try:
            cross_field_rule(raw["cross_field"])
        except KeyError as exc:
            raise ConfigError(f"{at} ({raw['id']}): {exc.args[0]}") from None
    if raw.get("derive") not in (None, "format-bounds"):
        raise ConfigError(f"{at} ({raw['id']}): unknown derive {raw['derive']!r}")
    if "reading" in raw and not isinstance(raw["reading"], dict):
        raise ConfigError(f"{at} ({raw['id']}): reading must be a table of reading = choice")
    return ProseRule(
        id=raw["id"],
        source=raw["source"],
        inferred=bool(raw.get("inferred", False)),
        note=str(raw.get("note", "")),
        schema=raw.get("schema"),
        at=raw.get("at"),
        add=raw.get("add"),
        rename=raw.get("rename"),
        derive=raw.get("derive"),
        cross_field=raw.get("cross_field"),
        bad=tuple(raw.get("bad", ())),
        reading=raw.get("reading"),
    )


def resolve_pointer(root: Any, pointer: str) -> Any:
    """Return the node at an RFC 6901 pointer inside ``root``, or None when it is not there."""
    node = root
    for token in pointer.split("/")[1:] if pointer else ():
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _mark(node: dict[str, Any], *keywords: str) -> None:
    node["x-dodo-added"] = sorted({*node.get("x-dodo-added", ()), *keywords})


def _put(node: dict[str, Any], key: str, value: Any, *, mark: bool = True) -> None:
    # Overwriting a keyword the spec set (quantity's minimum 0 read as 1): keep the spec's value to strip back to.
    if key in node and key not in node.get("x-dodo-added", ()) and node[key] != value:
        node["x-dodo-replaced"] = {**node.get("x-dodo-replaced", {}), key: node[key]}
    node[key] = value
    if mark:
        _mark(node, key)


def apply_overlay(
    files: Mapping[str, dict[str, Any]],
    overlay: Overlay,
    *,
    request: str | None,
    response: str | None,
    readings: Mapping[str, Any] | None = None,
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """Return ``files`` with the overlay's rules applied (fresh copies) and the ids of the rules skipped.

    ``request`` / ``response`` name the operation's request and 200 schemas, where cross-field rules bind unless
    they name a component. ``readings`` picks the choice of each declared reading (default: the overlay's); a rule
    that holds under another choice is left out (not reported as skipped).
    """
    out = copy.deepcopy(dict(files))
    chosen = overlay.choose(readings)
    skipped: list[str] = []
    for rule in overlay.rules:
        if not rule.holds(chosen):
            continue
        if rule.derive == "format-bounds":
            for schema in out.values():
                _format_bounds(schema, in_union=False)
        elif rule.cross_field is not None:
            named = cross_field_rule(rule.cross_field)
            root = request if named.kind == "request" else response
            target = out.get(named.binds or root or "")
            props = target.get("properties") if isinstance(target, dict) else None
            if not isinstance(target, dict) or not isinstance(props, dict) or not set(named.needs) <= set(props):
                skipped.append(rule.id)
                continue
            if named.binds is not None and named.encoding is None:
                raise ConfigError(f"cross-field rule {named.name}: a rule binding {named.binds} needs an encoding")
            target["x-dodo-cross-field"] = [*target.get("x-dodo-cross-field", ()), named.name]
            _mark(target, "x-dodo-cross-field")
            if named.encoding is not None:
                _put(target, "allOf", [*target.get("allOf", ()), {**copy.deepcopy(dict(named.encoding))}])
        else:
            node = resolve_pointer(out.get(rule.schema or ""), rule.at or "")
            if not isinstance(node, dict) or (rule.rename and not set(rule.rename) <= set(node)):
                skipped.append(rule.id)
                continue
            for key, value in (rule.add or {}).items():
                _put(node, key, copy.deepcopy(value), mark=False)
            if rule.add:
                _mark(node, *rule.add)
            for old, new in (rule.rename or {}).items():
                node[new] = node.pop(old)
                node["x-dodo-renamed"] = {**node.get("x-dodo-renamed", {}), new: old}
                if rule.note:
                    node["x-dodo-note"] = rule.note
    return out, tuple(skipped)


def strip_overlay(node: Any) -> Any:
    """Return a fresh copy of a schema (or ``{name: schema}``) with everything ``apply_overlay`` did undone.

    Added keywords go, overwritten ones get the spec's value back, renamed ones their spec name; the file refs and
    any ``$id``/``$schema`` stay as they are.
    """
    if isinstance(node, list):
        return [strip_overlay(v) for v in node]
    if not isinstance(node, dict):
        return node
    added = set(node.get("x-dodo-added", ()))
    replaced = node.get("x-dodo-replaced", {})
    renamed = node.get("x-dodo-renamed", {})
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _MARKS:
            continue
        if key in replaced:
            out[key] = copy.deepcopy(replaced[key])
        elif key not in added:
            out[renamed.get(key, key)] = strip_overlay(value)
    return out


def _format_bounds(node: Any, *, in_union: bool) -> None:
    if isinstance(node, list):
        for item in node:
            _format_bounds(item, in_union=in_union)
        return
    if not isinstance(node, dict):
        return
    types = node.get("type")
    is_integer = types == "integer" or (isinstance(types, list) and "integer" in types)
    bounds = INT_FORMAT_BOUNDS.get(str(node.get("format")))
    if is_integer and bounds is not None and not in_union:
        low, high = bounds
        added = []
        if not (isinstance(node.get("minimum"), int) and node["minimum"] >= low):
            _put(node, "minimum", low, mark=False)
            added.append("minimum")
        if not (isinstance(node.get("maximum"), int) and node["maximum"] <= high):
            _put(node, "maximum", high, mark=False)
            added.append("maximum")
        if added:
            _mark(node, *added)
    for key, value in list(node.items()):
        if key in ("x-dodo-added", "x-dodo-replaced", "enum", "const", "required"):
            continue
        _format_bounds(value, in_union=in_union or key in ("oneOf", "anyOf"))
