"""aboutness.inference: scoring in sorted batches, chunks and loader workers, and the batch size setting."""


import numpy as np
import pytest
import torch

from aboutness.errors import InputError
from aboutness.inference import predict_logits, scoring_batch_size
from aboutness.models import load_classifier, load_tokenizer
from conftest import TEXT, toy_pairs


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
