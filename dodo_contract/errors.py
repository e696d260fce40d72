"""The one violation shape used everywhere, and the exceptions the library raises."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "FRAGMENT_LENGTH",
    "MIN_KEY_LENGTH",
    "NEAR_MISS_LABELS",
    "REDACTED",
    "ConfigError",
    "ContractViolation",
    "DodoContractError",
    "Secret",
    "Violation",
    "escape_pointer_token",
    "escape_surrogates",
    "join_pointer",
    "near_miss_keys",
    "pointer_sort_key",
    "redact",
    "sort_violations",
]


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token as RFC 6901 requires (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parts: Iterable[str | int]) -> str:
    """Build an RFC 6901 JSON Pointer from path parts; no parts gives ``""`` (the whole document)."""
    return "".join("/" + escape_pointer_token(p) for p in parts)


def pointer_sort_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    """Order pointers as a reader expects: array indices numerically, keys alphabetically."""
    if not pointer:
        return ()
    key: list[tuple[int, int, str]] = []
    for token in pointer[1:].split("/"):
        if token.isascii() and token.isdigit():
            key.append((0, int(token), ""))
        else:
            key.append((1, 0, token))
    return tuple(key)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (JSON Pointer), which rule (stable id), which schema keyword, and why.

    ``pointer`` is RFC 6901 (``""`` is the whole document). For a missing required key it is the pointer of the
    object that lacks it, and the key is named in ``message``. ``rule`` is a stable id such as
    ``product_cart.maxItems``; ``keyword`` the JSON Schema keyword (or the closest one for rules that are
    not schema keywords).
    """

    pointer: str
    rule: str
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '(root)'}: {self.message} [{self.keyword}]"

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-ready dict with the four fields."""
        return {"pointer": self.pointer, "rule": self.rule, "keyword": self.keyword, "message": self.message}


def sort_violations(violations: Iterable[Violation]) -> tuple[Violation, ...]:
    """Return the violations without duplicates, sorted by pointer, then rule."""
    unique = set(violations)
    if len(unique) < 2:
        return tuple(unique)
    return tuple(sorted(unique, key=lambda v: (pointer_sort_key(v.pointer), v.rule, v.message)))


class DodoContractError(Exception):
    """Base class of every exception dodo-contract raises on purpose."""


class ConfigError(DodoContractError, ValueError):
    """A configuration, fixtures file or option is unusable; the message says which part and why."""


class ContractViolation(DodoContractError, AssertionError):
    """Raised by ``raise_for_violations()``: the payload broke the contract. ``.violations`` lists every break."""

    def __init__(self, violations: Sequence[Violation], *, what: str = "payload") -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"{what} breaks the contract ({len(self.violations)} violation(s)):\n{lines}")

    def to_list(self) -> list[dict[str, Any]]:
        """Return every violation as a dict."""
        return [v.to_dict() for v in self.violations]


REDACTED = "***REDACTED***"
FRAGMENT_LENGTH = 12  # a run of this many consecutive characters of a key is redacted as the key itself
MIN_KEY_LENGTH = 8  # shorter keys are refused: they cannot be real, and would match ordinary text
_MIN_REDACTED = 4  # shorter secrets are ignored by redact(): masking them would mangle every text
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_SURROGATE = re.compile("[\ud800-\udfff]")


class Secret(str):
    """A string whose ``repr`` never shows its value (for holders of the API key: tracebacks print reprs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"


NEAR_MISS_LABELS = {
    "near_last": "the API key with its last character changed",
    "near_prefix": "a prefix of the API key",
    "near_case": "the API key with its case flipped",
}


def near_miss_keys(key: str) -> dict[str, str]:
    """Return the near misses of an API key that the auth probe sends, by mode (``NEAR_MISS_LABELS``).

    The key with its last character changed (to one that differs in any case), a prefix of it (its first half,
    at least 12 characters or all but one), and its case flipped (only when that changes it). Each must be refused:
    a server that compares a prefix, ignores the last character or the case accepts one. ``redact`` covers them.
    """
    last = key[-1:]
    swap = next(c for c in "01" if c.casefold() != last.casefold())
    out = {"near_last": key[:-1] + swap, "near_prefix": key[: max(len(key) // 2, min(len(key) - 1, FRAGMENT_LENGTH))]}
    flipped = key.swapcase()
    if flipped != key:
        out["near_case"] = flipped
    return out


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace each secret (API keys) in ``text`` with ``***REDACTED***``, in any case, and its fragments too.

    A fragment is any run of at least ``min(len(secret), FRAGMENT_LENGTH)`` consecutive characters of a secret
    (case-insensitive): a server that echoes part of the key, or a cut that keeps 36 of its 37 characters, leaves
    nothing usable. Overlapping and adjacent matches merge into one ``***REDACTED***``. A secret's JSON-escaped
    spelling is matched too. Secrets shorter than 4 characters are ignored. The cost is one case-fold of ``text``
    and one C-speed ``str.find`` pass per distinct fragment, so multi-megabyte texts stay fast.
    """
    keys = tuple(sorted({s for s in secrets if s and len(s) >= _MIN_REDACTED}))
    if not keys or not text:
        return text
    return _redactor(keys)(text)


def _fold(text: str) -> str:
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    # A few characters lower-case to two (e.g. U+0130): fold ASCII only, so positions still line up.
    return text.translate(_ASCII_LOWER)


@lru_cache(maxsize=16)
def _redactor(keys: tuple[str, ...]) -> Callable[[str], str]:
    grams: set[str] = set()
    near = {m for key in keys if len(key) >= MIN_KEY_LENGTH for m in near_miss_keys(key).values()}
    for key in {*keys, *near}:
        for spelling in {key, json.dumps(key)[1:-1]}:
            low = _fold(spelling)
            n = min(len(low), FRAGMENT_LENGTH)
            grams.update(low[i : i + n] for i in range(len(low) - n + 1))

    def apply(text: str) -> str:
        low = _fold(text)
        spans: list[tuple[int, int]] = []
        for gram in grams:
            at = low.find(gram)
            while at != -1:
                spans.append((at, at + len(gram)))
                at = low.find(gram, at + 1)
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        done = 0
        start, end = spans[0]
        for s, e in spans[1:]:
            if s <= end:  # overlapping or adjacent: one longer match
                end = max(end, e)
                continue
            out += [text[done:start], REDACTED]
            done, (start, end) = end, (s, e)
        out += [text[done:start], REDACTED, text[end:]]
        return "".join(out)

    return apply


def escape_surrogates(text: str) -> str:
    """Return ``text`` with each lone surrogate (unencodable in UTF-8) written as the six characters ``\\udXXX``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text
