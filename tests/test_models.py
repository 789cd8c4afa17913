"""aboutness.models: loading, cutting, pooling, saving and reloading a classifier."""

import logging
import types

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from aboutness.errors import InputError
from aboutness.inference import predict_logits
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
from conftest import TEXT, save_tiny_bert, toy_pairs
from families import family_tokenizer


def test_truncate_layers_keeps_exactly_k(tiny_bert):
    model = load_classifier(tiny_bert, 3)
    truncate_layers(model, 2)
    assert len(model.bert.encoder.layer) == 2 and model.config.num_hidden_layers == 2
    with pytest.raises(InputError, match=r"layers=5: the model has 2 encoder layers; choose 1..2"):
        truncate_layers(model, 5)
    with pytest.raises(InputError, match="layers=0"):
        truncate_layers(model, 0)


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


def test_pickle_only_directory_is_refused(tmp_path):
    path = save_tiny_bert(tmp_path / "p", layers=1)
    state = load_classifier(path, 3).state_dict()
    (path / "model.safetensors").unlink()
    torch.save(state, path / "pytorch_model.bin")
    with pytest.raises(InputError, match="only a pickle checkpoint.*allow_pickle: true"):
        load_classifier(path, 3)
    assert load_classifier(path, 3, allow_pickle=True).config.num_hidden_layers == 1


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


@pytest.mark.parametrize("family", ["bert", "xlm-roberta"])
def test_match_pooling_finds_the_same_card_and_doc_in_every_pair_layout(family):
    """BERT lays a pair out as [CLS] card [SEP] doc [SEP]; XLM-R as <s> card </s></s> doc </s> with no
    token_type_ids. The segments found from the separators hold exactly the card's and the doc's tokens in both."""
    tok = family_tokenizer(family)
    cards, docs = ["Москва | city", "Paris"], ["Москва — столица | https://пример.рф/Москва", ""]
    enc = tok(cards, docs, padding=True, return_tensors="pt")
    assert ("token_type_ids" in enc) == (family == "bert")
    card, doc = pair_segments(enc["input_ids"], enc["attention_mask"], tok.sep_token_id)
    for i, (c, d) in enumerate(zip(cards, docs)):
        alone = [tok(c, add_special_tokens=False)["input_ids"], tok(d, add_special_tokens=False)["input_ids"]]
        assert enc["input_ids"][i][card[i]].tolist() == alone[0]
        assert enc["input_ids"][i][doc[i]].tolist() == alone[1]
