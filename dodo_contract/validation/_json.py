"""Parse JSON text strictly, and find the values of a Python document that JSON cannot hold (``body.json``).

Integers longer than Python's digit limit (4,300 by default, ``sys.set_int_max_str_digits``, process-wide and
not ours to change) are parsed as ``HugeInt``: an ``int`` of the right sign and a magnitude beyond every bound of
the contract, so the validator reports the field's ``maximum``/``minimum`` instead of a raw ``ValueError``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from ..errors import Violation, join_pointer

__all__ = [
    "HugeInt",
    "InvalidJSON",
    "JsonDefect",
    "is_circular",
    "json_violation",
    "non_json_values",
    "parse_answer",
    "parse_json",
]

_JSON_SPACE = " \t\n\r"
JsonDefect = tuple[str, str]  # (defect, RFC 6901 pointer): "bom", "trailing_data" or "duplicate_key"


class InvalidJSON(ValueError):
    """The text is not one strict JSON document; the message says where and why."""


class HugeInt(int):
    """An integer too long to convert exactly; it compares beyond every bound of the contract (1e4300 or more)."""

    digits: int

    def __new__(cls, text: str) -> HugeInt:
        negative = text.startswith("-")
        digits = len(text) - negative
        value = int.__new__(cls, (-1 if negative else 1) * 10 ** (digits - 1))
        value.digits = digits
        return value

    def __repr__(self) -> str:
        return f"<an integer of {self.digits} digits>"

    __str__ = __repr__


def _reject_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    return int(text) if len(text) <= 4000 else HugeInt(text)


def parse_json(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse a JSON document strictly (UTF-8, no NaN/Infinity, no trailing data); raise ``ValueError``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJSON(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if data.startswith("\ufeff"):
        data = data[1:]
    try:
        try:
            return json.loads(data, parse_constant=_reject_constant)
        except ValueError as exc:
            if isinstance(exc, (json.JSONDecodeError, InvalidJSON)):
                raise
            # "Exceeds the limit (4300 digits) for integer string conversion": parse again, keeping huge ones.
            return json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise InvalidJSON("nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None


class _Object(dict[str, Any]):
    """A parsed JSON object that had the same key more than once (the last value kept, as every parser here)."""

    duplicates: list[str]


def _pairs(seen: list[bool]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        marked = _Object(out)
        counts: dict[str, int] = {}
        for key, _value in pairs:
            counts[key] = counts.get(key, 0) + 1
        marked.duplicates = [k for k, n in counts.items() if n > 1]
        seen.append(True)
        return marked

    return hook


def parse_answer(data: bytes) -> tuple[Any, tuple[JsonDefect, ...]]:
    """Parse a server's answer strictly (RFC 8259) and say what a lenient parser would have forgiven.

    Returns the value and its defects: ``("bom", "")`` for a UTF-8 byte order mark before the text (RFC 8259
    8.1: MUST NOT be added), ``("trailing_data", "")`` for bytes after the value (the value before them is
    returned), ``("duplicate_key", pointer)`` for each object with a key given twice (SHOULD be unique; strict
    clients refuse it; the last value is kept). Raise ``InvalidJSON`` when there is no JSON value to read at all
    (not UTF-8, empty, garbled). ``parse_json`` stays lenient about a BOM for users' own files.
    """
    defects: list[JsonDefect] = []
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if text.startswith("\ufeff"):
        defects.append(("bom", ""))
        text = text[1:]
    seen: list[bool] = []
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        try:
            decoder = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_pairs(seen))
            value, end = decoder.raw_decode(text, start)
        except ValueError as exc:
            if isinstance(exc, (json.JSONDecodeError, InvalidJSON)):
                raise
            seen.clear()
            decoder = json.JSONDecoder(
                parse_constant=_reject_constant, object_pairs_hook=_pairs(seen), parse_int=_parse_int
            )
            value, end = decoder.raw_decode(text, start)
    except RecursionError:
        raise InvalidJSON("nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if text[end:].strip(_JSON_SPACE):
        defects.append(("trailing_data", ""))
    if seen:
        defects.extend(("duplicate_key", pointer) for pointer in _duplicates(value))
    return value, tuple(defects)


def _duplicates(value: Any) -> list[str]:
    """Return the pointer of each key given twice in its object, in document order."""
    found: list[str] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Object):
            found.extend(join_pointer((*path, key)) for key in node.duplicates)
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node))))
    return found


def json_violation(path: Sequence[str | int], message: str) -> Violation:
    """Return a ``body.json`` violation at ``path``."""
    return Violation(join_pointer(path), "body.json", "json", message)


def non_json_values(payload: Any) -> list[Violation]:
    """Return a ``body.json`` violation for each value JSON cannot hold (sets, non-string keys, NaN, cycles)."""
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
                    circular = is_circular(payload)
                if circular:
                    found.append(json_violation(_path(link), "circular reference: not a JSON document"))
                    break
                continue
            seen.add(id(value))
        if isinstance(value, float):
            if not math.isfinite(value):
                found.append(json_violation(_path(link), f"{value!r} is not a JSON number"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    stack.append((item, (link, key)))
                else:
                    found.append(json_violation(_path(link), f"key {key!r} is not a string"))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (link, i)) for i, item in enumerate(value))
        else:
            found.append(json_violation(_path(link), f"{type(value).__name__} is not a JSON value"))
    return found


def is_circular(payload: Any) -> bool:
    """True when a container holds itself (a document JSON cannot encode)."""
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
