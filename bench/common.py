"""Shared set-up for the bench scripts: data, models and a markdown table of two sides."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pandas as pd
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def train_pairs(n: int | None = None) -> pd.DataFrame:
    """The default train split (run `dvc repro build_pools` first), repeated to n rows if asked."""
    path = ROOT / "data/pools/train.parquet"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `dvc repro build_pools` first")
    df = pd.read_parquet(path)
    return repeat_rows(df, n) if n else df


def repeat_rows(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The rows repeated in order until there are n."""
    return pd.concat([df] * (n // len(df) + 1), ignore_index=True).head(n)


def ours_or_run_glue(model, tok, df: pd.DataFrame, text_cfg: dict, batch_size: int, steps: int, ours: bool,
                     workers: int = 0, seed: int = 0):
    """A Trainer for `steps` steps. Ours: our training path (dynamic padding, length grouping, bf16
    on a GPU, loader workers, no per-step loss read-back). Baseline: run_glue.py's defaults (pad to
    max length, fp32, random order, no loader workers)."""
    import torch
    from transformers import TrainingArguments, default_data_collator

    from aboutness.models import PairDataset, encode
    from aboutness.text import card_text, doc_text
    from aboutness.train_teacher import targets
    from aboutness.training import PairTrainer, collator, head_optimizer

    if ours:
        enc, data_collator = encode(tok, df, text_cfg), collator(tok)
    else:
        cards, docs = card_text(df, text_cfg["card_fields"]), doc_text(df, text_cfg["doc_fields"])
        enc = tok(cards, docs, truncation="longest_first", max_length=text_cfg["seq_len"], padding="max_length")
        data_collator = default_data_collator
    cuda = torch.cuda.is_available()
    args = TrainingArguments(
        output_dir="/tmp/bench_train", max_steps=steps, per_device_train_batch_size=batch_size, learning_rate=1e-4,
        eval_strategy="no", save_strategy="no", report_to="none", disable_tqdm=True, seed=seed,
        train_sampling_strategy="group_by_length" if ours else "random",
        bf16=ours and cuda and torch.cuda.is_bf16_supported(),
        dataloader_num_workers=workers if ours else 0,
        logging_nan_inf_filter=not ours,  # ours: as in aboutness.training.training_args
    )
    dataset = PairDataset(enc, targets(df["label"], {"head": "onetarget"}))
    return PairTrainer(model=model, args=args, train_dataset=dataset, data_collator=data_collator,
                       optimizers=(head_optimizer(model, 1e-4, 0.01, 1), None), head="onetarget")


def ratio_table(rows: list[tuple[str, list[float], list[float]]], unit: str, ours: str = "ours", base: str = "baseline") -> str:
    """Medians of repeated runs, side by side, with the ratio ours / baseline."""
    table = []
    for name, ours_runs, base_runs in rows:
        o, b = statistics.median(ours_runs), statistics.median(base_runs)
        table.append([name, f"{o:,.1f}", f"{b:,.1f}", f"{o / b:.2f}x", len(ours_runs)])
    return tabulate(table, ["what", f"{ours} ({unit})", f"{base} ({unit})", "ratio", "runs"], tablefmt="github")


def machine() -> str:
    import platform

    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {torch.get_num_threads()} threads, {gpu}; torch {torch.__version__}, python {platform.python_version()}"
