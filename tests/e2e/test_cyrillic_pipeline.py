"""Russian pages through every stage: Cyrillic cards and titles, internationalised hosts (пример.рф) and
percent-encoded Cyrillic url paths, on a tiny XLM-R (the family a team on Russian pages starts from)."""

import json
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import pytest

from aboutness.pools import _words
from conftest import TINY_TRAINING, dvc, make_repo, run
from families import save_tiny_family

SYLLABLES = ["ба", "ве", "го", "да", "ки", "ло", "ми", "но", "ра", "со", "ту", "фе", "ха", "че", "шу", "яр"]
TYPES = ["Город", "Река", "Персона"]
SITES = [("Википедия", lambda n, i: f"https://ru.wikipedia.org/wiki/{quote(n)}"),
         ("Энциклопедия", lambda n, i: f"https://энциклопедия.рф/статья/{quote(n)}"),
         ("Новости", lambda n, i: f"https://новости.рф/{i}")]


def russian_data(n_cards: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = []
    while len(names) < n_cards:
        name = "".join(rng.choice(SYLLABLES, 3)).capitalize()
        if name not in names:
            names.append(name)
    pages = []
    for i, name in enumerate(names):
        site, url = SITES[i % len(SITES)]
        other = names[(i + 1) % n_cards]
        pages.append({"doc_url": url(name, i), "doc_title": f"{name} — {site}",
                      "doc_body": f"{name} — это {TYPES[i % 3].lower()}. Рядом находится {other}."})
    corpus = pd.DataFrame(pages)
    rows = []
    for i, name in enumerate(names):
        card = {"card_id": f"ru:{i}", "card_title": name, "card_main_type": TYPES[i % 3],
                "card_definition": f"{name} — {TYPES[i % 3].lower()} в России."}
        mention = corpus.iloc[(i - 1) % n_cards]  # the previous page names this card in its body
        rows.append({**card, **corpus.iloc[i], "label": "about"})
        rows.append({**card, **mention, "label": "mention"})
        for j in rng.choice([j for j in range(n_cards) if j not in (i, (i - 1) % n_cards)], 2, replace=False):
            rows.append({**card, **corpus.iloc[j], "label": "not_about"})
    junk = pd.DataFrame([
        {"doc_url": "https://зеркало.рф/404", "doc_title": "Страница не найдена", "doc_body": ""},
        {"doc_url": "https://закрыто.рф/" + quote(names[0]), "doc_title": names[0], "doc_body": "Включите JavaScript и обновите страницу."},
        {"doc_url": "https://вход.рф/" + quote(names[1]), "doc_title": "Доступ запрещён", "doc_body": "Вы не робот?"},
    ])
    return pd.DataFrame(rows), pd.concat([corpus, junk], ignore_index=True)


@pytest.mark.slow
def test_the_pipeline_runs_on_russian_labels(tmp_path):
    labels, corpus = russian_data()
    base = save_tiny_family("xlm-roberta", tmp_path / "xlmr")
    repo = make_repo(tmp_path / "ru", {
        **TINY_TRAINING, "ingest.labels": ["labels/ru.tsv"], "ecom.labels": None, "pools.corpus": ["labels/ru_corpus.tsv"],
        "eval.sets": None, "teacher.base": str(base), "model.base": str(base), "model.layers": 2})
    labels.to_csv(repo / "labels/ru.tsv", sep="\t", index=False)
    corpus.to_csv(repo / "labels/ru_corpus.tsv", sep="\t", index=False)
    run([dvc(), "repro"], repo)
    pools = json.loads((repo / "reports/pools.json").read_text())
    assert pools["pools"]["url_try"]["rows"] > 0
    url_try = pd.read_parquet(repo / "data/pools/url_try.parquet")
    for title, url in zip(url_try["card_title"], url_try["doc_url"]):  # every pair shares a Cyrillic word
        assert _words(title) & _words(unquote(url.split("://", 1)[1].split("/", 1)[-1])), (title, url)
    assert pools["pools"]["runtime"]["trash_by_reason"].get("boilerplate", 0) + \
        pools["pools"]["url_try"]["trash_by_reason"].get("boilerplate", 0) >= 1  # the Russian trash patterns
    quarantined = pd.read_csv(repo / "data/quarantine/pools_trash.tsv", sep="\t")
    assert {"Страница не найдена", "Доступ запрещён"} & set(quarantined["doc_title"])
    test = pd.read_parquet(repo / "data/pools/test.parquet")
    assert test["doc_url"].str.contains("xn--").any() and test["card_title"].str.contains("[а-я]").all()
    rules = json.loads((repo / "reports/baselines.json").read_text())
    assert rules["name_in_title"]["vital_f1"] > 0.9  # the title rule reads Cyrillic names
    student = json.loads((repo / "reports/student.json").read_text())
    assert 0 <= student["vital_f1"] <= 1
