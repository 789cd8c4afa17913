"""Train/valid/test splits by card or by pair, stratified by group. The demo uses the same
card split to draw each card's documents from its own side of the test boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd

SPLITS = ("train", "valid", "test")


def card_groups(labels: pd.DataFrame) -> pd.Series:
    """Each card's group: its most frequent one (ties: alphabetical)."""
    counts = labels.groupby(["card_id", "group"]).size().reset_index(name="n")
    counts = counts.sort_values(["card_id", "n", "group"], ascending=[True, False, True])
    return counts.drop_duplicates("card_id").set_index("card_id")["group"]


def _cut(items: np.ndarray, fractions: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    items = rng.permutation(items)
    n = len(items)
    n_test = max(1, int(round(fractions["test"] * n)))
    n_valid = min(int(round(fractions["valid"] * n)), n - n_test)
    return {"test": items[:n_test], "valid": items[n_test:n_test + n_valid], "train": items[n_test + n_valid:]}


def split_labels(labels: pd.DataFrame, how: str, fractions: dict, seed: int) -> pd.Series:
    """A split name per row, stratified by group so every group reaches test."""
    rng = np.random.default_rng(seed)
    split = pd.Series("", index=labels.index)
    if how == "card":
        groups = card_groups(labels)
        for g in sorted(groups.unique()):
            for name, cards in _cut(np.sort(groups.index[groups == g].to_numpy()), fractions, rng).items():
                split[labels["card_id"].isin(cards)] = name
    else:
        for g in sorted(labels["group"].unique()):
            for name, rows in _cut(np.flatnonzero(labels["group"] == g), fractions, rng).items():
                split.iloc[rows] = name
    return split
