"""aboutness.demo.elements: the out-of-domain eval set built from the periodic table."""


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
