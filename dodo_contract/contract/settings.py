"""The inferred facts a contract run relies on, gathered in one object users can override.

Dodo's spec does not state which HTTP status a schema violation or a missing key gets, nor which error codes
mean a business refusal; API_NOTES marks these ``[INFERRED]``. Each is a field here, so a user who knows better
passes ``settings=ContractSettings(invalid_status=400)`` (or ``dataclasses.replace``) instead of patching code.

Where the sources disagree about the contract itself (Checkout Sessions: may a cart line have quantity 0? how big
may a cart be?), the overlay declares a *reading* and these settings choose it (``checkouts_min_quantity``,
``checkouts_cart``). ``settings.contract(spec_version, operation=...)`` is the one way to get the contract a run
judges by: the validator, the generators, the mock and the engine all take that ``Contract`` as ``spec_version``,
so they all follow the same choice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError
from .schemas import BUSINESS_ERROR_CODES, DOCUMENTED_ERROR_CODES, SCHEMA_ERROR_CODES
from .versions import Contract, SpecVersion, get_contract

__all__ = ["DEFAULT_EXPECTED_CODES", "ContractSettings", "VersionCodes"]

# The code each business rule's refusal carries, where the docs name one (unknown ids: "NOT_FOUND").
DEFAULT_EXPECTED_CODES: tuple[tuple[str, str], ...] = (
    ("business.unknown_customer", "NOT_FOUND"),
    ("business.unknown_product", "NOT_FOUND"),
)

_CODE_FIELDS = {"business_codes": "business", "schema_codes": "schema", "documented_codes": "documented"}
# The readings these settings choose, and the choices of each (the overlays' [readings] declare the same).
_READINGS: dict[str, tuple[Any, ...]] = {"checkouts_min_quantity": (1, 0), "checkouts_cart": ("sdk123", "schema")}


class VersionCodes(frozenset[str]):
    """A code set left to the spec version (not given by the user): ``for_contract`` replaces it with the version's."""


