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

from aboutness.heads import score_frame
from aboutness.metrics import bootstrap_intervals, classification_metrics
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.params import load_params, stage, write_json, write_parquet
from aboutness.plots import write_plot_data
from aboutness.rule_check import beaten_by_rules
from aboutness.schema import InputError
from aboutness.scoring import predict_logits, scoring_batch_size

POOLS = Path("data/pools")
MODELS = {"teacher": Path("models/teacher"), "student": Path("models/student")}
PRED_DIR = Path("data/eval")  # data/eval/<model>/<set>.parquet
BASELINES = Path("metrics/baselines.json")  # the `baselines` stage's: which rule a model must beat on each set
SPEED_KEY = "pairs_per_s_cpu"  # the one metric that is measured, not recomputed: it varies run to run


def eval_sets() -> dict[str, pd.DataFrame]:
    """The test split plus every eval set build_pools kept to test cards."""
    sets = {"test": pd.read_parquet(POOLS / "test.parquet")}
    for path in sorted((POOLS / "eval").glob("*.parquet")):
        sets[path.stem] = pd.read_parquet(path)
    for name, df in sets.items():  # build_pools refuses empty sets; this guards files put there by hand
        if df.empty:
            raise InputError(f"eval set {name!r} is empty; every metric of it would be 0/0")
    return sets


def score_metrics(gold: pd.Series, pred: np.ndarray, groups: pd.Series, cards: pd.Series, rounds: int, seed: int,
                  vital: np.ndarray | None = None) -> dict:
    """Flat metrics: per-class (argmax `pred`), vital (the `vital` decision, default pred == about),
    per-group accuracy and 95% card-bootstrap intervals."""
    vital = pred == "about" if vital is None else np.asarray(vital, dtype=bool)
    out = classification_metrics(gold, pred, vital)
    g = gold.to_numpy()
    for group, idx in sorted(groups.groupby(groups).indices.items()):
        out[f"accuracy_{group}"] = float((pred[idx] == g[idx]).mean())
        out[f"vital_accuracy_{group}"] = float((vital[idx] == (g[idx] == "about")).mean())
    out["accuracy_all"] = out["accuracy"]
    for name, (lo, hi) in bootstrap_intervals(gold, pred, cards, rounds, seed, vital=vital).items():
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = lo, hi
    return out


def prefixed(set_name: str, metrics: dict) -> dict:
    """Metrics of the test split keep their names; another set's get its name in front."""
    prefix = "" if set_name == "test" else f"{set_name}_"
    return {prefix + k: v for k, v in metrics.items()}


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
    metrics |= {"layers": meta["layers"], "parameters": int(sum(p.numel() for p in model.parameters()))}
    sample = sets["test"].head(cfg["speed_sample"])
    model.to("cpu")  # the speed metric is CPU pairs/s on every host, so runs on any machine compare
    start = time.perf_counter()
    predict_logits(model, tok, sample, meta["text"], batch_size=cfg["batch_size"])
    metrics[SPEED_KEY] = round(len(sample) / (time.perf_counter() - start), 1)
    return metrics, preds


def set_metrics(sets: dict[str, pd.DataFrame], preds: dict[str, np.ndarray], cfg: dict, seed: int,
                vital: dict[str, np.ndarray] | None = None) -> dict:
    """One predictor's metrics on every set, the test split's unprefixed."""
    out = {}
    for name, pred in preds.items():
        df = sets[name]
        out |= prefixed(name, score_metrics(df["label"], pred, df["group"], df["card_id"], cfg["bootstrap"], seed,
                                            vital=None if vital is None else vital[name]))
    return out


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
    for b in beaten:
        print(b.line(model), file=sys.stderr)
    metrics["sets_beaten_by_a_rule"] = len(beaten)  # 0 where the model wins or ties every set; the report names them
    write_json(Path(f"metrics/{model}.json"), metrics)
    print(f"evaluate: {model} accuracy {metrics['accuracy']:.3f} macro-F1 {metrics['macro_f1']:.3f} "
          f"vital F1 {metrics['vital_f1']:.3f} [{metrics['vital_f1_ci_low']:.3f}, {metrics['vital_f1_ci_high']:.3f}]")


if __name__ == "__main__":
    main(*sys.argv[1:2])
