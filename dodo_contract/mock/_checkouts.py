"""The reference mock's Checkout Sessions: ``POST /checkouts``, ``POST /checkouts/preview``, ``GET /checkouts/{id}``.

The app (``app._Mock``) authenticates, routes and reads the body; ``CheckoutSessions`` does the rest, with the
checkouts contract of the mock's spec version (and readings): schema (``validate_request``) -> the prose rules'
codes (``_checkout_business.PROSE_CODES``) -> the catalog rules -> a 200 built with the same ``quote`` for both
POSTs. What the mock decides where the docs leave it open (the README's mock section says the same):

* ``session_id`` is ``cks_`` + 21 id characters; ``checkout_url`` is
  ``https://test.checkout.dodopayments.com/session/<session_id>``, or with ``short_link: true`` the guide's short
  form ``https://checkout.dodopayments.com/buy/<10 id characters>``;
* ``confirm: true`` finalises the session and creates its payment intent at once: ``payment_id`` (``pay_`` + 22),
  ``client_secret`` and ``publishable_key`` are set, and the session is valid 15 minutes (else 24 h, C1);
  without ``confirm`` all three are null;
* ``checkout_url`` is null exactly when ``payment_method_id`` is sent: the saved method is charged at once, so
  ``GET`` shows that payment ``processing``; a confirmed session without a saved method shows its payment
  ``requires_payment_method`` (the customer pays on the page); any other session ``payment_id`` and
  ``payment_status`` null (the details collection stage);
* ``GET`` answers the session's ``created_at`` (never after the moment it was stored), and its customer's
  email and name (the catalog's for an existing customer; the request's for a new one; null without one); an
  unknown (or evicted) id is 404 ``NOT_FOUND``; an expired session stays readable;
* a body keeps only the fields the version's response schema has (1.86.0's ``CreateSessionResponse`` has no
  ``client_secret``), plus, in a version whose preview has ``is_byop``, SDK 1.123.0's required
  ``payment_method_required`` (true when something is due today).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..contract.fixtures import Fixtures
from ..contract.versions import Contract, get_contract
from ..validation.validator import validate_request
from ._business import Catalog
from ._checkout_business import PROSE_CODES, checkout_business_error
from ._checkout_pricing import Quote, preview_body, quote
from ._fault import kept_violations
from ._fault_hooks import Reply, error_reply, schema_error_reply
from ._sessions import Session, SessionStore, lifetime

if TYPE_CHECKING:
    from ._fault import Fault

__all__ = ["CHECKOUT_PATHS", "SESSION_BASE", "SHORT_BASE", "CheckoutSessions", "family_of"]

SESSION_BASE = "https://test.checkout.dodopayments.com/session/"
SHORT_BASE = "https://checkout.dodopayments.com/buy/"
CHECKOUT_PATHS = ("/checkouts", "/checkouts/preview")
_PREFIX = "/checkouts/"
NewId = Callable[[str, int], str]


def family_of(path: str) -> str:
    """Return the operation family a request path belongs to (``checkouts`` or ``payments``, the default)."""
    return "checkouts" if path == "/checkouts" or path.startswith(_PREFIX) else "payments"


def _fields(contract: Contract) -> frozenset[str]:
    return frozenset(contract.schema("response").get("properties") or {})


def _project(body: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in fields}


class CheckoutSessions:
    """The three operations of one mock: its contracts, catalog, session store, id generator and tax rate."""

    def __init__(self, fixtures: Fixtures, contract: Contract, new_id: NewId, *, tax_rate: float = 0.0) -> None:
        self.create_contract = get_contract(contract, operation="checkouts")
        self.preview_contract = get_contract(contract, operation="checkouts.preview")
        self.status_contract = get_contract(contract, operation="checkouts.get")
        self.catalog = Catalog(fixtures, self.create_contract)
        self.store = SessionStore()
        self.new_id = new_id
        self.tax_rate = tax_rate
        self._session_fields = _fields(self.create_contract)
        self._preview_fields = _fields(self.preview_contract)
        self._status_fields = _fields(self.status_contract)
        self._sdk_extras = "is_byop" in self._preview_fields

    def route(self, method: str, path: str) -> tuple[str | None, str | None]:
        """Return (operation, None) for a served request, or (None, the Allow header) for a wrong method.

        (None, None): not a Checkout Sessions path. ``GET /checkouts/preview`` is the preview's path, not a
        session id: 405, as a router with a static route beside ``{id}`` answers.
        """
        if path in CHECKOUT_PATHS:
            if method != "POST":
                return None, "POST"
            return ("checkouts" if path == "/checkouts" else "checkouts.preview"), None
        session_id = path[len(_PREFIX) :]
        if path.startswith(_PREFIX) and session_id and "/" not in session_id:
            return ("checkouts.get", None) if method == "GET" else (None, "GET")
        return None, None

    def session_id(self, path: str) -> str:
        """Return the session id of a ``GET /checkouts/{id}`` path."""
        return path[len(_PREFIX) :]

    def judge(self, payload: dict[str, Any], fault: Fault | None) -> Reply | Quote:
        """Validate a create or preview request and apply the catalog rules: a refusal, or what it would charge."""
        violations = validate_request(payload, spec_version=self.create_contract).violations
        violations, lenient = kept_violations(violations, fault)
        if violations:
            return schema_error_reply(violations, PROSE_CODES, self.create_contract.codes.empty_cart)
        if fault is not None and fault.refuse is not None:
            refused = fault.refuse(payload)
            if refused is not None:
                return refused
        if not lenient:
            waived = fault.waives if fault is not None else None
            problem = checkout_business_error(payload, self.catalog, waived=waived, tax_rate=self.tax_rate)
            if problem is not None:
                return error_reply(422, *problem)
        return quote(payload, self.catalog, tax_rate=self.tax_rate)

    def create(self, payload: dict[str, Any], fault: Fault | None, *, now: datetime | None = None) -> Reply:
        """Answer ``POST /checkouts``: store the session, return ``CreateSessionResponse``."""
        judged = self.judge(payload, fault)
        if isinstance(judged, Reply):
            return judged
        moment = now or datetime.now(UTC)
        session_id = self.new_id("cks_", 21)
        confirm = payload.get("confirm") is True
        saved_method = isinstance(payload.get("payment_method_id"), str)
        payment_id = self.new_id("pay_", 22) if confirm else None
        email, name = self._customer(payload.get("customer"))
        status = ("processing" if saved_method else "requires_payment_method") if payment_id else None
        self.store.add(
            Session(
                session_id,
                moment,
                moment + lifetime(confirm=confirm),
                email,
                name,
                payment_id,
                status,
                judged.current.total,
                judged.currency,
            )
        )
        url = None
        if not saved_method:
            short = payload.get("short_link") is True
            url = SHORT_BASE + self.new_id("", 10) if short else SESSION_BASE + session_id
        body: dict[str, Any] = {
            "session_id": session_id,
            "checkout_url": url,
            "payment_id": payment_id,
            "client_secret": f"{payment_id}_secret_{self.new_id('', 24)}" if payment_id else None,
            "publishable_key": "pk_test_" + self.new_id("", 24) if payment_id else None,
        }
        body = _project(body, self._session_fields)
        if fault is not None and fault.on_session is not None:
            body = fault.on_session(body, payload)
        return Reply(200, body)

    def preview(self, payload: dict[str, Any], fault: Fault | None, *, now: datetime | None = None) -> Reply:
        """Answer ``POST /checkouts/preview`` with what ``POST /checkouts`` would charge; nothing is stored."""
        judged = self.judge(payload, fault)
        if isinstance(judged, Reply):
            return judged
        body = _project(preview_body(payload, judged, now=now or datetime.now(UTC)), self._preview_fields)
        if self._sdk_extras:
            body["payment_method_required"] = judged.current.total > 0
        if fault is not None and fault.on_preview is not None:
            body = fault.on_preview(body, payload)
        return Reply(200, body)

    def status(self, session_id: str, fault: Fault | None) -> Reply:
        """Answer ``GET /checkouts/{id}``: the stored session's status, or 404 ``NOT_FOUND``."""
        session = self.store.get(session_id)
        body = _project(session.status_body(), self._status_fields) if session is not None else None
        if fault is not None and fault.on_status is not None:
            changed = fault.on_status(body, session_id, self.store)
            if isinstance(changed, Reply):
                return changed
            body = changed if changed is not None else body
        if body is None:
            shown = session_id if len(session_id) <= 60 else session_id[:57] + "..."
            return error_reply(404, "NOT_FOUND", f"Checkout session {shown} not found")
        return Reply(200, body)

    def _customer(self, raw: Any) -> tuple[str | None, str | None]:
        if not isinstance(raw, dict):
            return None, None
        customer_id = raw.get("customer_id")
        if isinstance(customer_id, str):  # the first form that fits: an existing customer, even beside an email
            known = self.catalog.customers.get(customer_id)
            return (known.email, known.name) if known is not None else (None, None)
        email, name = raw.get("email"), raw.get("name")
        return (email if isinstance(email, str) else None), (name if isinstance(name, str) else None)
