"""A saved model (teacher or student) on the test split and every eval set: predictions, metrics with
card-bootstrap intervals, probe pass rates and CPU speed. The stage `evaluate@<model>` runs it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aboutness.eval_sets import SPEED_KEY, set_metrics
from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.probe_scores import probe_metrics

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Eval


def prediction_frame(df: pd.DataFrame, logits: np.ndarray, meta: dict) -> pd.DataFrame:
    out = df[["card_id", "doc_url", "group", "label"]].rename(columns={"label": "gold"}).reset_index(drop=True)
    return pd.concat([out, score_frame(logits, meta)], axis=1)


def evaluate_model(path: Path, sets: dict[str, pd.DataFrame], cfg: Eval, seed: int) -> tuple[dict, dict]:
    model, meta = load_saved(path)
    model = model.to(best_device())  # bf16 on a GPU
    tok = load_tokenizer(path)
    preds = {}
    for name, df in sets.items():
        logits = predict_logits(model, tok, df, meta["text"], batch_size=cfg.batch_size, progress=True)
        preds[name] = prediction_frame(df, logits, meta)
    metrics = set_metrics(sets, {k: p["predicted"].to_numpy() for k, p in preds.items()}, cfg, seed,
                          vital={k: p["vital"].to_numpy() for k, p in preds.items()})
    metrics |= probe_metrics(model, tok, meta, sets["test"], preds["test"]["vital"].to_numpy(), seed,
                             cfg.probe_pairs, cfg.batch_size)
    metrics |= {"layers": meta["layers"], "parameters": int(sum(p.numel() for p in model.parameters()))}
    sample = sets["test"].head(cfg.speed_sample)
    model.to("cpu")  # the speed metric is CPU pairs/s on every host, so runs on any machine compare
    start = time.perf_counter()
    predict_logits(model, tok, sample, meta["text"], batch_size=cfg.batch_size)
    metrics[SPEED_KEY] = round(len(sample) / (time.perf_counter() - start), 1)
    return metrics, preds
