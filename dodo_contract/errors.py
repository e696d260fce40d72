"""The one violation shape used everywhere, and the exceptions the library raises."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "REDACTED",
    "ConfigError",
    "ContractViolation",
    "DodoContractError",
    "Violation",
    "escape_pointer_token",
    "join_pointer",
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


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (API keys) in ``text`` with ``***REDACTED***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
