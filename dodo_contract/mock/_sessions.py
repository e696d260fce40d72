"""The reference mock's checkout session store: in memory, per app, thread-safe and bounded.

A session is what ``GET /checkouts/{id}`` reads back: its id, when it was created and until when it is valid
(C1: 24 h, 15 min with ``confirm: true``), who the customer is (as the session knows them), and the payment a
``confirm: true`` session created at once (``payment_id``, ``payment_status``; both None while the session is at
the details collection stage). The store keeps at most ``MAX_SESSIONS`` sessions and forgets the oldest first, so
a long gate run cannot grow the mock without bound. An expired session stays readable (Dodo keeps a session's
record after its checkout link stops working; the spec documents no other answer for it).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CONFIRM_LIFETIME", "LIFETIME", "MAX_SESSIONS", "Session", "SessionStore"]

MAX_SESSIONS = 10_000
LIFETIME = timedelta(hours=24)
CONFIRM_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Session:
    """One checkout session as the mock stores it (amounts in the cart currency's smallest unit)."""

    id: str
    created_at: datetime
    expires_at: datetime
    customer_email: str | None
    customer_name: str | None
    payment_id: str | None = None
    payment_status: str | None = None
    total_amount: int = 0
    currency: str | None = None

    def expired(self, now: datetime) -> bool:
        """True when the session's checkout can no longer be completed at ``now``."""
        return now >= self.expires_at

    def status_body(self) -> dict[str, object]:
        """Return the ``GetCheckoutSessionsStatus`` body of this session."""
        return {
            "id": self.id,
            # Truncated to milliseconds (never rounded up): created_at is never after the moment it was stored.
            "created_at": self.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "customer_email": self.customer_email,
            "customer_name": self.customer_name,
            "payment_id": self.payment_id,
            "payment_status": self.payment_status,
        }


def lifetime(*, confirm: bool) -> timedelta:
    """Return how long a session is valid: 15 minutes when it was created with ``confirm: true``, else 24 hours."""
    return CONFIRM_LIFETIME if confirm else LIFETIME


class SessionStore:
    """Sessions by id, oldest first; ``add`` evicts the oldest beyond ``limit``. Safe to share between threads."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        if limit < 1:
            raise ValueError("a session store holds at least one session")
        self.limit = limit
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, session: Session) -> None:
        """Store ``session`` (replacing one with the same id) and evict the oldest beyond the limit."""
        with self._lock:
            self._sessions[session.id] = session
            self._sessions.move_to_end(session.id)
            while len(self._sessions) > self.limit:
                self._sessions.popitem(last=False)

    def get(self, session_id: str) -> Session | None:
        """Return the session with this id, or None (unknown or evicted)."""
        with self._lock:
            return self._sessions.get(session_id)

    def newest(self, skip: int = 0) -> Session | None:
        """Return the newest session but ``skip`` (0: the newest), or None when there are not that many."""
        with self._lock:
            return next(itertools.islice(reversed(self._sessions.values()), skip, None), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
