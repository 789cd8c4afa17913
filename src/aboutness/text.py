"""The one place that turns a (card, doc) row into model text.

Training, distillation, evaluation, baselines and `predict` all call these,
so they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from aboutness.columns import CARD_FIELD_NAMES, DOC_FIELD_NAMES

SEP = " | "
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")  # a sentence end: punctuation, space, a capital


def first_sentence(body: str) -> str:
    """The body's first sentence ("" for an empty body)."""
    return SENTENCE.split(body.strip(), maxsplit=1)[0] if body.strip() else ""


def title_names_card(df: pd.DataFrame) -> np.ndarray:
    """Per row, whether the doc title holds the card's title (case-insensitive)."""
    return np.array([str(c).casefold() in str(d).casefold() for c, d in zip(df["card_title"], df["doc_title"])], dtype=bool)


def sentences(body: str) -> list[str]:
    """The body's sentences, in order (none for an empty body)."""
    return SENTENCE.split(body.strip()) if body.strip() else []


def insert_sentence(body: str, sentence: str, rng: np.random.Generator) -> str:
    """The body with `sentence` put between two of its sentences (or before the first, or after the last),
    the place drawn from `rng`."""
    parts = sentences(body)
    at = int(rng.integers(0, len(parts) + 1))
    return " ".join([*parts[:at], sentence, *parts[at:]]).strip()


def _check(fields: Sequence[str], allowed: tuple[str, ...], what: str) -> None:
    bad = [f for f in fields if f not in allowed]
    if bad or not fields:
        raise ValueError(f"{what} fields {list(fields)}: expected a non-empty list from {list(allowed)}")


def card_text(df: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """Card fields joined in the given order; empty fields are skipped."""
    _check(fields, CARD_FIELD_NAMES, "card")
    cols = [df.get(f"card_{f}", pd.Series("", index=df.index)).fillna("").astype(str) for f in fields]
    return [SEP.join(v for v in vals if v) for vals in zip(*cols)]


def doc_text(df: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """Doc fields joined in the given order; the body, if used, must come last
    so that truncation cuts it first."""
    _check(fields, DOC_FIELD_NAMES, "doc")
    if "body" in fields and fields[-1] != "body":
        raise ValueError(f"doc fields {list(fields)}: 'body' must be last so truncation cuts it first")
    cols = [df.get(f"doc_{f}", pd.Series("", index=df.index)).fillna("").astype(str) for f in fields]
    return [SEP.join(v for v in vals if v) for vals in zip(*cols)]
