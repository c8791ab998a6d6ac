"""The layout holds: layers import only downwards, no import cycles, no oversized files or classes.

See docs/architecture.md for the layers. Every ``venvsense`` import counts, also those inside functions (a lazy
import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "venvsense"

# Lowest first. A module belongs to the first entry that is a prefix of its dotted name (after "venvsense.").
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("text", "findings", "manifests", "ignore", "tree", "tomlfile", "caches", "protocol", "stdlib",
                    "config", "severity", "dotted", "__init__")),
    ("readers", ("declarations", "environment", "imports", "mapping", "usedwithout", "firstparty", "model",
                 "classify", "index")),
    ("rules", ("rules", "check", "edits", "fixes")),
    ("actions", ("actions",)),
    ("shells", ("cli", "lsp", "__main__")),
]
MAX_FILE_LINES = 600
MAX_CLASS_LINES = 300


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return index
    raise AssertionError(f"venvsense.{module} is in no layer: add it to LAYERS and to docs/architecture.md")


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [stem] + [f"{stem}.{a.name}" for a in node.names]
                names = ["venvsense." + n if n else "venvsense" for n in names]
            elif node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name == "venvsense" or not name.startswith("venvsense."):
                continue
            target = name[len("venvsense."):]
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_every_module_imports_only_its_own_layer_or_lower() -> None:
    upward = [
        f"venvsense.{module} ({LAYERS[_layer(module)][0]}) imports venvsense.{target} ({LAYERS[_layer(target)][0]})"
        for module, targets in _graph().items() for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own submodules is not a cycle of design
    edges = {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


def test_no_file_in_the_server_is_over_the_limit() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert long == {}


def test_no_class_is_over_the_limit() -> None:
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno + 1 > MAX_CLASS_LINES:
                long.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert long == []
