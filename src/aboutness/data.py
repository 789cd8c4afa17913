"""Tokenised (card, doc) pairs for training: the encoding and the datasets the Trainer reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
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


# rows in, (targets, row weights) out: how distill turns the teacher's scores into what the student learns
Targets = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]
# rows in, rows out, given where the batch starts ((file number, first row)): distill's title and url restyling
Augment = Callable[[pd.DataFrame, tuple[int, int]], pd.DataFrame]


def scored_dataset(paths: list[Path], tokenizer, text_cfg: dict, targets: Targets, batch_rows: int = 1000,
                   augment: Augment | None = None) -> datasets.Dataset:
    """Scored pool files as one HF `datasets` Dataset: Arrow tables on disk, memory-mapped, so the pools
    never sit in RAM whole. Only the columns the text and targets need are read; each file is tokenised once,
    in batches, and datasets caches the result by its fingerprint (this function, the tokenizer, the text
    config and the targets), so a re-run with the same settings reads it back. A `length` column lets the
    Trainer group by length without tokenising again. `augment` changes a batch's rows after their targets
    are taken (a restyled page keeps its teacher's score), seeded by where the batch starts."""
    fields = [f"card_{f}" for f in text_cfg["card_fields"]] + [f"doc_{f}" for f in text_cfg["doc_fields"]]

    def encode_batch(batch: dict, indices: list[int], file_no: int) -> dict:
        df = pd.DataFrame({k: batch[k] for k in batch})  # a LazyBatch, which pandas reads as a list
        y, w = targets(df)
        if augment is not None:
            df = augment(df, (file_no, indices[0]))
        enc = encode(tokenizer, df, text_cfg)
        return {**enc, "labels": y.astype(np.float32), "weight": w.astype(np.float32),
                # 2 bytes a row: the sampler reads the whole column (10M rows: 20 MB, not 80)
                "length": np.array([len(ids) for ids in enc["input_ids"]], dtype=np.uint16)}

    parts = []
    for file_no, path in enumerate(paths):
        names = pq.read_schema(path).names
        wanted = [c for c in names if c in fields or c in ("label", "weight") or c.startswith("teacher_logit_")]
        part = datasets.Dataset.from_parquet(str(path), columns=wanted)
        # files differ in columns (only the train split has `label`): each maps to the same encoded columns
        parts.append(part.map(encode_batch, batched=True, batch_size=batch_rows, remove_columns=part.column_names,
                              with_indices=True, fn_kwargs={"file_no": file_no}, desc=f"tokenising {Path(path).name}"))
    # one schema for all (datasets may infer another width for a column of one file)
    return datasets.concatenate_datasets([part.cast(parts[0].features) for part in parts])
