"""aboutness.params, the schema of params.yaml. Every param is checked in one place before a stage does any work
(issue 14, point 10); params.yaml holds every key the schema knows, each with the comment that says what it does, and
stays in the form `dvc exp run -S` writes back, so an experiment's params diff is its change alone."""

from __future__ import annotations

import copy
import difflib
import re
import shutil
from pathlib import Path

import pytest
import yaml
from dvc.utils.hydra import apply_overrides

from aboutness.errors import InputError
from aboutness.params import validate_params

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "params.yaml").read_text())


def with_value(key: str, value):
    params = copy.deepcopy(DEFAULT)
    *parents, leaf = key.split(".")
    node = params
    for p in parents:
        node = node[p]
    node[leaf] = value
    return params


def test_default_params_pass():
    assert validate_params(copy.deepcopy(DEFAULT)).model_dump() == DEFAULT


@pytest.mark.parametrize("key, value, error_key, expected", [
    ("text.seq_len", 0, "text.seq_len", "greater than or equal to 8"),
    ("text.seq_len", -5, "text.seq_len", "greater than or equal to 8"),
    ("text.seq_len", 1024, "text.seq_len", "at most 512"),
    ("model.seq_len", 600, "model.seq_len", "at most 512"),
    ("teacher.layers", 0, "teacher.layers", "greater than or equal to 1"),  # was silently "all layers"
    ("teacher.layers", 9, "teacher.layers", "at most 6"),  # with truncate_after it failed only after training
    ("model.layers", 7, "model.layers", "at most 6, the teacher's depth"),
    ("teacher.batch_size", 0, "teacher.batch_size", "greater than or equal to 1"),
    ("model.batch_size", 0, "model.batch_size", "greater than or equal to 1"),
    ("teacher.mse_targets", {"about": 1.0, "mention": 0.5}, "teacher.mse_targets.not_about", "this key to be set"),
    ("distill.temperature", 0, "distill.temperature", "greater than 0"),
    ("eval.bootstrap", 0, "eval.bootstrap", "greater than or equal to 100"),
    ("pools.fractions", {"train": 0.5, "valid": 0.5}, "pools.fractions.test", "this key to be set"),
    ("pools.fractions", {"train": 0.6, "valid": -0.1, "test": 0.5}, "pools.fractions.valid", "greater than 0"),
    ("pools.fractions", {"train": 0.6, "valid": 0.2, "test": 0.3}, "pools.fractions", "train + valid + test = 1"),
    ("pools.trash", {"title_patterns": ["(oops"], "body_patterns": [], "min_title_chars": 3},
     "pools.trash.title_patterns", "valid regular expressions"),
    ("distill.pools", ["runtime", "test"], "distill.pools", "names from runtime, url_try, train"),
    ("distill.pools", ["runtime", "nonsense"], "distill.pools", "names from runtime, url_try, train"),
    ("distill.score_batch_size", 0, "distill.score_batch_size", "'auto' or a whole number"),
    ("teacher.lr", "abc", "teacher.lr", "a valid number"),
    ("teacher.epochs", float("nan"), "teacher.epochs", "a finite number"),
    ("teacher.head", "twotarget", "teacher.head", "'onetarget' or 'msetarget'"),
    ("text.card_fields", ["title", "colour"], "text.card_fields", "distinct fields from title"),
    ("teacher.lrr", 1e-4, "teacher.lrr", "no such key (a typo?)"),
    ("model.layer_map", "top", "model.layer_map", "'bottom' or 'spread'"),
    ("model.pooling", "max", "model.pooling", "'cls', 'mean' or 'match'"),
    ("distill.engine", "spark", "distill.engine", "'local' or 'ray'"),
    ("distill.hidden_weight", -1.0, "distill.hidden_weight", "greater than or equal to 0"),
    ("ray.actors", 0, "ray.actors", "greater than or equal to 1"),
    ("ray.cpus_per_actor", 0, "ray.cpus_per_actor", "greater than 0"),
    ("distill.target", "all", "distill", "loss mse_logits with target vital only"),
    # point 8: every file a param names lives where DVC sees it
    ("teacher.base", "/tmp/some-bert", "teacher.base", "inside base_models/"),
    ("model.base", "../bert", "model.base", "inside base_models/"),
    ("ingest.labels", ["/data/exports/*.tsv"], "ingest.labels", "inside labels/"),  # an absolute glob
    ("pools.runtime", ["pools/runtime.parquet"], "pools.runtime", "inside labels/"),
    ("pools.corpus", "labels/../docs.parquet", "pools.corpus", "inside labels/"),
    # point 5: eval-set names
    ("eval.sets", {"test": ["labels/t.tsv"]}, "eval.sets", "other than train, valid, test"),
    ("eval.sets", {"../../x": ["labels/t.tsv"]}, "eval.sets", "lower-case letters"),
    ("eval.sets", {"mine": "demo"}, "eval.sets", "'demo' only for the demo's sets"),
    ("eval.sets", {"mine": ["/abs/t.tsv"]}, "eval.sets", "inside labels/"),
])
def test_bad_param_names_key_value_and_expectation(key, value, error_key, expected):
    params = with_value(key, value)
    if key == "distill.target":
        params["distill"]["loss"] = "mse_logits"
    with pytest.raises(InputError) as e:
        validate_params(params)
    line = str(e.value).splitlines()[0]
    assert re.match(rf"params\.yaml {re.escape(error_key)}: .+; expected ", line), line
    assert expected in line, line


