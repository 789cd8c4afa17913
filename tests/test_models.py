import logging
import types

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from aboutness.data import encode
from aboutness.errors import InputError
from aboutness.heads import class_scores
from aboutness.inference import predict_logits, scoring_batch_size
from aboutness.metrics import bagged_vital_threshold, best_vital_threshold, vital_f1
from aboutness.models import (
    load_classifier,
    load_saved,
    load_tokenizer,
    max_sim,
    pair_segments,
    save_meta,
    save_model_dir,
    set_attention_dropout,
    set_pooling,
    truncate_layers,
)
from aboutness.params import Training
from aboutness.student import build_student
from aboutness.teacher import fit_thresholds
from aboutness.training import LengthGroupedIndices, per_example_loss
from conftest import as_params, raw_params, save_tiny_bert

TEXT = {"card_fields": ["title", "subtitle"], "doc_fields": ["title", "url", "body"], "seq_len": 40}


def toy_pairs(n=24, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array(["about", "mention", "not_about"])[np.arange(n) % 3]
    rows = []
    for i, lab in enumerate(labels):
        name = ["Mercury", "Venus", "Paris", "Rome"][i % 4]
        title = {"about": name, "mention": f"Planets near {name}", "not_about": "Cheese"}[lab]
        rows.append({"card_id": f"c{i % 4}", "card_title": name, "card_subtitle": "planet", "doc_title": title,
                     "doc_url": f"https://x.org/{title.replace(' ', '_')}", "doc_body": " ".join(rng.choice(["a", "b", name], 30)),
                     "label": lab, "group": "main", "weight": 1.0})
    return pd.DataFrame(rows)


def test_truncate_layers_keeps_exactly_k(tiny_bert):
    model = load_classifier(tiny_bert, 3)
    truncate_layers(model, 2)
    assert len(model.bert.encoder.layer) == 2 and model.config.num_hidden_layers == 2
    with pytest.raises(InputError, match=r"layers=5: the model has 2 encoder layers; choose 1..2"):
        truncate_layers(model, 5)
    with pytest.raises(InputError, match="layers=0"):
        truncate_layers(model, 0)


def test_trunc_init_copies_the_teachers_bottom_layers(tiny_bert, tmp_path):
    teacher = load_classifier(tiny_bert, 3)
    params = {"model": {"init": "trunc", "layers": 2, "layer_map": "bottom", "pooling": "cls", "attention_dropout": None},
              "teacher": {"allow_pickle": False}}
    student, _ = build_student(as_params(params), 1, teacher_dir=tiny_bert)
    assert len(student.bert.encoder.layer) == 2
    t_state, s_state = teacher.state_dict(), student.state_dict()
    copied = [k for k in s_state if k.startswith("bert.")]
    assert any("encoder.layer.1." in k for k in copied) and not any("encoder.layer.2." in k for k in copied)
    for k in copied:
        assert torch.equal(s_state[k], t_state[k]), k
    assert s_state["classifier.weight"].shape == (1, 32)   # a new vital head


def test_pretrained_init_cuts_the_base_model(tiny_bert):
    params = {"model": {"init": "pretrained", "layers": 1, "layer_map": "bottom", "pooling": "mean", "base": str(tiny_bert),
                        "attention_dropout": 0.0},
              "teacher": {"allow_pickle": False}}
    student, _ = build_student(as_params(params), 3)
    assert student.config.num_hidden_layers == 1 and student.config.attention_probs_dropout_prob == 0.0
    assert type(student.base_model.pooler).__name__ == "MeanPooler"


def test_attention_dropout_switches_off_only_the_dropout_on_attention(tiny_bert, capsys):
    kept, off = load_classifier(tiny_bert, 3), load_classifier(tiny_bert, 3, attention_dropout=0.0)
    assert kept.config.attention_probs_dropout_prob == 0.1  # BertConfig's own
    assert off.config.attention_probs_dropout_prob == 0.0 and off.config.hidden_dropout_prob == 0.1
    batch = load_tokenizer(tiny_bert)(["Mercury planet"] * 4, ["Mercury - Wikipedia"] * 4, return_tensors="pt")
    for model in (kept, off):
        model.train()
        for name, module in model.named_modules():  # all other dropout off: only attention's can differ
            if isinstance(module, torch.nn.Dropout) and not name.endswith("attention.self.dropout"):
                module.p = 0.0
    torch.manual_seed(0)
    assert torch.equal(off(**batch).logits, off(**batch).logits)
    assert not torch.equal(kept(**batch).logits, kept(**batch).logits)
    with pytest.raises(InputError, match=r"attention_dropout: 1.5; expected a probability in \[0, 1\)"):
        load_classifier(tiny_bert, 3, attention_dropout=1.5)
    set_attention_dropout(types.SimpleNamespace(model_type="toy"), 0.0, tiny_bert)
    assert "(toy) has none of attention_probs_dropout_prob, attention_dropout" in capsys.readouterr().out


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


def test_msetarget_thresholds_separate_a_separable_set():
    score = np.array([0.05, 0.1, 0.2, 0.42, 0.5, 0.58, 0.85, 0.9, 1.0])
    gold = np.array(["not_about"] * 3 + ["mention"] * 3 + ["about"] * 3)
    lo, hi = fit_thresholds(score, gold)
    assert 0.2 < lo <= 0.42 and 0.58 < hi <= 0.85
    _, pred = class_scores(score[:, None], {"head": "msetarget", "thresholds": [lo, hi]})
    assert (pred == gold).all()
    assert 0.3 < best_vital_threshold(np.array([0.1, 0.2, 0.3, 0.8, 0.9]), np.array(["not_about"] * 3 + ["about"] * 2)) <= 0.8


def test_vital_threshold_finds_the_best_cut_among_few_high_scores():
    # As on valid: most pairs are sure negatives, and the cut that matters lies among the few high
    # scores, where a grid of quantiles has no candidate. Every about scores above both hard negatives.
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 0.01, 980), [0.55, 0.6], np.linspace(0.7, 0.99, 8)])
    gold = np.array(["not_about"] * 982 + ["about"] * 8)
    cut = best_vital_threshold(p, gold)
    assert cut == pytest.approx(0.65)  # halfway between the hard negative at 0.6 and the lowest about
    assert vital_f1(gold, np.where(p >= cut, "about", "")) == 1.0
    assert best_vital_threshold(p, np.array(["not_about"] * 990)) == 0.5  # nothing to fit
    assert best_vital_threshold(p, np.array(["about"] * 990)) == p.min()  # all about: keep every row
    nan = p.copy()
    nan[:5] = np.nan  # a diverged checkpoint's scores: ranked last, not an error mid-training
    assert best_vital_threshold(nan, gold) == pytest.approx(0.65)


