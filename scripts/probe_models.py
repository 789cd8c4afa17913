"""The behavioural probes (aboutness.probes) on the workspace's teacher and student, built from test:
pass rate per probe and model, "n/a" where a probe changes nothing the model reads. A diagnostic
until `evaluate` writes `probe_*` metrics (issue 34); its output is in docs/probes.md.

    python scripts/probe_models.py [--n 200] [--split test]
"""

from __future__ import annotations

import argparse

import pandas as pd
from tabulate import tabulate

from aboutness import probes
from aboutness.eval_sets import MODELS, POOLS, PRED_DIR
from aboutness.heads import score_frame
from aboutness.models import load_saved, load_tokenizer
from aboutness.params import load_params
from aboutness.scoring import predict_logits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="pairs per probe")
    ap.add_argument("--split", default="test", choices=("test", "valid"))
    args = ap.parse_args()
    params = load_params()
    pairs = pd.read_parquet(POOLS / f"{args.split}.parquet")
    rows = {p.name: [p.name, p.expect, f"{len(probes.build(p.name, pairs, params['seed'], args.n))}"] for p in probes.PROBES}
    for name, path in MODELS.items():
        model, meta = load_saved(path)
        tok = load_tokenizer(path)
        if args.split == "test":  # the evaluate stage's decisions on the very same pairs
            original = pd.read_parquet(PRED_DIR / name / "test.parquet")["vital"].to_numpy()
        else:
            original = score_frame(predict_logits(model, tok, pairs, meta["text"], params["eval"]["batch_size"]), meta)["vital"].to_numpy()
        for p in probes.PROBES:
            if not probes.applies(p, meta["text"], three_class=meta["head"] != "vital"):
                rows[p.name].append("n/a")
                continue
            probed = probes.build(p.name, pairs, params["seed"], args.n)
            scored = score_frame(predict_logits(model, tok, probed, meta["text"], params["eval"]["batch_size"]), meta)
            rate = probes.pass_rate(p, probed, scored["vital"].to_numpy(), scored["predicted"].to_numpy(), original)
            rows[p.name].append(f"{100 * rate:.1f}")
    print(f"Probes built from {args.split} (seed {params['seed']}); pass rates in percent")
    print(tabulate(list(rows.values()), ["probe", "expected", "pairs", *MODELS], tablefmt="github"))


if __name__ == "__main__":
    main()
