"""Batched inference: a saved model's raw outputs for many pairs, in row order, in batches built by length
(the teacher on valid and test, the student, `aboutness predict`, the ONNX scorer's batches)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel

from aboutness.data import tokenize_pairs
from aboutness.errors import InputError
from aboutness.text import card_text, doc_text


def autocast(device: torch.device):
    """bf16 autocast where the GPU supports it; plain fp32 elsewhere (parity on CPU first)."""
    enabled = device.type == "cuda" and torch.cuda.is_bf16_supported()
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


class ScoringChunks(torch.utils.data.Dataset):
    """Rows cut into chunks; each chunk gets its text built, is tokenised, sorted by length
    (less padding) and cut into padded batches. On a GPU host, loader workers build chunks in
    parallel so tokenising keeps up with the GPU; on CPU one chunk holds every row (a global sort)."""

    def __init__(self, tokenizer, df: pd.DataFrame, text_cfg: dict, batch_size: int, chunk_rows: int):
        self.tokenizer, self.df, self.text_cfg = tokenizer, df, text_cfg
        self.batch_size, self.chunk_rows = batch_size, max(1, chunk_rows)

    def __len__(self) -> int:
        return -(-len(self.df) // self.chunk_rows)

    def __getitem__(self, i: int) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
        lo = i * self.chunk_rows
        part = self.df.iloc[lo:lo + self.chunk_rows]
        cards, docs = card_text(part, self.text_cfg["card_fields"]), doc_text(part, self.text_cfg["doc_fields"])
        enc = tokenize_pairs(self.tokenizer, cards, docs, self.text_cfg["seq_len"], padding=True, return_tensors="np")
        lengths = enc["attention_mask"].sum(1)
        order = np.argsort(-lengths, kind="stable")
        left = self.tokenizer.padding_side == "left"
        batches = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            # widths in steps of 8: few distinct tensor shapes keep the heap from fragmenting, so peak RSS
            # stays flat as pools grow (bench/memory.py); GPUs also like multiples of 8
            width = min(-(-int(lengths[idx].max()) // 8) * 8, enc["input_ids"].shape[1])
            cols = slice(-width, None) if left else slice(0, width)
            batches.append((torch.from_numpy(idx + lo), {k: torch.from_numpy(np.ascontiguousarray(v[idx, cols]))
                                                         for k, v in enc.items()}))
        return batches


# Tokens per inference batch for batch size "auto", measured fastest (BENCHMARKS.md): on a CPU small
# batches whose activations stay in cache (16 teacher pairs of 192 tokens), on a GPU large ones (2048).
AUTO_BATCH_TOKENS = {"cpu": 16 * 192, "cuda": 2048 * 192}


def scoring_batch_size(setting: int | str, device: torch.device, seq_len: int, name: str = "batch size") -> int:
    """Pairs per inference batch: `setting`, or for "auto" a token budget for this kind of device."""
    if setting == "auto":
        return max(1, AUTO_BATCH_TOKENS.get(device.type, AUTO_BATCH_TOKENS["cpu"]) // seq_len)
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise InputError(f"{name}: expected a positive integer or 'auto', got {setting!r}")
    return setting


def scoring_workers(device: torch.device) -> int:
    """Tokenising processes beside the GPU; none on CPU, where the model needs every core."""
    return 0 if device.type != "cuda" else max(1, min(15, (os.cpu_count() or 2) - 1))


def _one_thread_tokenizer(_: int) -> None:
    # each loader worker is one tokenising process; the tokenizer's own thread pool would oversubscribe
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


@torch.inference_mode()
def predict_logits(model: PreTrainedModel, tokenizer, df: pd.DataFrame, text_cfg: dict, batch_size: int | str = "auto",
                   progress: bool = False, workers: int | None = None, chunk_rows: int = 4096) -> np.ndarray:
    """Raw model outputs for every row, in row order."""
    device = next(model.parameters()).device
    model.eval()
    batch_size = scoring_batch_size(batch_size, device, text_cfg["seq_len"])
    workers = scoring_workers(device) if workers is None else workers
    chunks = ScoringChunks(tokenizer, df, text_cfg, batch_size, chunk_rows if workers else len(df))
    loader = torch.utils.data.DataLoader(chunks, batch_size=None, num_workers=workers, pin_memory=device.type == "cuda",
                                         prefetch_factor=4 if workers else None, worker_init_fn=_one_thread_tokenizer)
    out = np.zeros((len(df), model.config.num_labels), dtype=np.float32)
    with tqdm(total=len(df), disable=not progress, desc="scoring", unit="pair") as bar:
        for chunk in loader:
            logits = []
            for idx, batch in chunk:
                with autocast(device):
                    logits.append(model(**{k: v.to(device, non_blocking=True) for k, v in batch.items()}).logits.float())
                bar.update(len(idx))
            if logits:  # one device-to-host copy per chunk, so the GPU is not stalled after every batch
                out[torch.cat([idx for idx, _ in chunk]).numpy()] = torch.cat(logits).cpu().numpy()
    return out
