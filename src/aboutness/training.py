"""The HF Trainer, set up once for teacher and student: weighted losses for every head, training
arguments from params. Resume bookkeeping is aboutness.checkpoints, the curves aboutness.curves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import datasets
import numpy as np
import torch
import torch.nn.functional as F
from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments

from aboutness.columns import LABELS
from aboutness.heads import class_scores
from aboutness.metrics import best_vital_threshold, macro_f1, vital_f1

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Training


def per_example_loss(logits: torch.Tensor, target: torch.Tensor, head: str, loss: str, temperature: float = 1.0) -> torch.Tensor:
    """Loss per row. onetarget/all: target is a class distribution (one-hot for gold);
    msetarget: a scalar; vital: P(about)."""
    if head == "msetarget":
        return (logits[:, 0] - target) ** 2
    if head == "vital":
        if loss == "mse":
            return (torch.sigmoid(logits[:, 0]) - target) ** 2
        if loss == "mse_logits":  # the teacher's log-odds of about, matched on the logit scale
            p = target.clamp(1e-6, 1 - 1e-6)
            return (logits[:, 0] - torch.log(p / (1 - p))) ** 2
        # ce and kl give the same gradient for one Bernoulli output
        return F.binary_cross_entropy_with_logits(logits[:, 0] / temperature, target, reduction="none")
    if loss == "mse_logits":
        raise ValueError("distill.loss mse_logits needs distill.target: vital")
    log_p = F.log_softmax(logits / temperature, dim=-1)
    if loss == "mse":
        return ((log_p.exp() - target) ** 2).sum(-1)
    if loss == "kl":
        return (target * (torch.log(target.clamp_min(1e-8)) - log_p)).sum(-1) * temperature**2
    return -(target * log_p).sum(-1)


class LengthGroupedIndices(torch.utils.data.Sampler):
    """The order of the Trainer's `group_by_length` sampler (transformers' get_length_grouped_indices: one
    random permutation from torch's global generator, cut into mega-batches of up to 50 batches, each sorted
    longest first, the longest of all moved to the front) built from numpy arrays, one mega-batch at a time.
    The Trainer's own sampler reads a datasets `length` column item by item and holds every index in Python
    lists: at 10M rows, minutes and about 1 GB that grow with the pool; this holds 6 bytes a row."""

    def __init__(self, lengths: np.ndarray, batch_size: int):
        self.lengths = np.asarray(lengths).astype(np.uint16, copy=False)  # seq_len stays far below 65,536
        self.batch_size = batch_size
        # as on transformers' sampler: Accelerate sets a generator here to keep DDP ranks in step when asked
        self.generator: torch.Generator | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        n = len(self.lengths)
        size = (min(n // (self.batch_size * 4), 50) or 1) * self.batch_size
        perm = torch.randperm(n, generator=self.generator, dtype=torch.int32).numpy()  # the Trainer's draw and values
        starts = np.arange(0, n, size)
        top = int(np.argmax(np.maximum.reduceat(self.lengths[perm], starts))) if n else 0

        def megabatch(i: int) -> np.ndarray:
            mb = perm[starts[i]:starts[i] + size]
            return mb[np.argsort(-self.lengths[mb].astype(np.int32), kind="stable")]

        first = megabatch(top)[0] if n else 0
        for i in range(len(starts)):
            mb = megabatch(i)
            if top and i in (0, top):  # swap the first items of mega-batch 0 and of the longest one
                mb[0], first = first, mb[0]
            yield from mb.tolist()


class PairTrainer(Trainer):
    """Trainer with per-row weights and the loss of our heads."""

    def __init__(self, *args, head: str, loss: str = "ce", temperature: float = 1.0,
                 teacher: torch.nn.Module | None = None, hidden_weight: float = 0.0,
                 hidden_layers: list[tuple[int, int]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.head, self.loss_name, self.temperature = head, loss, temperature
        # hidden-state matching (TinyBERT): the student's layer s learns the teacher's layer t, for (s, t) in
        # hidden_layers (indices into `hidden_states`, 0 = embeddings), weighted by hidden_weight
        self.teacher, self.hidden_weight, self.hidden_layers = teacher, hidden_weight, hidden_layers or []
        if self.teacher is not None:
            self.teacher.eval().requires_grad_(False)

    def fit(self, resume: str | None, average_from: float | None = None) -> None:
        """train(), resumed from `resume` when given; with `average_from`, the model ends as the tail average
        of its weights (TailAverage) instead of the checkpoint best on valid."""
        average = TailAverage(average_from) if average_from is not None else None
        if average:
            average.resume(resume)
            self.add_callback(average)
        self.train(resume_from_checkpoint=resume)
        if average and self.is_world_process_zero():
            average.apply(self.model)

    def _get_train_sampler(self, train_dataset=None):
        dataset = self.train_dataset if train_dataset is None else train_dataset
        if self.args.train_sampling_strategy == "group_by_length" and isinstance(dataset, datasets.Dataset) \
                and self.args.length_column_name in dataset.column_names:
            # as one Arrow read: the numpy format gives a lazy Column, which numpy would read item by item
            # (9 s for 200k rows), and the arrow format keeps any indices mapping
            lengths = dataset.with_format("arrow", columns=[self.args.length_column_name])[:][self.args.length_column_name]
            lengths = lengths.to_numpy()
            return LengthGroupedIndices(lengths, self.args.train_batch_size * self.args.gradient_accumulation_steps)
        return super()._get_train_sampler(train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = dict(inputs)
        target = inputs.pop("labels")
        weight = inputs.pop("weight", None)
        inputs.pop("length", None)  # the datasets' length column, for grouping only
        # in training only: the valid loss and predictions stay those of the head
        match = self.teacher is not None and self.hidden_weight > 0 and model.training
        outputs = model(**inputs, output_hidden_states=match)
        per = per_example_loss(outputs.logits.float(), target.float(), self.head, self.loss_name, self.temperature)
        if match:
            per = per + self.hidden_weight * self.hidden_loss(outputs.hidden_states, inputs)
        w = torch.ones_like(per) if weight is None else weight.float()
        loss = (per * w).sum() / w.sum()
        return (loss, outputs) if return_outputs else loss

    def hidden_loss(self, student_states: tuple[torch.Tensor, ...], inputs: dict) -> torch.Tensor:
        """Per row: the mean squared difference between the student's and the teacher's hidden states on the
        student's own input, over its real tokens and the matched layers."""
        teacher = self.teacher.to(student_states[0].device)
        with torch.no_grad():
            teacher_states = teacher(**inputs, output_hidden_states=True).hidden_states
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        per = sum(((student_states[s].float() - teacher_states[t].float()) ** 2 * mask).sum((1, 2))
                  for s, t in self.hidden_layers)
        return per / (mask.sum((1, 2)) * student_states[0].shape[-1] * len(self.hidden_layers))


