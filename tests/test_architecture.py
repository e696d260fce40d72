"""The layering ARCHITECTURE.md describes is the one the code has: imports only flow downwards."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dodo_contract"
# Lower number = lower layer. A module may import from its own layer or below, never above.
LAYERS = {
    "errors": 0,
    "outcome": 1,
    "schemas": 1,
    "fixtures": 2,
    "settings": 2,
    "_rules": 3,
    "validator": 3,
    "_mutators": 4,
    "_mutations": 4,
    "_pools": 4,
    "strategies": 4,
    "_observation": 4,
    "_reflection": 4,
    "checks": 4,
    "_transport": 5,
    "_plan": 5,
    "_run": 5,
    "_schemathesis": 5,
    "schemathesis_checks": 6,
    "engine": 5,
    "_business": 6,
    "_fault_hooks": 6,
    "faults": 6,
    "mock": 6,
    "_summary": 6,
    "_html": 6,
    "report": 6,
    "config": 6,
    "selftest": 7,
    "gate": 7,
    "plugin": 8,
    "cli": 8,
    "__init__": 9,
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:  # "from . import x": a module, or a name of the package itself
                    found.update(alias.name if alias.name in LAYERS else "__init__" for alias in node.names)
            elif node.module and node.module.startswith("dodo_contract"):
                parts = node.module.split(".")
                found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "dodo_contract":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


def test_every_module_has_a_layer() -> None:
    assert {p.stem for p in PACKAGE.glob("*.py")} == set(LAYERS)


def test_imports_only_flow_downwards() -> None:
    upward = []
    for path in sorted(PACKAGE.glob("*.py")):
        module = path.stem
        for imported in sorted(_imports(path)):
            if imported in LAYERS and LAYERS[imported] > LAYERS[module]:
                upward.append(f"{module} (layer {LAYERS[module]}) imports {imported} (layer {LAYERS[imported]})")
    assert upward == []
