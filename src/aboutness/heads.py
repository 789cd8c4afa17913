"""What a head's raw outputs mean: P(about), the predicted class and the vital decision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from aboutness.columns import LABELS
from aboutness.errors import InputError
from aboutness.models import META


def class_scores(logits: np.ndarray, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """(P(about), predicted class) from raw outputs, by the model's head.

    onetarget: softmax; msetarget: the regression score, read back with the
    stored thresholds; vital (1 output): sigmoid, `about` above its threshold.
    """
    head = meta["head"]
    if head == "onetarget":
        probs = torch.softmax(torch.from_numpy(logits), -1).numpy()
        return probs[:, 0], np.array(LABELS, dtype=object)[probs.argmax(1)]
    if head == "msetarget":
        score = logits[:, 0]
        lo, hi = meta["thresholds"]
        pred = np.where(score >= hi, "about", np.where(score >= lo, "mention", "not_about")).astype(object)
        return np.clip(score, 0.0, 1.0), pred
    if head == "vital":
        p = 1 / (1 + np.exp(-logits[:, 0]))
        return p, np.where(p >= meta["threshold"], "about", "not_about").astype(object)
    raise InputError(f"unknown head {head!r} in {META}")


def vital_decision(p_about: np.ndarray, pred: np.ndarray, meta: dict) -> np.ndarray:
    """Is the doc about the card: P(about) at or above the threshold fitted on valid
    (`vital_threshold`; `threshold` for a vital head), else, for a model saved without one, argmax."""
    t = meta.get("vital_threshold", meta.get("threshold") if meta["head"] == "vital" else None)
    return p_about >= t if t is not None else pred == "about"


def score_frame(logits: np.ndarray, meta: dict) -> pd.DataFrame:
    """p_about, p_mention, p_not_about, the predicted class (argmax) and the vital decision per row;
    one-output heads give P(about) only (the others are NaN) and their raw `score`."""
    p_about, pred = class_scores(logits, meta)
    if meta["head"] == "onetarget":
        probs = torch.softmax(torch.from_numpy(logits), -1).numpy()
        cols = {f"p_{lab}": probs[:, i] for i, lab in enumerate(LABELS)}
    else:
        cols = {"p_about": p_about, "p_mention": np.nan, "p_not_about": np.nan, "score": logits[:, 0]}
    return pd.DataFrame({**cols, "predicted": pred, "vital": vital_decision(p_about, pred, meta)})
