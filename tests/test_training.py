"""aboutness.training: the losses, the Trainer (row weights, hidden-state matching, length-grouped batches) and its args."""


import numpy as np
import pytest
import torch

from aboutness.data import encode
from aboutness.models import load_classifier, load_tokenizer, truncate_layers
from aboutness.params import Training
from aboutness.training import LengthGroupedIndices, per_example_loss
from conftest import TEXT, as_params, toy_pairs


def test_a_few_steps_lower_the_loss(tiny_bert):
    torch.manual_seed(0)
    model = load_classifier(tiny_bert, 3)
    tok = load_tokenizer(tiny_bert)
    df = toy_pairs()
    batch = tok.pad(encode(tok, df, TEXT), return_tensors="pt")
    target = torch.eye(3)[torch.tensor(df["label"].map({"about": 0, "mention": 1, "not_about": 2}).to_numpy())]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss = per_example_loss(model(**batch).logits, target, "onetarget", "ce").mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0] and losses[-1] < min(losses[:5])


def test_distillation_brings_student_towards_teacher(tiny_bert):
    torch.manual_seed(1)
    tok = load_tokenizer(tiny_bert)
    pool = toy_pairs(48, seed=3)
    teacher_p = torch.tensor(np.where(pool["label"] == "about", 0.9, 0.05), dtype=torch.float32)
    student = truncate_layers(load_classifier(tiny_bert, 1), 1)
    batch = tok.pad(encode(tok, pool, {**TEXT, "doc_fields": ["title", "url"]}), return_tensors="pt")
    opt = torch.optim.AdamW(student.parameters(), lr=3e-3)

    def gap() -> float:
        with torch.no_grad():
            return float((torch.sigmoid(student(**batch).logits[:, 0]) - teacher_p).abs().mean())

    start = gap()
    for _ in range(30):
        per_example_loss(student(**batch).logits, teacher_p, "vital", "mse").mean().backward()
        opt.step()
        opt.zero_grad()
    assert gap() < 0.5 * start


def test_row_weights_reach_the_loss(tiny_bert, tmp_path):
    """The Trainer drops dataset columns the model's forward does not take unless told not to: `weight`
    must reach compute_loss, and a weighted batch must give another loss than an unweighted one."""
    from aboutness.data import PairDataset
    from aboutness.models import load_classifier, load_tokenizer
    from aboutness.training import PairTrainer, collator, training_args

    tok, model = load_tokenizer(tiny_bert), load_classifier(tiny_bert, 3)
    enc = dict(tok(["mercury", "venus", "mars"], ["a planet", "a goddess", "a god"]))
    targets = np.eye(3, dtype=np.float32)[[0, 1, 2]]
    cfg = {"batch_size": 3, "lr": 1e-3, "epochs": 1, "warmup": 0, "weight_decay": 0.0, "eval_steps": None}
    args = training_args(tmp_path, as_params(cfg, Training), seed=0, n_train=3, best_metric="loss", greater_is_better=False)
    losses = {}
    for name, w in (("flat", np.ones(3)), ("weighted", np.array([10.0, 1.0, 0.1]))):
        data = PairDataset(enc, targets, w)
        trainer = PairTrainer(model=model, args=args, train_dataset=data, eval_dataset=data,
                              data_collator=collator(tok), head="onetarget")
        batch = next(iter(trainer.get_train_dataloader()))
        assert sorted(batch["weight"].tolist()) == pytest.approx(sorted(w.tolist())), name
        with torch.no_grad():
            losses[name] = float(trainer.compute_loss(model, batch))
    assert losses["flat"] != pytest.approx(losses["weighted"])


def test_mse_logits_matches_the_teachers_log_odds():
    import torch

    from aboutness.training import per_example_loss

    p = torch.tensor([0.1, 0.5, 0.9])
    log_odds = torch.log(p / (1 - p)).unsqueeze(1)
    assert torch.allclose(per_example_loss(log_odds, p, "vital", "mse_logits"), torch.zeros(3), atol=1e-5)
    assert torch.allclose(per_example_loss(log_odds + 1, p, "vital", "mse_logits"), torch.ones(3), atol=1e-5)


