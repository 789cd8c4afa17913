"""Stage `evaluate@<model>`: one model (teacher or student) on the test split and every named
eval set, with card-bootstrap intervals, per-group accuracy, probes, prediction files and plot data.

One stage per model, so a student experiment leaves the teacher's results cached; the rules
are the `baselines` stage, and `compare` sets the two models side by side. Every metric goes to
reports/<model>.json, the headline (aboutness.headline) to metrics/<model>.json, and the evaluated model
to models/<model>/ with its card (README.md, aboutness.model_card)."""

from __future__ import annotations

import json
import sys

from aboutness.errors import InputError
from aboutness.eval_sets import PRED_DIR, eval_sets
from aboutness.evaluation import evaluate_model
from aboutness.files import write_json, write_parquet
from aboutness.headline import model_headline
from aboutness.inference import scoring_batch_size
from aboutness.model_card import render_card, ship
from aboutness.models import best_device, load_meta
from aboutness.params import load_params
from aboutness.paths import METRICS, MODELS, REPORTS, TRAINED
from aboutness.plots import write_plot_data
from aboutness.probes import probe_warnings
from aboutness.rule_check import beaten_by_rules
from aboutness.runner import stage

BASELINES = REPORTS / "baselines.json"  # the `baselines` stage's: which rule a model must beat on each set


@stage
def main(model: str = "") -> None:
    if model not in TRAINED:
        raise InputError(f"evaluate: unknown model {model!r}; expected one of {sorted(TRAINED)}")
    params = load_params()
    cfg, seed = params.eval, params.seed
    scoring_batch_size(cfg.batch_size, best_device(), 1, "eval.batch_size")  # a bad value fails before any model loads
    metrics, preds = evaluate_model(TRAINED[model], eval_sets(), cfg, seed)
    for set_name, df in preds.items():
        write_parquet(df, PRED_DIR / model / f"{set_name}.parquet")
    write_plot_data(model, preds["test"])
    beaten = beaten_by_rules(metrics, json.loads(BASELINES.read_text(encoding="utf-8")))
    for line in [b.line(model) for b in beaten] + probe_warnings(metrics, model, model):
        print(line, file=sys.stderr)
    metrics["sets_beaten_by_a_rule"] = len(beaten)  # 0 where the model wins or ties every set; the report names them
    write_json(REPORTS / f"{model}.json", metrics)
    write_json(METRICS / f"{model}.json", model_headline(metrics))
    card = ship(TRAINED[model], MODELS / model, render_card(model, load_meta(TRAINED[model]), metrics))
    print(f"evaluate: {model} accuracy {metrics['accuracy']:.3f} macro-F1 {metrics['macro_f1']:.3f} "
          f"vital F1 {metrics['vital_f1']:.3f} [{metrics['vital_f1_ci_low']:.3f}, {metrics['vital_f1_ci_high']:.3f}]; "
          f"shipped with its card: {card}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
