"""Stage `compare`: the student beside the teacher it distils, and the plots of both.

Small on purpose: it reads the two `evaluate@<model>` results, so a student experiment
re-runs `distill`, `evaluate@student` and this, and the teacher's evaluation stays cached."""

from __future__ import annotations

import json

import pandas as pd

from aboutness.eval_sets import PRED_DIR
from aboutness.files import write_json
from aboutness.paths import LIVE, REPORTS, TRAINED
from aboutness.plots import write_pngs
from aboutness.runner import stage

DETAIL = REPORTS / "compare.json"


def shares(teacher: dict, student: dict) -> dict[str, float]:
    """The student's vital F1 as a share of the teacher's, on every set both were scored on, and on
    production cards against the teacher on full cards (test): the share a shipped student keeps."""
    out = {}
    for key, s in student.items():
        if key.endswith("vital_f1") and key in teacher:
            out[f"{key}_share_of_teacher"] = s / teacher[key] if teacher[key] else 0.0
    if "prod_cards_vital_f1" in student:
        out["prod_cards_vital_f1_share_of_teacher_full_cards"] = (
            student["prod_cards_vital_f1"] / teacher["vital_f1"] if teacher["vital_f1"] else 0.0)
    return out


@stage
def main() -> None:
    results = {name: json.loads((REPORTS / f"{name}.json").read_text(encoding="utf-8")) for name in TRAINED}
    out = shares(results["teacher"], results["student"])
    write_json(DETAIL, out)
    write_pngs({name: pd.read_parquet(PRED_DIR / name / "test.parquet") for name in TRAINED}, LIVE)
    for key, value in out.items():
        print(f"compare: student {key} {value:.3f}")


if __name__ == "__main__":
    main()