def test_bagged_vital_threshold_lands_nearer_the_population_best_cut():
    # Valid is a small sample: its single best cut sits in whichever gap its scores happen to have.
    # The mean over bootstrap resamples is steadier; on 20 samples of 300 pairs it lies nearer the cut
    # that is best on 200,000 pairs of the same population, and scores a higher F1 there.
    rng = np.random.default_rng(0)

    def sample(n):
        about = rng.random(n) < 0.2
        return np.where(about, rng.beta(5, 2, n), rng.beta(2, 5, n)), np.where(about, "about", "not_about")

    big_p, big_gold = sample(200_000)
    best = best_vital_threshold(big_p, big_gold)
    err_single, err_bagged, f1_single, f1_bagged = [], [], [], []
    for i in range(20):
        p, gold = sample(300)
        single, bagged = best_vital_threshold(p, gold), bagged_vital_threshold(p, gold, seed=i, rounds=200)
        err_single.append(abs(single - best))
        err_bagged.append(abs(bagged - best))
        f1_single.append(vital_f1(big_gold, np.where(big_p >= single, "about", "")))
        f1_bagged.append(vital_f1(big_gold, np.where(big_p >= bagged, "about", "")))
    assert np.mean(err_bagged) < 0.8 * np.mean(err_single)
    assert np.mean(f1_bagged) > np.mean(f1_single)
    assert bagged_vital_threshold(p, gold, seed=1, rounds=200) == bagged_vital_threshold(p, gold, seed=1, rounds=200)
    assert bagged_vital_threshold(p, np.array(["not_about"] * 300), seed=1) == 0.5  # nothing to fit