class TailAverage(TrainerCallback):
    """Tail averaging (Polyak; SWA's average, Izmailov et al. 2018): the running mean of the weights after every
    optimizer step from `start` (a share of all steps) on. The mean of one run's last stretch is reported to sit
    in a wider minimum than any one point of it, and to carry better to inputs unlike the training pairs; for
    the teacher it did not here (docs/params.md). The mean is saved beside each checkpoint, so a resumed run
    averages the same steps as an unbroken one."""

    FILE = "tail_average.pt"

    def __init__(self, start: float):
        self.start, self.first_step, self.count, self.mean = start, None, 0, None

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.first_step = max(1, int(np.ceil(self.start * state.max_steps)))

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step < self.first_step:
            return
        with torch.no_grad():
            if self.mean is None:
                self.mean = {name: p.detach().float().clone() for name, p in model.named_parameters()}
                self.count = 1
                return
            self.count += 1
            for name, p in model.named_parameters():
                self.mean[name].lerp_(p.detach().float(), 1.0 / self.count)

    def on_save(self, args, state, control, **kwargs):
        if self.mean is not None and state.is_world_process_zero:
            path = Path(args.output_dir) / f"checkpoint-{state.global_step}" / self.FILE
            torch.save({"count": self.count, "mean": self.mean}, path)

    def resume(self, checkpoint: str | None) -> None:
        """Take up the mean saved with `checkpoint` (none was saved before the averaging began)."""
        path = Path(checkpoint or "") / self.FILE
        if checkpoint and path.exists():
            saved = torch.load(path, weights_only=True)
            self.count, self.mean = saved["count"], saved["mean"]

    def apply(self, model: torch.nn.Module) -> None:
        """Replace the model's weights with the mean."""
        if self.mean is None:
            raise RuntimeError("average_from: no step was averaged; lower it below 1")
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(self.mean[name].to(p.dtype))


