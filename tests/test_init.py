"""The public API: a small, stable surface, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dodo_contract

PUBLIC = {
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
}


def test_all_is_the_documented_public_api_and_every_name_resolves() -> None:
    assert set(dodo_contract.__all__) == PUBLIC
    for name in dodo_contract.__all__:
        assert getattr(dodo_contract, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nope"):
        dodo_contract.nope  # type: ignore[attr-defined]  # noqa: B018


def test_import_does_not_pull_in_the_heavy_libraries() -> None:
    code = (
        "import sys, dodo_contract; dodo_contract.validate_request({});"
        "heavy = ('hypothesis', 'schemathesis', 'starlette', 'uvicorn', 'httpx', 'rich');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == ""
