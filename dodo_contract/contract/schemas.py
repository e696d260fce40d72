"""Find, load and dereference the contract's JSON Schemas, per spec version (``schemas/<version>/`` in the repo,
bundled in the wheel).

Thin accessors over ``versions.get_contract``: every function takes ``spec_version`` (None or ``"latest"``: the
newest bundled version; a version string; or a ``Contract`` from ``load_contract``). The module constants
(``SPEC_VERSION``, the error-code sets) describe the latest version, the default everywhere.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .build import ERROR, REQUEST, RESPONSE, family_openapi_text, openapi_text, schema_base
from .deref import dereference
from .overlay import load_overlay
from .spec import file_ref
from .versions import LATEST, Contract, SpecVersion, get_contract, schema_root

__all__ = [
    "BUSINESS_ERROR_CODES",
    "DOCUMENTED_ERROR_CODES",
    "ERROR",
    "OTHER_ERROR_CODES",
    "REQUEST",
    "RESPONSE",
    "SCHEMA_BASE",
    "SCHEMA_ERROR_CODES",
    "SPEC_VERSION",
    "country_codes",
    "currency_codes",
    "dereferenced",
    "load_schema",
    "openapi_path",
    "payment_method_types",
    "schema_dir",
    "schema_names",
]

SPEC_VERSION = LATEST
SCHEMA_BASE = schema_base(LATEST)


def schema_dir(spec_version: SpecVersion = None) -> Path:
    """Return the folder holding a bundled version's schema files (``schemas/<version>/``)."""
    return schema_root() / get_contract(spec_version).version


_MATERIALISED: dict[str, Path] = {}


def openapi_path(spec_version: SpecVersion = None) -> Path:
    """Return the path of the ``openapi.yaml`` (OpenAPI 3.1) of the contract's operation family beside its files.

    ``POST /payments`` for payments; the three Checkout Sessions operations for the checkouts family.

    For a contract loaded from a user's document, the files are written once into a temporary folder.
    """
    contract = get_contract(spec_version)
    if contract.openapi_path is not None:
        return contract.openapi_path
    if contract.key not in _MATERIALISED:
        folder = Path(tempfile.mkdtemp(prefix="dodo-contract-openapi-"))
        for name, schema in contract.files.items():
            (folder / file_ref(name)).write_text(json.dumps(schema, indent=2, ensure_ascii=False), encoding="utf-8")
        if contract.endpoint.family == "payments":
            text = openapi_text(
                version=contract.version, request=contract.names["request"], response=contract.names["response"]
            )
        else:
            text = family_openapi_text(version=contract.version, ops=contract.family_manifest)
        (folder / "openapi.yaml").write_text(text, encoding="utf-8")
        _MATERIALISED[contract.key] = folder / "openapi.yaml"
    return _MATERIALISED[contract.key]


def schema_names(spec_version: SpecVersion = None) -> tuple[str, ...]:
    """Return the names of every schema file of the version, without ``.json``."""
    return tuple(sorted(get_contract(spec_version).files))


def load_schema(name: str, spec_version: SpecVersion = None) -> dict[str, Any]:
    """Return a fresh copy of one schema file as written (with its ``$id`` and relative ``$ref``s)."""
    return get_contract(spec_version).schema_file(name)


def dereferenced(name: str, *, spec_only: bool = False, spec_version: SpecVersion = None) -> dict[str, Any]:
    """Return one schema with every ``$ref`` inlined (a fresh copy; no ``$id`` inside), ready to compile.

    ``spec_only=True`` leaves out the keywords added from the docs' prose (each schema lists them in
    ``x-dodo-added``): what remains is Dodo's spec, with the ``oneOf`` readings of the overlay kept.
    """
    contract = get_contract(spec_version)
    if name not in contract.files:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(sorted(contract.files))}")
    return dereference(contract.files, name, spec_only=spec_only)


def country_codes(spec_version: SpecVersion = None) -> tuple[str, ...]:
    """Return the 249 ISO 3166-1 alpha-2 codes of ``CountryCodeAlpha2``, in spec order."""
    return _enums(get_contract(spec_version))[0]


def currency_codes(spec_version: SpecVersion = None) -> tuple[str, ...]:
    """Return the ISO 4217 codes of ``Currency``, in spec order."""
    return _enums(get_contract(spec_version))[1]


def payment_method_types(spec_version: SpecVersion = None) -> tuple[str, ...]:
    """Return the values of ``PaymentMethodTypes``, in spec order (104 in 1.86.0, 105 with satispay in 1.113.0)."""
    return _enums(get_contract(spec_version))[2]


_ENUMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}


def _enums(contract: Contract) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    found = _ENUMS.get(contract.key)
    if found is None:
        found = _ENUMS[contract.key] = (contract.countries, contract.currencies, contract.payment_method_types)
    return found


# The latest version's error codes (see ``codes.CodeBook``; each version's are ``get_contract(v).codes``).
_LATEST_CODES = load_overlay(LATEST).codes
SCHEMA_ERROR_CODES = _LATEST_CODES.schema
BUSINESS_ERROR_CODES = _LATEST_CODES.business
OTHER_ERROR_CODES = _LATEST_CODES.other
DOCUMENTED_ERROR_CODES = _LATEST_CODES.documented
