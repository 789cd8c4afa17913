"""A teacher seed study without DVC: train_teacher for each `teacher.seed` (the data, drawn with the
top-level seed, stays the workspace's), then the teacher on test and every eval set. One JSON line a run
goes to the output file; the models go under --models, never to models/teacher. train_teacher rewrites
dvclive/teacher: `git checkout -- dvclive/teacher` afterwards. Used for the teacher
seed figures in docs/data.md and docs/probes.md. Probes are reported twice: `valid_probe_*`, built from
valid, to choose a recipe on, and `probe_*`, built from test, as `evaluate` reports them.

    python scripts/teacher_seeds.py out.jsonl --seeds 1 2 [--set teacher.epochs=3] [--models /tmp/teachers]
    python scripts/teacher_seeds.py out.jsonl --seeds 1 2 --models /tmp/teachers --score-only   # no training
    python scripts/teacher_seeds.py out.jsonl --seeds 1 --set teacher.average_from=0.5 --best /tmp/best

--best DIR (with teacher.average_from): each run's checkpoint best on valid, which the model would be without
averaging, is saved to DIR/seed<N> and scored too (`"variant": "best (checkpoint-<step>)"`): tail averaging leaves the training
itself as it is, so one run gives both models, paired.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from common import on_valid, params_with, seed_study_args
from transformers.trainer_utils import get_last_checkpoint

from aboutness.eval_sets import eval_sets
from aboutness.evaluation import evaluate_model
from aboutness.models import head_outputs, load_classifier, load_tokenizer
from aboutness.paths import split_path
from aboutness.teacher import save_teacher, train_teacher


def main() -> None:
    args = seed_study_args(models={"type": Path, "default": Path("/tmp/teacher_seeds")},
                           score_only={"action": "store_true", "help": "score the models saved under --models, no training"},
                           best={"type": Path, "help": "also save and score each run's checkpoint best on valid"})
    if args.best and params_with(args.set).teacher.average_from is None:
        raise SystemExit("--best compares the best checkpoint with the tail average: set teacher.average_from")
    sets = eval_sets()
    for seed in args.seeds:
        params = params_with(args.set)
        params.teacher.seed = seed
        start = time.perf_counter()
        out = args.models / f"seed{seed}"
        ckpt = args.models / f"ckpt{seed}"
        if not args.score_only:
            train_teacher(params, out=out, ckpt=ckpt)
        runs = [("", out)]
        if args.best:
            state = Path(get_last_checkpoint(str(ckpt))) / "trainer_state.json"
            best = json.loads(state.read_text())["best_model_checkpoint"]
            plain = params_with([*args.set, "teacher.average_from=null"])
            plain.teacher.seed = seed
            save_teacher(load_classifier(best, head_outputs(params.teacher.head), exact=True), load_tokenizer(params.teacher.base), plain,
                         pd.read_parquet(split_path("valid")), args.best / f"seed{seed}")
            runs.append((f"best ({Path(best).name})", args.best / f"seed{seed}"))
        for variant, path in runs:
            score(path, sets, params, seed, args, variant, start)


def score(path: Path, sets, params, seed: int, args, variant: str, start: float) -> None:
    metrics, _ = evaluate_model(path, sets, params.eval, params.seed)
    metrics |= on_valid(path, params)
    keys = ("vital_f1", "macro_f1", "accuracy", "accuracy_main", "accuracy_DIY", "accuracy_CEHAC", "accuracy_Pharma",
            "prod_cards_vital_f1", "elements_vital_f1")
    row = {"teacher.seed": seed, "set": args.set, **({"variant": variant} if variant else {}),
           "valid_macro_f1": metrics["valid_macro_f1"],
           "valid_vital_f1": metrics["valid_vital_f1"], **{k: metrics[k] for k in keys if k in metrics},
           **{k: v for k, v in metrics.items() if "probe_" in k}, "seconds": round(time.perf_counter() - start, 1)}
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
