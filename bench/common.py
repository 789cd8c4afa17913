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
    if n:
        df = pd.concat([df] * (n // len(df) + 1), ignore_index=True).head(n)
    return df


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
