"""aboutness.probe_scores: a pass rate per probe that applies to the model, none for a probe with no pair to start
from. The model's scores are stubbed here; tests/e2e/test_evaluate_stage.py recomputes a real model's."""

import numpy as np
import pandas as pd

from aboutness import probe_scores

NAMES = ["Mercury", "Venus", "Paris", "Rome"]
PAIRS = pd.DataFrame({"card_id": [f"c{i}" for i in range(4)], "card_title": NAMES, "card_subtitle": "", "card_definition": "",
                      "card_main_type": ["planet", "planet", "city", "city"], "doc_title": [f"{n} - Wiki" for n in NAMES],
                      "doc_url": [f"https://w.org/{n}" for n in NAMES], "doc_body": "First. Second.", "label": "about"})


def test_only_the_probes_that_apply_are_scored(monkeypatch):
    # every pair scores "about": the site and case probes keep the decision, a swapped page is wrongly about
    monkeypatch.setattr(probe_scores, "predict_logits", lambda model, tok, df, text, batch_size: np.full((len(df), 1), 5.0))
    student = {"head": "vital", "threshold": 0.5, "text": {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"]}}
    rates = probe_scores.probe_metrics(None, None, student, PAIRS, np.ones(4, bool), seed=0, n=10, batch_size=8)
    assert rates == {"probe_inv_site": 1.0, "probe_inv_case": 1.0, "probe_dir_title_only": 1.0, "probe_dir_swap": 0.0,
                     "probe_inv_prod_card": 1.0, "probe_dir_record_page": 1.0}  # no body, no mention class: two say nothing of it


def test_a_probe_with_no_pair_to_start_from_is_left_out(monkeypatch, capsys):
    monkeypatch.setattr(probe_scores, "predict_logits", lambda model, tok, df, text, batch_size: np.tile([5.0, 0, 0], (len(df), 1)))
    teacher = {"head": "onetarget", "text": {"card_fields": ["title"], "doc_fields": ["title", "url", "body"]}}
    rates = probe_scores.probe_metrics(None, None, teacher, PAIRS, np.ones(4, bool), seed=0, n=10, batch_size=8, prefix="t_")
    assert sorted(rates) == ["t_dir_record_page", "t_dir_short_body", "t_dir_swap", "t_dir_title_only", "t_inv_case",
                             "t_inv_prod_card", "t_inv_site"]
    assert "probes: dir_mention_insert has no pair to start from in these 4 pairs" in capsys.readouterr().out  # no not_about
