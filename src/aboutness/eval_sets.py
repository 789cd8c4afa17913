"""The eval sets (the test split and every named set build_pools wrote) and their flat metrics.

Light on purpose: the `baselines` and `compare` stages and `aboutness report` read sets and
metrics without loading torch or transformers, which `evaluate` needs to run a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aboutness.errors import InputError
from aboutness.metrics import bootstrap_intervals, classification_metrics
from aboutness.paths import POOLS, split_path

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Eval

PRED_DIR = Path("data/eval")  # data/eval/<model>/<set>.parquet
SPEED_KEY = "pairs_per_s_cpu"  # the one metric that is measured, not recomputed: it varies run to run


def eval_sets() -> dict[str, pd.DataFrame]:
    """The test split plus every eval set build_pools kept to test cards."""
    sets = {"test": pd.read_parquet(split_path("test"))}
    for path in sorted((POOLS / "eval").glob("*.parquet")):
        sets[path.stem] = pd.read_parquet(path)
    for name, df in sets.items():  # build_pools refuses empty sets; this guards files put there by hand
        if df.empty:
            raise InputError(f"eval set {name!r} is empty; every metric of it would be 0/0")
    return sets


def score_metrics(gold: pd.Series, pred: np.ndarray, groups: pd.Series, cards: pd.Series, rounds: int, seed: int,
                  vital: np.ndarray | None = None) -> dict:
    """Flat metrics: per-class (argmax `pred`), vital (the `vital` decision, default pred == about),
    per-group accuracy, and 95% card-bootstrap intervals (per group too: the e-commerce table's cells)."""
    vital = pred == "about" if vital is None else np.asarray(vital, dtype=bool)
    out = classification_metrics(gold, pred, vital)
    g, card_ids = gold.to_numpy(), cards.to_numpy()
    for group, idx in sorted(groups.groupby(groups).indices.items()):
        out[f"accuracy_{group}"] = float((pred[idx] == g[idx]).mean())
        out[f"vital_accuracy_{group}"] = float((vital[idx] == (g[idx] == "about")).mean())
        lo, hi = bootstrap_intervals(g[idx], pred[idx], card_ids[idx], rounds, seed)["accuracy"]
        out[f"accuracy_{group}_ci_low"], out[f"accuracy_{group}_ci_high"] = lo, hi
    for name, (lo, hi) in bootstrap_intervals(gold, pred, cards, rounds, seed, vital=vital).items():
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = lo, hi
    out["accuracy_all"] = out["accuracy"]
    out["accuracy_all_ci_low"], out["accuracy_all_ci_high"] = out["accuracy_ci_low"], out["accuracy_ci_high"]
    return out


def prefixed(set_name: str, metrics: dict) -> dict:
    """Metrics of the test split keep their names; another set's get its name in front."""
    prefix = "" if set_name == "test" else f"{set_name}_"
    return {prefix + k: v for k, v in metrics.items()}


def set_metrics(sets: dict[str, pd.DataFrame], preds: dict[str, np.ndarray], cfg: Eval, seed: int,
                vital: dict[str, np.ndarray] | None = None) -> dict:
    """One predictor's metrics on every set, the test split's unprefixed."""
    out = {}
    for name, pred in preds.items():
        df = sets[name]
        out |= prefixed(name, score_metrics(df["label"], pred, df["group"], df["card_id"], cfg.bootstrap, seed,
                                            vital=None if vital is None else vital[name]))
    return out
