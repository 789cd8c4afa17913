import pandas as pd

from aboutness.demo import web, write_demo
from aboutness.demo import wiki as demo
from aboutness.label_rows import canonical_url
from aboutness.splits import split_labels
from conftest import as_params, raw_params


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


def test_demo_is_byte_identical_for_the_same_seed(tmp_path):
    raw = raw_params()
    raw["seed"] = 5
    raw["ingest"] |= {"demo_cards": 40, "demo_ecom_cards": 4, "demo_junk_share": 0.01}
    params = as_params(raw)
    write_demo(params, tmp_path / "a")
    write_demo(params, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["corpus.parquet", "ecom.parquet", "elements.parquet", "labels.parquet", "pair_kinds.parquet",
                     "prod_cards.parquet"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    write_demo(params.model_copy(update={"seed": 6}), tmp_path / "c")
    assert (tmp_path / "c" / "labels.parquet").read_bytes() != (tmp_path / "a" / "labels.parquet").read_bytes()


def test_web_styles_carry_no_label_information():
    """Every label class gets the same template mix: per style feature, a chi-square test of shares by
    label finds nothing, and a classifier on the style features alone stays at chance."""
    from scipy.stats import chi2_contingency
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import cross_val_predict

    d = demo.build_demo(seed=4, n_cards=400, ecom_cards=10, junk_share=0.0)
    kinds = d["pair_kinds"]
    kinds = kinds[kinds["group"] == "main"].dropna(axis=1, how="all")  # the shop pages' styles: the next test
    styles = [c for c in kinds.columns if c.startswith("style_")]
    assert {"style_site", "style_placement", "style_case", "style_prefix"} <= set(styles)
    for col in styles:
        table = pd.crosstab(kinds[col], kinds["label"])
        assert chi2_contingency(table).pvalue > 0.001, (col, table)
    x = pd.get_dummies(kinds[styles].astype(str)).to_numpy(float)
    pred = cross_val_predict(LogisticRegression(max_iter=1000), x, kinds["label"], cv=5)
    assert balanced_accuracy_score(kinds["label"], pred) < 0.40  # chance is 1/3
    # the templates are at work: most about pages no longer have the bare page title
    about = kinds["label"] == "about"
    labels = pd.concat([d["labels"], d["ecom"]])
    assert (labels.loc[labels["label"] == "about", "doc_title"] != labels.loc[labels["label"] == "about", "card_title"]).mean() > 0.8
    assert kinds.loc[about, "style_site"].nunique() == len(web.SITES)


def test_style_titles_and_urls():
    style = web.Style(web.SITES[4], drop_disambiguation=True, section="Overview", prefix=None, separator=" | ",
                      placement="suffix", case="upper")
    assert style.title("Mercury (planet)", "Mercury") == "MERCURY: Overview | The Daily Ledger"
    assert web.Style(web.SITES[0], False, None, "What is {}?", " - ", "prefix", "as_is").title("Mercury (planet)", "Mercury") == \
        "Wikipedia - What is Mercury (planet)?"
    urls = {s.url("Mercury (planet)", 7) for s in web.SITES}
    assert len(urls) == len(web.SITES) and all(canonical_url(u) == u for u in urls)


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


def test_elements_set_follows_its_rules():
    from aboutness.demo.elements import build_elements, names_in

    df = build_elements(seed=1)
    assert df["card_id"].nunique() == 118 and df["card_id"].str.startswith("elem:").all()
    counts = df.groupby("card_id")["label"].value_counts().unstack(fill_value=0)
    assert (counts["about"] == 1).all() and (counts["not_about"] == 3).all() and counts["mention"].sum() > 50
    names = df["card_title"].unique().tolist()
    for _, row in df.iterrows():
        inside = row["card_title"] in names_in(row["doc_body"], names)
        assert inside == (row["label"] == "mention") or row["label"] == "about"
        assert (row["card_title"] in row["doc_title"]) == (row["label"] == "about")
    assert not df["doc_title"].str.startswith(tuple(names)).any()   # the name stands inside a longer title
    assert not (df["doc_body"].str.contains("Colourless, odourless gaseous chemical element", regex=False)
                & (df["card_title"] == "Hydrogen") & (df["label"] == "about")).any()


def test_shop_pages_look_like_shops_and_their_style_says_nothing_of_the_label():
    """The e-commerce groups' pages (shop.py): product titles with brand and specs, a shop's name, a url with a
    product id or slug, a price line; per group, shop, url shape and title affix are independent of the label;
    and the title rule ("the card's name stands in the doc title") is far from enough on them (issue 33)."""
    from scipy.stats import chi2_contingency

    from aboutness.metrics import vital_f1
    from aboutness.rules import name_in_title

    d = demo.build_demo(seed=4, n_cards=40, ecom_cards=60, junk_share=0.0)
    ecom, kinds = d["ecom"], d["pair_kinds"]
    assert ecom["doc_url"].is_unique and ecom["doc_url"].isin(set(d["corpus"]["doc_url"])).all()
    about = ecom[ecom["label"] == "about"]
    assert about["doc_body"].str.contains(r"Price: €\d+\.\d\d incl\. VAT").all()
    assert about["doc_url"].str.contains(r"/p/\d{7}$|-\d+\.html$|pid=\d+$").all()
    assert ecom.groupby("card_id")["label"].value_counts().unstack().eq(pd.Series({"about": 2, "mention": 2, "not_about": 3})).all().all()
    for group, part in kinds[kinds["group"] != "main"].groupby("group"):
        for col in ("style_site", "style_url", "style_placement"):
            table = pd.crosstab(part[col], part["label"])
            assert len(table) >= 3 and chi2_contingency(table).pvalue > 0.001, (group, col, table)
    rule = name_in_title(ecom)
    for group, idx in ecom.groupby("group").indices.items():
        f1 = vital_f1(ecom["label"].to_numpy()[idx], rule[idx])
        assert f1 < 0.8, (group, f1)  # it was 0.976 to 1.0 on the Wikipedia pages the groups had before