def head_optimizer(model: torch.nn.Module, lr: float, weight_decay: float, head_lr_mult: float) -> torch.optim.Optimizer:
    """AdamW where the new head (pooler + classifier) learns `head_lr_mult` times faster than the encoder:
    a fresh head on a pretrained encoder otherwise sits on a long loss plateau."""
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        # BERT's pooler and classifier; RoBERTa's classifier.dense; DistilBERT's pre_classifier; DeBERTa's pooler;
        # ModernBERT's head; the match vector of mean/match pooling beside a family's encoder
        is_head = name.startswith(("classifier", "pre_classifier", "head.")) or any(
            part in f".{name}" for part in (".pooler.", ".pair_pooling."))
        no_decay = param.ndim < 2
        groups.setdefault((is_head, no_decay), []).append(param)
    return torch.optim.AdamW([
        {"params": params, "lr": lr * (head_lr_mult if is_head else 1.0), "weight_decay": 0.0 if no_decay else weight_decay}
        for (is_head, no_decay), params in sorted(groups.items())
    ], lr=lr, fused=True)  # one kernel per step: on CPU 22 ms against 122 ms for the default (BENCHMARKS.md)


def class_metrics(eval_pred) -> dict[str, float]:
    """Valid accuracy and macro-F1 for 3-class heads (targets are distributions)."""
    logits, target = eval_pred.predictions, eval_pred.label_ids
    pred = np.array(LABELS)[logits.argmax(-1)]
    gold = np.array(LABELS)[target.argmax(-1)]
    return {"accuracy": float((pred == gold).mean()), "macro_f1": macro_f1(gold, pred)}


def vital_metrics(eval_pred) -> dict[str, float]:
    """Valid vital F1 at its best P(about) threshold, the decision a student ships with: the checkpoint
    is picked on it. One output is P(about) as a logit; three are the classes (about first)."""
    logits, target = np.asarray(eval_pred.predictions, dtype=np.float64), np.asarray(eval_pred.label_ids)
    logits = logits.reshape(len(logits), -1)
    p_about, _ = class_scores(logits, {"head": "vital" if logits.shape[1] == 1 else "onetarget", "threshold": 0.5})
    gold = np.where((target.reshape(len(p_about), -1)[:, 0] > 0.5), "about", "not_about")
    threshold = best_vital_threshold(p_about, gold)
    return {"vital_f1": vital_f1(gold, np.where(p_about >= threshold, "about", ""))}


def training_args(out_dir: Path, cfg: Training, seed: int, n_train: int, best_metric: str, greater_is_better: bool) -> TrainingArguments:
    steps_per_epoch = max(1, -(-n_train // cfg.batch_size))
    eval_steps = cfg.eval_steps or steps_per_epoch
    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(out_dir),
        seed=seed,
        data_seed=seed,
        learning_rate=cfg.lr,
        num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size * 2,
        warmup_steps=cfg.warmup,
        weight_decay=cfg.weight_decay,
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps,
        save_total_limit=2,
        # with tail averaging the mean is the model, not the checkpoint best on valid
        load_best_model_at_end=cfg.average_from is None,
        metric_for_best_model=best_metric,
        greater_is_better=greater_is_better,
        logging_steps=max(1, min(10, eval_steps)),
        train_sampling_strategy="group_by_length",
        bf16=cuda and torch.cuda.is_bf16_supported(),
        # on a GPU host, padding batches in worker processes keeps the GPU fed; on CPU they compete with the model
        dataloader_num_workers=(4 if cuda else 0) if cfg.loader_workers is None else cfg.loader_workers,
        report_to="none",
        # our rows carry a `weight` the model's forward does not take; by default the Trainer drops such
        # columns before the loss sees them, which silently trained every run unweighted
        remove_unused_columns=False,
        # several processes without CUDA (torchrun/accelerate on CPU) talk over gloo
        ddp_backend="gloo" if not cuda and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        disable_tqdm=False,
        logging_nan_inf_filter=False,  # the filter reads the loss back every step: a GPU sync per step
        **schedule(cfg),
    )


def schedule(cfg: Training) -> dict:
    """After warm-up, the lr decays to `lr_end` x its peak: 0 keeps the Trainer's linear decay to zero;
    above 0, transformers' cosine decay to that floor (`cosine_with_min_lr`), so the last epoch still learns."""
    end = cfg.lr_end or 0.0
    if not end:
        return {"lr_scheduler_type": "linear"}
    return {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": end}}


def collator(tokenizer) -> DataCollatorWithPadding:
    return DataCollatorWithPadding(tokenizer)
