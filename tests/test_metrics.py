"""aboutness.metrics: the figures against sklearn, the card bootstrap, the vital decision and its threshold."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score

from aboutness.metrics import (
    bagged_vital_threshold,
    best_vital_threshold,
    bootstrap_intervals,
    classification_metrics,
    paired_bootstrap,
    vital_f1,
)


def fake_predictions(n_cards: int, accuracy: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.array(["about", "mention", "not_about"])
    gold = np.tile(["about", "mention", "mention", "not_about", "not_about", "not_about"], n_cards)
    wrong = rng.random(len(gold)) > accuracy
    pred = np.where(wrong, labels[rng.integers(0, 3, len(gold))], gold)
    return pd.DataFrame({"card_id": np.repeat([f"c{i}" for i in range(n_cards)], 6), "gold": gold, "predicted": pred})


def test_metrics_equal_sklearn_recomputation():
    df = fake_predictions(50, 0.7)
    m = classification_metrics(df["gold"], df["predicted"])
    assert m["accuracy"] == pytest.approx(accuracy_score(df["gold"], df["predicted"]))
    assert m["macro_f1"] == pytest.approx(f1_score(df["gold"], df["predicted"], average="macro"))
    assert m["mention_precision"] == pytest.approx(precision_score(df["gold"], df["predicted"], labels=["mention"], average="macro"))
    assert m["vital_f1"] == pytest.approx(f1_score(df["gold"] == "about", df["predicted"] == "about"))


def test_bootstrap_contains_the_estimate_and_narrows_with_more_cards():
    widths = []
    for n in (40, 400):
        df = fake_predictions(n, 0.75, seed=n)
        ci = bootstrap_intervals(df["gold"], df["predicted"], df["card_id"], 500, seed=1)
        m = classification_metrics(df["gold"], df["predicted"])
        for k in ("accuracy", "macro_f1", "vital_f1"):
            assert ci[k][0] <= m[k] <= ci[k][1], k
        widths.append(ci["vital_f1"][1] - ci["vital_f1"][0])
    assert widths[1] < 0.6 * widths[0]


def test_paired_bootstrap_separates_real_gaps_only():
    df = fake_predictions(300, 0.6, seed=3)
    better = fake_predictions(300, 0.9, seed=4)["predicted"]
    res = paired_bootstrap(df["gold"], df["predicted"], better, df["card_id"], 500, seed=0)
    assert res["accuracy"]["separate"] and res["accuracy"]["diff"] > 0.15
    same = paired_bootstrap(df["gold"], df["predicted"], df["predicted"], df["card_id"], 500, seed=0)
    assert not same["accuracy"]["separate"] and same["accuracy"]["diff"] == 0


def test_vital_metrics_follow_the_vital_decision_and_classes_keep_argmax():
    gold = np.array(["about", "mention", "not_about", "about"] * 25)
    pred = np.array(["about", "about", "not_about", "mention"] * 25)   # argmax: mentions called about
    vital = gold == "about"                                               # a threshold that gets vital right
    m = classification_metrics(gold, pred, vital)
    assert m["vital_f1"] == 1.0 and m["accuracy"] == 0.5
    assert classification_metrics(gold, pred)["vital_f1"] == 0.5
    assert m["mentions_called_about"] == 0.0 and classification_metrics(gold, pred)["mentions_called_about"] == 1.0
    cards = np.repeat(np.arange(50), 2)
    ci = bootstrap_intervals(gold, pred, cards, 200, seed=0, vital=vital)
    assert ci["vital_f1"] == (1.0, 1.0) and ci["accuracy"] == (0.5, 0.5)


def test_vital_threshold_finds_the_best_cut_among_few_high_scores():
    # As on valid: most pairs are sure negatives, and the cut that matters lies among the few high
    # scores, where a grid of quantiles has no candidate. Every about scores above both hard negatives.
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 0.01, 980), [0.55, 0.6], np.linspace(0.7, 0.99, 8)])
    gold = np.array(["not_about"] * 982 + ["about"] * 8)
    cut = best_vital_threshold(p, gold)
    assert cut == pytest.approx(0.65)  # halfway between the hard negative at 0.6 and the lowest about
    assert vital_f1(gold, np.where(p >= cut, "about", "")) == 1.0
    assert best_vital_threshold(p, np.array(["not_about"] * 990)) == 0.5  # nothing to fit
    assert best_vital_threshold(p, np.array(["about"] * 990)) == p.min()  # all about: keep every row
    nan = p.copy()
    nan[:5] = np.nan  # a diverged checkpoint's scores: ranked last, not an error mid-training
    assert best_vital_threshold(nan, gold) == pytest.approx(0.65)


def test_bagged_vital_threshold_lands_nearer_the_population_best_cut():
    # Valid is a small sample: its single best cut sits in whichever gap its scores happen to have.
    # The mean over bootstrap resamples is steadier; on 20 samples of 300 pairs it lies nearer the cut
    # that is best on 200,000 pairs of the same population, and scores a higher F1 there.
    rng = np.random.default_rng(0)

    def sample(n):
        about = rng.random(n) < 0.2
        return np.where(about, rng.beta(5, 2, n), rng.beta(2, 5, n)), np.where(about, "about", "not_about")

    big_p, big_gold = sample(200_000)
    best = best_vital_threshold(big_p, big_gold)
    err_single, err_bagged, f1_single, f1_bagged = [], [], [], []
    for i in range(20):
        p, gold = sample(300)
        single, bagged = best_vital_threshold(p, gold), bagged_vital_threshold(p, gold, seed=i, rounds=200)
        err_single.append(abs(single - best))
        err_bagged.append(abs(bagged - best))
        f1_single.append(vital_f1(big_gold, np.where(big_p >= single, "about", "")))
        f1_bagged.append(vital_f1(big_gold, np.where(big_p >= bagged, "about", "")))
    assert np.mean(err_bagged) < 0.8 * np.mean(err_single)
    assert np.mean(f1_bagged) > np.mean(f1_single)
    assert bagged_vital_threshold(p, gold, seed=1, rounds=200) == bagged_vital_threshold(p, gold, seed=1, rounds=200)
    assert bagged_vital_threshold(p, np.array(["not_about"] * 300), seed=1) == 0.5  # nothing to fit
