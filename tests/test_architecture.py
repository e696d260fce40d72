"""The layering ARCHITECTURE.md describes is the one the code has: folders are layers, imports only flow downwards."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dodo_contract"
# Lower number = lower layer. A module may import from its own layer or below, never above. A folder is a layer;
# the two top-level modules are the bottom (errors) and the top (the public API).
LAYERS = {
    "errors": 0,
    "contract": 1,
    "validation": 2,
    "generation": 3,
    "checks": 3,
    "engine": 4,
    "mock": 5,
    "reports": 5,
    "frontends": 6,
    "__init__": 7,
}


def _unit(path: Path) -> str:
    """Return the layer unit of a module: its folder, or its own name at the top level."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    """Return the layer units a module imports (relative and absolute imports, at any depth)."""
    here = path.relative_to(PACKAGE).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[tuple[str, ...]] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                module = tuple(node.module.split(".")) if node.module else ()
                if module:
                    targets.append((*base, *module))
                else:
                    targets.extend((*base, alias.name) for alias in node.names)
            elif node.module and node.module.split(".")[0] == "dodo_contract":
                targets.append(tuple(node.module.split(".")[1:]))
        elif isinstance(node, ast.Import):
            targets.extend(tuple(a.name.split(".")[1:]) for a in node.names if a.name.split(".")[0] == "dodo_contract")
        for target in targets:
            found.add(target[0] if target else "__init__")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer() -> None:
    assert {_unit(p) for p in _modules()} == set(LAYERS)


def test_no_module_is_outside_a_layer_folder_but_the_two_ends() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"errors", "__init__"}


def test_imports_only_flow_downwards() -> None:
    upward = []
    for path in _modules():
        unit = _unit(path)
        for imported in sorted(_imports(path)):
            if imported in LAYERS and LAYERS[imported] > LAYERS[unit]:
                upward.append(
                    f"{path.relative_to(PACKAGE)} (layer {LAYERS[unit]}) imports {imported} (layer {LAYERS[imported]})"
                )
    assert upward == []


def test_the_import_walker_sees_relative_imports() -> None:
    # A walker that misses "from ..engine.x import y" would pass the test above on any code.
    assert "engine" in _imports(PACKAGE / "frontends" / "gate.py")
    assert "errors" in _imports(PACKAGE / "contract" / "schemas.py") or "errors" in _imports(
        PACKAGE / "contract" / "fixtures.py"
    )
