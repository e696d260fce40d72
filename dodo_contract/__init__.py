"""dodo-contract: contract testing and validation for Dodo Payments ``POST /payments``.

``validate_request`` / ``validate_response`` / ``validate_error`` check payloads against the contract of a spec
version (``get_contract(spec_version)``: the bundled ones, ``latest`` by default; ``load_contract(path)`` for a
newer Dodo OpenAPI document); ``check_implementation``
judges a running implementation; ``serve_mock`` runs the reference mock; the Hypothesis strategies live in
``dodo_contract.strategies`` (imported lazily, so ``import dodo_contract`` stays light).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .contract.fixtures import Fixtures, load_fixtures
from .contract.versions import Contract, get_contract, load_contract
from .engine.outcome import ContractRun, Finding
from .errors import ConfigError, ContractViolation, DodoContractError, Violation
from .validation.validator import ValidationResult, validate_error, validate_request, validate_response

if TYPE_CHECKING:
    from .engine.engine import check_implementation
    from .frontends.selftest import selftest
    from .mock.app import create_app, serve_mock

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Contract",
    "ContractRun",
    "ContractViolation",
    "DodoContractError",
    "Finding",
    "Fixtures",
    "ValidationResult",
    "Violation",
    "__version__",
    "check_implementation",
    "create_app",
    "get_contract",
    "load_contract",
    "load_fixtures",
    "selftest",
    "serve_mock",
    "validate_error",
    "validate_request",
    "validate_response",
]

_LAZY = {
    "check_implementation": "engine.engine",
    "create_app": "mock.app",
    "serve_mock": "mock.app",
    "selftest": "frontends.selftest",
}


def __getattr__(name: str) -> Any:
    # The engine and mock pull in schemathesis/hypothesis/starlette; load them only when asked for.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dodo_contract' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
