"""aboutness.heads: what each head's raw outputs mean (P(about), the class, the vital decision)."""

import numpy as np
import pytest

from aboutness.errors import InputError
from aboutness.heads import class_scores, score_frame, vital_decision


def test_a_three_class_head_is_a_softmax_read_by_argmax():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    p_about, pred = class_scores(logits, {"head": "onetarget"})
    np.testing.assert_allclose(p_about, [np.e**2 / (np.e**2 + 2), 1 / (1 + np.e**3 + np.e), 1 / 3], rtol=1e-6)
    assert pred.tolist() == ["about", "mention", "about"]  # a tie goes to the first class
    frame = score_frame(logits, {"head": "onetarget"})
    np.testing.assert_allclose(frame[["p_about", "p_mention", "p_not_about"]].sum(axis=1), 1.0, rtol=1e-6)
    assert frame["vital"].tolist() == [True, False, True] and "score" not in frame  # no threshold: argmax decides


def test_one_output_heads_read_their_threshold_or_thresholds():
    score = np.array([[0.1], [0.5], [0.95], [1.3]], dtype=np.float32)
    p, pred = class_scores(score, {"head": "msetarget", "thresholds": [0.3, 0.9]})
    assert pred.tolist() == ["not_about", "mention", "about", "about"] and p.tolist()[-1] == 1.0  # clipped to [0, 1]
    logits = np.array([[-2.0], [0.0], [0.5]], dtype=np.float32)
    frame = score_frame(logits, {"head": "vital", "threshold": 0.6})
    np.testing.assert_allclose(frame["p_about"], 1 / (1 + np.exp(-logits[:, 0])), rtol=1e-6)
    assert frame["predicted"].tolist() == ["not_about", "not_about", "about"] and frame["p_mention"].isna().all()
    assert frame["vital"].tolist() == [False, False, True] and frame["score"].tolist() == [-2.0, 0.0, 0.5]
    with pytest.raises(InputError, match="unknown head 'twotarget' in aboutness.json"):
        class_scores(logits, {"head": "twotarget"})


def test_the_vital_decision_is_the_fitted_threshold_when_the_model_has_one():
    p, pred = np.array([0.2, 0.5, 0.7]), np.array(["about", "mention", "not_about"])
    assert vital_decision(p, pred, {"head": "onetarget", "vital_threshold": 0.45}).tolist() == [False, True, True]
    assert vital_decision(p, pred, {"head": "onetarget"}).tolist() == [True, False, False]  # argmax
    assert vital_decision(p, pred, {"head": "vital", "threshold": 0.6}).tolist() == [False, False, True]
