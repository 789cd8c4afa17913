"""Tokenised (card, doc) pairs for training: the encoding and the datasets the Trainer reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from aboutness.text import card_text, doc_text


def tokenize_pairs(tokenizer, cards: list[str], docs: list[str], seq_len: int, **kwargs):
    """The one tokenizer call for pairs. `longest_first` trims the longer side from its end:
    the doc loses its body first (body is last), the card keeps its title (title is first)."""
    return tokenizer(cards, docs, truncation="longest_first", max_length=seq_len, **kwargs)


def encode(tokenizer, df: pd.DataFrame, text_cfg: dict) -> dict[str, list]:
    """Tokenise (card, doc) pairs without padding, for training."""
    return tokenize_pairs(tokenizer, card_text(df, text_cfg["card_fields"]), doc_text(df, text_cfg["doc_fields"]),
                          text_cfg["seq_len"])


class PairDataset(torch.utils.data.Dataset):
    """Tokenised pairs plus a target per row, in the form Trainer and DataCollatorWithPadding expect."""

    def __init__(self, encodings: dict[str, list], targets: np.ndarray | None = None, weights: np.ndarray | None = None):
        self.encodings = encodings
        self.targets = targets
        self.weights = weights

    def __len__(self) -> int:
        return len(self.encodings["input_ids"])

    def __getitem__(self, i: int) -> dict:
        item = {k: v[i] for k, v in self.encodings.items()}
        if self.targets is not None:
            item["labels"] = self.targets[i]
        if self.weights is not None:
            item["weight"] = float(self.weights[i])
        return item