def test_hidden_state_matching_needs_a_student_cut_from_the_teacher():
    params = with_value("distill.hidden_weight", 1.0)
    assert validate_params(copy.deepcopy(params)).model_dump() == params  # model.init: trunc shares tokenizer and width
    params["model"]["init"] = "pretrained"
    with pytest.raises(InputError, match=r"params\.yaml distill\.hidden_weight: 1\.0; expected 0 unless model\.init is trunc"):
        validate_params(params)


def test_every_bad_key_is_listed_at_once():
    params = with_value("text.seq_len", 0)
    params["teacher"]["batch_size"] = 0
    with pytest.raises(InputError) as e:
        validate_params(params)
    keys = [line.split(":")[0] for line in str(e.value).splitlines()]
    assert keys == ["params.yaml text.seq_len", "params.yaml teacher.batch_size"]


def test_a_stage_stops_before_any_work(tmp_path, monkeypatch, capsys):
    from aboutness.stages import ingest

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(with_value("eval.bootstrap", 0)))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        ingest.main()
    assert "params.yaml eval.bootstrap: 0; expected greater than or equal to 100" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_int8_scoring_is_for_the_local_engine_only():
    params = with_value("distill.engine", "ray")
    assert validate_params(copy.deepcopy(params)).model_dump() == params
    params["distill"]["score_int8"] = True  # the Ray actors would silently score in fp32
    with pytest.raises(InputError, match=r"params\.yaml distill: .*expected score_int8 with engine local only"):
        validate_params(params)


@pytest.mark.parametrize("family, key, value, expected", [
    ("distilbert", "model.layers", 4, "at most 3, the depth of base_models/distilbert"),   # its config says n_layers
    ("xlm-roberta", "text.seq_len", 259, "at most 258, the maximum length of base_models/xlm-roberta"),  # 260 positions
])
def test_limits_are_read_from_every_familys_config(tmp_path, monkeypatch, family, key, value, expected):
    from families import save_tiny_family

    save_tiny_family(family, tmp_path / "base_models" / family)
    monkeypatch.chdir(tmp_path)
    params = with_value("teacher.base", f"base_models/{family}")
    params["model"]["init"], params["model"]["base"] = "pretrained", f"base_models/{family}"
    assert validate_params(copy.deepcopy(params))
    *parents, leaf = key.split(".")
    node = params
    for p in parents:
        node = node[p]
    node[leaf] = value
    with pytest.raises(InputError, match=re.escape(f"params.yaml {key}: {value}; expected {expected}")):
        validate_params(params)


def test_pooling_on_a_family_it_was_not_built_for_stops_before_any_work(tmp_path, monkeypatch):
    base = tmp_path / "base_models/gpt"
    base.mkdir(parents=True)
    (base / "config.json").write_text('{"model_type": "gpt2", "n_layer": 2}')
    monkeypatch.chdir(tmp_path)
    params = with_value("model.init", "pretrained")
    params["model"]["base"] = "base_models/gpt"
    with pytest.raises(InputError, match=r"params\.yaml model\.pooling: 'match'; expected cls for a gpt2 base: mean and "
                                         r"match pooling are built for bert, roberta"):
        validate_params(params)
    params["model"]["pooling"] = "cls"
    assert validate_params(copy.deepcopy(params))


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
