"""Stage `evaluate`: teacher, student and baselines on the test split and every
named eval set, with card-bootstrap intervals, per-group accuracy, prediction
files and plots."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from aboutness.baselines import baseline_predictions
from aboutness.metrics import bootstrap_intervals, classification_metrics
from aboutness.models import (
    best_device,
    head_outputs,
    load_classifier,
    load_meta,
    load_tokenizer,
    predict_logits,
    score_frame,
    scoring_batch_size,
)
from aboutness.params import load_params, stage, write_json, write_parquet
from aboutness.plots import write_plot_data, write_pngs

POOLS = Path("data/pools")
MODELS = {"teacher": Path("models/teacher"), "student": Path("models/student")}
CURVES = {"teacher": Path("metrics/curves/teacher.tsv"), "student": Path("metrics/curves/student.tsv")}
PRED_DIR = Path("data/eval")
SPEED_KEY = "pairs_per_s_cpu"  # the one metric that is measured, not recomputed: it varies run to run


def eval_sets() -> dict[str, pd.DataFrame]:
    """The test split plus every eval set build_pools kept to test cards."""
    sets = {"test": pd.read_parquet(POOLS / "test.parquet")}
    for path in sorted((POOLS / "eval").glob("*.parquet")):
        sets[path.stem] = pd.read_parquet(path)
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
    meta = load_meta(path)
    model = load_classifier(path, head_outputs(meta)).to(best_device())  # bf16 on a GPU
    tok = load_tokenizer(path)
    metrics, preds = {}, {}
    for name, df in sets.items():
        logits = predict_logits(model, tok, df, meta["text"], batch_size=cfg["batch_size"], progress=True)
        preds[name] = p = prediction_frame(df, logits, meta)
        m = score_metrics(df["label"], p["predicted"].to_numpy(), df["group"], df["card_id"], cfg["bootstrap"], seed,
                          vital=p["vital"].to_numpy())
        metrics |= prefixed(name, m)
    metrics |= {"layers": meta["layers"], "parameters": int(sum(p.numel() for p in model.parameters()))}
    sample = sets["test"].head(cfg["speed_sample"])
    model.to("cpu")  # the speed metric is CPU pairs/s on every host, so runs on any machine compare
    start = time.perf_counter()
    predict_logits(model, tok, sample, meta["text"], batch_size=cfg["batch_size"])
    metrics[SPEED_KEY] = round(len(sample) / (time.perf_counter() - start), 1)
    return metrics, preds


def baseline_metrics(train: pd.DataFrame, sets: dict[str, pd.DataFrame], cfg: dict, seed: int) -> dict[str, dict]:
    """Every rule and baseline on every set, with the same metrics (and set prefixes) as the models."""
    out = {}
    for name, preds in baseline_predictions(train, sets, seed).items():
        out[name] = {}
        for set_name, pred in preds.items():
            df = sets[set_name]
            out[name] |= prefixed(set_name, score_metrics(df["label"], pred, df["group"], df["card_id"], cfg["bootstrap"], seed))
    return out


@stage
def main() -> None:
    params = load_params()
    cfg, seed = params["eval"], params["seed"]
    scoring_batch_size(cfg["batch_size"], best_device(), 1, "eval.batch_size")  # a bad value fails before any model loads
    sets = eval_sets()
    results, test_preds = {}, {}
    for name, path in MODELS.items():
        results[name], preds = evaluate_model(path, sets, cfg, seed)
        for set_name, df in preds.items():
            write_parquet(df, PRED_DIR / f"{name}_{set_name}.parquet")
        test_preds[name] = preds["test"]
        write_plot_data(name, preds["test"])
    t, s = results["teacher"]["vital_f1"], results["student"]["vital_f1"]
    results["student"]["vital_f1_share_of_teacher"] = s / t if t else 0.0
    for name, metrics in results.items():
        write_json(Path(f"metrics/{name}.json"), metrics)
    baselines = baseline_metrics(pd.read_parquet(POOLS / "train.parquet"), sets, cfg, seed)
    write_json(Path("metrics/baselines.json"), baselines)
    write_pngs(test_preds, CURVES)
    for name, m in {**results, **baselines}.items():
        print(f"evaluate: {name:13s} accuracy {m['accuracy']:.3f} macro-F1 {m['macro_f1']:.3f} vital F1 {m['vital_f1']:.3f} "
              f"[{m['vital_f1_ci_low']:.3f}, {m['vital_f1_ci_high']:.3f}]")


if __name__ == "__main__":
    main()
