"""aboutness.evaluation: a model's predictions on a set, row for row with the pairs they score. Scoring a saved
model end to end is tests/e2e/test_evaluate_stage.py."""

import numpy as np
import pandas as pd

from aboutness.evaluation import prediction_frame


def test_predictions_keep_the_pairs_ids_the_gold_label_and_their_order():
    df = pd.DataFrame({"card_id": ["c1", "c2"], "doc_url": ["https://a.org/1", "https://a.org/2"], "group": ["main", "DIY"],
                       "label": ["about", "not_about"], "doc_body": ["x", "y"]}, index=[5, 2])
    out = prediction_frame(df, np.array([[2.0], [-2.0]], dtype=np.float32), {"head": "vital", "threshold": 0.5})
    assert list(out.columns[:4]) == ["card_id", "doc_url", "group", "gold"] and "doc_body" not in out
    assert out["card_id"].tolist() == ["c1", "c2"] and out.index.tolist() == [0, 1]
    assert out["gold"].tolist() == ["about", "not_about"] and out["vital"].tolist() == [True, False]
    assert out["predicted"].tolist() == ["about", "not_about"]
