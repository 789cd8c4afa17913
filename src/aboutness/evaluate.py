"""Stage `evaluate`: teacher, student and baselines on the test split."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from aboutness.baselines import baseline_predictions
from aboutness.metrics import classification_metrics
from aboutness.models import class_scores, load_classifier, load_meta, load_tokenizer, predict_logits
from aboutness.params import load_params, stage, write_json, write_parquet

TEST, TRAIN = Path("data/pools/test.parquet"), Path("data/pools/train.parquet")
MODELS = {"teacher": Path("models/teacher"), "student": Path("models/student")}
PRED_DIR = Path("data/eval")


def model_metrics(path: Path, test: pd.DataFrame, batch_size: int) -> tuple[dict, pd.DataFrame]:
    meta = load_meta(path)
    model = load_classifier(path, 1 if meta["head"] in ("msetarget", "vital") else 3)
    tok = load_tokenizer(path)
    start = time.perf_counter()
    logits = predict_logits(model, tok, test, meta["text"], batch_size=batch_size, progress=True)
    secs = time.perf_counter() - start
    p_about, pred = class_scores(logits, meta)
    out = classification_metrics(test["label"], pred)
    out |= {f"accuracy_{g}": float((pred[idx] == test["label"].to_numpy()[idx]).mean())
            for g, idx in test.groupby("group").indices.items()}
    out |= {"layers": meta["layers"], "parameters": int(sum(p.numel() for p in model.parameters())),
            "pairs_per_s_cpu": round(len(test) / secs, 1)}
    preds = test[["card_id", "doc_url", "group", "label"]].rename(columns={"label": "gold"})
    preds = preds.assign(predicted=pred, p_about=p_about)
    return out, preds


@stage
def main() -> None:
    params = load_params()
    test, train = pd.read_parquet(TEST), pd.read_parquet(TRAIN)
    results = {}
    for name, path in MODELS.items():
        metrics, preds = model_metrics(path, test, params["eval"]["batch_size"])
        write_parquet(preds, PRED_DIR / f"{name}_test.parquet")
        results[name] = metrics
    results["student"]["vital_f1_share_of_teacher"] = (
        results["student"]["vital_f1"] / results["teacher"]["vital_f1"] if results["teacher"]["vital_f1"] else float("nan"))
    for name, metrics in results.items():
        write_json(Path(f"metrics/{name}.json"), metrics)
    base = {name: classification_metrics(test["label"], pred)
            for name, pred in baseline_predictions(train, test, params["seed"]).items()}
    write_json(Path("metrics/baselines.json"), {n: {k: m[k] for k in ("accuracy", "macro_f1", "vital_f1")} for n, m in base.items()})
    print("evaluate: " + "; ".join(f"{n} acc {m['accuracy']:.3f} macro-F1 {m['macro_f1']:.3f} vital F1 {m['vital_f1']:.3f}"
                                   for n, m in results.items()))


if __name__ == "__main__":
    main()
