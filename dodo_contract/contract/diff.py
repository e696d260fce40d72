"""Compare the contracts of two spec versions of one operation: computed from the contracts, never hand-written.

``diff_contracts(a, b)`` lists, for the request (when the operation has one) and the 200 response, the fields
added, removed, deprecated and
whose types changed (a field is a path through the schema: ``discount_codes``, ``customer.phone_number``,
``metadata.value``), the enum values added and removed (payment method types, currencies, countries), the
overlay's prose rules and the rule ids added and removed, and the documented error codes added and removed.
``format_diff`` words it for a terminal (``dodo-contract spec diff A B``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ConfigError
from .versions import Contract, Kind

__all__ = ["diff_contracts", "format_diff", "format_list"]

_KINDS: tuple[Kind, ...] = ("request", "response")


def _fields(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return ``{dotted path: node}`` of every field of a dereferenced schema (customer forms merged)."""
    out: dict[str, Mapping[str, Any]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        for branch in node.get("anyOf", ()):
            walk(branch, path)
        for key, sub in (node.get("properties") or {}).items():
            out.setdefault(".".join((*path, key)), sub)
            walk(sub, (*path, key))
        for key, word in (("items", "items"), ("additionalProperties", "value")):
            if isinstance(node.get(key), Mapping):
                out.setdefault(".".join((*path, word)), node[key])
                walk(node[key], (*path, word))

    walk(schema, ())
    return out


def _types(node: Mapping[str, Any]) -> str:
    raw = node.get("type")
    names = [raw] if isinstance(raw, str) else list(raw or ())
    if not names and isinstance(node.get("anyOf"), list):
        names = ["anyOf"]
    return "|".join(str(n) for n in names) or "any"


def _added_removed(old: Any, new: Any) -> dict[str, list[Any]]:
    before, after = list(old), list(new)
    return {"added": [x for x in after if x not in before], "removed": [x for x in before if x not in after]}


def diff_contracts(a: Contract, b: Contract) -> dict[str, Any]:
    """Return what changed from contract ``a`` to contract ``b`` (of the same operation), as JSON-ready data."""
    if a.operation != b.operation:
        raise ConfigError(f"cannot diff {a.operation} against {b.operation}: compare one operation at a time")
    out: dict[str, Any] = {"from": a.version, "to": b.version, "operation": a.endpoint.label}
    for kind in _KINDS:
        if kind not in a.kinds or kind not in b.kinds:
            continue
        old, new = _fields(a.schema(kind)), _fields(b.schema(kind))
        common = [k for k in new if k in old]
        out[kind] = {
            **_added_removed(sorted(old), sorted(new)),
            "deprecated": sorted(k for k in common if new[k].get("deprecated") and not old[k].get("deprecated"))
            + sorted(k for k in new if k not in old and new[k].get("deprecated")),
            "types_changed": {
                k: [_types(old[k]), _types(new[k])] for k in sorted(common) if _types(old[k]) != _types(new[k])
            },
            "rules": _added_removed(a.known_rules(kind), b.known_rules(kind)),
        }
    out["enums"] = {
        "payment_method_types": _added_removed(a.payment_method_types, b.payment_method_types),
        "currencies": _added_removed(a.currencies, b.currencies),
        "countries": _added_removed(a.countries, b.countries),
    }
    old_rules = {r.id: r for r in a.prose_rules}
    new_rules = {r.id: r for r in b.prose_rules}
    out["prose_rules"] = {
        **_added_removed(old_rules, new_rules),
        "changed": [i for i in new_rules if i in old_rules and new_rules[i].adds != old_rules[i].adds],
    }
    out["error_codes"] = _added_removed(sorted(a.codes.documented), sorted(b.codes.documented))
    return out


def _line(label: str, items: Any) -> Iterator[str]:
    if items:
        yield f"  {label}: {', '.join(str(i) for i in items)}"


def format_diff(diff: Mapping[str, Any]) -> str:
    """Word a ``diff_contracts`` result for a terminal, one line per non-empty change."""
    lines = [f"spec {diff['from']} -> {diff['to']} ({diff['operation']})"]
    for kind in _KINDS:
        if kind not in diff:
            continue
        part = diff[kind]
        lines += [f"{kind}:"]
        body = [
            *_line("fields added", part["added"]),
            *_line("fields removed", part["removed"]),
            *_line("fields deprecated", part["deprecated"]),
            *_line("types changed", [f"{k} {v[0]} -> {v[1]}" for k, v in part["types_changed"].items()]),
            *_line("rules added", part["rules"]["added"]),
            *_line("rules removed", part["rules"]["removed"]),
        ]
        lines += body or ["  no change"]
    enums = [line for name, change in diff["enums"].items() for line in (
        *_line(f"{name} added", change["added"]), *_line(f"{name} removed", change["removed"]))]  # fmt: skip
    lines += ["enums:", *(enums or ["  no change"])]
    prose = diff["prose_rules"]
    lines += ["prose rules (overlay):", *(
        [*_line("added", prose["added"]), *_line("removed", prose["removed"]), *_line("changed", prose["changed"])]
        or ["  no change"])]  # fmt: skip
    codes = diff["error_codes"]
    lines += [
        "error codes:",
        *([*_line("added", codes["added"]), *_line("removed", codes["removed"])] or ["  no change"]),
    ]
    return "\n".join(lines)


def format_list(contracts: list[Contract]) -> str:
    """Word the bundled versions for a terminal: version, source, date, sha256, origin, operations; which is latest."""
    from .endpoints import ENDPOINTS

    lines = []
    for c in contracts:
        mark = "  (latest, the default)" if c.to_dict()["latest"] else ""
        lines.append(f"{c.version:<9} {c.source.file}  {c.source.date}  sha256 {c.source.sha256[:12]}{mark}")
        lines.append(f"          from {c.source.origin}")
        ops = ", ".join(f"{name} ({e.label})" for name, e in ENDPOINTS.items())
        lines.append(f"          operations: {ops}")
    return "\n".join(lines)
