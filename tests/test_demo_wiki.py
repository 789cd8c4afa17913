"""aboutness.demo.wiki: the demo's cards, pages and labels from the packaged Wikipedia summaries: names, first
sentences, mentions, the hard cases, and each card's documents on its side of the test split."""

import pandas as pd

from aboutness.demo import wiki as demo
from aboutness.splits import split_labels


def _articles(rows):
    df = pd.DataFrame(rows, columns=["page_title", "extract"])
    df["name"] = df["page_title"].map(demo.display_name)
    split = df["extract"].map(demo.split_first_sentence)
    df["definition"] = [a for a, _ in split]
    df["body"] = [b for _, b in split]
    return df


def test_display_name_and_first_sentence():
    assert demo.display_name("Mercury (planet)") == "Mercury"
    assert demo.display_name("Apple Inc.") == "Apple Inc."
    first, rest = demo.split_first_sentence("St. Louis is a city in the U.S. state of Missouri. It lies on a river.")
    assert first == "St. Louis is a city in the U.S. state of Missouri."
    assert rest == "It lies on a river."


def test_mentions_skip_longer_names_generic_words_and_the_first_sentence():
    arts = _articles([
        ("Mercury (planet)", "Mercury is a planet. It is small."),
        ("Freddie Mercury", "Freddie Mercury was a singer. Later Freddie Mercury sang with Queen and Mercury Records."),
        ("Venus", "Venus is a planet. Seen from Venus, the Sun rises in the west. The planet Mercury is closer in."),
        ("Water", "Water is a liquid. Most water is salty, and water covers Earth."),
        ("Ocean", "An ocean is water. It holds water and more water. Water is wet."),
        ("Rome", "Rome is a city. Rome lies in Italy."),
        ("Italy", "Italy is a country. Its capital is Rome, on the Tiber."),
    ])
    mentions, body_strings, ambiguous, generic = demo.find_mentions(arts)
    rows = {t: i for i, t in enumerate(arts["page_title"])}
    assert mentions["Mercury"] == {rows["Venus"]}               # not inside "Freddie Mercury" or "Mercury Records"
    assert rows["Freddie Mercury"] in body_strings["Mercury"]
    assert "Water" in generic and "Rome" not in generic
    assert mentions["Rome"] == {rows["Italy"]}                   # the own page's first sentence is not its body
    assert rows["Rome"] in ambiguous["Rome"] and rows["Rome"] not in body_strings["Rome"]


def test_demo_labels_cover_the_hard_cases():
    d = demo.build_demo(seed=3, n_cards=80, ecom_cards=5, junk_share=0.02)
    labels, kinds = d["labels"], d["pair_kinds"]
    assert labels["card_id"].nunique() == 80
    per_card = labels.groupby("card_id")["label"].value_counts().unstack(fill_value=0)
    assert (per_card["about"] == 1).all() and (per_card["not_about"] == 3).all()
    # homonym cards are taken even without mentions; the others need two
    assert per_card["mention"].between(0, 2).all() and per_card["mention"].mean() > 1.0
    assert {"homonym", "longer_name", "same_topic", "body_mention", "own_page"} <= set(kinds["kind"])
    # the title rule must not solve the vital class
    title_rule = labels["doc_title"] == labels["card_title"]
    assert (title_rule & (labels["label"] != "about")).any() and (~title_rule & (labels["label"] == "about")).any()
    assert set(d["ecom"]["group"]) == {"DIY", "CEHAC", "Pharma"}
    assert (d["prod_cards"][["card_subtitle", "card_definition"]] == "").all().all()
    assert d["prod_cards"]["card_main_type"].ne("").all()


def test_demo_draws_each_cards_documents_from_its_own_side_of_the_test_boundary():
    fractions = {"train": 0.45, "valid": 0.10, "test": 0.45}
    d = demo.build_demo(seed=3, n_cards=150, ecom_cards=5, junk_share=0.0, fractions=fractions)
    labels = pd.concat([d["labels"], d["ecom"]], ignore_index=True)
    test = labels[split_labels(labels, "card", fractions, seed=3) == "test"]
    rest = labels[~labels["card_id"].isin(test["card_id"])]
    assert len(test) and len(rest) and not rest["doc_url"].isin(test["doc_url"]).any()
    # without the split, cards share documents across the boundary, which the leakage guard then drops
    d = demo.build_demo(seed=3, n_cards=150, ecom_cards=5, junk_share=0.0)
    labels = pd.concat([d["labels"], d["ecom"]], ignore_index=True)
    test = labels[split_labels(labels, "card", fractions, seed=3) == "test"]
    assert labels[~labels["card_id"].isin(test["card_id"])]["doc_url"].isin(test["doc_url"]).any()
