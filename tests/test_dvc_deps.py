"""dvc.yaml declares every source file a stage runs: DVC re-runs a stage only when a declared dep changes, so a
module left out (param defaults in config.py, the text of every model in text.py) leaves stale results cached."""

import re
from pathlib import Path

import pytest
import yaml

from package_imports import ROOT, imported_modules, module_file


def stage_files(name: str, stage: dict) -> tuple[set[str], set[str]]:
    """(the source files of the aboutness modules a stage's command runs, the files it declares as deps)."""
    body = stage.get("do", stage)  # a foreach stage keeps its command under `do`
    match = re.search(r"python -m (aboutness\.stages\.\w+)", body["cmd"])
    assert match, f"stage {name}: cmd {body['cmd']!r} does not run an aboutness.stages module"
    files = {str(module_file(m).relative_to(ROOT)) for m in imported_modules(match.group(1))}
    return files, {str(d) for d in body.get("deps", [])}


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_imports_are_walked_through_the_package(tmp_path):
    pkg = tmp_path / "aboutness"
    pkg.mkdir()
    (pkg / "a.py").write_text("from aboutness.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from aboutness import c\n")
    (pkg / "c.py").write_text("import json\n")
    assert imported_modules("aboutness.a", tmp_path) == {"aboutness.a", "aboutness.b", "aboutness.c"}


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_declares_the_code_it_runs(stage):
    files, deps = stage_files(stage, STAGES[stage])
    missing = sorted(files - deps - {"src/aboutness/__init__.py", "src/aboutness/stages/__init__.py"})
    assert not missing, f"dvc.yaml stage {stage}: add to deps {missing}"


@pytest.mark.parametrize("stage", list(STAGES))
def test_no_stage_declares_code_it_does_not_run(stage):
    """A src/ dep the stage never imports re-runs it for nothing (an edit to the label reader re-trained the
    teacher once)."""
    files, deps = stage_files(stage, STAGES[stage])
    extra = sorted(d for d in deps - files if d.startswith("src/"))
    assert not extra, f"dvc.yaml stage {stage}: remove from deps {extra}"


def source_only_pipeline(dest: Path) -> None:
    """A git+DVC repo whose stages have this dvc.yaml's names and src/ deps and a no-op command: `dvc status`
    then names exactly the stages whose declared source changed."""
    import shutil

    from conftest import dvc, run

    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    stages = {}
    for name, stage in STAGES.items():
        body = stage.get("do", stage)
        slim = {"cmd": "true", "deps": [d for d in body.get("deps", []) if str(d).startswith("src/")]}
        stages[name] = {"foreach": stage["foreach"], "do": slim} if "foreach" in stage else slim
    (dest / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    for cmd in (["git", "init", "-q"], [dvc(), "init", "-q"], [dvc(), "repro", "-q"]):
        run(cmd, dest)


MODEL_STAGES = {"train_teacher", "score_pools", "distill", "evaluate@teacher", "evaluate@student"}


@pytest.mark.parametrize("edited, expected", [
    ("src/aboutness/demo/wiki.py", {"ingest"}),  # the demo generator
    ("src/aboutness/demo/shop.py", {"ingest"}),
    ("src/aboutness/labels.py", {"ingest", "add_ecom"}),  # the label reader
    ("src/aboutness/label_rows.py", {"ingest", "add_ecom", "build_pools"}),  # the row validator
    ("src/aboutness/tables.py", {"ingest", "add_ecom", "build_pools"}),  # the CSV/TSV reader
])
def test_an_edit_to_the_label_reader_or_the_demo_re_runs_no_model_stage(tmp_path, edited, expected):
    """Issue 35: an edit to the label reader re-trained the teacher; one to the demo generator re-ran build_pools."""
    import json

    from conftest import dvc, run

    source_only_pipeline(tmp_path)
    assert json.loads(run([dvc(), "status", "--json"], tmp_path).stdout) == {}
    with open(tmp_path / edited, "a") as f:
        f.write("# an edit\n")
    changed = set(json.loads(run([dvc(), "status", "--json"], tmp_path).stdout))
    assert changed == expected
    assert not changed & MODEL_STAGES
