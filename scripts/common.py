"""What the seed-study scripts share: their command line, params.yaml with `dvc exp run -S`-style overrides,
and a model's figures on valid, the split a recipe is chosen on."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import f1_score

from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.metrics import vital_f1
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.params import Params, validate_params
from aboutness.paths import split_path
from aboutness.probe_scores import probe_metrics


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


def on_valid(path: Path, params: Params) -> dict:
    """Valid macro-F1 and vital F1, and the probes built from valid (the model's decisions on valid as the originals)."""
    model, meta = load_saved(path)
    model, tok = model.to(best_device()), load_tokenizer(path)
    valid, cfg = pd.read_parquet(split_path("valid")), params.eval
    scored = score_frame(predict_logits(model, tok, valid, meta["text"], cfg.batch_size), meta)
    gold = valid["label"].to_numpy()
    return {"valid_macro_f1": f1_score(gold, scored["predicted"], average="macro"),
            "valid_vital_f1": vital_f1(gold, np.where(scored["vital"], "about", "")),
            **probe_metrics(model, tok, meta, valid, scored["vital"].to_numpy(), params.seed, cfg.probe_pairs,
                            cfg.batch_size, "valid_probe_")}
