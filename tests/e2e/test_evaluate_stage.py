"""evaluate@<model>, baselines and compare as the pipeline ran them on tiny random models (the `trained_repo`
fixture): every figure they wrote recomputes from their predictions, the probes and the rule check included."""

import json

import pandas as pd
import pytest
from sklearn.metrics import f1_score

from aboutness.headline import baselines_headline, model_headline
from aboutness.rule_check import beaten_by_rules
from aboutness.rules import BASELINES


@pytest.mark.slow
def test_evaluate_outputs_recompute_with_sklearn(trained_repo):
    teacher = json.loads((trained_repo / "reports/teacher.json").read_text())
    preds = pd.read_parquet(trained_repo / "data/eval/teacher/test.parquet")
    assert teacher["macro_f1"] == pytest.approx(f1_score(preds["gold"], preds["predicted"], average="macro",
                                                         labels=["about", "mention", "not_about"], zero_division=0))
    assert teacher["vital_recall"] == pytest.approx(((preds["gold"] == "about") & preds["vital"]).sum()
                                                    / (preds["gold"] == "about").sum())
    for g in ("main", "DIY", "CEHAC", "Pharma"):
        part = preds[preds["group"] == g]
        assert teacher[f"accuracy_{g}"] == pytest.approx((part["gold"] == part["predicted"]).mean())
    assert teacher["accuracy_ci_low"] <= teacher["accuracy"] <= teacher["accuracy_ci_high"]
    assert "prod_cards_accuracy" in teacher and (trained_repo / "data/eval/student/prod_cards.parquet").exists()
    base = json.loads((trained_repo / "reports/baselines.json").read_text())
    assert set(base) == set(BASELINES) and "elements_vital_f1" in base["name_in_title"]
    # the metrics dvc.yaml declares are the headline of the detail, key for key
    assert json.loads((trained_repo / "metrics/teacher.json").read_text()) == model_headline(teacher)
    assert json.loads((trained_repo / "metrics/baselines.json").read_text()) == baselines_headline(base)
    # each model ships evaluated, with its card holding this run's test vital F1 (issue 35)
    for name in ("teacher", "student"):
        detail = json.loads((trained_repo / f"reports/{name}.json").read_text())
        card = (trained_repo / f"models/{name}/README.md").read_text()
        assert f"| vital F1 (test) | {100 * detail['vital_f1']:.1f} [" in card, card
        assert (trained_repo / f"models/{name}/model.safetensors").read_bytes() == \
            (trained_repo / f"models/trained/{name}/model.safetensors").read_bytes()
    # vital metrics follow the teacher's threshold fitted on valid; the 3 classes keep argmax
    meta = json.loads((trained_repo / "models/teacher/aboutness.json").read_text())
    assert 0 < meta["vital_threshold"] < 1
    assert preds["vital"].tolist() == (preds["p_about"] >= meta["vital_threshold"]).tolist()
    assert teacher["vital_f1"] == pytest.approx(f1_score(preds["gold"] == "about", preds["vital"]))
    ood = pd.read_parquet(trained_repo / "data/eval/teacher/elements.parquet")
    assert len(ood) > 500 and ood["card_id"].str.startswith("elem:").all() and "elements_vital_f1" in teacher
    student = json.loads((trained_repo / "reports/student.json").read_text())
    assert json.loads((trained_repo / "metrics/student.json").read_text()) == model_headline(student)
    compare = json.loads((trained_repo / "reports/compare.json").read_text())
    assert compare["vital_f1_share_of_teacher"] == pytest.approx(student["vital_f1"] / teacher["vital_f1"])
    assert compare["prod_cards_vital_f1_share_of_teacher_full_cards"] == pytest.approx(
        student["prod_cards_vital_f1"] / teacher["vital_f1"])
    for png in ("confusion.png", "vital_pr.png", "training_curves.png"):
        assert (trained_repo / "metrics/plots" / png).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_evaluate_writes_the_probes_that_apply_and_they_recompute(trained_repo):
    from aboutness import probes
    from aboutness.heads import score_frame
    from aboutness.inference import predict_logits
    from aboutness.models import load_saved, load_tokenizer

    # the probes are headline figures: `dvc metrics diff` shows them (issue 34)
    teacher = json.loads((trained_repo / "metrics/teacher.json").read_text())
    student = json.loads((trained_repo / "metrics/student.json").read_text())
    assert {k for k in teacher if k.startswith("probe_")} == {f"probe_{p.name}" for p in probes.PROBES}
    # the student reads card title and main type, doc title and url, and has no mention class
    assert {k for k in student if k.startswith("probe_")} == {"probe_inv_site", "probe_inv_case", "probe_dir_title_only",
                                                              "probe_dir_swap", "probe_inv_prod_card", "probe_dir_record_page"}
    test = pd.read_parquet(trained_repo / "data/pools/test.parquet")
    model, meta = load_saved(trained_repo / "models/teacher")
    probed = probes.build("dir_swap", test, seed=42, n=200)
    scored = score_frame(predict_logits(model, load_tokenizer(trained_repo / "models/teacher"), probed, meta["text"], 8), meta)
    assert teacher["probe_dir_swap"] == pytest.approx(round(float((~scored["vital"]).mean()), 4))


@pytest.mark.slow
def test_evaluate_writes_the_rule_check(trained_repo):
    teacher = json.loads((trained_repo / "reports/teacher.json").read_text())
    baselines = json.loads((trained_repo / "reports/baselines.json").read_text())
    assert teacher["sets_beaten_by_a_rule"] == len(beaten_by_rules(teacher, baselines))
