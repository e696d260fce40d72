"""The bundled spec versions and the ``Contract`` of each: one frozen, cached object per version.

``get_contract(spec_version=None)`` returns the contract of a bundled version (``None`` or ``"latest"`` mean
``LATEST``, the newest; an unknown version is a ``ConfigError`` listing the bundled ones). ``load_contract(path)``
builds one from a user's newer Dodo OpenAPI document (JSON or YAML), judged with the newest bundled overlay.
Everything version-dependent hangs off a ``Contract``: its source, dereferenced schemas, enums, error codes,
prose rules and ``known_rules(kind)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from .build import ERROR, REQUEST, RESPONSE, build_schemas
from .codes import CodeBook
from .crossfield import CROSS_FIELD_RULES, CrossFieldRule
from .deref import dereference
from .overlay import Overlay, ProseRule, SpecSource, load_overlay
from .rules import Rule, derive_rules
from .spec import read_document

__all__ = [
    "BUNDLED",
    "LATEST",
    "Contract",
    "Kind",
    "SpecVersion",
    "get_contract",
    "load_contract",
    "resolve_version",
    "schema_root",
]

Kind = Literal["request", "response", "error"]
BUNDLED: tuple[str, ...] = ("1.86.0", "1.113.0")  # oldest first
LATEST = max(BUNDLED, key=lambda v: tuple(int(p) for p in v.split(".")))
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, eq=False)
class Contract:
    """The contract of one spec version of ``POST /payments`` (build it with ``get_contract``/``load_contract``).

    ``files`` are the schema files as written (relative ``$ref``s); ``schema(kind)`` gives the dereferenced
    document schema the validator compiles. ``prose_rules`` are the overlay rules applied, ``skipped`` the ids of
    those the document had no place for. Two contracts are equal when they have the same ``key``.
    """

    version: str
    source: SpecSource
    files: Mapping[str, Mapping[str, Any]]
    prose_rules: tuple[ProseRule, ...]
    codes: CodeBook
    skipped: tuple[str, ...] = ()
    bundled: bool = True
    openapi_path: Path | None = None
    names: Mapping[str, str] = field(default_factory=lambda: {"request": REQUEST, "response": RESPONSE, "error": ERROR})
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """Return what tells contracts apart: the version, and for a loaded document its sha256."""
        return self.version if self.bundled else f"{self.version}@{self.source.sha256[:16]}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contract) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def schema(self, kind: Kind, *, spec_only: bool = False) -> dict[str, Any]:
        """Return the dereferenced schema of ``kind`` (a fresh dict); ``spec_only`` drops the overlay's keywords."""
        text = self._cache.get(("schema", kind, spec_only))
        if text is None:
            text = self._cache[("schema", kind, spec_only)] = json.dumps(
                dereference(self.files, self.names[kind], spec_only=spec_only)
            )
        result: dict[str, Any] = json.loads(text)
        return result

    def schema_file(self, name: str) -> dict[str, Any]:
        """Return one schema file as written (a fresh dict); ``KeyError`` listing the names otherwise."""
        if name not in self.files:
            raise KeyError(f"no schema named {name!r}; known: {', '.join(sorted(self.files))}")
        result: dict[str, Any] = json.loads(json.dumps(self.files[name]))
        return result

    def rules(self, kind: Kind) -> tuple[Rule, ...]:
        """Return every rule of ``kind`` derived from its schema and the overlay's cross-field rules."""
        found = self._cache.get(("rules", kind))
        if found is None:
            found = self._cache[("rules", kind)] = derive_rules(self.schema(kind))
        rules: tuple[Rule, ...] = found
        return rules

    def known_rules(self, kind: Kind = "request") -> tuple[str, ...]:
        """Return every rule id the validator can report for ``kind``, sorted (for coverage accounting)."""
        return tuple(r.id for r in self.rules(kind))

    def cross_field(self, kind: Kind) -> tuple[CrossFieldRule, ...]:
        """Return the named cross-field rules that bind ``kind``."""
        names = self.schema_file(self.names[kind]).get("x-dodo-cross-field", ())
        return tuple(CROSS_FIELD_RULES[n] for n in names)

    def _enum(self, *path: str) -> tuple[str, ...]:
        node: Any = self.schema("request")
        for key in path:
            node = (node.get("items") if key == "[]" else (node.get("properties") or {}).get(key)) or {}
        return tuple(v for v in node.get("enum", ()) if isinstance(v, str))

    @property
    def countries(self) -> tuple[str, ...]:
        """Return the ISO 3166-1 alpha-2 codes of ``billing.country``, in spec order."""
        return self._enum("billing", "country")

    @property
    def currencies(self) -> tuple[str, ...]:
        """Return the ISO 4217 codes of ``billing_currency``, in spec order."""
        return self._enum("billing_currency")

    @property
    def payment_method_types(self) -> tuple[str, ...]:
        """Return the values of ``allowed_payment_method_types`` items, in spec order."""
        return self._enum("allowed_payment_method_types", "[]")

    def deprecated_fields(self, kind: Kind) -> tuple[str, ...]:
        """Return the top-level fields of ``kind`` the spec marks ``deprecated: true``."""
        props = self.schema(kind).get("properties") or {}
        return tuple(sorted(k for k, v in props.items() if isinstance(v, dict) and v.get("deprecated") is True))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary: version, source, whether bundled and latest."""
        return {
            "version": self.version,
            "latest": self.bundled and self.version == LATEST,
            "bundled": self.bundled,
            "source": self.source.to_dict(),
        }


SpecVersion = str | Contract | None


def resolve_version(spec_version: str | None) -> str:
    """Return the bundled version ``spec_version`` names (None or ``"latest"``: the newest); ``ConfigError`` else."""
    if spec_version is None or spec_version == "latest":
        return LATEST
    text = str(spec_version).strip()
    text = text[1:] if text[:1] in ("v", "V") else text
    if text in BUNDLED:
        return text
    raise ConfigError(
        f"unknown spec version {spec_version!r}; bundled: {', '.join(BUNDLED)} (latest = {LATEST}), "
        "or give a newer Dodo OpenAPI document with --openapi FILE"
    )


def schema_root() -> Path:
    """Return the folder holding one folder of schema files per version: in the wheel, else the repo's."""
    for candidate in (_HERE.parent / "_schemas", _HERE.parent.parent / "schemas"):
        if (candidate / LATEST / f"{REQUEST}.json").is_file():
            return candidate
    raise FileNotFoundError(f"dodo-contract schemas not found next to {_HERE}; the installation is incomplete")