@dataclass(frozen=True, slots=True)
class ContractSettings:
    """Statuses, error codes and limits the checks judge against (defaults follow API_NOTES).

    ``documented_statuses``: the only statuses an answer may have. ``invalid_status``: the status a schema-invalid
    request must get. ``business_status``: the status of a business refusal (unknown product, unsupported country,
    ...), 422 whatever ``invalid_status`` says. ``auth_status``: the status of a missing or wrong key.
    ``business_codes``: error codes a schema-valid request may be refused with; ``schema_codes``: codes meaning
    "your body is invalid", which a valid request must never get; ``documented_codes``: every code an error body
    may carry. These three follow the spec version: left out (or None) they are the version's codes
    (``VersionCodes``; the latest version's until ``for_contract`` picks another), given they stay as given.
    ``expires_on_skew_s``: clock skew tolerated when checking that a payment link's ``expires_on`` is in the future.
    ``max_retries_429`` / ``max_retry_after_s``: how often and how long to wait on ``429 Too Many Requests``.
    ``stall_limit``: after this many answers that time out or exceed the latency budget, stop sending (the evidence
    is in; a stalling server must not stretch a run to minutes). ``minimum_charge``: a canonical cart the fixtures
    price below this (smallest currency unit) may be refused with ``TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT``.
    ``success_floor``: the share of answered valid and canonical requests that must get 200 (a business refusal is
    tolerated one by one, not for most of them); ``class_min_cases``: a class of valid requests (multi-line carts,
    one fixture product, one customer form) sent at least this many times must get at least one 200.
    ``checkouts_min_quantity`` (reading ``checkouts-min-quantity``): the least quantity of a Checkout Sessions cart
    line, 1 as the guide says (the default), or 0 as the schema says. ``checkouts_cart`` (reading
    ``checkouts-cart``): ``"sdk123"`` (the default) for at most 20 lines and an empty cart only with a
    ``product_collection_id``, or ``"schema"`` for no limit at all.

    Money (``checks._pricing``): ``tax_ceiling``: a total is at most the catalog subtotal after discount times this
    (1.30: the highest VAT/GST rates in the world are below 30%, and a tax-exclusive price may get it on top);
    ``rounding_per_line``: minor units a total may be off per cart line (per-line or per-total rounding of tax and
    discounts). ``expected_codes``: (business rule id, code) pairs: that refusal must carry that code.
    ``tax_ids_validated``: a server checks a ``tax_id`` against the ids it knows (the fixtures' ``tax_ids``), so
    an unknown well-formed one is refused; off, no invalid tax id is sent. ``discount_codes_validated``: a server
    refuses an unknown discount code when the payment or the session is created (INFERRED for Checkout Sessions,
    whose page also takes codes); off, no unknown code is sent.
    """

    documented_statuses: frozenset[int] = frozenset({200, 422, 401})
    invalid_status: int = 422
    business_status: int = 422
    auth_status: int = 401
    business_codes: frozenset[str] = VersionCodes(BUSINESS_ERROR_CODES)
    schema_codes: frozenset[str] = VersionCodes(SCHEMA_ERROR_CODES)
    documented_codes: frozenset[str] = VersionCodes(DOCUMENTED_ERROR_CODES)
    expires_on_skew_s: float = 120.0
    max_retries_429: int = 3
    max_retry_after_s: float = 30.0
    stall_limit: int = 3
    minimum_charge: int = 100
    success_floor: float = 0.5
    class_min_cases: int = 3
    checkouts_min_quantity: int = 1
    checkouts_cart: str = "sdk123"
    tax_ceiling: float = 1.30
    rounding_per_line: int = 2
    expected_codes: tuple[tuple[str, str], ...] = DEFAULT_EXPECTED_CODES
    tax_ids_validated: bool = True
    discount_codes_validated: bool = True

    def __post_init__(self) -> None:
        latest = {"business_codes": BUSINESS_ERROR_CODES, "schema_codes": SCHEMA_ERROR_CODES,
                  "documented_codes": DOCUMENTED_ERROR_CODES}  # fmt: skip
        for name, codes in latest.items():
            if getattr(self, name) is None:  # None, as the docs say, means "the version's"
                object.__setattr__(self, name, VersionCodes(codes))
        for name in ("invalid_status", "business_status", "auth_status"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 100 <= value <= 599:
                raise ConfigError(f"settings.{name}: must be an HTTP status (100-599), got {value!r}")
        if self.max_retries_429 < 0 or self.stall_limit < 1:
            raise ConfigError("settings: max_retries_429 must be >= 0 and stall_limit >= 1")
        if any(isinstance(s, bool) or not isinstance(s, int) or not 100 <= s <= 599 for s in self.documented_statuses):
            raise ConfigError("settings.documented_statuses: must be HTTP statuses (100-599)")
        for name in ("invalid_status", "business_status", "auth_status"):
            if getattr(self, name) not in self.documented_statuses:
                raise ConfigError(
                    f"settings: {name} ({getattr(self, name)}) must be among documented_statuses "
                    f"({', '.join(map(str, sorted(self.documented_statuses)))})"
                )
        if not 0.0 <= self.success_floor <= 1.0 or self.class_min_cases < 1:
            raise ConfigError("settings: success_floor must be within 0..1 and class_min_cases >= 1")
        if isinstance(self.tax_ceiling, bool) or not isinstance(self.tax_ceiling, (int, float)):
            raise ConfigError(f"settings.tax_ceiling: must be a number >= 1, got {self.tax_ceiling!r}")
        if not 1.0 <= self.tax_ceiling <= 10.0:
            raise ConfigError(f"settings.tax_ceiling: must be within 1..10, got {self.tax_ceiling!r}")
        if isinstance(self.rounding_per_line, bool) or not isinstance(self.rounding_per_line, int):
            raise ConfigError(f"settings.rounding_per_line: must be an integer >= 0, got {self.rounding_per_line!r}")
        if self.rounding_per_line < 0:
            raise ConfigError(f"settings.rounding_per_line: must be an integer >= 0, got {self.rounding_per_line!r}")
        pairs = self.expected_codes.items() if isinstance(self.expected_codes, dict) else self.expected_codes
        try:
            cleaned = tuple(sorted((str(r), str(c)) for r, c in pairs))
        except (TypeError, ValueError):
            raise ConfigError("settings.expected_codes: must map business rule ids to error codes") from None
        object.__setattr__(self, "expected_codes", cleaned)
        for name, allowed in _READINGS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or value not in allowed:
                raise ConfigError(f"settings.{name}: must be one of {', '.join(map(repr, allowed))}, got {value!r}")

    def expected_code(self, rule: str) -> str | None:
        """Return the code a refusal under business ``rule`` must carry, or None when any business code will do."""
        return dict(self.expected_codes).get(rule)

    @property
    def readings(self) -> dict[str, Any]:
        """Return the choice of every reading these settings make (``{"checkouts-min-quantity": 1, ...}``)."""
        return {name.replace("_", "-"): getattr(self, name) for name in _READINGS}

    def contract(self, spec_version: SpecVersion = None, *, operation: str | None = None) -> Contract:
        """Return the contract a run with these settings judges by: the version and operation, under its readings.

        Pass the result as ``spec_version`` to the validator, the generators, the mock and the engine.
        """
        return get_contract(spec_version, operation=operation, readings=self.readings)

    def for_contract(self, contract: Contract) -> ContractSettings:
        """Return these settings with every code set the user did not give taken from ``contract``'s version.

        The engine calls this once per run with the contract it judges by (``get_contract(spec_version)``).
        """
        chosen: dict[str, Any] = {
            name: VersionCodes(getattr(contract.codes, attr))
            for name, attr in _CODE_FIELDS.items()
            if isinstance(getattr(self, name), VersionCodes)
        }
        return replace(self, **chosen) if chosen else self
