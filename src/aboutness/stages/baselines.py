"""Stage `baselines`: every rule and TF-IDF + logistic regression on the test split and every
eval set, with the same metrics (and set prefixes) as the models. It reads no model, so
no model experiment re-runs it. Every rule's metrics go to reports/baselines.json, the best rule's
vital F1 on each set (aboutness.headline) to metrics/baselines.json."""

from __future__ import annotations

import pandas as pd

from aboutness.eval_sets import eval_sets, set_metrics
from aboutness.files import write_json
from aboutness.headline import baselines_headline
from aboutness.params import load_params
from aboutness.paths import METRICS, REPORTS, split_path
from aboutness.rules import baseline_predictions
from aboutness.runner import stage


@stage
def main() -> None:
    params = load_params()
    cfg, seed = params.eval, params.seed
    sets = eval_sets()
    preds = baseline_predictions(pd.read_parquet(split_path("train")), sets, seed)
    results = {name: set_metrics(sets, by_set, cfg, seed) for name, by_set in preds.items()}
    write_json(REPORTS / "baselines.json", results)
    write_json(METRICS / "baselines.json", baselines_headline(results))
    for name, m in results.items():
        print(f"baselines: {name:13s} accuracy {m['accuracy']:.3f} macro-F1 {m['macro_f1']:.3f} vital F1 "
              f"{m['vital_f1']:.3f} [{m['vital_f1_ci_low']:.3f}, {m['vital_f1_ci_high']:.3f}]")


if __name__ == "__main__":
    main()
