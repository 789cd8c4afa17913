"""Baselines every model is compared with: majority class, title-match rules,
and TF-IDF + logistic regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from aboutness.text import card_text, doc_text


def majority(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    return np.full(len(test), train["label"].value_counts().idxmax(), dtype=object)


def title_equals(test: pd.DataFrame) -> np.ndarray:
    """about when the doc title equals the card title (case-insensitive), else not_about."""
    same = test["doc_title"].str.casefold() == test["card_title"].str.casefold()
    return np.where(same, "about", "not_about").astype(object)


def title_starts(test: pd.DataFrame) -> np.ndarray:
    """about when the doc title starts with the card title (case-insensitive), else not_about."""
    starts = [d.casefold().startswith(c.casefold()) for d, c in zip(test["doc_title"], test["card_title"])]
    return np.where(starts, "about", "not_about").astype(object)


def tfidf_logreg(train: pd.DataFrame, test: pd.DataFrame, seed: int, doc_fields=("title", "url", "body")) -> np.ndarray:
    """Card and doc TF-IDF side by side plus their cosine similarities, into a logistic regression."""
    card_fields = ("title", "subtitle", "main_type", "definition")
    vec = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2), max_features=50000)
    vec.fit(card_text(train, card_fields) + doc_text(train, doc_fields))

    def features(df: pd.DataFrame):
        c = vec.transform(card_text(df, card_fields))
        d = vec.transform(doc_text(df, doc_fields))
        ct = vec.transform(df["card_title"])
        dt = vec.transform(df["doc_title"])
        sims = np.column_stack([np.asarray(c.multiply(d).sum(1)).ravel(), np.asarray(ct.multiply(dt).sum(1)).ravel()])
        return sp.hstack([c, d, sp.csr_matrix(sims * 10)]).tocsr()

    clf = LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced", random_state=seed)
    clf.fit(features(train), train["label"])
    return clf.predict(features(test)).astype(object)


def baseline_predictions(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, np.ndarray]:
    return {
        "majority": majority(train, test),
        "title_equals": title_equals(test),
        "title_starts": title_starts(test),
        "tfidf_logreg": tfidf_logreg(train, test, seed),
    }


def main() -> None:
    """Print the baselines on the current test split as a markdown table (used in docs/data.md)."""
    from tabulate import tabulate

    from aboutness.metrics import bootstrap_intervals, classification_metrics
    from aboutness.params import load_params

    seed = load_params()["seed"]
    train, test = pd.read_parquet("data/pools/train.parquet"), pd.read_parquet("data/pools/test.parquet")
    rows = []
    for name, pred in baseline_predictions(train, test, seed).items():
        m = classification_metrics(test["label"], pred)
        ci = bootstrap_intervals(test["label"], pred, test["card_id"], 1000, seed)
        rows.append([name, f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f} [{ci['macro_f1'][0]:.3f}, {ci['macro_f1'][1]:.3f}]",
                     f"{m['vital_f1']:.3f} [{ci['vital_f1'][0]:.3f}, {ci['vital_f1'][1]:.3f}]",
                     f"{m['vital_precision']:.3f}", f"{m['vital_recall']:.3f}"])
    print(f"test split: {len(test)} pairs, {test['card_id'].nunique()} cards; 95% card-bootstrap intervals")
    print(tabulate(rows, ["baseline", "accuracy", "macro-F1", "vital F1", "vital P", "vital R"], tablefmt="github"))


if __name__ == "__main__":
    main()
