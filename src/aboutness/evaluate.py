"""Stage `evaluate@<model>`: one model (teacher or student) on the test split and every named
eval set, with card-bootstrap intervals, per-group accuracy, prediction files and plot data.

One stage per model, so a student experiment leaves the teacher's results cached; the rules
are the `baselines` stage, and `compare` sets the two models side by side."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from aboutness.eval_sets import MODELS, PRED_DIR, SPEED_KEY, eval_sets, set_metrics
from aboutness.heads import score_frame
from aboutness.inference import predict_logits, scoring_batch_size
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.params import load_params, stage, write_json, write_parquet
from aboutness.plots import write_plot_data
from aboutness.probe_scores import probe_metrics
from aboutness.probes import probe_warnings
from aboutness.rule_check import beaten_by_rules
from aboutness.schema import InputError

BASELINES = Path("metrics/baselines.json")  # the `baselines` stage's: which rule a model must beat on each set


def prediction_frame(df: pd.DataFrame, logits: np.ndarray, meta: dict) -> pd.DataFrame:
    out = df[["card_id", "doc_url", "group", "label"]].rename(columns={"label": "gold"}).reset_index(drop=True)
    return pd.concat([out, score_frame(logits, meta)], axis=1)


def evaluate_model(path: Path, sets: dict[str, pd.DataFrame], cfg: dict, seed: int) -> tuple[dict, dict]:
    model, meta = load_saved(path)
    model = model.to(best_device())  # bf16 on a GPU
    tok = load_tokenizer(path)
    preds = {}
    for name, df in sets.items():
        logits = predict_logits(model, tok, df, meta["text"], batch_size=cfg["batch_size"], progress=True)
        preds[name] = prediction_frame(df, logits, meta)
    metrics = set_metrics(sets, {k: p["predicted"].to_numpy() for k, p in preds.items()}, cfg, seed,
                          vital={k: p["vital"].to_numpy() for k, p in preds.items()})
    metrics |= probe_metrics(model, tok, meta, sets["test"], preds["test"]["vital"].to_numpy(), seed,
                             cfg["probe_pairs"], cfg["batch_size"])
    metrics |= {"layers": meta["layers"], "parameters": int(sum(p.numel() for p in model.parameters()))}
    sample = sets["test"].head(cfg["speed_sample"])
    model.to("cpu")  # the speed metric is CPU pairs/s on every host, so runs on any machine compare
    start = time.perf_counter()
    predict_logits(model, tok, sample, meta["text"], batch_size=cfg["batch_size"])
    metrics[SPEED_KEY] = round(len(sample) / (time.perf_counter() - start), 1)
    return metrics, preds


@stage
def main(model: str = "") -> None:
    if model not in MODELS:
        raise InputError(f"evaluate: unknown model {model!r}; expected one of {sorted(MODELS)}")
    params = load_params()
    cfg, seed = params["eval"], params["seed"]
    scoring_batch_size(cfg["batch_size"], best_device(), 1, "eval.batch_size")  # a bad value fails before any model loads
    metrics, preds = evaluate_model(MODELS[model], eval_sets(), cfg, seed)
    for set_name, df in preds.items():
        write_parquet(df, PRED_DIR / model / f"{set_name}.parquet")
    write_plot_data(model, preds["test"])
    beaten = beaten_by_rules(metrics, json.loads(BASELINES.read_text(encoding="utf-8")))
    for line in [b.line(model) for b in beaten] + probe_warnings(metrics, model, model):
        print(line, file=sys.stderr)
    metrics["sets_beaten_by_a_rule"] = len(beaten)  # 0 where the model wins or ties every set; the report names them
    write_json(Path(f"metrics/{model}.json"), metrics)
    print(f"evaluate: {model} accuracy {metrics['accuracy']:.3f} macro-F1 {metrics['macro_f1']:.3f} "
          f"vital F1 {metrics['vital_f1']:.3f} [{metrics['vital_f1_ci_low']:.3f}, {metrics['vital_f1_ci_high']:.3f}]")


if __name__ == "__main__":
    main(*sys.argv[1:2])
