"""Word the validator's messages: short renderings of values, and one message per keyword."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_MAX_SHOWN = 60
_encode_str: Any = json.encoder.encode_basestring


# The overlays' patterns, in words (anything else is quoted as written).
_HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$"
_PATTERN_WORDS = {
    _HTTP_URL: "is not an absolute http(s) URL",
    _HTTP_URL.replace("[Ss]?", "[Ss]"): "is not an absolute https URL",
    r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(px|rem|em)$": "is not a number followed by px, rem or em",
}

_ENUM_NAMES = {
    "CountryCodeAlpha2": "ISO 3166-1 alpha-2 country codes",
    "Currency": "ISO 4217 currency codes",
    "PaymentMethodTypes": "payment method types",
}


def short(value: Any) -> str:
    """Render a value for a message: JSON, at most 60 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 10_000:
        # str() of such an int raises (Python's digit limit); say how long it is instead.
        digits = getattr(value, "digits", None) or int(value.bit_length() * 0.30103) + 1
        return f"{'a negative' if value < 0 else 'an'} integer of {digits} digits"
    if value is None or isinstance(value, (bool, int)):
        return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, str):
        text: str = _encode_str(value[:_MAX_SHOWN])
        return text if len(text) <= _MAX_SHOWN and len(value) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
    if isinstance(value, (list, dict)) and len(value) > 8:
        return f"[{len(value)} items]" if isinstance(value, list) else f"{{{len(value)} keys}}"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def has_duplicates(items: Sequence[Any]) -> bool:
    try:
        # Scalars hash by JSON equality once bools are told apart from 0/1 (1 == 1.0 already hashes alike).
        return len({(v.__class__ is bool, v) for v in items}) < len(items)
    except TypeError:  # objects or arrays among the items
        return len({canonical(v) for v in items}) < len(items)


def canonical(value: Any) -> str:
    # JSON equality: 1 == 1.0, but true != 1; key order does not matter.
    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v

    return json.dumps(norm(value), sort_keys=True)


def message(keyword: str, value: Any, limit: Any) -> str:
    """Say why ``value`` breaks ``keyword`` with ``limit``."""
    shown = short(value) if keyword not in ("minItems", "maxItems", "maxProperties", "uniqueItems") else ""
    if keyword == "type":
        types = limit if isinstance(limit, list) else [limit]
        return f"{shown} is not of type {' or '.join(repr(t).replace(chr(39), chr(34)) for t in types)}"
    if keyword == "enum":
        allowed, name = _enum_info(limit)
        hint = ""
        if isinstance(value, str):
            for cand in (value.upper(), value.lower()):
                if cand != value and cand in allowed:
                    hint = f' (did you mean "{cand}"?)'
        return f"{shown} is not one of the {len(allowed)} {name}{hint}"
    if keyword == "minimum":
        return f"{shown} is less than the minimum of {limit}"
    if keyword == "maximum":
        return f"{shown} is greater than the maximum of {limit}"
    if keyword == "minItems":
        return f"has {len(value)} item(s); at least {limit} required"
    if keyword == "maxItems":
        return f"has {len(value)} items; at most {limit} allowed"
    if keyword == "maxProperties":
        return f"has {len(value)} keys; at most {limit} allowed"
    if keyword == "maxLength":
        return f"{shown} is longer than {limit} characters ({len(value)})"
    if keyword == "uniqueItems":
        keys = [canonical(v) for v in value]
        dup = next((v for i, v in enumerate(value) if keys[i] in keys[:i]), None)
        return f"has repeated items ({short(dup)} more than once)"
    if keyword == "pattern":
        return f"{shown} {_PATTERN_WORDS.get(str(limit), f'does not match {limit}')}"
    if keyword == "format":
        return f"{shown} is not a valid {'RFC 3339 date-time' if limit == 'date-time' else limit}"
    return f"{shown} is not valid under {keyword}"


_ENUMS: dict[int, tuple[frozenset[Any], str, list[Any]]] = {}


def _enum_info(limit: list[Any]) -> tuple[frozenset[Any], str]:
    # Keyed by identity: enum lists live in compiled schemas for the life of the process (kept referenced here).
    info = _ENUMS.get(id(limit))
    if info is None or info[2] is not limit:
        allowed = [v for v in limit if v is not None]
        info = _ENUMS[id(limit)] = (frozenset(allowed), _enum_name(allowed), limit)
    return info[0], info[1]


def _enum_name(allowed: list[Any]) -> str:
    if len(allowed) == 249:
        return _ENUM_NAMES["CountryCodeAlpha2"]
    if allowed and all(isinstance(a, str) and a.isupper() and len(a) == 3 for a in allowed):
        return _ENUM_NAMES["Currency"]
    return "allowed values"
