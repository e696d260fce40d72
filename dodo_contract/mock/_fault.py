"""The ``Fault`` record: a named contract break, the checks that must catch it, and its hooks (see ``faults``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..contract.versions import Contract, SpecVersion, get_contract
from ..errors import Violation
from ._business import Catalog
from ._fault_hooks import Reply
from ._sessions import SessionStore

__all__ = ["Fault", "kept_violations"]


@dataclass(frozen=True, slots=True)
class Fault:
    """A named contract break: a one-line description, the checks that must catch it, and its hooks."""

    name: str
    description: str
    caught_by: tuple[str, ...]
    delay: Callable[[int], float] | None = None
    auth_ignored: bool = False
    accepts_key: Callable[[str, str], bool] | None = None
    normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    skips: Callable[[str], bool] | None = None
    refuse: Callable[[dict[str, Any]], Reply | None] | None = None
    waives: Callable[[str], bool] | None = None
    waives_when: Callable[[str, dict[str, Any], Catalog], bool] | None = None
    reprice: Callable[[dict[str, Any], Catalog], int] | None = None
    on_success: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    on_error: Callable[[Reply], Reply] | None = None
    on_reply: Callable[[Reply, int], Reply] | None = None
    applies: Callable[[Contract], bool] | None = None
    family: str = "payments"
    on_session: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    on_preview: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    on_status: Callable[[dict[str, Any] | None, str, SessionStore], dict[str, Any] | Reply | None] | None = None

    def applies_to(self, spec_version: SpecVersion = None) -> bool:
        """True when the fault means something to a run judging ``spec_version`` (most faults: every version).

        A version string (or None) is judged as ``payments``, a ``Contract`` as its own operation's family: a
        fault of another family means nothing there. ``applies`` is asked with the contract of the fault's family
        (its first operation).
        """
        given = get_contract(spec_version)
        if given.endpoint.family != self.family:
            return False
        return self.applies is None or self.applies(given)

    def with_delay(self, seconds: float) -> Fault:
        """Return a copy whose stalls last ``seconds`` (for fast tests of ``slow``); others are unchanged."""
        if self.delay is None:
            return self
        every = self.delay
        return replace(self, delay=lambda n: seconds if every(n) > 0 else 0.0)


def kept_violations(violations: tuple[Violation, ...], fault: Fault | None) -> tuple[tuple[Violation, ...], bool]:
    """Return the violations ``fault`` does not skip, and whether it skipped any.

    A request the fault let through that way is lenient: the catalog rules are not applied to it either (the
    fault breaks one rule, not the ones a broken request would then run into).
    """
    if not violations or fault is None or fault.skips is None:
        return violations, False
    kept = tuple(v for v in violations if not fault.skips(v.rule))
    return kept, len(kept) < len(violations)
