"""The student: a small model trained on the teacher's scores of the pools, seeing only production cards
and the doc's title and url. The stage `distill` runs `distill`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import datasets
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from transformers import PreTrainedModel, set_seed

from aboutness.checkpoints import prepare_checkpoints, run_fingerprint
from aboutness.columns import LABEL_ID, LABELS
from aboutness.curves import StepCurves
from aboutness.data import PairDataset, encode, scored_dataset
from aboutness.errors import InputError
from aboutness.heads import class_scores
from aboutness.inference import predict_logits
from aboutness.metrics import bagged_vital_threshold, vital_f1
from aboutness.models import (
    head_outputs,
    load_classifier,
    load_meta,
    load_saved,
    load_tokenizer,
    save_model_dir,
    set_pooling,
    truncate_layers,
)
from aboutness.params import section_seed
from aboutness.paths import CHECKPOINTS, LIVE, TEACHER, TRAINED, scored_path, split_path
from aboutness.restyle import HELD_OUT, TRAIN, restyle_batch, restyle_rows
from aboutness.training import (
    PairTrainer,
    collator,
    head_optimizer,
    training_args,
    vital_metrics,
)

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Distill, Params

OUT = TRAINED["student"]
CKPT = CHECKPOINTS["student"]
VALID = split_path("valid")
CURVES = LIVE["student"]
FINGERPRINT_KEYS = ("seed", "model", "distill", "teacher.allow_pickle")  # the params distill reads (as in dvc.yaml)


def student_text(params: Params) -> dict:
    m = params.model
    return {"card_fields": m.card_fields, "doc_fields": m.doc_fields, "seq_len": m.seq_len}


def teacher_targets(df: pd.DataFrame, teacher_meta: dict, target: str, temperature: float) -> np.ndarray:
    """P(about) (target=vital) or the 3-class distribution (target=all) from the teacher's logits."""
    logits = df[[c for c in df.columns if c.startswith("teacher_logit_")]].to_numpy(np.float32)
    if teacher_meta["head"] == "msetarget":
        p_about, pred = class_scores(logits, teacher_meta)
        if target == "vital":
            return p_about.astype(np.float32)
        # an MSE teacher has no distribution: use its thresholded class
        return np.eye(len(LABELS), dtype=np.float32)[pd.Series(pred).map(LABEL_ID).to_numpy()]
    z = logits / temperature
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    return probs[:, 0].copy() if target == "vital" else probs


def gold_targets(labels: pd.Series, target: str) -> np.ndarray:
    onehot = np.eye(len(LABELS), dtype=np.float32)[labels.map(LABEL_ID).to_numpy()]
    return onehot[:, 0].copy() if target == "vital" else onehot


def student_targets(df: pd.DataFrame, teacher_meta: dict, cfg: Distill) -> tuple[np.ndarray, np.ndarray]:
    """What the student learns from each row: the teacher's target, mixed with the gold label where there
    is one (distill.label_weight), and the row's weight."""
    y = teacher_targets(df, teacher_meta, cfg.target, cfg.temperature)
    if cfg.label_weight and "label" in df.columns:
        has_gold = df["label"].notna().to_numpy()
        gold = gold_targets(df.loc[has_gold, "label"], cfg.target)
        y[has_gold] = (1 - cfg.label_weight) * y[has_gold] + cfg.label_weight * gold
    # Pools hold few positives; weighting rows by the teacher's P(about) keeps the vital class heard.
    p_about = y if cfg.target == "vital" else y[:, 0]
    return y, df["weight"].to_numpy(np.float32) * (1 + cfg.positive_weight * p_about)


def p_about_mean(ds: datasets.Dataset) -> float:
    """Mean teacher P(about) over the training rows, read in chunks from the on-disk dataset."""
    total = 0.0
    for batch in ds.select_columns("labels").with_format("numpy").iter(batch_size=65536):
        y = batch["labels"]
        total += float((y if y.ndim == 1 else y[:, 0]).astype(np.float64).sum())
    return total / max(1, len(ds))


