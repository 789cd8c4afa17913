"""Where the pipeline's files live: one place, so that stages pass paths and the library never reads dvc.yaml."""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path("data/demo")  # the default data, written by `ingest` when a setting says `demo`
INGESTED = Path("data/labels/ingested.parquet")  # `ingest`'s labels
LABELS = Path("data/labels/all.parquet")  # `add_ecom`'s: the ingested labels and the e-commerce groups
POOLS = Path("data/pools")  # `build_pools`' splits, eval sets and distillation pools
TEACHER = Path("models/teacher")
STUDENT = Path("models/student")


def scored_path(pool: str) -> Path:
    """A pool with the teacher's scores (`score_pools`' out, `distill`'s input)."""
    return POOLS / f"{pool}_scored.parquet"