def get_contract(spec_version: SpecVersion = None) -> Contract:
    """Return the contract of a bundled version (None or ``"latest"``: the newest), or ``spec_version`` itself."""
    if isinstance(spec_version, Contract):
        return spec_version
    return _bundled(resolve_version(spec_version))


@cache
def _bundled(version: str) -> Contract:
    folder = schema_root() / version
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
    overlay = load_overlay(version)
    return Contract(
        version=version,
        source=overlay.source,
        files=files,
        prose_rules=overlay.rules,
        codes=overlay.codes,
        openapi_path=folder / "openapi.yaml",
    )


def load_contract(path: str | Path) -> Contract:
    """Build the contract of a user's Dodo OpenAPI document (JSON or YAML), judged with the newest overlay.

    ``ConfigError`` naming the file when it does not parse or has no ``POST /payments`` with a JSON request body
    and a 200 schema. Overlay rules naming fields the document lacks are skipped (``Contract.skipped``).
    """
    resolved = Path(path).expanduser()
    document, digest = read_document(resolved)
    key = (str(resolved), digest)
    if key not in _LOADED:
        _LOADED[key] = _build_loaded(document, name=str(resolved), digest=digest)
    return _LOADED[key]


_LOADED: dict[tuple[str, str], Contract] = {}


def _build_loaded(document: dict[str, Any], *, name: str, digest: str) -> Contract:
    overlay: Overlay = load_overlay(LATEST)
    info: dict[str, Any] = document["info"] if isinstance(document.get("info"), dict) else {}
    version = str(info.get("version") or "custom").strip() or "custom"
    op, files, skipped = build_schemas(document, overlay, version=version, name=name)
    applied = tuple(r for r in overlay.rules if r.id not in skipped)
    names = {"request": op.request or REQUEST, "response": op.responses["200"], "error": ERROR}
    source = SpecSource(Path(name).name, digest, "", f"user document {name}", f"judged with overlay {LATEST}")
    return Contract(version, source, files, applied, overlay.codes, skipped, False, None, names)
