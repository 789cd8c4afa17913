"""Baselines every model is compared with: majority class, title-match rules,
and TF-IDF + logistic regression."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

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


def normalise(text: str) -> str:
    """Casefolded words joined by single spaces: what "the same name" means to a string rule."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


TITLE_PARTS = re.compile(r"\s+[-|–—·:]{1,2}\s+|:\s+")


def site_names(titles: pd.Series, min_share: float = 0.01, min_docs: int = 5) -> set[str]:
    """Title segments that stand in many distinct titles: site names ("Wikipedia", "The Daily Ledger").
    Learnt from titles alone, no labels, as a user would list the sites in a crawl."""
    counts = Counter(seg for t in set(titles) for seg in {normalise(x) for x in TITLE_PARTS.split(t)} if seg)
    floor = max(min_docs, min_share * titles.nunique())
    return {seg for seg, n in counts.items() if n >= floor}


def strip_sites(title: str, sites: set[str]) -> str:
    """The title without its site-name segments, normalised."""
    parts = [normalise(x) for x in TITLE_PARTS.split(title)]
    return " ".join(p for p in parts if p and p not in sites)


def name_in_title(test: pd.DataFrame) -> np.ndarray:
    """about when the card's name stands in the doc title as whole words (normalised), else not_about."""
    hit = [f" {normalise(c)} " in f" {normalise(d)} " for d, c in zip(test["doc_title"], test["card_title"])]
    return np.where(hit, "about", "not_about").astype(object)


def title_starts_stripped(test: pd.DataFrame, sites: set[str]) -> np.ndarray:
    """about when the doc title, site names stripped, starts with the card's name (whole words)."""
    hit = [f"{strip_sites(d, sites)} ".startswith(f"{normalise(c)} ") for d, c in zip(test["doc_title"], test["card_title"])]
    return np.where(hit, "about", "not_about").astype(object)


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


def baseline_predictions(train: pd.DataFrame, sets: dict[str, pd.DataFrame], seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Every baseline's predictions on every set: {baseline: {set name: predictions}}. Site names for
    the stripped rule come from the titles of train and of the set scored (titles only, no labels)."""
    out: dict[str, dict[str, np.ndarray]] = {n: {} for n in BASELINES}
    tfidf = tfidf_logreg(train, pd.concat(sets.values(), ignore_index=True), seed)
    start = 0
    for name, df in sets.items():
        sites = site_names(pd.concat([train["doc_title"], df["doc_title"]], ignore_index=True))
        out["majority"][name] = majority(train, df)
        out["title_equals"][name] = title_equals(df)
        out["title_starts"][name] = title_starts(df)
        out["name_in_title"][name] = name_in_title(df)
        out["title_starts_stripped"][name] = title_starts_stripped(df, sites)
        out["tfidf_logreg"][name] = tfidf[start:start + len(df)]
        start += len(df)
    return out


BASELINES = ("majority", "title_equals", "title_starts", "name_in_title", "title_starts_stripped", "tfidf_logreg")


def main() -> None:
    """Print the baselines on the current test split as a markdown table (used in docs/data.md)."""
    from tabulate import tabulate

    from aboutness.metrics import bootstrap_intervals, classification_metrics
    from aboutness.params import load_params

    seed = load_params()["seed"]
    train, test = pd.read_parquet("data/pools/train.parquet"), pd.read_parquet("data/pools/test.parquet")
    rows = []
    for name, preds in baseline_predictions(train, {"test": test}, seed).items():
        pred = preds["test"]
        m = classification_metrics(test["label"], pred)
        ci = bootstrap_intervals(test["label"], pred, test["card_id"], 1000, seed)
        rows.append([name, f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f} [{ci['macro_f1'][0]:.3f}, {ci['macro_f1'][1]:.3f}]",
                     f"{m['vital_f1']:.3f} [{ci['vital_f1'][0]:.3f}, {ci['vital_f1'][1]:.3f}]",
                     f"{m['vital_precision']:.3f}", f"{m['vital_recall']:.3f}"])
    print(f"test split: {len(test)} pairs, {test['card_id'].nunique()} cards; 95% card-bootstrap intervals")
    print(tabulate(rows, ["baseline", "accuracy", "macro-F1", "vital F1", "vital P", "vital R"], tablefmt="github"))


if __name__ == "__main__":
    main()
