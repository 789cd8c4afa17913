"""Every base family end to end, on tiny random models built offline (tests/families.py): the teacher with
`teacher.layers` truncation, pool scoring, students by `init: trunc` at every `model.pooling` and by
`init: pretrained`, evaluate, predict, and the ONNX export with parity."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from aboutness.cli import main as cli
from aboutness.export import OnnxScorer
from aboutness.inference import predict_logits
from aboutness.models import POOLINGS, load_saved, load_tokenizer
from aboutness.stages import distill, evaluate, score_pools, train_teacher
from conftest import TINY_TRAINING, dvc, make_repo, run
from families import FAMILIES, save_tiny_family

TEXT = {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"], "seq_len": 32}


@pytest.fixture(scope="module")
def pools_repo(tmp_path_factory):
    """The demo's splits, pools, eval sets and rules once, for every family to train on."""
    # small and quick: the point is that each stage runs on each family, not what the models learn
    repo = make_repo(tmp_path_factory.mktemp("families"), {
        **TINY_TRAINING, "ingest.demo_cards": 30, "ingest.demo_ecom_cards": 3, "eval.sets": None,
        "teacher.eval_steps": None, "model.eval_steps": None, "eval.bootstrap": 100})
    run([dvc(), "repro", "baselines"], repo)
    return repo


def set_params(path, **changes):
    params = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = params
        for p in parents:
            node = node[p]
        node[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_every_stage_runs_on_the_family(family, pools_repo, tmp_path, monkeypatch):
    for item in ("data", "metrics", "reports", "params.yaml"):
        (shutil.copytree if (pools_repo / item).is_dir() else shutil.copy)(pools_repo / item, tmp_path / item)
    save_tiny_family(family, tmp_path / "base_models" / family)
    params = tmp_path / "params.yaml"
    base = f"base_models/{family}"
    set_params(params, **{"teacher.base": base, "model.base": base, "teacher.layers": 2, "model.layers": 1,
                          "text.seq_len": 48, "model.seq_len": 32})
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    train_teacher.main()
    teacher, meta = load_saved("models/trained/teacher")
    assert meta["layers"] == 2 and teacher.config.num_hidden_layers == 2 and teacher.config.model_type == family
    score_pools.main()
    assert pd.read_parquet("data/pools/runtime_scored.parquet").filter(like="teacher_logit_").notna().all().all()
    test = pd.read_parquet("data/pools/test.parquet").head(24)
    for pooling in POOLINGS:
        set_params(params, **{"model.pooling": pooling, "model.init": "trunc"})
        distill.main()
        student, meta = load_saved("models/trained/student")
        assert meta["pooling"] == pooling and student.config.num_hidden_layers == 1
        evaluate.main("student")
        scored = json.loads(open("reports/student.json").read())
        assert 0 <= scored["vital_f1"] <= 1 and scored["parameters"] == sum(p.numel() for p in student.parameters())
    # the match student as it ships: predict and the ONNX export agree with the saved model
    reference = predict_logits(student, load_tokenizer("models/student"), test, meta["text"], batch_size=8)
    test.drop(columns="label").to_csv(tmp_path / "pairs.tsv", sep="\t", index=False)
    assert cli(["predict", "--model", "models/student", "--input", str(tmp_path / "pairs.tsv"),
                "--output", str(tmp_path / "scored.parquet")]) == 0
    p_about = 1 / (1 + np.exp(-reference[:, 0]))
    np.testing.assert_allclose(pd.read_parquet(tmp_path / "scored.parquet")["p_about"], p_about, atol=1e-5)
    assert cli(["export", "--onnx", "--model", "models/student", "--output", str(tmp_path / "onnx")]) == 0
    np.testing.assert_allclose(OnnxScorer(tmp_path / "onnx").logits(test), reference, atol=1e-4)
    # a student from the base model itself
    set_params(params, **{"model.init": "pretrained", "model.pooling": "match", "model.layers": 2})
    distill.main()
    student, meta = load_saved("models/trained/student")
    assert meta["init"] == "pretrained" and student.config.num_hidden_layers == 2
