"""One request of a contract run (``Case``), the engine's one serialisation, and the seeded Hypothesis draw.

Hypothesis strategies are drawn through a derandomised ``@given`` pinned with ``@seed``: the same seed, fixtures
and package version give the same request bytes.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checks.core import Kind
from ._transport import AuthMode

__all__ = ["Case", "Stop", "draw", "encode"]


@dataclass(frozen=True, slots=True)
class Case:
    """One request to send: its kind, exact body bytes, the JSON value (None if not JSON) and its label."""

    kind: Kind
    body: bytes
    payload: Any
    label: str
    rule: str = ""
    pointer: str = ""
    auth: AuthMode = "key"
    reason: str = ""  # for an invalid case: the validator's own message about the rule it breaks
    pair: str = ""  # for a pricing case: the pair it belongs to, and its ``role`` in it ("base", "variant")
    role: str = ""  # a round trip's: "created" (an id the server returned) or "unknown" (the synthetic one)
    operation: str = "payments"  # the documented operation it is sent to (``contract.endpoints``)
    path_id: str = ""  # the ``{id}`` of ``GET /checkouts/{id}``
    trip: bool = False  # a created session to fetch back (``GET /checkouts/{id}``) once it is answered


def encode(payload: Any) -> bytes:
    """Serialise a JSON value the one way the engine always does (UTF-8, compact, key order kept)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Cut(BaseException):
    """Raised inside a draw when the planner must stop (a BaseException: Hypothesis must not treat it as a bug)."""


Stop = Callable[[], bool]


def draw(strategy: Any, n: int, seed: int, *, stop: Stop | None = None) -> list[Any]:
    """Draw up to ``n`` examples from a Hypothesis strategy, reproducibly for ``seed``.

    ``stop()`` is asked before each example; once it says True the draw ends with what it has (a prefix of the
    full draw). It may also raise (``KeyboardInterrupt``): that propagates at once.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as pin_seed

    out: list[Any] = []

    @pin_seed(seed)
    @settings(
        max_examples=n,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        if stop is not None and stop():
            raise _Cut
        out.append(copy.deepcopy(value))

    with contextlib.suppress(_Cut):
        collect()
    return out[:n]
