"""The aboutness package's import graph, read from the source with `ast` (nothing is imported): the dvc.yaml
deps test and the layout test walk it. Every function takes the source root, so tests can run on a made-up tree."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_file(name: str, src: Path = SRC) -> Path | None:
    """The source file of an aboutness module or package, None for a name that is no module (a function)."""
    base = src / name.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def direct_imports(name: str, src: Path = SRC) -> set[str]:
    """The aboutness modules that module `name` imports itself, at any depth of the file: imports inside
    functions count (they run when the stage calls them), those under `if TYPE_CHECKING` do not (they never
    run). `from aboutness.x import y` names module x.y when y is a submodule, else x."""
    out = set()
    tree = ast.parse(module_file(name, src).read_text())
    hints_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
                  for stmt in block.body for n in ast.walk(stmt)}  # never run: type hints only
    for node in ast.walk(tree):
        if id(node) in hints_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("aboutness.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aboutness":
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if module_file(sub, src) else node.module)
    return out


def imported_modules(module: str, src: Path = SRC) -> set[str]:
    """`module` and every aboutness module it imports, directly or through others; importing a.b.c runs the
    packages a and a.b first, so their __init__ files count too."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen or module_file(name, src) is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))] + sorted(direct_imports(name, src))
    return seen


def package_modules(src: Path = SRC) -> list[str]:
    """Every module of the package, dotted (aboutness.stages.distill); a package by its own name."""
    out = []
    for path in sorted((src / "aboutness").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out
