import numpy as np
import pandas as pd

from aboutness.metrics import classification_metrics
from aboutness.rules import BASELINES, baseline_predictions, name_in_title, normalise, site_names, strip_sites, title_starts_stripped


def frame(pairs):
    return pd.DataFrame(pairs, columns=["card_title", "doc_title"])


def test_name_in_title_is_normalised_and_whole_words():
    df = frame([("Mercury", "MERCURY (planet) | Wikipedia"), ("Mercury", "Freddie Mercury - Wikipedia"),
                ("Mercury", "Mercurial markets"), ("São Paulo", "Sao Paulo"), ("São Paulo", "SÃO PAULO: Overview")])
    assert name_in_title(df).tolist() == ["about", "about", "not_about", "not_about", "about"]
    assert normalise("  Mercury (Planet)!") == "mercury planet"


def test_title_starts_once_site_names_are_stripped():
    titles = pd.Series([f"Page {i} - Wikipedia" for i in range(20)] + [f"The Daily Ledger | Item {i}" for i in range(20)])
    sites = site_names(titles)
    assert sites == {"wikipedia", "the daily ledger"}
    assert strip_sites("The Daily Ledger | Mercury (planet): Overview", sites) == "mercury planet overview"
    df = frame([("Mercury", "The Daily Ledger | Mercury (planet)"), ("Mercury", "Freddie Mercury - Wikipedia"),
                ("Mercury", "What is Mercury? - Wikipedia"), ("Mercury", "Mercury Records - Wikipedia"),
                ("Mercury", "Mercuryville - Wikipedia")])
    assert title_starts_stripped(df, sites).tolist() == ["about", "not_about", "not_about", "about", "not_about"]


def test_baselines_score_every_set_and_tfidf_learns():
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
    rows = []
    for i in range(120):
        name = f"{words[i % 8]} {words[(i // 8) % 8]}"
        other = f"{words[(i + 3) % 8]} {words[(i // 8 + 5) % 8]}"
        rows += [(f"c{i}", name, f"{name} - Site", f"all on {name} here", "about"),
                 (f"c{i}", name, f"{other} - Site", f"{other} and {name} too", "mention"),
                 (f"c{i}", name, f"{other} - Site", f"{other} only {rng.integers(100)}", "not_about")]
    df = pd.DataFrame(rows, columns=["card_id", "card_title", "doc_title", "doc_body", "label"]).assign(
        card_subtitle="", card_main_type="", card_definition="", doc_url="https://a.org/x", group="main")
    train, test, other = df.iloc[:240], df.iloc[240:330], df.iloc[330:]
    preds = baseline_predictions(train, {"test": test, "other": other}, seed=0)
    assert set(preds) == set(BASELINES) and all(set(p) == {"test", "other"} for p in preds.values())
    assert len(preds["tfidf_logreg"]["other"]) == len(other)
    assert classification_metrics(test["label"], preds["title_starts_stripped"]["test"])["vital_f1"] == 1.0
    assert classification_metrics(test["label"], preds["tfidf_logreg"]["test"])["accuracy"] > 0.8
