"""The behavioural probes (aboutness.probes) on the workspace's teacher and student: pass rate per probe
and model, "n/a" where a probe does not apply. `evaluate` writes the test-built ones as `probe_*`
metrics; this prints them for valid too, the split a recipe is chosen on (docs/probes.md).

    python scripts/probe_models.py [--split valid]
"""

from __future__ import annotations

import argparse

import pandas as pd
from tabulate import tabulate

from aboutness import probes
from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.models import load_saved, load_tokenizer
from aboutness.params import load_params
from aboutness.paths import TRAINED as MODELS
from aboutness.paths import split_path
from aboutness.probe_scores import probe_metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="valid", choices=("test", "valid"))
    args = ap.parse_args()
    params = load_params()
    cfg, pairs = params.eval, pd.read_parquet(split_path(args.split))
    rows = {p.name: [p.name, p.expect, len(probes.build(p.name, pairs, params.seed, cfg.probe_pairs))] for p in probes.PROBES}
    for path in MODELS.values():
        model, meta = load_saved(path)
        tok = load_tokenizer(path)
        original = score_frame(predict_logits(model, tok, pairs, meta["text"], cfg.batch_size), meta)["vital"].to_numpy()
        rates = probe_metrics(model, tok, meta, pairs, original, params.seed, cfg.probe_pairs, cfg.batch_size)
        for p in probes.PROBES:
            rate = rates.get(f"probe_{p.name}")
            rows[p.name].append("n/a" if rate is None else f"{100 * rate:.1f}")
    print(f"Probes built from {args.split} (seed {params.seed}); pass rates in percent")
    print(tabulate(list(rows.values()), ["probe", "expected", "pairs", *MODELS], tablefmt="github"))


if __name__ == "__main__":
    main()
