"""The headline figures (issue 35): the metrics files dvc.yaml declares hold a few numbers each, so that `dvc metrics
show` and `dvc metrics diff` stay readable; every other number lives in reports/, which `aboutness report` reads."""

import json
import subprocess

import pytest
import yaml

from aboutness.headline import BEST_RULE, BUDGET, GROUPS, TEST_KEYS, baselines_headline, count_numbers, model_headline
from aboutness.probes import PROBES
from conftest import ROOT

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
LIMIT = 60  # what `dvc metrics show` may list in all: our headline (BUDGET) and DVCLive's training metrics
# the figures a reviewer must see for each model, and the three sets of the default data
REQUIRED = {"vital_f1", "elements_vital_f1", "prod_cards_vital_f1", *TEST_KEYS, *(f"accuracy_{g}" for g in GROUPS)}


def committed(path: str) -> dict:
    """A file as the last commit holds it: the run whose results are committed, whatever the workspace holds now."""
    proc = subprocess.run(["git", "show", f"HEAD:{path}"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"git show HEAD:{path}: {proc.stderr.strip()}"
    return json.loads(proc.stdout)


def declared(kind: str) -> list[tuple[str, dict]]:
    """(path, options) of every file dvc.yaml declares under `kind` (outs, metrics), a foreach stage's once per item."""
    found = []
    for stage in STAGES.values():
        body = stage.get("do", stage)
        for entry in body.get(kind, []):
            path, opts = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
            items = stage.get("foreach", [None]) if "${item}" in path else [None]
            found += [(path.replace("${item}", str(i)), opts or {}) for i in items]
    return found


def test_the_headline_of_the_committed_run_fits_the_budget_and_holds_the_key_figures():
    teacher, student = (model_headline(committed(f"reports/{m}.json")) for m in ("teacher", "student"))
    rules = baselines_headline(committed("reports/baselines.json"))
    assert count_numbers([teacher, student, rules]) <= BUDGET
    assert REQUIRED <= set(teacher) and REQUIRED <= set(student)
    # every probe that applies: all eight to the teacher, six to the vital-only student that reads no body
    assert {k for k in teacher if k.startswith("probe_")} == {f"probe_{p.name}" for p in PROBES}
    assert len([k for k in student if k.startswith("probe_")]) == 6
    assert set(rules) == {BEST_RULE, f"prod_cards_{BEST_RULE}", f"elements_{BEST_RULE}"}
    detail = committed("reports/baselines.json")
    assert rules[f"elements_{BEST_RULE}"] == detail["name_in_title"]["elements_vital_f1"] == 1.0
    assert rules[BEST_RULE] == max(m["vital_f1"] for name, m in detail.items() if name != "majority")


def test_the_committed_metrics_files_are_the_headline_of_the_committed_detail():
    """What `dvc metrics show` lists of HEAD: the files dvc.yaml declares as metrics, each the headline of its detail."""
    paths = [path for path, _ in declared("metrics")]
    ours = {"metrics/teacher.json": model_headline, "metrics/student.json": model_headline,
            "metrics/baselines.json": baselines_headline}
    assert set(ours) <= set(paths)
    for path, headline in ours.items():
        assert committed(path) == headline(committed(path.replace("metrics/", "reports/"))), path
    assert count_numbers([committed(p) for p in ours]) <= BUDGET
    assert count_numbers([committed(p) for p in paths]) <= LIMIT


def test_the_detail_is_git_tracked_outs_never_metrics():
    """reports/ holds outs with `cache: false` (committed into every experiment's commit, read by `aboutness report`)."""
    reports = [(path, opts) for path, opts in declared("outs") if path.startswith("reports/")]
    assert {p for p, _ in reports} >= {"reports/teacher.json", "reports/student.json", "reports/baselines.json",
                                       "reports/pools.json", "reports/timing/train_teacher.json"}
    assert all(opts.get("cache") is False for _, opts in reports), reports
    # the headline under metrics/, DVCLive's training metrics under dvclive/<model>/
    assert not [p for p, _ in declared("metrics") if not p.startswith(("metrics/", "dvclive/"))]


def test_the_headline_refuses_metrics_that_lack_a_required_figure():
    teacher = committed("reports/teacher.json")
    for key in ("vital_f1", "macro_f1_ci_low", "accuracy_ci_high"):
        with pytest.raises(ValueError, match=key):
            model_headline({k: v for k, v in teacher.items() if k != key})
    with pytest.raises(ValueError, match="no baseline"):
        baselines_headline({"majority": committed("reports/baselines.json")["majority"]})


def test_the_headline_keeps_the_known_groups_every_set_and_every_probe():
    metrics = {k: 0.5 for k in TEST_KEYS} | {
        "accuracy_main": 0.9, "accuracy_Toys": 0.8, "accuracy_Toys_ci_low": 0.7, "accuracy_all": 0.5,
        "news_vital_f1": 0.6, "news_vital_f1_ci_high": 0.7, "news_accuracy": 0.4, "probe_inv_case": 1.0,
        "about_precision": 0.3, "pairs_per_s_cpu": 40.0, "sets_beaten_by_a_rule": 0}
    assert set(model_headline(metrics)) == {*TEST_KEYS, "accuracy_main", "news_vital_f1", "probe_inv_case"}
    rule = {"vital_f1": 0.7, "news_vital_f1": 0.2, "news_vital_f1_ci_high": 0.3}
    better = {"vital_f1": 0.6, "news_vital_f1": 0.9, "news_vital_f1_ci_high": 0.95}
    majority = {"vital_f1": 0.99, "news_vital_f1": 0.99, "news_vital_f1_ci_high": 0.99}  # never a challenger
    assert baselines_headline({"name_in_title": rule, "tfidf_logreg": better, "majority": majority}) == {
        BEST_RULE: 0.7, f"news_{BEST_RULE}": 0.9}
    assert count_numbers({"a": 1, "b": {"c": 2.0, "d": [3, "x", True]}}) == 3