def build_student(params: Params, n_out: int, teacher_dir: Path = TEACHER):
    """Bottom `model.layers` layers of the fine-tuned teacher (trunc) or of `model.base` (pretrained)."""
    m = params.model
    source = teacher_dir if m.init == "trunc" else m.base
    model = load_classifier(source, n_out, params.teacher.allow_pickle, m.attention_dropout)
    tokenizer = load_tokenizer(source)
    model = set_pooling(truncate_layers(model, m.layers, m.layer_map, "model.layers"), m.pooling, tokenizer.sep_token_id)
    return model, tokenizer


def hidden_match(params: Params, student: PreTrainedModel) -> tuple[PreTrainedModel | None, list[tuple[int, int]]]:
    """The teacher and the (student layer, teacher layer) pairs whose hidden states the student learns
    (distill.hidden_weight > 0): TinyBERT's uniform map, the student's layer j of k to the teacher's layer
    round(j * n / k), so that the student's last layer learns the teacher's last."""
    if not params.distill.hidden_weight:
        return None, []
    teacher = load_saved(TEACHER)[0]
    n, k = teacher.config.num_hidden_layers, student.config.num_hidden_layers
    return teacher, [(j, round(j * n / k)) for j in range(1, k + 1)]


def restyled_valid(valid: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Valid with every doc title and url re-rendered in held-out site styles (`restyle.HELD_OUT`, which no
    training row uses): the student's recipe is judged on it, never on an out-of-domain eval set. Drawn with
    the top-level seed, so every student seed is judged on the same pairs."""
    return restyle_rows(valid, 1.0, np.random.default_rng([seed, 23]), HELD_OUT)


def selection_valid(valid: pd.DataFrame, restyle: bool, seed: int) -> pd.DataFrame:
    """The rows the checkpoint and the vital cut are chosen on: valid, and with `distill.restyle_valid` valid
    again in the training styles (`restyle.TRAIN`), so that neither is fitted to the demo's templates alone."""
    if not restyle:
        return valid
    return pd.concat([valid, restyle_rows(valid, 1.0, np.random.default_rng([seed, 29]), TRAIN)], ignore_index=True)


def check_collapse(student_f1: float, teacher_meta: dict, min_share: float) -> float:
    """The student's valid vital F1 as a share of the teacher's; the stage fails when it is below
    min_share: a collapsed student (one constant score) must never reach evaluate, or a table, silently."""
    teacher_f1 = teacher_meta.get("valid_vital_f1")
    if teacher_f1 is None:
        raise InputError(f"distill: {TEACHER}/aboutness.json has no valid_vital_f1; re-run train_teacher")
    if student_f1 < min_share * teacher_f1:
        raise InputError(
            f"distill: the student collapsed or failed to learn: valid vital F1 {student_f1:.3f} is below "
            f"distill.min_share {min_share} x the teacher's {teacher_f1:.3f} = {min_share * teacher_f1:.3f}. "
            "Try another distill.seed, a lower model.lr, or more epochs (model.epochs); dvclive/student/plots/metrics "
            "shows the training curve")
    return student_f1 / teacher_f1


def distill(params: Params) -> dict:
    m, cfg = params.model, params.distill
    seed = section_seed(params, "distill")  # a student seed study re-uses the teacher and its scored pools
    teacher_meta = load_meta(TEACHER)
    text_cfg = student_text(params)
    head = "vital" if cfg.target == "vital" else "onetarget"
    n_out = head_outputs(head)
    set_seed(seed)  # the new head's random init must come from params.yaml too
    model, tokenizer = build_student(params, n_out)
    valid = pd.read_parquet(VALID)
    paths = [scored_path(n) for n in cfg.pools]
    rows = {path: pq.read_metadata(path).num_rows for path in paths}
    if not any(rows.values()):
        raise InputError(f"distill: the scored pools ({', '.join(map(str, paths))}) hold no rows; metrics/pools.json "
                         "says where they went (trash, leakage guard)")
    chosen_on = selection_valid(valid, cfg.restyle_valid, params.seed)
    valid_ds = PairDataset(encode(tokenizer, chosen_on, text_cfg), gold_targets(chosen_on["label"], cfg.target))
    # the checkpoint kept is the one with the best valid vital F1, the student's one job
    args = training_args(CKPT, m, seed, sum(rows.values()), "vital_f1", greater_is_better=True)
    inputs = tuple(paths) + (VALID, TEACHER / "model.safetensors")
    base = m.base if m.init == "pretrained" else None  # a trunc student's source, the teacher, is in inputs
    resume = prepare_checkpoints(CKPT, run_fingerprint("distill", params, FINGERPRINT_KEYS, base, inputs), args)
    # The tokenised pools are cached beside the checkpoints, which go whenever the run's fingerprint changes
    # (code, params, data by content): datasets' own cache key (file paths and times, functions by name) could
    # serve rows of an older text or targets function, and its default home grows with every experiment.
    datasets.config.HF_DATASETS_CACHE = str((CKPT / "datasets").resolve())
    with args.main_process_first(local=False, desc="tokenising the pools"):  # under DDP one rank builds the cache
        augment = (partial(restyle_batch, share=cfg.restyle_share, seed=seed, invent=cfg.restyle_invented)
                   if cfg.restyle_share else None)
        train_ds = scored_dataset([path for path in paths if rows[path]], tokenizer, text_cfg,
                                  partial(student_targets, teacher_meta=teacher_meta, cfg=cfg), augment=augment)
    teacher, hidden_layers = hidden_match(params, model)
    trainer = PairTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=valid_ds,
                          data_collator=collator(tokenizer), compute_metrics=vital_metrics, head=head, loss=cfg.loss,
                          temperature=cfg.temperature, teacher=teacher, hidden_weight=cfg.hidden_weight,
                          hidden_layers=hidden_layers,
                          optimizers=(head_optimizer(model, m.lr, m.weight_decay, m.head_lr_mult), None))
    if resume:
        print(f"distill: resuming from {resume}")
    trainer.add_callback(StepCurves(CURVES, resume=bool(resume)))
    trainer.fit(resume, m.average_from)
    print(f"distill: rank {trainer.args.process_index} of {trainer.args.world_size} trained {trainer.state.global_step} steps")
    if not trainer.is_world_process_zero():  # under DDP only rank 0 writes the results
        return {}
    model = trainer.model
    meta = {"head": head, "labels": list(LABELS), "text": text_cfg, "role": "student", "layers": m.layers,
            "params": {"seed": seed, "model": m.model_dump(), "distill": cfg.model_dump()},
            "init": m.init, "pooling": m.pooling, "target": cfg.target, "threshold": 0.5, "thresholds": None}
    logits = predict_logits(model, tokenizer, chosen_on, text_cfg, batch_size=m.batch_size * 2)
    if head == "vital":
        meta["threshold"] = bagged_vital_threshold(1 / (1 + np.exp(-logits[:, 0])), chosen_on["label"].to_numpy(), seed)
    p, pred = class_scores(logits[: len(valid)], meta)  # valid as it is comes first
    valid_f1 = vital_f1(valid["label"], pred)
    restyled = restyled_valid(valid, params.seed)
    restyled_pred = class_scores(predict_logits(model, tokenizer, restyled, text_cfg, batch_size=m.batch_size * 2), meta)[1]
    share = check_collapse(valid_f1, teacher_meta, cfg.min_share)
    save_model_dir(OUT, model, tokenizer, meta)
    return {"valid_vital_f1": valid_f1, "valid_restyled_vital_f1": vital_f1(restyled["label"], restyled_pred),
            "seed": seed, "valid_vital_f1_share_of_teacher": share,
            "layers": m.layers, "distill_pairs": len(train_ds), "steps": trainer.state.global_step,
            "teacher_p_about_mean": p_about_mean(train_ds)}
