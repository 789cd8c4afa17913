"""aboutness.teacher: the thresholds a regression head is read back with, and the class weights of its rows."""


import numpy as np
import pandas as pd
import pytest

from aboutness.heads import class_scores
from aboutness.metrics import best_vital_threshold
from aboutness.teacher import fit_thresholds


def test_msetarget_thresholds_separate_a_separable_set():
    score = np.array([0.05, 0.1, 0.2, 0.42, 0.5, 0.58, 0.85, 0.9, 1.0])
    gold = np.array(["not_about"] * 3 + ["mention"] * 3 + ["about"] * 3)
    lo, hi = fit_thresholds(score, gold)
    assert 0.2 < lo <= 0.42 and 0.58 < hi <= 0.85
    _, pred = class_scores(score[:, None], {"head": "msetarget", "thresholds": [lo, hi]})
    assert (pred == gold).all()
    assert 0.3 < best_vital_threshold(np.array([0.1, 0.2, 0.3, 0.8, 0.9]), np.array(["not_about"] * 3 + ["about"] * 2)) <= 0.8


def test_balanced_class_weights_give_every_class_the_same_total_weight():
    from aboutness.teacher import row_weights

    train = pd.DataFrame({"label": ["about"] * 2 + ["mention"] * 3 + ["not_about"] * 7, "weight": [1.0] * 11 + [3.0]})
    w = row_weights(train, "balanced")
    totals = pd.Series(w / train["weight"]).groupby(train["label"]).sum()
    assert np.allclose(totals, 4.0) and w[-1] == pytest.approx(3 * 12 / (3 * 7))
    assert (row_weights(train, None) == train["weight"]).all()