def test_lr_end_sets_a_floor_under_the_decay(tmp_path):
    from aboutness.training import training_args

    cfg = {"lr": 1e-4, "epochs": 2, "batch_size": 16, "warmup": 0.1, "weight_decay": 0.0, "eval_steps": None}
    linear = training_args(tmp_path, as_params({**cfg, "lr_end": 0.0}, Training), 1, 320, "macro_f1", True)
    floor = training_args(tmp_path, as_params({**cfg, "lr_end": 0.35}, Training), 1, 320, "macro_f1", True)
    assert linear.lr_scheduler_type == "linear"
    assert floor.lr_scheduler_type == "cosine_with_min_lr" and floor.lr_scheduler_kwargs == {"min_lr_rate": 0.35}


def test_hidden_state_matching_adds_the_teachers_hidden_states_to_the_loss(tiny_bert, tmp_path):
    """distill.hidden_weight: a student cut from the teacher (trunc, bottom layers) matches the teacher's own
    layers exactly, so the term is 0 with an identity map and positive with TinyBERT's uniform map; in
    training only, and scaled by its weight."""
    from aboutness.data import PairDataset
    from aboutness.models import load_classifier, load_tokenizer, truncate_layers
    from aboutness.training import PairTrainer, collator, training_args

    tok, teacher = load_tokenizer(tiny_bert), load_classifier(tiny_bert, 1)
    student = truncate_layers(load_classifier(tiny_bert, 1), 2)
    student.classifier.load_state_dict(teacher.classifier.state_dict())
    enc = dict(tok(["mercury", "venus", "mars"], ["a planet", "a goddess", "a god of war"]))
    data = PairDataset(enc, np.array([0.9, 0.1, 0.5], dtype=np.float32))
    cfg = {"batch_size": 3, "lr": 1e-3, "epochs": 1, "warmup": 0, "weight_decay": 0.0, "eval_steps": None}
    args = training_args(tmp_path, as_params(cfg, Training), seed=0, n_train=3, best_metric="loss", greater_is_better=False)

    def loss(weight: float, pairs: list[tuple[int, int]], training: bool = True) -> float:
        trainer = PairTrainer(model=student, args=args, train_dataset=data, eval_dataset=data, data_collator=collator(tok),
                              head="vital", teacher=teacher, hidden_weight=weight, hidden_layers=pairs)
        student.train(training)
        torch.manual_seed(0)
        with torch.no_grad():
            return float(trainer.compute_loss(student, next(iter(trainer.get_train_dataloader()))))

    for module in [*student.modules(), *teacher.modules()]:  # no dropout: only the hidden term tells losses apart
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    plain = loss(0.0, [])
    assert loss(1.0, [(1, 1), (2, 2)]) == pytest.approx(plain, abs=1e-6)  # the student's layers are the teacher's
    uniform = loss(1.0, [(1, 2), (2, 4)]) - plain  # student layer 2 learns the teacher's last (4th) layer
    assert uniform > 1e-5
    assert loss(3.0, [(1, 2), (2, 4)]) - plain == pytest.approx(3 * uniform, rel=1e-2)
    assert loss(1.0, [(1, 2), (2, 4)], training=False) == pytest.approx(plain, abs=1e-6)  # valid loss: head only


@pytest.mark.parametrize("n", [0, 7, 130, 5000])
def test_length_grouped_indices_give_the_trainers_order(n):
    """Our numpy sampler must yield exactly what transformers' group_by_length sampler yields from the same
    torch generator state, so the student trains on the same batches; lengths with many ties."""
    from transformers.trainer_pt_utils import get_length_grouped_indices

    lengths = np.random.default_rng(n).integers(5, 40, n)
    torch.manual_seed(11)
    theirs = get_length_grouped_indices(lengths.tolist(), 8) if n else []
    torch.manual_seed(11)
    ours = list(LengthGroupedIndices(lengths, 8))
    assert ours == theirs and sorted(ours) == list(range(n))
    if n > 8:
        assert lengths[ours[0]] == lengths.max()


