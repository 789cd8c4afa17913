"""aboutness.curves: DVCLive writes the Trainer's curves at the Trainer's own global step, only the curve keys."""

import json

import numpy as np

from aboutness.params import Training
from conftest import as_params


def test_curves_are_logged_at_the_trainers_global_step(tmp_path, tiny_bert):
    from aboutness.curves import StepCurves
    from aboutness.data import PairDataset
    from aboutness.models import load_classifier, load_tokenizer
    from aboutness.training import PairTrainer, class_metrics, collator, training_args

    tok, model = load_tokenizer(tiny_bert), load_classifier(tiny_bert, 3)
    names = [f"card {i}" for i in range(24)]
    enc = dict(tok(names, [f"a page on {n}" for n in names]))
    data = PairDataset(enc, np.eye(3, dtype=np.float32)[np.arange(24) % 3])
    cfg = {"batch_size": 4, "lr": 1e-3, "lr_end": 0.0, "epochs": 2, "warmup": 0, "weight_decay": 0.0, "eval_steps": 4,
           "loader_workers": None}
    args = training_args(tmp_path / "ckpt", as_params(cfg, Training), seed=0, n_train=24, best_metric="macro_f1",
                         greater_is_better=True)
    trainer = PairTrainer(model=model, args=args, train_dataset=data, eval_dataset=data, data_collator=collator(tok),
                          compute_metrics=class_metrics, head="onetarget")
    trainer.add_callback(StepCurves(tmp_path / "live"))
    trainer.train()

    live = tmp_path / "live"
    summary = json.loads((live / "metrics.json").read_text())
    assert set(summary) == {"step", "train", "eval"}
    assert set(summary["eval"]) == {"loss", "accuracy", "macro_f1"} and set(summary["train"]) == {"loss"}
    eval_steps = [int(line.split("\t")[0]) for line in (live / "plots/metrics/eval/loss.tsv").read_text().splitlines()[1:]]
    assert eval_steps == [4, 8, 12]  # 12 steps in all, valid every 4: DVCLive's own counter gave 1, 3, 5, ...
    train_steps = [int(line.split("\t")[0]) for line in (live / "plots/metrics/train/loss.tsv").read_text().splitlines()[1:]]
    assert train_steps == list(range(4, 13, 4))  # logging_steps = min(10, eval_steps) = 4
    assert summary["step"] == 12
    assert not (live / "params.yaml").exists()  # the params are params.yaml's, not logged again
