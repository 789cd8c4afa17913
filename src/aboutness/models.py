"""Building, truncating, saving and loading sequence-pair classifiers."""

from __future__ import annotations

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

from aboutness.columns import LABELS
from aboutness.errors import InputError
from aboutness.paths import default_base

os.environ.setdefault("HF_HUB_OFFLINE", "1")
META = "aboutness.json"


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
        check_loaded(path, info, known={f"{model.base_model_prefix}.{key}" for key in MATCH_KEYS})
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


def head_outputs(head: str) -> int:
    """Outputs of a classifier head (a model's meta["head"], teacher.head): 3 class logits for onetarget, one
    score for msetarget and vital."""
    return len(LABELS) if head == "onetarget" else 1


def encoder_layers(model: nn.Module, param: str = "layers") -> nn.ModuleList:
    """The transformer block list: BERT, RoBERTa/XLM-R, DeBERTa-v2 (encoder.layer), DistilBERT
    (transformer.layer), ModernBERT (layers)."""
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
    raise InputError(f"{param}: {type(model).__name__} (family {model.config.model_type}) keeps its encoder layers "
                     "where aboutness does not look (encoder.layer, transformer.layer, layers); set it to null to "
                     "keep every layer, or use a family from the README's table")


def truncate_layers(model: PreTrainedModel, k: int, layer_map: str = "bottom", param: str = "layers") -> PreTrainedModel:
    """Keep k encoder layers (in place) and update the config: the bottom k, or k spread evenly from
    the first layer to the last (`spread`, as DistilBERT took layers 0, 2, 4, 7, 9, 11 of BERT's 12).
    `param` names the setting in errors (teacher.layers, model.layers)."""
    layers = encoder_layers(model, param)
    if not 1 <= k <= len(layers):
        raise InputError(f"{param}={k}: the model has {len(layers)} encoder layers; choose 1..{len(layers)}")
    keep = layer_indices(len(layers), k, layer_map)
    kept = [layers[i] for i in keep]
    del layers[:]
    layers.extend(kept)
    model.config.num_hidden_layers = k  # DistilBERT's n_layers too (its config maps the name)
    types = getattr(model.config, "layer_types", None)
    if isinstance(types, list | tuple) and len(types) > max(keep):  # ModernBERT: each kept layer keeps its attention
        model.config.layer_types = [types[i] for i in keep]
    return model


def layer_indices(n: int, k: int, layer_map: str) -> list[int]:
    if layer_map == "bottom":
        return list(range(k))
    return [int(i) for i in np.rint(np.linspace(0, n - 1, k))]  # spread


POOLINGS = ("cls", "mean", "match")
MATCH_KEYS = ("pooler.match", "pair_pooling.match")  # where a match-pooled model keeps `match`: BERT's pooler, or beside the encoder


class MeanPooler(nn.Module):
    """BERT's pooler (dense + tanh) on the mean of the last layer's token states, padding left out, in place
    of the [CLS] state. It keeps the replaced pooler's weights under the same names, so a saved model's state
    dict does not change; the attention mask reaches it through a hook on the encoder (`set_pooling`)."""

    def __init__(self, pooler: nn.Module):
        super().__init__()
        self.dense, self.activation = pooler.dense, pooler.activation
        self.mask: torch.Tensor | None = None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(masked_mean(hidden, self.mask)))


class MatchPooler(MeanPooler):
    """MeanPooler's output plus how well the card's tokens find their match in the doc: each card token's best
    cosine with a doc token, averaged over the card (ColBERT's MaxSim), times a learnt vector `match`, saved with
    the model's weights. The segments come from the separator tokens (`pair_segments`); [CLS] and the
    separators are left out. A mean of token states cannot say "the card's name stands in the doc's title"; the
    bottom layer's attention does not learn it from the pools either, so a 1-layer student stayed at a constant
    score. With this feature it learns (docs/student.md)."""

    def __init__(self, pooler: nn.Module, sep_token_id: int):
        super().__init__(pooler)
        self.match = new_match(pooler.dense.out_features)
        self.sep_token_id = sep_token_id
        self.input_ids: torch.Tensor | None = None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        card, doc = pair_segments(self.input_ids, self.mask, self.sep_token_id)
        return super().forward(hidden) + max_sim(hidden, card, doc)[:, None] * self.match


