"""The one place that turns a (card, doc) row into model text.

Training, distillation, evaluation, baselines and `predict` all call these,
so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

CARD_FIELD_NAMES = ("title", "subtitle", "main_type", "definition")
DOC_FIELD_NAMES = ("title", "url", "body")
SEP = " | "


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
