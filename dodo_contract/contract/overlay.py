"""Load a version's overlay (``overlays/<version>.toml``) and apply its prose rules to the spec's schema files.

An overlay holds what Dodo states only in prose, as data beside its OpenAPI document: each rule with an id, the
JSON location it binds, what it adds and its source (``ProseRule``), and the documented error codes of that
version (``codes.CodeBook``). ``apply_overlay`` turns the spec's types into the contract's: every keyword it adds
is listed in the node's ``x-dodo-added`` (so ``spec_only`` can drop it and a test can prove nothing else
changed), every ``oneOf`` it reads as ``anyOf`` in ``x-dodo-renamed``. A rule whose location the document lacks
(an older or newer document judged with this overlay) is skipped and reported, never an error.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
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
    "SpecSource",
    "apply_overlay",
    "load_overlay",
    "overlay_dir",
    "resolve_pointer",
]

INT_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_HERE = Path(__file__).resolve().parent
_RULE_KEYS = frozenset(
    {"id", "schema", "at", "add", "rename", "derive", "cross_field", "source", "inferred", "note", "bad"}
)


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

    @property
    def binds(self) -> str:
        """Return the JSON location the rule binds, in words (``CreateOneTimePaymentRequest#/properties/...``)."""
        if self.cross_field is not None:
            rule = cross_field_rule(self.cross_field)
            return f"{rule.kind} {rule.pointer or '(root)'} ({', '.join(rule.needs)})"
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
        """Return a JSON-ready dict (id, binds, adds, source, inferred, note)."""
        return {
            "id": self.id,
            "binds": self.binds,
            "adds": self.adds,
            "source": self.source,
            "inferred": self.inferred,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True, eq=False)
class Overlay:
    """A version's prose rules and error codes, and the source of its OpenAPI document."""

    version: str
    source: SpecSource
    rules: tuple[ProseRule, ...]
    codes: CodeBook


def overlay_dir() -> Path:
    """Return the folder of the bundled overlay files."""
    return _HERE / "overlays"


@cache
def load_overlay(version: str) -> Overlay:
    """Return the bundled overlay of ``version``; ``ConfigError`` if there is none or it is malformed."""
    path = overlay_dir() / f"{version}.toml"
    if not path.is_file():
        raise ConfigError(f"no overlay for spec version {version!r} in {overlay_dir()}")
    where = f"overlay {path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if data.get("version") != version:
        raise ConfigError(f"{where}: says version {data.get('version')!r}")
    src = data.get("source") or {}
    source = SpecSource(
        file=str(src.get("file", "")),
        sha256=str(src.get("sha256", "")),
        date=str(src.get("date", "")),
        origin=str(src.get("origin", "")),
        notes=str(src.get("notes", "")),
    )
    rules = tuple(_rule(where, i, raw) for i, raw in enumerate(data.get("rule") or ()))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: duplicate rule ids")
    return Overlay(version, source, rules, code_book(data.get("codes") or {}, where=where))


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


def apply_overlay(
    files: Mapping[str, dict[str, Any]], overlay: Overlay, *, request: str | None, response: str | None
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    """Return ``files`` with the overlay's rules applied (fresh copies) and the ids of the rules skipped.

    ``request`` / ``response`` name the operation's request and 200 schemas, where cross-field rules bind.
    """
    out = copy.deepcopy(dict(files))
    skipped: list[str] = []
    for rule in overlay.rules:
        if rule.derive == "format-bounds":
            for schema in out.values():
                _format_bounds(schema, in_union=False)
        elif rule.cross_field is not None:
            named = cross_field_rule(rule.cross_field)
            target = out.get((request if named.kind == "request" else response) or "")
            props = target.get("properties") if isinstance(target, dict) else None
            if not isinstance(target, dict) or not isinstance(props, dict) or not set(named.needs) <= set(props):
                skipped.append(rule.id)
                continue
            target["x-dodo-cross-field"] = [*target.get("x-dodo-cross-field", ()), named.name]
            _mark(target, "x-dodo-cross-field")
            if named.encoding is not None:
                target["allOf"] = [*target.get("allOf", ()), {**copy.deepcopy(dict(named.encoding))}]
                _mark(target, "allOf")
        else:
            node = resolve_pointer(out.get(rule.schema or ""), rule.at or "")
            if not isinstance(node, dict) or (rule.rename and not set(rule.rename) <= set(node)):
                skipped.append(rule.id)
                continue
            if rule.add is not None:
                node.update(copy.deepcopy(dict(rule.add)))
                _mark(node, *rule.add)
            for old, new in (rule.rename or {}).items():
                node[new] = node.pop(old)
                node["x-dodo-renamed"] = {**node.get("x-dodo-renamed", {}), new: old}
                if rule.note:
                    node["x-dodo-note"] = rule.note
    return out, tuple(skipped)


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
            node["minimum"] = low
            added.append("minimum")
        if not (isinstance(node.get("maximum"), int) and node["maximum"] <= high):
            node["maximum"] = high
            added.append("maximum")
        if added:
            _mark(node, *added)
    for key, value in node.items():
        if key in ("x-dodo-added", "enum", "const", "required"):
            continue
        _format_bounds(value, in_union=in_union or key in ("oneOf", "anyOf"))
