"""aboutness.export: an exported graph asks for the inputs the model's tokenizer gives, and a missing ONNX file or
runtime is a one-line error. The export itself, against PyTorch, is in tests/e2e/test_report_predict.py."""

import pytest

from aboutness.errors import InputError
from aboutness.export import OnnxScorer, model_inputs, onnxruntime
from aboutness.models import load_tokenizer
from aboutness.paths import default_base
from families import family_tokenizer


def test_the_graph_takes_token_type_ids_only_from_families_that_send_them():
    assert model_inputs(load_tokenizer(default_base())) == ("input_ids", "attention_mask", "token_type_ids")
    assert model_inputs(family_tokenizer("distilbert")) == ("input_ids", "attention_mask")
    assert model_inputs(family_tokenizer("modernbert")) == ("input_ids", "attention_mask")


def test_a_directory_without_an_export_and_a_missing_runtime_are_named(tmp_path):
    with pytest.raises(InputError, match=r"no model.onnx; run `aboutness export --onnx` first"):
        OnnxScorer(tmp_path)
    with pytest.raises(InputError, match=r"need ONNX Runtime: pip install 'aboutness\[onnx\]'"):
        onnxruntime("no_such_submodule")
