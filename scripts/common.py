"""What the seed-study scripts share: their command line, and params.yaml with `dvc exp run -S`-style overrides."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from aboutness.params import Params, validate_params


def params_with(overrides: list[str]) -> Params:
    """params.yaml with each `key=value` (a dotted key, a YAML value) set on top, then validated."""
    raw = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    for item in overrides:
        key, value = item.split("=", 1)
        *parents, leaf = key.split(".")
        node = raw
        for p in parents:
            node = node[p]
        node[leaf] = yaml.safe_load(value)
    return validate_params(raw)


def seed_study_args(**extra: dict) -> argparse.Namespace:
    """The command line of a seed study: the JSONL output, the seeds, `--set key=value` overrides, and
    `extra` options (name -> argparse keywords)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--set", action="append", default=[], help="key=value, as dvc exp run -S")
    for name, kwargs in extra.items():
        ap.add_argument(f"--{name.replace('_', '-')}", **kwargs)
    return ap.parse_args()
