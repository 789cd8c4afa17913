"""aboutness.model_card: the card a shipped model carries, and what it says about loading it."""

import json

import numpy as np
import pandas as pd

from aboutness.model_card import CARD, render_card, ship

METRICS = {"vital_f1": 0.9461, "vital_f1_ci_low": 0.931, "vital_f1_ci_high": 0.960, "macro_f1": 0.935,
           "accuracy": 0.94, "accuracy_ci_low": 0.93, "accuracy_ci_high": 0.95, "accuracy_DIY": 0.98,
           "elements_vital_f1": 0.832, "elements_vital_f1_ci_low": 0.77, "elements_vital_f1_ci_high": 0.89,
           "prod_cards_vital_f1": 0.928, "vital_f1_share_of_teacher": 0.97, "probe_inv_site": 0.985}
META = {"head": "onetarget", "layers": 6, "text": {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"],
                                                   "seq_len": 64},
        "vital_threshold": 0.41, "params": {"seed": 42, "teacher": {"lr": 1e-4}}}


def test_the_card_holds_this_runs_figures_and_params():
    card = render_card("teacher", META, METRICS)
    assert "| vital F1 (test) | 94.6 [93.1, 96.0] |" in card
    assert "| vital F1 on elements | 83.2 [77.0, 89.0] |" in card and "| vital F1 on prod_cards | 92.8 |" in card
    assert "| accuracy, group DIY | 98.0 |" in card and "| probe inv_site (pass rate) | 98.5 |" in card
    assert "share" not in card  # a ratio to the teacher is no eval set
    assert '"lr": 0.0001' in card and "P(about) >= 0.410" in card
    assert card.startswith("---\nlibrary_name: transformers\n")


def test_a_pooled_student_card_warns_that_a_bare_from_pretrained_scores_wrong():
    card = render_card("student", {**META, "head": "vital", "pooling": "match", "threshold": 0.5}, METRICS)
    assert "not the `match` pooling" in card and "its scores are wrong" in card
    assert "gives the same logits" in render_card("teacher", META, METRICS)


def test_ship_copies_the_trained_model_and_adds_the_card(tmp_path):
    trained, shipped = tmp_path / "trained", tmp_path / "models/teacher"
    trained.mkdir()
    (trained / "model.safetensors").write_bytes(b"weights")
    shipped.mkdir(parents=True)
    (shipped / "stale.bin").write_bytes(b"old")  # a file of an older run does not stay
    assert ship(trained, shipped, "card\n") == shipped / CARD
    assert sorted(p.name for p in shipped.iterdir()) == [CARD, "model.safetensors"]
    assert not (trained / CARD).exists()


def test_what_the_card_says_of_a_bare_from_pretrained_holds(tmp_path, tiny_bert):
    """A cls model: AutoModelForSequenceClassification gives load_saved's logits; a match student does not."""
    from transformers import AutoModelForSequenceClassification

    from aboutness.inference import predict_logits
    from aboutness.models import load_classifier, load_saved, load_tokenizer, save_model_dir, set_pooling

    tok = load_tokenizer(tiny_bert)
    pairs = pd.DataFrame({"card_title": ["Mercury", "Paris"], "card_main_type": ["planet", "city"],
                          "doc_title": ["Mercury, the planet", "A trip"], "doc_url": ["https://a.org/m", "https://b.org/p"]})
    text = META["text"]
    for pooling, same in (("cls", True), ("match", False)):
        model = set_pooling(load_classifier(tiny_bert, 3), pooling, tok.sep_token_id)
        save_model_dir(tmp_path / pooling, model, tok, {**META, "pooling": pooling})
        saved, _ = load_saved(tmp_path / pooling)
        bare = AutoModelForSequenceClassification.from_pretrained(tmp_path / pooling)
        a, b = (predict_logits(m, tok, pairs, text, batch_size=2) for m in (saved, bare))
        assert np.allclose(a, b, atol=1e-5) == same, pooling
    assert json.loads((tmp_path / "cls/aboutness.json").read_text())["pooling"] == "cls"
