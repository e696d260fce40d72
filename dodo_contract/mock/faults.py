"""Fault modes of the reference mock: named, documented contract breaks used to prove the suite catches them.

Each ``Fault`` is a small switch the faithful mock consults at fixed points of its pipeline (never a copy of
it). The points, in request order:

``delay(n)``            seconds to stall request number ``n`` (1-based, every request counts) before answering;
``auth_ignored``        answer as if every request carried the right key;
``accepts_key(presented, real)``  compare the key this (sloppy) way instead of exactly;
``normalise(payload)``  rewrite the parsed request before schema validation;
``skips(rule)``         schema violations of these rule ids are ignored, and the request then skips the
                        business rules too (a server that forgot one validation family);
``refuse(payload)``     force an answer (or raise, i.e. crash) for a schema-valid request;
``waives(rule)``        business rules of these ids (``business.unknown_product``...) are not enforced;
``waives_when(rule, payload, catalog)``  the same, deciding per request;
``on_success(body, payload)``  rewrite a 200 body;
``reprice(payload, catalog)``  the ``total_amount`` of a 200, computed the buggy way;
``on_error(reply)``     rewrite every non-200 answer;
``on_reply(reply, n)``  rewrite the final answer (status, content type, raw bytes);
``on_session(body, payload)``  rewrite a ``POST /checkouts`` 200 body;
``on_preview(body, payload)``  rewrite a ``POST /checkouts/preview`` 200 body;
``on_status(body, id, store)``  rewrite a ``GET /checkouts/{id}`` answer (``body`` None for an unknown id;
                        return a body, a ``Reply``, or None to keep the faithful answer).

A fault breaks one operation ``family``: ``payments`` (the default; also what it does to unknown paths) or
``checkouts`` (the three Checkout Sessions operations, whose faults are named ``checkouts_*``); requests of the
other family are answered faithfully, so a fault is caught by the run that judges its family. ``skips``,
``refuse`` and ``waives`` act on the schema and catalog rules of the fault's family.

Every trigger is deterministic (value- or count-based), so a self-test run is reproducible.
``caught_by`` names the checks of ``dodo_contract.checks`` that must detect the fault. ``applies(contract)``
says whether the fault means anything in a spec version (a break of ``discount_codes`` needs a version that has
them); ``applies_to(spec_version)`` answers it, read from the contract.
"""

from __future__ import annotations

from ..contract.versions import SpecVersion, get_contract
from ..errors import ConfigError
from ._checkout_faults import CHECKOUT_FAULTS
from ._fault import Fault
from ._fault_hooks import Reply, error_reply
from ._meaning_faults import MEANING_FAULTS
from ._payment_faults import PAYMENT_FAULTS

__all__ = ["FAULTS", "Fault", "Reply", "error_reply", "faults_for", "get_fault"]

_ALL: tuple[Fault, ...] = (*PAYMENT_FAULTS, *MEANING_FAULTS, *CHECKOUT_FAULTS)

FAULTS: dict[str, Fault] = {f.name: f for f in _ALL}


def faults_for(spec_version: SpecVersion = None, *, family: str | None = None) -> dict[str, Fault]:
    """Return the faults that mean something to a run judging ``spec_version``, in ``FAULTS`` order.

    ``family`` (``payments`` or ``checkouts``) picks that family's contract of the version; None: the family of
    ``spec_version`` (a ``Contract`` of a checkouts operation gives the ``checkouts_*`` faults; a version string or
    None, the payments ones).
    """
    contract = get_contract(spec_version, operation=family) if family else get_contract(spec_version)
    return {name: f for name, f in FAULTS.items() if f.applies_to(contract)}


def get_fault(fault: str | Fault | None) -> Fault | None:
    """Return the fault named ``fault`` (or ``fault`` itself); raise ``ConfigError`` naming the known ones."""
    if fault is None or isinstance(fault, Fault):
        return fault
    found = FAULTS.get(fault) if isinstance(fault, str) else None
    if found is None:
        raise ConfigError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(FAULTS))}")
    return found