class PairPooling(nn.Module):
    """Mean or match pooling for a family whose head reads the first token's state itself, with no BERT pooler
    to replace (RoBERTa/XLM-R, DistilBERT, DeBERTa-v2, ModernBERT): a hook on the encoder writes the pooled
    vector (the mean of the token states, plus MaxSim times `match` for match pooling) over the first token's
    state, so the family's own head (dense + activation, or its pre-classifier) reads it as it read [CLS]."""

    def __init__(self, hidden_size: int, pooling: str, sep_token_id: int | None):
        super().__init__()
        self.pooling, self.sep_token_id = pooling, sep_token_id
        if pooling == "match":
            self.match = new_match(hidden_size)

    def forward(self, hidden: torch.Tensor, input_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        pooled = masked_mean(hidden, mask)
        if self.pooling == "match":
            card, doc = pair_segments(input_ids, mask, self.sep_token_id)
            pooled = pooled + max_sim(hidden, card, doc)[:, None] * self.match
        return torch.cat([pooled[:, None, :].to(hidden.dtype), hidden[:, 1:]], dim=1)


def new_match(hidden_size: int) -> nn.Parameter:
    # as nn.Linear(1, hidden) draws it: a zero start would leave both it and the fresh classifier at a saddle
    return nn.Parameter(torch.empty(hidden_size).uniform_(-1, 1))


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return hidden.mean(1)
    keep = mask[:, :, None].to(hidden.dtype)
    return (hidden * keep).sum(1) / keep.sum(1).clamp(min=1)


def pair_segments(input_ids: torch.Tensor | None, mask: torch.Tensor | None,
                  sep_token_id: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Which positions hold the card's tokens and which the doc's, from the separators alone, so that families
    without `token_type_ids` (RoBERTa/XLM-R, DistilBERT, ModernBERT) get the same segments as BERT. A pair is
    `<cls> card <sep> doc <sep>` (BERT, DistilBERT, DeBERTa-v2, ModernBERT) or `<s> card </s></s> doc </s>`
    (RoBERTa, XLM-R), then padding: the card runs from position 1 to the first separator, the doc from after
    that separator (and a second one right behind it) to the last real token, the closing separator. Only
    comparisons and gathers, no index writes, so the ONNX export traces it for any batch and length."""
    if input_ids is None or sep_token_id is None:
        raise InputError("pooling: match needs the input ids and the tokenizer's separator token (set_pooling)")
    real = torch.ones_like(input_ids) if mask is None else mask.to(input_ids.dtype)
    pos = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
    is_sep = (input_ids == sep_token_id) & (real > 0) & (pos >= 1)  # position 0 is the pair's opening token
    first_sep = torch.where(is_sep, pos, input_ids.shape[1]).min(1, keepdim=True).values
    after = (first_sep + 1).clamp(max=input_ids.shape[1] - 1)
    doubled = is_sep.gather(1, after) & (after < real.sum(1, keepdim=True) - 1)  # </s></s>, not an empty doc's </s>
    doc_start = first_sep + 1 + doubled.to(first_sep.dtype)
    n_real = real.sum(1, keepdim=True)
    card = (pos >= 1) & (pos < first_sep)
    doc = (pos >= doc_start) & (pos < n_real - 1)
    return card, doc


def max_sim(hidden: torch.Tensor, card: torch.Tensor, doc: torch.Tensor) -> torch.Tensor:
    """Per pair: the mean over card tokens of their best cosine similarity with a doc token (0 for an empty side)."""
    unit = nn.functional.normalize(hidden.float(), dim=-1)
    sim = (unit @ unit.transpose(1, 2)).masked_fill(~doc[:, None, :], -1.0)
    best = sim.max(-1).values.clamp(min=0) * card
    return (best.sum(1) / card.sum(1).clamp(min=1)).to(hidden.dtype)


def set_pooling(model: PreTrainedModel, pooling: str, sep_token_id: int | None = None) -> PreTrainedModel:
    """What the head reads: the first token's state (cls, the model's own), the mean of all token states (mean),
    or that mean plus the card's MaxSim against the doc (match; it needs the tokenizer's `sep_token_id`).
    A BERT-style model gets the mean through its pooler (`MeanPooler`, `MatchPooler`); every other family through
    `PairPooling`, over its first token's state. all-MiniLM-L6-v2 was trained for mean pooling, and in the
    fine-tuned teacher's bottom 1-3 layers the [CLS] state is the same for every pair (docs/student.md): a
    student cut there starts from a constant."""
    if pooling == "cls":
        return model
    if pooling not in POOLINGS:
        raise InputError(f"pooling: {pooling!r}; expected one of {', '.join(POOLINGS)}")
    if pooling == "match" and sep_token_id is None:
        raise InputError("pooling: match needs the tokenizer's sep_token_id to find the card and the doc")
    base = model.base_model
    if hasattr(getattr(base, "pooler", None), "dense"):
        pooler = MatchPooler(base.pooler, sep_token_id) if pooling == "match" else MeanPooler(base.pooler)
        base.pooler = pooler

        def keep_inputs(_module, args, kwargs):
            pooler.mask = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)
            if pooling == "match":
                pooler.input_ids = kwargs.get("input_ids", args[0] if args else None)

        base.register_forward_pre_hook(keep_inputs, with_kwargs=True)
        return model
    if getattr(model.config, "classifier_pooling", "cls") != "cls":
        model.config.classifier_pooling = "cls"  # ModernBERT: its head must read the first state, where the pooled one is
    base.pair_pooling = PairPooling(model.config.hidden_size, pooling, sep_token_id)
    seen: dict[str, torch.Tensor | None] = {}

    def keep(_module, args, kwargs):
        seen["ids"] = kwargs.get("input_ids", args[0] if args else None)
        seen["mask"] = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)

    def pool(_module, _args, _kwargs, output):
        if isinstance(output, tuple):  # return_dict=False
            return (base.pair_pooling(output[0], seen["ids"], seen["mask"]), *output[1:])
        output["last_hidden_state"] = base.pair_pooling(output["last_hidden_state"], seen["ids"], seen["mask"])
        return output

    base.register_forward_pre_hook(keep, with_kwargs=True)
    base.register_forward_hook(pool, with_kwargs=True)
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
    pooling = meta.get("pooling", "cls")
    sep = load_tokenizer(model_dir).sep_token_id if pooling == "match" else None
    model = set_pooling(load_classifier(model_dir, head_outputs(meta["head"]), exact=True), pooling, sep)
    if pooling == "match":  # a weight the model's own class does not know, so from_pretrained skips it
        base = model.base_model
        name, param = next((k, p) for k, p in ((k, _get(base, k)) for k in MATCH_KEYS) if p is not None)
        key = f"{model.base_model_prefix}.{name}"
        with safe_open(str(Path(model_dir, "model.safetensors")), framework="pt") as f:
            if key not in f.keys():
                raise InputError(f"{model_dir}: pooling is match but model.safetensors has no {key}")
            param.data.copy_(f.get_tensor(key))
    return model, meta


def _get(module: nn.Module, dotted: str) -> Any:
    for part in dotted.split("."):
        module = getattr(module, part, None)
        if module is None:
            return None
    return module


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
