"""A teacher seed study without DVC: train_teacher for each `teacher.seed` (the data, drawn with the
top-level seed, stays the workspace's), then the teacher on test and every eval set. One JSON line a run
goes to the output file; the models go under --models, never to models/teacher. train_teacher rewrites
dvclive/teacher: `git checkout -- dvclive/teacher` afterwards. Used for the teacher
seed figures in docs/data.md and docs/probes.md. Probes are reported twice: `valid_probe_*`, built from
valid, to choose a recipe on, and `probe_*`, built from test, as `evaluate` reports them.

    python scripts/teacher_seeds.py out.jsonl --seeds 1 2 [--set teacher.epochs=3] [--models /tmp/teachers]
    python scripts/teacher_seeds.py out.jsonl --seeds 1 2 --models /tmp/teachers --score-only   # no training
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from common import on_valid, params_with, seed_study_args

from aboutness.eval_sets import eval_sets
from aboutness.evaluation import evaluate_model
from aboutness.teacher import train_teacher


def main() -> None:
    args = seed_study_args(models={"type": Path, "default": Path("/tmp/teacher_seeds")},
                           score_only={"action": "store_true", "help": "score the models saved under --models, no training"})
    sets = eval_sets()
    for seed in args.seeds:
        params = params_with(args.set)
        params.teacher.seed = seed
        start = time.perf_counter()
        out = args.models / f"seed{seed}"
        if not args.score_only:
            train_teacher(params, out=out, ckpt=args.models / f"ckpt{seed}")
        metrics, _ = evaluate_model(out, sets, params.eval, params.seed)
        metrics |= on_valid(out, params)
        keys = ("vital_f1", "macro_f1", "accuracy", "accuracy_main", "accuracy_DIY", "accuracy_CEHAC", "accuracy_Pharma",
                "prod_cards_vital_f1", "elements_vital_f1")
        row = {"teacher.seed": seed, "set": args.set, "valid_macro_f1": metrics["valid_macro_f1"],
               "valid_vital_f1": metrics["valid_vital_f1"], **{k: metrics[k] for k in keys if k in metrics},
               **{k: v for k, v in metrics.items() if "probe_" in k}, "seconds": round(time.perf_counter() - start, 1)}
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row))


if __name__ == "__main__":
    main()
