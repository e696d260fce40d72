"""Regenerate ``schemas/`` (every bundled spec version) from Dodo's whole OpenAPI documents.

Run from the repo root: ``python tools/gen_schemas.py [OPENAPI_DIR] [schemas]`` (default: ``$DODO_SHARED_DIR``,
else ``shared/`` beside the checkout or one folder further up, ``/dodo/openapi``). The package code does
the work (``dodo_contract.contract.generate``): for each operation family (``POST /payments``; the Checkout
Sessions operations) take the request schema and 200 response of each operation and every component they reach,
rewrite the refs, apply the version's overlay of that family (``contract/overlays/<v>.toml``,
``<v>.checkouts.toml``).
``tests/test_schemas.py`` checks that the committed files equal a fresh generation, so hand edits are caught.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dodo_contract.contract.generate import generate_bundled

_ROOT = Path(__file__).resolve().parents[1]


def _default_source() -> Path:
    candidates = [os.environ.get("DODO_SHARED_DIR"), _ROOT.parent / "shared", _ROOT.parents[1] / "shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "dodo" / "openapi").is_dir():
            return Path(candidate) / "dodo" / "openapi"
    raise SystemExit("shared/dodo/openapi not found: pass its path, or set DODO_SHARED_DIR")


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else _default_source()
    target = Path(argv[1]) if len(argv) > 1 else Path("schemas")
    files = generate_bundled(source)
    for folder in {target / rel.split("/")[0] for rel in files if "/" in rel}:
        for stale in folder.rglob("*"):
            if stale.is_file() and stale.relative_to(target).as_posix() not in files:
                stale.unlink()
    for rel, text in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
