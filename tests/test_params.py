"""params.yaml stays in the form `dvc exp run -S` writes back, so an experiment's params diff is its change alone."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from dvc.utils.hydra import apply_overrides

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("override", ["model.layers=2", "seed=7", "teacher.epochs=3", "pools.trash.min_title_chars=4"])
def test_set_param_changes_one_line(tmp_path: Path, override: str) -> None:
    path = tmp_path / "params.yaml"
    shutil.copy(ROOT / "params.yaml", path)
    before = path.read_text(encoding="utf-8").splitlines()
    apply_overrides(path, [override])  # the function behind `dvc exp run -S`
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    key, value = override.rsplit("=", 1)
    assert len(changed) == 2, changed
    assert changed[1][1:].split("#")[0].strip() == f"{key.rsplit('.', 1)[-1]}: {value}"