def test_saved_model_reloads_with_identical_logits(tiny_bert, tmp_path):
    model = truncate_layers(load_classifier(tiny_bert, 3), 3)
    tok = load_tokenizer(tiny_bert)
    before = predict_logits(model, tok, toy_pairs(), TEXT, batch_size=5)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    save_meta(tmp_path / "m", {"head": "onetarget"})
    again = load_classifier(tmp_path / "m", 3)
    assert again.config.num_hidden_layers == 3
    after = predict_logits(again, load_tokenizer(tmp_path / "m"), toy_pairs(), TEXT, batch_size=5)
    np.testing.assert_array_equal(before, after)


def test_mean_pooling_leaves_padding_out_and_survives_save_and_load(tiny_bert, tmp_path):
    tok = load_tokenizer(tiny_bert)
    pairs = toy_pairs()
    pairs["doc_body"] = [" ".join(["word"] * (i % 5) * 3) for i in range(len(pairs))]  # batched, short ones are padded
    cls = load_classifier(tiny_bert, 1)
    mean = set_pooling(load_classifier(tiny_bert, 1), "mean").eval()
    one_by_one = predict_logits(mean, tok, pairs, TEXT, batch_size=1)
    batched = predict_logits(mean, tok, pairs, TEXT, batch_size=len(pairs))
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)  # padding does not enter the mean
    # the head reads the mean of the token states, not [CLS]: same weights, other scores
    assert np.abs(predict_logits(cls, tok, pairs, TEXT, batch_size=1) - one_by_one).max() > 1e-3
    enc = tok("a card", "a document", return_tensors="pt")
    with torch.no_grad():
        hidden = mean.base_model(**enc).last_hidden_state
        pooled = mean.base_model.pooler.activation(mean.base_model.pooler.dense(hidden.mean(1)))
        np.testing.assert_allclose(mean.classifier(pooled).numpy(), mean(**enc).logits.numpy(), atol=1e-6)
    save_model_dir(tmp_path / "m", mean, tok, {"head": "vital", "pooling": "mean"})
    again, meta = load_saved(tmp_path / "m")
    assert meta["pooling"] == "mean"
    np.testing.assert_array_equal(predict_logits(again, tok, pairs, TEXT, batch_size=1), one_by_one)
    with pytest.raises(InputError, match="pooling: 'max'; expected one of cls, mean, match"):
        set_pooling(load_classifier(tiny_bert, 1), "max")


def test_max_sim_scores_how_much_of_the_card_the_doc_holds():
    # [CLS] a b [SEP] | doc [SEP] [PAD]: token states are one-hot "words", so a cosine is 1 for the same word
    words = torch.eye(6)
    def pair(card, doc, pad=0):
        ids = [5, *card, 5, *doc, 5] + [0] * pad   # word 5 stands for the special tokens, and is the separator
        mask = [1] * (len(card) + len(doc) + 3) + [0] * pad
        return words[ids], torch.tensor(ids), torch.tensor(mask)
    rows = [pair([1, 2], [1, 2, 3]), pair([1, 2], [1, 3, 4]), pair([1, 2], [3, 4, 4]), pair([1, 2], [2], pad=2)]
    hidden, ids, mask = (torch.stack(x) for x in zip(*rows))
    card, doc = pair_segments(ids, mask, 5)
    # all of the card; half; none (the [SEP]s, the same "word" on both sides, never count); half, padding left out
    np.testing.assert_allclose(max_sim(hidden, card, doc).numpy(), [1.0, 0.5, 0.0, 0.5], atol=1e-6)
    hidden[3, -2:] = words[1]   # padding that would match the card's first word: masked, no change
    assert max_sim(hidden, *pair_segments(ids, mask, 5))[3].item() == pytest.approx(0.5)


