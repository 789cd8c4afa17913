"""aboutness.student: how a student is built (cut from the teacher or from a base model) and the collapse guard."""


import pytest
import torch

from aboutness.errors import InputError
from aboutness.models import load_classifier
from aboutness.student import build_student
from conftest import as_params


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


def test_collapse_guard_names_both_scores_and_the_param():
    from aboutness.student import check_collapse

    check_collapse(0.75, {"valid_vital_f1": 0.9}, 0.8)  # 0.75 >= 0.72: a weaker student, not a collapse
    with pytest.raises(InputError, match=r"valid vital F1 0\.320 is below distill\.min_share 0\.8 x the teacher's 0\.900"):
        check_collapse(0.32, {"valid_vital_f1": 0.9}, 0.8)
    with pytest.raises(InputError, match="re-run train_teacher"):
        check_collapse(0.9, {}, 0.8)
