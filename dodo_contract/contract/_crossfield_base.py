"""The shape of one named cross-field rule (``crossfield.py`` lists them; the overlays name them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CrossFieldRule"]


@dataclass(frozen=True, slots=True)
class CrossFieldRule:
    """One named prose rule that ties fields together.

    ``binds`` names the schema component whose objects the rule judges (None: the operation's request or response
    root); ``pointer`` is where a violation is reported, relative to such an object (at the root it is the whole
    pointer, ``/customer``); ``needs`` are the properties that object must define for the rule to apply;
    ``broken(obj)`` says whether an object breaks it; ``encoding`` is its ``if``/``then`` JSON Schema form (added to
    that object's ``allOf``), or None when JSON Schema cannot say it (then it is asked on every root payload, so
    such a rule must bind the root).
    """

    name: str
    kind: Literal["request", "response"]
    rule: str
    pointer: str
    keyword: str
    message: str
    needs: tuple[str, ...]
    broken: Callable[[Mapping[str, Any]], bool]
    encoding: Mapping[str, Any] | None
    binds: str | None = None
