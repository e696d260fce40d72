"""The bundled spec versions and the ``Contract`` of each (version, operation): one frozen, cached object per pair.

``get_contract(spec_version=None, *, operation=None)`` returns the contract of a bundled version (``None`` or
``"latest"`` mean ``LATEST``, the newest; an unknown version is a ``ConfigError`` listing the bundled ones) for
an operation (``endpoints.OPERATIONS``; None means ``payments``, or the operation of a ``Contract`` given as
``spec_version``). ``readings`` picks the choices where the sources disagree (``overlay.Reading``; default: the
overlay's). ``load_contract(path, operation=...)`` builds one from a user's newer Dodo OpenAPI document (JSON or
YAML), judged with the newest bundled overlay. Everything version- and operation-dependent hangs off a
``Contract``: its source, endpoint, dereferenced schemas, enums, error codes, prose rules and ``known_rules(kind)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from .build import ERROR, MANIFEST, REQUEST, RESPONSE, build_family, build_schemas, manifest, schema_base
from .codes import CodeBook
from .crossfield import CROSS_FIELD_RULES, CrossFieldRule
from .deref import dereference
from .endpoints import DEFAULT_OPERATION, Endpoint, resolve_operation
from .overlay import Overlay, ProseRule, Reading, SpecSource, apply_overlay, load_overlay, strip_overlay
from .rules import Rule, derive_rules
from .spec import DRAFT, file_ref, read_document

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
    """The contract of one spec version and one operation (build it with ``get_contract``/``load_contract``).

    ``files`` are the schema files of the operation's family as written (relative ``$ref``s); ``names`` maps each
    kind the operation has (``request``, ``response`` = its 200 body, ``error``) to its file; ``schema(kind)``
    gives the dereferenced document schema the validator compiles. ``prose_rules`` are the overlay rules applied,
    ``skipped`` the ids of those the document had no place for; ``readings`` the choice taken at each point where
    the sources disagree (``reading_defs`` says what each is); ``statuses`` the statuses the document declares for
    the operation. Two contracts are equal when they have the same ``key``.
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
    operation: str = DEFAULT_OPERATION
    readings: Mapping[str, Any] = field(default_factory=dict)
    reading_defs: Mapping[str, Reading] = field(default_factory=dict)
    statuses: tuple[str, ...] = ("200", "422", "500")
    document_path: Path | None = None
    family_manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Return what tells contracts apart: version, operation, readings other than the default, a loaded sha256.

        ``1.113.0`` (payments), ``1.113.0/checkouts.get``, ``1.113.0/checkouts[checkouts-min-quantity=0]``.
        """
        key = self.version if self.bundled else f"{self.version}@{self.source.sha256[:16]}"
        if self.operation != DEFAULT_OPERATION:
            key += f"/{self.operation}"
        changed = [f"{n}={v}" for n, v in sorted(self.readings.items()) if v != self.reading_defs[n].default]
        return key + (f"[{','.join(changed)}]" if changed else "")

    @property
    def endpoint(self) -> Endpoint:
        """Return the operation's name, family, method and path."""
        return resolve_operation(self.operation)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """Return the document kinds the operation has (``checkouts.get`` has no ``request``)."""
        kinds: tuple[Kind, ...] = ("request", "response", "error")
        return tuple(k for k in kinds if k in self.names)

    def _file_of(self, kind: Kind) -> str:
        name = self.names.get(kind)
        if name is None:
            endpoint = self.endpoint
            raise ConfigError(f"operation {endpoint.name} ({endpoint.label}) has no {kind} body to validate")
        return name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contract) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def schema(self, kind: Kind, *, spec_only: bool = False) -> dict[str, Any]:
        """Return the dereferenced schema of ``kind`` (a fresh dict); ``spec_only`` drops the overlay's keywords."""
        text = self._cache.get(("schema", kind, spec_only))
        if text is None:
            text = self._cache[("schema", kind, spec_only)] = json.dumps(
                dereference(self.files, self._file_of(kind), spec_only=spec_only)
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
        """Return the named cross-field rules that bind ``kind`` (at its root or inside it), in schema order."""
        found: dict[str, CrossFieldRule] = {}
        stack: list[Any] = [self.schema(kind)]
        while stack:
            node = stack.pop(0)
            if isinstance(node, dict):
                found.update({n: CROSS_FIELD_RULES[n] for n in node.get("x-dodo-cross-field", ())})
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return tuple(found.values())

    def _enum(self, *path: str) -> tuple[str, ...]:
        node: Any = self.schema("request")
        for key in path:
            node = (node.get("items") if key == "[]" else (node.get("properties") or {}).get(key)) or {}
        return tuple(v for v in node.get("enum", ()) if isinstance(v, str))

    def _component_enum(self, name: str) -> tuple[str, ...]:
        return tuple(v for v in (self.files.get(name) or {}).get("enum", ()) if isinstance(v, str))

    @property
    def countries(self) -> tuple[str, ...]:
        """Return the ISO 3166-1 alpha-2 codes of ``billing.country`` (``CountryCodeAlpha2``), in spec order."""
        if self.operation == DEFAULT_OPERATION:
            return self._enum("billing", "country")
        return self._component_enum("CountryCodeAlpha2")

    @property
    def currencies(self) -> tuple[str, ...]:
        """Return the ISO 4217 codes of ``billing_currency`` (``Currency``), in spec order."""
        if self.operation == DEFAULT_OPERATION:
            return self._enum("billing_currency")
        return self._component_enum("Currency")

    @property
    def payment_method_types(self) -> tuple[str, ...]:
        """Return the values of ``allowed_payment_method_types`` items (``PaymentMethodTypes``), in spec order."""
        if self.operation == DEFAULT_OPERATION:
            return self._enum("allowed_payment_method_types", "[]")
        return self._component_enum("PaymentMethodTypes")

    def deprecated_fields(self, kind: Kind) -> tuple[str, ...]:
        """Return the top-level fields of ``kind`` the spec marks ``deprecated: true``."""
        props = self.schema(kind).get("properties") or {}
        return tuple(sorted(k for k, v in props.items() if isinstance(v, dict) and v.get("deprecated") is True))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary: version, source, whether bundled and latest; the operation if not payments."""
        out: dict[str, Any] = {
            "version": self.version,
            "latest": self.bundled and self.version == LATEST,
            "bundled": self.bundled,
            "source": self.source.to_dict(),
        }
        if self.operation != DEFAULT_OPERATION:
            out.update(operation=self.operation, readings=dict(self.readings))
        return out


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


def get_contract(
    spec_version: SpecVersion = None, *, operation: str | None = None, readings: Mapping[str, Any] | None = None
) -> Contract:
    """Return the contract of a bundled version (None or ``"latest"``: the newest) and operation.

    ``operation``: one of ``endpoints.OPERATIONS`` (None: ``payments``, or the operation of a ``Contract`` given
    as ``spec_version``); an unknown one is a ``ConfigError``. ``readings``: the choice at each point where the
    sources disagree (``{"checkouts-min-quantity": 0}``), names another family declares are ignored, the rest keep
    their default (a ``Contract`` given keeps its own unless ``readings`` says otherwise). A ``Contract`` given as
    ``spec_version`` passes through when it already is what is asked for, else the contract of the same document
    for that operation and those readings is returned.
    """
    if isinstance(spec_version, Contract):
        wanted = spec_version.operation if operation is None else resolve_operation(operation).name
        chosen = {**spec_version.readings, **(readings or {})}
        if wanted == spec_version.operation and all(spec_version.readings.get(n) == v for n, v in chosen.items()
                                                    if n in spec_version.reading_defs):  # fmt: skip
            return spec_version
        if not spec_version.bundled:
            if spec_version.document_path is None:
                raise ConfigError(f"contract {spec_version.key}: its document is not at hand for {wanted}")
            return load_contract(spec_version.document_path, operation=wanted, readings=chosen)
        return _variant(spec_version.version, wanted, chosen)
    return _variant(resolve_version(spec_version), resolve_operation(operation).name, readings or {})


def _variant(version: str, operation: str, readings: Mapping[str, Any]) -> Contract:
    family = resolve_operation(operation).family
    chosen = load_overlay(version, family).choose(readings)
    return _bundled(version, operation, tuple(sorted(chosen.items())))


def _family_files(version: str, family: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = schema_root() / version / ("" if family == "payments" else family)
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
    manifest = files.pop(MANIFEST, {})
    return files, manifest


_FAMILY_FILES: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}


@cache
def _bundled(version: str, operation: str, readings: tuple[tuple[str, Any], ...]) -> Contract:
    endpoint = resolve_operation(operation)
    overlay = load_overlay(version, endpoint.family)
    if (version, endpoint.family) not in _FAMILY_FILES:
        _FAMILY_FILES[version, endpoint.family] = _family_files(version, endpoint.family)
    files, manifest = _FAMILY_FILES[version, endpoint.family]
    chosen = dict(readings)
    rules = tuple(r for r in overlay.rules if r.holds(chosen))
    folder = schema_root() / version / ("" if endpoint.family == "payments" else endpoint.family)
    openapi: Path | None = folder / "openapi.yaml"
    if chosen != overlay.choose():
        files = _with_readings(files, overlay, version=version, request=_request_of(manifest), readings=chosen)
        openapi = None  # the committed document points at the default readings' files: write this one's apart
    if endpoint.family == "payments":
        names = {"request": REQUEST, "response": RESPONSE, "error": ERROR}
        statuses: tuple[str, ...] = ("200", "422", "500")
    else:
        entry = manifest[operation]
        names = {"response": entry["response"], "error": ERROR}
        if entry.get("request"):
            names = {"request": entry["request"], **names}
        statuses = tuple(entry["statuses"])
    return Contract(
        version=version,
        source=overlay.source,
        files=files,
        prose_rules=rules,
        codes=overlay.codes,
        openapi_path=openapi,
        names=names,
        operation=operation,
        readings=chosen,
        reading_defs=overlay.readings,
        statuses=statuses,
        family_manifest=manifest,
    )


def _request_of(manifest: Mapping[str, Any]) -> str | None:
    if not manifest:
        return REQUEST
    return next((e["request"] for e in manifest.values() if e.get("request")), None)


def _with_readings(
    files: Mapping[str, Any], overlay: Overlay, *, version: str, request: str | None, readings: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the family's files built again under other readings: the spec's types, the overlay re-applied."""
    spec = {n: {k: v for k, v in strip_overlay(f).items() if k not in ("$schema", "$id")} for n, f in files.items()}
    applied, _ = apply_overlay(spec, overlay, request=request, response=None, readings=readings)
    base = schema_base(version, overlay.family)
    return {n: {"$schema": DRAFT, "$id": base + file_ref(n), **f} for n, f in sorted(applied.items())}


def load_contract(
    path: str | Path, *, operation: str | None = None, readings: Mapping[str, Any] | None = None
) -> Contract:
    """Build the contract of a user's Dodo OpenAPI document (JSON or YAML), judged with the newest overlay.

    ``operation`` as for ``get_contract`` (None: ``payments``). ``ConfigError`` naming the file when it does not
    parse or lacks the operation with its JSON request body (if it takes one) and its 200 schema. Overlay rules
    naming fields the document lacks are skipped (``Contract.skipped``).
    """
    resolved = Path(path).expanduser()
    endpoint = resolve_operation(operation)
    document, digest = read_document(resolved)
    chosen = load_overlay(LATEST, endpoint.family).choose(readings)
    key = (str(resolved), digest, endpoint.name, tuple(sorted(chosen.items())))
    if key not in _LOADED:
        _LOADED[key] = _build_loaded(
            document, name=str(resolved), digest=digest, endpoint=endpoint, readings=chosen, path=resolved
        )
    return _LOADED[key]


_LOADED: dict[tuple[Any, ...], Contract] = {}


def _build_loaded(
    document: dict[str, Any], *, name: str, digest: str, endpoint: Endpoint, readings: Mapping[str, Any], path: Path
) -> Contract:
    overlay: Overlay = load_overlay(LATEST, endpoint.family)
    info: dict[str, Any] = document["info"] if isinstance(document.get("info"), dict) else {}
    version = str(info.get("version") or "custom").strip() or "custom"
    source = SpecSource(Path(name).name, digest, "", f"user document {name}", f"judged with overlay {LATEST}")
    common: dict[str, Any] = {"source": source, "codes": overlay.codes, "bundled": False, "openapi_path": None,
              "operation": endpoint.name, "readings": dict(readings), "reading_defs": overlay.readings,
              "document_path": path}  # fmt: skip
    if endpoint.family == "payments":
        op, files, skipped = build_schemas(document, overlay, version=version, name=name)
        applied = tuple(r for r in overlay.rules if r.id not in skipped)
        names = {"request": op.request or REQUEST, "response": op.responses["200"], "error": ERROR}
        return Contract(version, files=files, prose_rules=applied, skipped=skipped, names=names, **common)
    ops, files, skipped = build_family(document, overlay, version=version, name=name, readings=readings)
    common["family_manifest"] = manifest(ops)
    found = ops[endpoint.name]
    applied = tuple(r for r in overlay.rules if r.id not in skipped and r.holds(readings))
    names = {"response": found.responses["200"], "error": ERROR}
    if found.request:
        names = {"request": found.request, **names}
    return Contract(version, files=files, prose_rules=applied, skipped=skipped, names=names,
                    statuses=found.statuses, **common)  # fmt: skip
