"""dvc.yaml declares every source file a stage runs: DVC re-runs a stage only when a declared dep changes, so a
module left out (param defaults in config.py, the text of every model in text.py) leaves stale results cached."""

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def imported_modules(module: str) -> set[str]:
    """`module` and every aboutness module it imports, directly or through others, at any depth of the file
    (imports inside functions count: they run when the stage calls them)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((SRC / f"{name.replace('.', '/')}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("aboutness.")]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aboutness":
                if node.module == "aboutness":  # from aboutness import x
                    todo += [f"aboutness.{a.name}" for a in node.names if (SRC / "aboutness" / f"{a.name}.py").exists()]
                else:
                    todo.append(node.module)
    return seen


def stage_files(name: str, stage: dict) -> tuple[set[str], set[str]]:
    """(the source files of the aboutness modules a stage's command runs, the files it declares as deps)."""
    body = stage.get("do", stage)  # a foreach stage keeps its command under `do`
    match = re.search(r"python -m (aboutness\.\w+)", body["cmd"])
    assert match, f"stage {name}: cmd {body['cmd']!r} does not run an aboutness module"
    files = {f"src/{m.replace('.', '/')}.py" for m in imported_modules(match.group(1))}
    return files, {str(d) for d in body.get("deps", [])}


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_imports_are_walked_through_the_package(tmp_path, monkeypatch):
    pkg = tmp_path / "aboutness"
    pkg.mkdir()
    (pkg / "a.py").write_text("from aboutness.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from aboutness import c\n")
    (pkg / "c.py").write_text("import json\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    assert imported_modules("aboutness.a") == {"aboutness.a", "aboutness.b", "aboutness.c"}


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_declares_the_code_it_runs(stage):
    files, deps = stage_files(stage, STAGES[stage])
    missing = sorted(f for f in files - deps if f != "src/aboutness/__init__.py")
    assert not missing, f"dvc.yaml stage {stage}: add to deps {missing}"
