"""Stage `train_teacher`: fine-tune the base model on the labelled pairs (aboutness.teacher)."""

from __future__ import annotations

from aboutness.files import write_json
from aboutness.params import load_params
from aboutness.paths import CHECKPOINTS, REPORTS, TEACHER
from aboutness.runner import stage
from aboutness.teacher import train_teacher

DETAIL = REPORTS / "teacher_train.json"


@stage
def main() -> None:
    params = load_params()
    metrics = train_teacher(params, TEACHER, CHECKPOINTS["teacher"])
    if not metrics:  # a torchrun rank other than 0
        return
    write_json(DETAIL, metrics)
    print(f"train_teacher: valid accuracy {metrics['valid_accuracy']:.3f}, {metrics['steps']} steps")


if __name__ == "__main__":
    main()
