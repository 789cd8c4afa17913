"""A student seed study without DVC's queue: `distill` and the student's evaluation, run in this process
for each (param overrides, distill seed), on the workspace's teacher and scored pools. One JSON line a run
(valid, valid restyled, the probes built from valid, test, every eval set, the probes built from test) goes
to the output file; models/student is left as the last run's, so re-run `dvc repro` afterwards. Used for
docs/student.md's seed tables.

    python scripts/student_seeds.py out.jsonl --seeds 1 2 3 4 42 --set distill.restyle_share=0.5
"""

from __future__ import annotations

import json
import time

from common import on_valid, params_with, seed_study_args

from aboutness.eval_sets import eval_sets
from aboutness.evaluation import evaluate_model
from aboutness.paths import TRAINED as MODELS
from aboutness.student import distill


def main() -> None:
    args = seed_study_args()
    sets = eval_sets()
    for seed in args.seeds:
        params = params_with(args.set)
        params.distill.seed = seed
        start = time.perf_counter()
        train = distill(params)
        metrics, _ = evaluate_model(MODELS["student"], sets, params.eval, params.seed)
        keep = {k: v for k, v in metrics.items() if "vital_f1" in k or k.startswith("probe_") or k in ("macro_f1", "accuracy")}
        # the probes built from valid, to choose a recipe on (the student is vital-only: no valid macro-F1)
        keep |= {k: v for k, v in on_valid(MODELS["student"], params).items() if k.startswith("valid_probe_")}
        row = {"set": args.set, "seed": seed, "seconds": round(time.perf_counter() - start, 1),
               "valid_vital_f1": train["valid_vital_f1"], "valid_restyled_vital_f1": train["valid_restyled_vital_f1"], **keep}
        with args.out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items() if "_ci_" not in k}))


if __name__ == "__main__":
    main()
