"""Generate every bundled version's contract files from Dodo's whole OpenAPI documents (``tools/gen_schemas.py``).

``generate_bundled(openapi_dir)`` reads each bundled version's document (named and fingerprinted by its overlay's
``[source]``), builds the files of each operation family with ``build.build_contract_files`` and returns
``{relative path: text}``: ``<version>/<Name>.json`` and ``<version>/openapi.yaml`` (payments),
``<version>/<family>/...`` (Checkout Sessions: ``checkouts/``, with its ``operations.json``), and ``openapi.yaml``
at the top, the latest version's payments document (the stable path for ``schemathesis run
schemas/openapi.yaml``). A test proves the committed ``schemas/`` equal a fresh generation.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .build import REQUEST, build_contract_files, build_schemas, openapi_text
from .endpoints import FAMILIES
from .overlay import load_overlay
from .spec import read_document
from .versions import BUNDLED, LATEST

__all__ = ["generate_bundled"]


def generate_bundled(openapi_dir: str | Path) -> dict[str, str]:
    """Return ``{path relative to schemas/: text}`` for every bundled version; ``ConfigError`` on a wrong document."""
    out: dict[str, str] = {}
    for version in BUNDLED:
        overlay = load_overlay(version)
        path = Path(openapi_dir) / overlay.source.file
        document, digest = read_document(path)
        if digest != overlay.source.sha256:
            raise ConfigError(f"{path}: sha256 {digest} is not the {overlay.source.sha256} its overlay was written for")
        for name, text in build_contract_files(document, overlay, version=version).items():
            out[f"{version}/{name}"] = text
        for family in FAMILIES:
            if family != "payments":
                files = build_contract_files(document, load_overlay(version, family), version=version)
                out.update({f"{version}/{family}/{name}": text for name, text in files.items()})
        if version == LATEST:
            op, _, _ = build_schemas(document, overlay, version=version, name=str(path))
            out["openapi.yaml"] = openapi_text(
                version=version,
                operation_id=op.operation_id,
                request=op.request or REQUEST,
                response=op.responses["200"],
                prefix=f"{version}/",
            )
    return out
