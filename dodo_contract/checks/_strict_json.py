"""The check that a 200 body is strict JSON (RFC 8259): what lenient parsers forgive and strict clients refuse.

Python's ``json`` skips nothing, but many readers do: a UTF-8 byte order mark, bytes after the value and a key
given twice are read by some clients and refused by others (serde and so the Rust SDK refuse a BOM and trailing
data; a duplicate key is read as the first value by some and the last by others, so two clients of one server see
two different payments). The engine parses every answer with ``validation.parse_answer``, which notes each
defect in ``Observation.json_defects`` and still hands the checks the value, so a BOM does not hide the other
findings of that body.
"""

from __future__ import annotations

from ..errors import Violation
from ._observation import NOT_JSON, CheckContext, Observation

__all__ = ["STRICT_JSON_RULES", "response_json_strict"]

STRICT_JSON_RULES = {
    "bom": ("response.json.bom", "the 200 body starts with a UTF-8 byte order mark (RFC 8259 8.1: MUST NOT)"),
    "trailing_data": (
        "response.json.trailing_data",
        "the 200 body has bytes after its JSON value (a strict parser refuses the whole body)",
    ),
    "duplicate_key": (
        "response.json.duplicate_key",
        "the 200 body gives this key twice in one object (clients disagree on which value counts)",
    ),
}


def response_json_strict(obs: Observation, ctx: CheckContext) -> list[Violation]:
    """A 200 body is one strict JSON text: no byte order mark, nothing after the value, no key given twice."""
    if obs.status != 200 or obs.body is NOT_JSON:
        return []
    out = []
    for defect, pointer in obs.json_defects:
        rule, message = STRICT_JSON_RULES[defect]
        out.append(Violation(pointer, rule, "json", message))
    return out