def test_trainer_groups_a_datasets_pool_by_its_own_length_column(tiny_bert, tmp_path):
    """The student's pools are a datasets.Dataset with a `length` column: the sampler reads that column,
    through any indices mapping (a selected subset), and its first batch holds the longest rows."""
    import datasets

    from aboutness.models import load_classifier, load_tokenizer
    from aboutness.training import PairTrainer, collator, training_args

    tok, model = load_tokenizer(tiny_bert), load_classifier(tiny_bert, 1)
    texts = [" ".join(["word"] * n) for n in range(1, 41)]
    enc = dict(tok(texts, ["doc"] * 40))
    full = datasets.Dataset.from_dict({**enc, "labels": np.zeros(40, np.float32), "weight": np.ones(40, np.float32),
                                       "length": [len(ids) for ids in enc["input_ids"]]})
    subset = full.select(range(0, 40, 2))  # an indices mapping over the Arrow table
    cfg = {"batch_size": 4, "lr": 1e-3, "epochs": 1, "warmup": 0, "weight_decay": 0.0, "eval_steps": None}
    args = training_args(tmp_path, as_params(cfg, Training), seed=0, n_train=20, best_metric="loss", greater_is_better=False)
    trainer = PairTrainer(model=model, args=args, train_dataset=subset, eval_dataset=subset, data_collator=collator(tok),
                          head="vital")
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, LengthGroupedIndices)
    assert sampler.lengths.tolist() == subset["length"][:]
    first = next(iter(trainer.get_train_dataloader()))
    assert first["input_ids"].shape[1] == max(subset["length"][:])


def test_tail_average_is_the_mean_of_the_weights_after_each_step_and_survives_a_resume(tiny_bert, tmp_path):
    """teacher.average_from: the model becomes the mean of the weights after every step from that share of
    training on (steps 4..8 of 8 at 0.5), not the last step's; a run resumed from a checkpoint after the
    averaging began ends with the same mean as the unbroken run, since the mean is saved with the checkpoint."""
    from transformers import TrainerCallback

    from aboutness.data import PairDataset
    from aboutness.training import PairTrainer, TailAverage, collator, training_args

    tok = load_tokenizer(tiny_bert)
    df = toy_pairs(24)
    data = PairDataset(encode(tok, df, TEXT), np.eye(3, dtype=np.float32)[np.arange(24) % 3])
    cfg = {"batch_size": 3, "lr": 1e-3, "epochs": 1, "warmup": 0, "weight_decay": 0.0, "eval_steps": 2, "average_from": 0.5}
    args = training_args(tmp_path / "ckpt", as_params(cfg, Training), seed=0, n_train=24, best_metric="loss",
                         greater_is_better=False)
    assert not args.load_best_model_at_end  # the mean is the model
    args.save_total_limit = None  # keep checkpoint-6 to resume from

    class Record(TrainerCallback):
        def __init__(self):
            self.steps = {}

        def on_step_end(self, args, state, control, model=None, **kwargs):
            self.steps[state.global_step] = {n: p.detach().clone() for n, p in model.named_parameters()}

    def run(resume: str | None = None) -> tuple[dict, dict]:
        torch.manual_seed(0)
        record = Record()
        trainer = PairTrainer(model=load_classifier(tiny_bert, 3), args=args, train_dataset=data, eval_dataset=data,
                              data_collator=collator(tok), head="onetarget", callbacks=[record])
        trainer.fit(resume, average_from=0.5)
        return {n: p.detach().clone() for n, p in trainer.model.named_parameters()}, record.steps

    mean, steps = run()
    assert sorted(steps) == list(range(1, 9))
    for name, value in mean.items():
        expected = torch.stack([steps[s][name] for s in range(4, 9)]).mean(0)
        assert torch.allclose(value, expected, atol=1e-6), name
    name = "classifier.weight"
    assert not torch.allclose(mean[name], steps[8][name], atol=1e-4)  # not the last step's weights
    assert (tmp_path / "ckpt" / "checkpoint-2" / TailAverage.FILE).exists() is False  # before the averaging began
    resumed, _ = run(str(tmp_path / "ckpt" / "checkpoint-6"))
    for name, value in mean.items():
        assert torch.allclose(resumed[name], value, atol=1e-5), name