def test_match_pooling_adds_the_card_match_and_survives_save_and_load(tiny_bert, tmp_path):
    tok, pairs = load_tokenizer(tiny_bert), toy_pairs()
    torch.manual_seed(0)
    match = set_pooling(load_classifier(tiny_bert, 1), "match", tok.sep_token_id).eval()
    mean = set_pooling(load_classifier(tiny_bert, 1), "mean").eval()
    enc = tok("a card", "a document", return_tensors="pt")
    with torch.no_grad():
        hidden = match.base_model(**enc).last_hidden_state
        card, doc = pair_segments(enc["input_ids"], enc["attention_mask"], tok.sep_token_id)
        assert card.sum() == len(tok("a card", add_special_tokens=False)["input_ids"])
        extra = max_sim(hidden, card, doc)[:, None] * match.base_model.pooler.match
        np.testing.assert_allclose(match.base_model.pooler(hidden).numpy(), (mean.base_model.pooler(hidden) + extra).numpy(), atol=1e-6)
    before = predict_logits(match, tok, pairs, TEXT, batch_size=1)
    np.testing.assert_allclose(predict_logits(match, tok, pairs, TEXT, batch_size=len(pairs)), before, atol=1e-5)
    save_model_dir(tmp_path / "m", match, tok, {"head": "vital", "pooling": "match"})
    torch.manual_seed(1)  # a fresh `match` vector is drawn at load: the saved one must replace it
    again, meta = load_saved(tmp_path / "m")
    assert meta["pooling"] == "match"
    np.testing.assert_array_equal(predict_logits(again, tok, pairs, TEXT, batch_size=1), before)
    # no token_type_ids needed: the separators say where the card ends (RoBERTa, DistilBERT, ModernBERT send none;
    # before, match pooling refused such input)
    with torch.no_grad():
        assert torch.isfinite(match(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits).all()
    with pytest.raises(InputError, match="sep_token_id"):
        set_pooling(load_classifier(tiny_bert, 1), "match")


def test_load_saved_is_quiet_and_refuses_weights_that_do_not_fit(tiny_bert, tmp_path, caplog):
    """A saved match student loads without transformers' load report (which listed `pooler.match` as
    unexpected on every load); a saved model with a weight gone is an error naming it, not a warning."""
    tok = load_tokenizer(tiny_bert)
    model = set_pooling(load_classifier(tiny_bert, 1), "match", tok.sep_token_id)
    save_model_dir(tmp_path / "m", model, tok, {"head": "vital", "pooling": "match"})
    caplog.clear()
    load_saved(tmp_path / "m")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    load_classifier(tiny_bert, 7)  # a base with a new head of another size still gets the report
    assert any("LOAD REPORT" in r.getMessage() for r in caplog.records)
    weights = tmp_path / "m/model.safetensors"
    state = load_file(weights)
    del state["classifier.weight"]
    save_file(state, weights, metadata={"format": "pt"})
    with pytest.raises(InputError, match=r"m: its weights do not fit its config.json \(missing: classifier.weight\)"):
        load_saved(tmp_path / "m")


def test_scoring_in_chunks_and_loader_workers_matches_row_by_row(tiny_bert):
    model, tok = load_classifier(tiny_bert, 3), load_tokenizer(tiny_bert)
    df = toy_pairs(30, seed=2)
    df["doc_body"] = [b[: 10 + 7 * i] for i, b in enumerate(df["doc_body"])]  # lengths differ: padding matters
    alone = np.concatenate([predict_logits(model, tok, df.iloc[[i]], TEXT) for i in range(len(df))])
    sorted_batches = predict_logits(model, tok, df, TEXT, batch_size=4)
    workers = predict_logits(model, tok, df, TEXT, batch_size=4, workers=2, chunk_rows=7)
    np.testing.assert_allclose(sorted_batches, alone, atol=1e-5)
    np.testing.assert_allclose(workers, alone, atol=1e-5)
    assert predict_logits(model, tok, df.head(0), TEXT).shape == (0, 3)
    # "auto" on CPU: 3,072 tokens a batch, so 76 pairs of seq_len 40; the whole frame fits one batch
    np.testing.assert_allclose(predict_logits(model, tok, df, TEXT, batch_size="auto"), alone, atol=1e-5)


def test_auto_batch_size_is_a_token_budget_and_bad_settings_name_the_param():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert scoring_batch_size("auto", cpu, 192) == 16 and scoring_batch_size("auto", cpu, 64) == 48
    assert scoring_batch_size("auto", gpu, 192) == 2048 and scoring_batch_size("auto", cpu, 10_000) == 1
    assert scoring_batch_size(5, gpu, 192) == 5
    for bad in (0, -3, "big", 2.5, True, None):
        with pytest.raises(InputError, match=r"eval\.batch_size: expected a positive integer or 'auto'"):
            scoring_batch_size(bad, cpu, 192, "eval.batch_size")


def test_pickle_only_directory_is_refused(tmp_path):
    path = save_tiny_bert(tmp_path / "p", layers=1)
    state = load_classifier(path, 3).state_dict()
    (path / "model.safetensors").unlink()
    torch.save(state, path / "pytorch_model.bin")
    with pytest.raises(InputError, match="only a pickle checkpoint.*allow_pickle: true"):
        load_classifier(path, 3)
    assert load_classifier(path, 3, allow_pickle=True).config.num_hidden_layers == 1


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


def test_balanced_class_weights_give_every_class_the_same_total_weight():
    from aboutness.teacher import row_weights

    train = pd.DataFrame({"label": ["about"] * 2 + ["mention"] * 3 + ["not_about"] * 7, "weight": [1.0] * 11 + [3.0]})
    w = row_weights(train, "balanced")
    totals = pd.Series(w / train["weight"]).groupby(train["label"]).sum()
    assert np.allclose(totals, 4.0) and w[-1] == pytest.approx(3 * 12 / (3 * 7))
    assert (row_weights(train, None) == train["weight"]).all()


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


def test_collapse_guard_names_both_scores_and_the_param():
    from aboutness.student import check_collapse

    check_collapse(0.75, {"valid_vital_f1": 0.9}, 0.8)  # 0.75 >= 0.72: a weaker student, not a collapse
    with pytest.raises(InputError, match=r"valid vital F1 0\.320 is below distill\.min_share 0\.8 x the teacher's 0\.900"):
        check_collapse(0.32, {"valid_vital_f1": 0.9}, 0.8)
    with pytest.raises(InputError, match="re-run train_teacher"):
        check_collapse(0.9, {}, 0.8)




def test_run_fingerprint_changes_with_every_input_that_shapes_a_run(tmp_path, monkeypatch, tiny_bert):
    """Resuming another run's checkpoint saved the old model as the new one: text.py, models.py, the base
    model's weights and the world size were not part of the old fingerprint (issue 14, point 3)."""
    import shutil

    from aboutness.checkpoints import run_fingerprint

    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/text.py").write_text("def card_text(): ...\n")
    (tmp_path / "data.parquet").write_bytes(b"rows")
    base = tmp_path / "base_models/bert"
    shutil.copytree(tiny_bert, base)
    params = as_params(raw_params())  # the object the stages pass

    def fp(**kw):
        files = (tmp_path / "src/text.py", tmp_path / "data.parquet")
        return run_fingerprint("train_teacher", params, ("seed", "teacher"), "base_models/bert", files, **kw)

    first = fp()
    assert fp() == first
    params.model.lr = 3e-4  # a param the stage does not declare changes nothing
    assert fp() == first
    (tmp_path / "src/text.py").write_text("def card_text(): return 'other'\n")
    second = fp()
    assert second != first
    weights = next(base.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    third = fp()
    assert third != second
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert fp() != third
    monkeypatch.delenv("WORLD_SIZE")
    params.teacher.lr = 2e-4
    assert fp() != third
    params.teacher.lr, params.teacher.head = 1e-4, "msetarget"  # a new head must not resume the old one's optimizer
    assert fp() != third


def test_spread_layer_map_keeps_layers_from_first_to_last(tiny_bert):
    """model.layer_map: spread takes k layers evenly from the first to the last, as DistilBERT did (0, 2, 4, 7, 9, 11)."""
    import torch

    from aboutness.models import encoder_layers, layer_indices, load_classifier, truncate_layers

    assert layer_indices(12, 6, "spread") == [0, 2, 4, 7, 9, 11]
    assert layer_indices(6, 2, "spread") == [0, 5] and layer_indices(6, 2, "bottom") == [0, 1]
    full = load_classifier(tiny_bert, 3)  # 4 layers
    weights = [layer.attention.self.query.weight.clone() for layer in encoder_layers(full)]
    model = truncate_layers(load_classifier(tiny_bert, 3), 2, "spread")
    kept = encoder_layers(model)
    assert model.config.num_hidden_layers == 2 == len(kept)
    assert torch.equal(kept[0].attention.self.query.weight, weights[0])
    assert torch.equal(kept[1].attention.self.query.weight, weights[3])


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
