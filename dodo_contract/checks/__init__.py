"""The contract checks: one small function per rule, ``CHECKS`` and ``APPLIES_TO`` (``dodo_contract.checks.core``)."""

from .core import APPLIES_TO, CHECKS, NOT_JSON, CheckContext, CheckFn, Kind, Observation, run_checks

__all__ = ["APPLIES_TO", "CHECKS", "NOT_JSON", "CheckContext", "CheckFn", "Kind", "Observation", "run_checks"]
