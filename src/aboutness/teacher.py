"""The teacher: the base model fine-tuned on the labelled pairs (3 classes, or one MSE score), its vital
threshold fitted on valid. The stage `train_teacher` runs `train_teacher`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from transformers import set_seed

from aboutness.augment import teacher_views
from aboutness.checkpoints import prepare_checkpoints, run_fingerprint
from aboutness.columns import LABEL_ID, LABELS
from aboutness.curves import StepCurves
from aboutness.data import PairDataset, encode
from aboutness.heads import class_scores
from aboutness.inference import predict_logits
from aboutness.metrics import bagged_vital_threshold, vital_f1
from aboutness.models import head_outputs, load_classifier, load_tokenizer, save_model_dir, truncate_layers
from aboutness.params import section_seed
from aboutness.paths import CHECKPOINTS, LIVE, TEACHER, split_path
from aboutness.training import (
    PairTrainer,
    class_metrics,
    collator,
    head_optimizer,
    training_args,
)

if TYPE_CHECKING:  # the schema's and transformers' types, for hints only
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from aboutness.params import Params, Teacher

OUT = TEACHER
CKPT = CHECKPOINTS["teacher"]
TRAIN, VALID = split_path("train"), split_path("valid")
CURVES = LIVE["teacher"]
FINGERPRINT_KEYS = ("seed", "text", "teacher")  # the params train_teacher reads (dvc.yaml lists the same)


def teacher_text(params: Params) -> dict:
    return {"card_fields": params.text.card_fields, "doc_fields": params.teacher.doc_fields,
            "seq_len": params.text.seq_len}


def targets(labels: pd.Series, cfg: Teacher) -> np.ndarray:
    """One-hot rows for onetarget; the ordinal score from params for msetarget."""
    if cfg.head == "onetarget":
        return np.eye(len(LABELS), dtype=np.float32)[labels.map(LABEL_ID).to_numpy()]
    return labels.map(cfg.mse_targets.model_dump()).to_numpy(dtype=np.float32)


def row_weights(train: pd.DataFrame, class_weight: str | None) -> np.ndarray:
    """The labels' own row weights, times a class weight: `balanced` weighs each class by
    n / (classes * its count), so mentions are not drowned by not_about pairs."""
    w = train["weight"].to_numpy(np.float64)
    if class_weight is None:
        return w
    counts = train["label"].value_counts()
    return w * train["label"].map(len(train) / (len(counts) * counts)).to_numpy(np.float64)


def training_set(tokenizer, train: pd.DataFrame, params: Params, seed: int) -> PairDataset:
    """The training pairs as the teacher learns them: the views params ask for (augment.py), encoded, with
    targets and weights read from the viewed rows, since a view may relabel a row (an inserted mention)."""
    cfg, text_cfg = params.teacher, teacher_text(params)
    fit = teacher_views(train, cfg, text_cfg["card_fields"], params.model.card_fields, seed)
    return PairDataset(encode(tokenizer, fit, text_cfg), targets(fit["label"], cfg), row_weights(fit, cfg.class_weight))


def fit_thresholds(score: np.ndarray, gold: np.ndarray) -> list[float]:
    """Two cut points (not_about < lo <= mention < hi <= about) with the best accuracy on valid."""
    cands = np.unique(np.quantile(score, np.linspace(0, 1, 101)))
    best, best_acc = [float(cands[0]), float(cands[-1])], -1.0
    for i, lo in enumerate(cands):
        for hi in cands[i:]:
            pred = np.where(score >= hi, "about", np.where(score >= lo, "mention", "not_about"))
            acc = float((pred == gold).mean())
            if acc > best_acc:
                best, best_acc = [float(lo), float(hi)], acc
    return best


def train_teacher(params: Params, out: Path = OUT, ckpt: Path = CKPT) -> dict:
    cfg, seed = params.teacher, section_seed(params, "teacher")
    text_cfg = teacher_text(params)
    train, valid = pd.read_parquet(TRAIN), pd.read_parquet(VALID)
    set_seed(seed)  # the new head's random init must come from params.yaml too
    model = load_classifier(cfg.base, head_outputs(cfg.head), cfg.allow_pickle, cfg.attention_dropout)
    tokenizer = load_tokenizer(cfg.base)
    if cfg.layers and not cfg.truncate_after:
        truncate_layers(model, cfg.layers, param="teacher.layers")
    if cfg.head == "msetarget":
        model.config.problem_type = "regression"
    train_ds = training_set(tokenizer, train, params, seed)
    valid_ds = PairDataset(encode(tokenizer, valid, text_cfg), targets(valid["label"], cfg))
    one = cfg.head == "onetarget"
    args = training_args(ckpt, cfg, seed, len(train), "macro_f1" if one else "loss", greater_is_better=one)
    optimizer = head_optimizer(model, cfg.lr, cfg.weight_decay, cfg.head_lr_mult)
    trainer = PairTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=valid_ds,
                          data_collator=collator(tokenizer), compute_metrics=class_metrics if one else None,
                          optimizers=(optimizer, None), head=cfg.head, loss="ce")
    resume = prepare_checkpoints(ckpt, run_fingerprint("train_teacher", params, FINGERPRINT_KEYS, cfg.base, (TRAIN, VALID)), args)
    if resume:
        print(f"train_teacher: resuming from {resume}")
    trainer.add_callback(StepCurves(CURVES, resume=bool(resume)))
    trainer.fit(resume, cfg.average_from)
    rank, world = trainer.args.process_index, trainer.args.world_size
    print(f"train_teacher: rank {rank} of {world} trained {trainer.state.global_step} steps")
    if not trainer.is_world_process_zero():  # under DDP only rank 0 writes the results
        return {}
    model = trainer.model
    if cfg.layers and cfg.truncate_after:
        truncate_layers(model, cfg.layers, param="teacher.layers")
    meta, pred = save_teacher(model, tokenizer, params, valid, out)
    print(f"train_teacher: saved {out} (rank {rank})")
    return {"valid_accuracy": float((pred == valid["label"].to_numpy()).mean()),
            "valid_vital_f1": meta["valid_vital_f1"],
            "vital_threshold": meta["vital_threshold"],
            "layers": meta["layers"], "train_pairs": len(train), "steps": trainer.state.global_step}


def save_teacher(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, params: Params, valid: pd.DataFrame,
                 out: Path) -> tuple[dict, np.ndarray]:
    """Fit the trained model's decisions on valid (msetarget's two cuts, the vital P(about) cut) and save it
    with them to `out`. Returns the saved meta and the 3-class predictions on valid."""
    cfg, seed = params.teacher, section_seed(params, "teacher")
    meta = {"head": cfg.head, "labels": list(LABELS), "text": teacher_text(params), "role": "teacher",
            "params": {"seed": seed, "text": params.text.model_dump(), "teacher": cfg.model_dump()},
            "layers": model.config.num_hidden_layers, "thresholds": None}
    logits = predict_logits(model, tokenizer, valid, meta["text"], batch_size=cfg.batch_size * 2)
    if cfg.head == "msetarget":
        meta["thresholds"] = fit_thresholds(logits[:, 0], valid["label"].to_numpy())
    p_about, pred = class_scores(logits, meta)
    # The vital decision gets its own P(about) cut, as the student's does; the 3 classes keep argmax.
    meta["vital_threshold"] = bagged_vital_threshold(p_about, valid["label"].to_numpy(), seed)
    # distill's collapse guard compares the student with this
    meta["valid_vital_f1"] = vital_f1(valid["label"], np.where(p_about >= meta["vital_threshold"], "about", ""))
    save_model_dir(out, model, tokenizer, meta)
    return meta, pred
