"""aboutness.eval_sets: the sets a model is scored on, and their flat metric names."""

import numpy as np
import pandas as pd
import pytest

from aboutness.errors import InputError
from aboutness.eval_sets import eval_sets, prefixed, score_metrics


def test_the_test_splits_metrics_keep_their_names_and_other_sets_get_a_prefix():
    assert prefixed("test", {"vital_f1": 0.9}) == {"vital_f1": 0.9}
    assert prefixed("elements", {"vital_f1": 0.9, "accuracy_ci_low": 0.1}) == {"elements_vital_f1": 0.9,
                                                                                "elements_accuracy_ci_low": 0.1}


def test_score_metrics_give_per_group_figures_and_intervals_that_hold_the_estimate():
    gold = pd.Series(["about", "mention", "not_about"] * 20)
    pred = np.array(["about", "mention", "mention"] * 20)
    groups = pd.Series(["main"] * 30 + ["DIY"] * 30)
    m = score_metrics(gold, pred, groups, pd.Series(np.repeat([f"c{i}" for i in range(20)], 3)), rounds=100, seed=0)
    assert m["accuracy"] == pytest.approx(2 / 3) and m["accuracy_main"] == m["accuracy_DIY"] == pytest.approx(2 / 3)
    assert m["accuracy_all"] == m["accuracy"] and m["vital_f1"] == 1.0
    assert m["accuracy_ci_low"] <= m["accuracy"] <= m["accuracy_ci_high"]
    assert {"accuracy_DIY_ci_low", "vital_accuracy_main", "vital_f1_ci_high"} <= set(m)


def test_an_empty_eval_set_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/pools/eval").mkdir(parents=True)
    pd.DataFrame({"card_id": ["c1"], "label": ["about"]}).to_parquet("data/pools/test.parquet")
    pd.DataFrame({"card_id": ["c2"], "label": ["about"]}).to_parquet("data/pools/eval/mine.parquet")
    assert list(eval_sets()) == ["test", "mine"]
    pd.DataFrame({"card_id": [], "label": []}).to_parquet("data/pools/eval/empty.parquet")
    with pytest.raises(InputError, match="eval set 'empty' is empty"):
        eval_sets()
