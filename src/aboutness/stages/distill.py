"""Stage `distill`: train a small student on the teacher's scores of the pools (aboutness.student)."""

from __future__ import annotations

from aboutness.files import write_json
from aboutness.params import load_params
from aboutness.paths import REPORTS
from aboutness.runner import stage
from aboutness.student import distill

DETAIL = REPORTS / "student_train.json"


@stage
def main() -> None:
    params = load_params()
    metrics = distill(params)
    if not metrics:  # a torchrun rank other than 0
        return
    write_json(DETAIL, metrics)
    print(f"distill: valid vital F1 {metrics['valid_vital_f1']:.3f}, {metrics['steps']} steps")


if __name__ == "__main__":
    main()
