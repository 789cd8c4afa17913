"""aboutness.data: (card, doc) pairs tokenised for training, and the dataset the Trainer reads."""

import numpy as np
import pandas as pd

from aboutness.data import PairDataset, encode
from aboutness.models import load_tokenizer
from aboutness.paths import default_base

TEXT = {"card_fields": ["title", "main_type"], "doc_fields": ["title", "body"], "seq_len": 24}


def test_a_long_pair_loses_the_end_of_the_doc_body_first_and_the_card_keeps_its_title():
    tok = load_tokenizer(default_base())
    df = pd.DataFrame({"card_title": ["Mercury"], "card_main_type": ["planet"], "doc_title": ["Mercury facts"],
                       "doc_body": [" ".join(["word"] * 100) + " tail"]})
    enc = encode(tok, df, TEXT)
    ids = enc["input_ids"][0]
    assert len(ids) == 24 and "attention_mask" in enc  # cut to seq_len, not padded
    text = tok.decode(ids, skip_special_tokens=True)
    assert text.startswith("mercury | planet mercury facts | word") and "tail" not in text
    short = encode(tok, df.assign(doc_body="short"), TEXT)["input_ids"][0]
    assert tok.decode(short, skip_special_tokens=True) == "mercury | planet mercury facts | short"


def test_the_dataset_gives_each_row_its_encoding_target_and_weight():
    enc = {"input_ids": [[101, 7, 102], [101, 8, 9, 102]], "attention_mask": [[1, 1, 1], [1, 1, 1, 1]]}
    targets, weights = np.eye(3, dtype=np.float32)[[2, 0]], np.array([1.0, 2.5])
    data = PairDataset(enc, targets, weights)
    assert len(data) == 2
    item = data[1]
    assert item["input_ids"] == [101, 8, 9, 102] and item["labels"].tolist() == [1.0, 0.0, 0.0]
    assert item["weight"] == 2.5 and isinstance(item["weight"], float)
    assert set(PairDataset(enc)[0]) == {"input_ids", "attention_mask"}  # scoring: no target, no weight
