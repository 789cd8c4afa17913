"""aboutness.plots: the plot data dvc.yaml declares, and the PR curve thinned to a readable number of points."""

import numpy as np
import pandas as pd

from aboutness import plots


def test_the_pr_curve_is_thinned_and_keeps_its_ends():
    rng = np.random.default_rng(0)
    gold = pd.Series(rng.choice(["about", "mention", "not_about"], 1000))
    p = np.where(gold == "about", rng.beta(5, 2, 1000), rng.beta(2, 5, 1000))
    pr = plots.pr_points(gold, p, n=50)
    assert list(pr.columns) == ["recall", "precision", "threshold"] and len(pr) == 50
    assert pr["threshold"].is_monotonic_increasing and pr["recall"].is_monotonic_decreasing
    assert pr["recall"].iloc[0] == 1.0 and pr["threshold"].iloc[0] == p.min()  # the lowest cut keeps every about
    assert len(plots.pr_points(gold.head(5), p[:5], n=50)) <= 5


def test_plot_data_is_written_where_dvc_yaml_declares_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    preds = pd.DataFrame({"gold": ["about", "not_about", "mention"], "predicted": ["about", "about", "mention"],
                          "p_about": [0.9, 0.6, 0.1]})
    plots.write_plot_data("teacher", preds)
    assert pd.read_csv("metrics/plots/teacher_confusion.csv").equals(preds[["gold", "predicted"]])
    pr = pd.read_csv("metrics/plots/teacher_pr.csv")
    assert list(pr.columns) == ["recall", "precision", "threshold"] and pr["recall"].iloc[0] == 1.0
