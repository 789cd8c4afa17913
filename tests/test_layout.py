"""The package's three import rules (issue 35): the library imports neither `stages` nor `cli`; no stage imports
another stage; no library module reads dvc.yaml. Also: one stage module per dvc.yaml stage, and no import circle.
Each rule is a function of the source tree, run once on a made-up tree that breaks it and once on the real one."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from package_imports import ROOT, SRC, direct_imports, module_file, package_modules

STAGE_PKG, CLI_PKG = "aboutness.stages", "aboutness.cli"


def is_under(name: str, pkg: str) -> bool:
    return name == pkg or name.startswith(pkg + ".")


def library_modules(src: Path) -> list[str]:
    return [m for m in package_modules(src) if not is_under(m, STAGE_PKG) and not is_under(m, CLI_PKG)]


def library_importing_stages_or_cli(src: Path = SRC) -> list[str]:
    return [f"{m} imports {i}" for m in library_modules(src) for i in sorted(direct_imports(m, src))
            if is_under(i, STAGE_PKG) or is_under(i, CLI_PKG)]


def stages_importing_stages(src: Path = SRC) -> list[str]:
    stages = [m for m in package_modules(src) if m.startswith(STAGE_PKG + ".")]
    return [f"{m} imports {i}" for m in stages for i in sorted(direct_imports(m, src)) if i in stages and i != m]


def library_reading_dvc_yaml(src: Path = SRC) -> list[str]:
    """A string constant naming dvc.yaml outside a docstring: what opening or parsing it takes."""
    found = []
    for m in library_modules(src):
        tree = ast.parse(module_file(m, src).read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        found += [f"{m} line {n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Constant)
                  and isinstance(n.value, str) and "dvc.yaml" in n.value and id(n) not in docstrings]
    return found


def import_circles(src: Path = SRC) -> list[list[str]]:
    """Strongly connected groups of more than one module in the direct-import graph (Tarjan)."""
    graph = {m: sorted(i for i in direct_imports(m, src) if module_file(i, src)) for m in package_modules(src)}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return out


RULES = [library_importing_stages_or_cli, stages_importing_stages, library_reading_dvc_yaml, import_circles]
BREAKS = {  # a file that breaks each rule, added to a copy of the real package
    "library_importing_stages_or_cli": ("aboutness/bad.py", "from aboutness.stages import distill\n"),
    "stages_importing_stages": ("aboutness/stages/bad.py", "from aboutness.stages.ingest import main\n"),
    "library_reading_dvc_yaml": ("aboutness/bad.py", "import yaml\nSTAGES = yaml.safe_load(open('dvc.yaml'))\n"),
    "import_circles": ("aboutness/bad.py", "import aboutness.bad2\n"),
}


@pytest.fixture(scope="module")
def broken_trees(tmp_path_factory):
    import shutil

    trees = {}
    for rule, (path, code) in BREAKS.items():
        src = tmp_path_factory.mktemp(rule)
        shutil.copytree(SRC / "aboutness", src / "aboutness", ignore=shutil.ignore_patterns("__pycache__"))
        (src / path).write_text(code)
        (src / "aboutness/bad2.py").write_text("from aboutness.bad import STAGES\n" if rule == "import_circles" else "")
        trees[rule] = src
    return trees


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_catches_a_breach(rule, broken_trees):
    assert rule(broken_trees[rule.__name__]), f"{rule.__name__} missed the breach in {BREAKS[rule.__name__]}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_the_package_keeps_the_rule(rule):
    assert rule() == [], f"{rule.__name__}: {rule()}"


def test_one_stage_module_per_dvc_stage_named_as_the_stage():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    modules = {m.rsplit(".", 1)[1] for m in package_modules() if m.startswith(STAGE_PKG + ".")}
    assert modules == set(stages)
    for name, stage in stages.items():
        assert re.match(rf"python -m {re.escape(STAGE_PKG)}\.{name}(\s|$)", stage.get("do", stage)["cmd"]), name
