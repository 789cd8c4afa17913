"""Tiny random models of every base family the pipeline supports, built offline: a config of the family
(hidden 32, 3 layers), random weights saved as safetensors, and a tokenizer of the family's own kind and pair
layout. WordPiece families reuse the packaged MiniLM vocabulary; the SentencePiece families (XLM-R,
DeBERTa-v2) get a character-level Unigram vocabulary with Latin and Cyrillic pieces."""

from __future__ import annotations

import string
from pathlib import Path

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertTokenizer,
    DebertaV2Config,
    DebertaV2ForSequenceClassification,
    DebertaV2Tokenizer,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    DistilBertTokenizer,
    ModernBertConfig,
    ModernBertForSequenceClassification,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaTokenizer,
)

from aboutness.paths import default_base

FAMILIES = ("bert", "xlm-roberta", "distilbert", "deberta-v2", "modernbert")
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
CHARS = string.ascii_letters + string.digits + string.punctuation + CYRILLIC + CYRILLIC.upper() + "—–«»·’é"
SMALL = {"hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 64,
         "max_position_embeddings": 256}


def unigram_vocab(specials: list[str]) -> list[tuple[str, float]]:
    """SentencePiece-style pieces: the specials, then every character with and without the word-start mark."""
    return ([(s, 0.0) for s in specials] + [("▁", -2.0)] + [("▁" + c, -3.0) for c in CHARS]
            + [(c, -4.0) for c in CHARS])


def family_tokenizer(family: str):
    vocab = str(default_base() / "vocab.txt")
    if family == "bert":
        return BertTokenizer(vocab)
    if family == "distilbert":
        return DistilBertTokenizer(vocab)  # [CLS] a [SEP] b [SEP], no token_type_ids
    if family == "modernbert":  # ModernBERT's own tokenizer sends no token_type_ids either
        return BertTokenizer(vocab, model_input_names=["input_ids", "attention_mask"])
    if family == "xlm-roberta":  # <s> a </s></s> b </s>
        return XLMRobertaTokenizer(vocab=unigram_vocab(["<s>", "<pad>", "</s>", "<unk>"]) + [("<mask>", 0.0)])
    if family == "deberta-v2":
        return DebertaV2Tokenizer(vocab=unigram_vocab(["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]))
    raise ValueError(family)


def family_model(family: str, vocab_size: int, tok) -> torch.nn.Module:
    ids = {"pad_token_id": tok.pad_token_id}
    if family == "bert":
        return BertForSequenceClassification(BertConfig(vocab_size=vocab_size, **SMALL, **ids))
    if family == "xlm-roberta":
        return XLMRobertaForSequenceClassification(XLMRobertaConfig(
            vocab_size=vocab_size, **{**SMALL, "max_position_embeddings": 260}, bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id, **ids))
    if family == "distilbert":
        return DistilBertForSequenceClassification(DistilBertConfig(
            vocab_size=vocab_size, dim=32, n_layers=3, n_heads=2, hidden_dim=64, max_position_embeddings=256, **ids))
    if family == "deberta-v2":
        return DebertaV2ForSequenceClassification(DebertaV2Config(
            vocab_size=vocab_size, **SMALL, relative_attention=True, pos_att_type=["p2c", "c2p"], position_buckets=16,
            max_relative_positions=64, **ids))
    if family == "modernbert":
        return ModernBertForSequenceClassification(ModernBertConfig(
            vocab_size=vocab_size, **{**SMALL, "intermediate_size": 64}, global_attn_every_n_layers=2,
            local_attention=16, cls_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id, **ids))
    raise ValueError(family)


def save_tiny_family(family: str, path: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    tok = family_tokenizer(family)
    family_model(family, len(tok), tok).save_pretrained(path, safe_serialization=True)
    tok.save_pretrained(path)
    return path
