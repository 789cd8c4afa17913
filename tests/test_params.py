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


def schema_keys(cls=None, prefix: str = "") -> list[str]:
    """Every dotted key the params schema knows (aboutness.params.Params), sections included."""
    from pydantic import BaseModel

    from aboutness.params import Params

    out = []
    for name, field in (cls or Params).model_fields.items():
        out.append(prefix + name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out += schema_keys(field.annotation, f"{prefix}{name}.")
    return out


def key_lines(text: str) -> dict[str, str]:
    """The dotted key of every block-style `key:` line of a YAML file, and the line."""
    import re

    path, out = [], {}
    for line in text.splitlines():
        m = re.match(r"^( *)(\w+):", line)
        if m:
            path = path[: len(m.group(1)) // 2] + [m.group(2)]
            out[".".join(path)] = line
    return out


def params_yaml_problems(text: str) -> list[str]:
    """What params.yaml (as `text`) lacks against the schema: a key, or the comment that says what it does.
    Keys inside a flow mapping ({train: 0.45, ...}) share their parent's line; a free mapping (eval.sets)
    holds the user's own keys."""
    lines, keys = key_lines(text), schema_keys()
    flow = {k for k in keys if k.rsplit(".", 1)[0] in lines and "{" in lines[k.rsplit(".", 1)[0]]}
    problems = [f"lacks {k}" for k in keys if k not in lines and k not in flow]
    problems += [f"{k} has no comment" for k in keys if k in lines and "#" not in lines[k]]
    leaves = {k for k in keys if not any(o.startswith(k + ".") for o in keys)}
    problems += [f"unknown key {k}" for k in lines if k not in keys and not any(k.startswith(f + ".") for f in leaves)]
    return problems


def test_every_key_the_schema_knows_stands_in_params_yaml_with_its_comment():
    """No default lives outside params.yaml: a key the schema has and the file lacks runs on a value nobody
    reads (loader_workers did)."""
    assert params_yaml_problems((ROOT / "params.yaml").read_text(encoding="utf-8")) == []


def test_the_check_names_a_missing_key_and_a_bare_one():
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    text = text.replace("  loader_workers:         # as teacher.loader_workers\n", "")
    text = text.replace("  runtime_k: 4            # docs per train card in the retrieve pool\n", "  runtime_k: 4\n")
    assert params_yaml_problems(text) == ["lacks model.loader_workers", "pools.runtime_k has no comment"]
