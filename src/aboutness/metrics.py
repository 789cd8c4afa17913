"""Classification metrics on our label names, and card-level bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from aboutness.schema import LABELS


def vital_f1(gold: pd.Series | np.ndarray, pred: pd.Series | np.ndarray) -> float:
    """F1 of the `about` (vital) class against the rest."""
    return float(f1_score(np.asarray(gold) == "about", np.asarray(pred) == "about", zero_division=0))


def macro_f1(gold: pd.Series | np.ndarray, pred: pd.Series | np.ndarray) -> float:
    return float(f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0))


def classification_metrics(gold: pd.Series | np.ndarray, pred: pd.Series | np.ndarray) -> dict[str, float]:
    """Per-class precision/recall, accuracy, macro-F1 and the vital (about vs rest) scores."""
    gold, pred = np.asarray(gold), np.asarray(pred)
    p, r, _, _ = precision_recall_fscore_support(gold, pred, labels=list(LABELS), zero_division=0)
    out = {f"{lab}_precision": float(x) for lab, x in zip(LABELS, p)}
    out |= {f"{lab}_recall": float(x) for lab, x in zip(LABELS, r)}
    vp, vr, vf, _ = precision_recall_fscore_support(gold == "about", pred == "about", average="binary", zero_division=0)
    out |= {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": macro_f1(gold, pred),
        "vital_accuracy": float(accuracy_score(gold == "about", pred == "about")),
        "vital_precision": float(vp),
        "vital_recall": float(vr),
        "vital_f1": float(vf),
    }
    return out


def bootstrap_ci(
    df: pd.DataFrame, metric: Callable[[pd.DataFrame], float], rounds: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of `metric` over resampled cards (pairs of a card move together)."""
    cards = df["card_id"].to_numpy()
    uniq, inverse = np.unique(cards, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == i) for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(rounds):
        pick = rng.integers(0, len(uniq), len(uniq))
        stats.append(metric(df.iloc[np.concatenate([rows_of[i] for i in pick])]))
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
