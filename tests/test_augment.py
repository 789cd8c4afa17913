"""The teacher's training views (aboutness.augment): each changes only what it says, in the share it is
given, and never a label."""

import numpy as np
import pandas as pd
import pytest

from aboutness.augment import (
    MENTION_SENTENCES,
    drop_bodies,
    drop_card_fields,
    insert_mentions,
    layout_bodies,
    production_cards,
    teacher_views,
)
from aboutness.restyle import TRAIN, TRAIN_HEADINGS

CARD = ("title", "subtitle", "main_type", "definition")


def pairs(n: int = 3000) -> pd.DataFrame:
    """Labels in turn; half the doc titles name the card; a shuffled index, so that position and label agree
    only where the code keeps them together."""
    labels = np.array(["about", "mention", "not_about"])[np.arange(n) % 3]
    titles = [f"title {i} | Site" if i % 2 else f"Page {i}" for i in range(n)]
    df = pd.DataFrame({"card_id": [f"c{i}" for i in range(n)], **{f"card_{f}": [f"{f} {i}" for i in range(n)] for f in CARD},
                       "doc_url": [f"https://a.example/{i}" for i in range(n)], "doc_title": titles,
                       "doc_body": [f"First sentence {i}. Second one names Card {i}. Third." for i in range(n)],
                       "label": labels, "weight": 1.0})
    return df.set_index(np.random.default_rng(0).permutation(n) * 7)


def test_card_dropout_blanks_only_optional_fields_in_the_given_share():

    df = pd.DataFrame({f"card_{f}": [f"{f}{i}" for i in range(4000)] for f in ("title", "subtitle", "main_type", "definition")})
    out = drop_card_fields(df, ["title", "subtitle", "main_type", "definition"], 0.2, seed=1)
    assert (out["card_title"] == df["card_title"]).all()
    for f in ("subtitle", "main_type", "definition"):
        assert (out[f"card_{f}"].eq("").mean()) == pytest.approx(0.2, abs=0.02)
    # independent per field: both blank in about 0.2 * 0.2 of the rows
    assert (out["card_subtitle"].eq("") & out["card_definition"].eq("")).mean() == pytest.approx(0.04, abs=0.01)
    assert drop_card_fields(df, ["title", "definition"], 0.0, seed=1) is df
    assert out.equals(drop_card_fields(df, ["title", "subtitle", "main_type", "definition"], 0.2, seed=1))


def test_production_cards_blank_every_field_outside_the_kept_ones_together():
    df = pairs()
    out = production_cards(df, ["title", "main_type"], 0.3, seed=2)
    blank = out["card_definition"].eq("")
    assert blank.mean() == pytest.approx(0.3, abs=0.03)
    assert out["card_subtitle"].eq("").equals(blank)  # together: the card production has, not holes at random
    assert out["card_title"].equals(df["card_title"]) and out["card_main_type"].equals(df["card_main_type"])
    assert out["card_id"].equals(df["card_id"]) and out["label"].equals(df["label"])
    assert production_cards(df, ["title"], 0.0, seed=2) is df


def test_body_dropout_empties_or_cuts_about_and_not_about_bodies_and_keeps_mentions():
    df = pairs()
    out = drop_bodies(df, 0.4, seed=3)
    changed = out["doc_body"].ne(df["doc_body"])
    assert not changed[df["label"] == "mention"].any()  # the cut could remove the mention itself
    assert changed[df["label"] != "mention"].mean() == pytest.approx(0.4, abs=0.04)
    empty, cut = out["doc_body"].eq("") & changed, out["doc_body"].str.startswith("First sentence") & changed
    assert (empty | cut).equals(changed) and empty.sum() > 0.3 * cut.sum()
    assert (out.loc[cut, "doc_body"] == df.loc[cut, "doc_body"].str.split(" Second").str[0]).all()
    # an about page whose title does not name the card would be about nothing with no body: only cut
    unnamed_about = (df["label"] == "about") & ~df["doc_title"].str.contains("title ")
    assert not empty[unnamed_about].any() and cut[unnamed_about].any()
    assert empty[df["label"] == "not_about"].mean() == pytest.approx(0.2, abs=0.04)
    assert out.drop(columns="doc_body").equals(df.drop(columns="doc_body"))
    assert out.equals(drop_bodies(df, 0.4, seed=3)) and not out.equals(drop_bodies(df, 0.4, seed=4))


def test_teacher_views_restyle_titles_and_urls_and_change_nothing_with_zero_shares():
    df = pairs()
    from aboutness.params import Teacher
    from conftest import as_params

    cfg = {"card_dropout": 0.0, "prod_card_share": 0.0, "body_dropout": 0.0, "mention_share": 0.0, "layout_share": 0.0,
           "restyle_share": 0.0, "restyle_invented": 0.0}
    assert teacher_views(df, as_params(cfg, Teacher), list(CARD), ["title", "main_type"], seed=1).equals(df)
    out = teacher_views(df, as_params(cfg | {"restyle_share": 0.5}, Teacher), list(CARD), ["title", "main_type"], seed=1)
    restyled = out["doc_title"].ne(df["doc_title"])
    assert restyled.mean() == pytest.approx(0.5, abs=0.05)
    # the title keeps its text inside the new site's dress (any case), and the url moves with it
    assert all(t.casefold() in r.casefold() for t, r in zip(df.loc[restyled, "doc_title"], out.loc[restyled, "doc_title"]))
    assert out.loc[restyled, "doc_url"].ne(df.loc[restyled, "doc_url"]).all()
    assert out.drop(columns=["doc_title", "doc_url"]).equals(df.drop(columns=["doc_title", "doc_url"]))
    # made-up sites: the same rows restyled, on other hosts, as many as asked for
    made_up = teacher_views(df, as_params(cfg | {"restyle_share": 0.5, "restyle_invented": 0.6}, Teacher), list(CARD),
                            ["title", "main_type"], seed=1)
    assert made_up["doc_title"].ne(df["doc_title"]).equals(restyled)
    hosts = [u.split("/")[2].removeprefix("www.").rsplit(".", 1)[0] for u in made_up.loc[restyled, "doc_url"]]
    known = {a.lower() + b.lower() for a in TRAIN.site_words for b in TRAIN.site_words}
    assert 1 - np.isin(hosts, list(known)).mean() == pytest.approx(0.6, abs=0.06)


def test_inserted_mentions_name_the_card_in_not_about_bodies_and_relabel_them():
    df = pairs()
    out = insert_mentions(df, 0.3, seed=5)
    changed = out["doc_body"].ne(df["doc_body"])
    assert changed.equals(out["label"].ne(df["label"]))  # every changed body, and only those, is relabelled
    assert (df.loc[changed, "label"] == "not_about").all() and (out.loc[changed, "label"] == "mention").all()
    assert changed[df["label"] == "not_about"].mean() == pytest.approx(0.3, abs=0.04)
    homonym = df.copy()
    homonym["doc_body"] = homonym["doc_body"] + " " + homonym["card_title"] + " again."  # the body names the card
    assert insert_mentions(homonym, 0.3, seed=5).equals(homonym)  # such a page keeps its label
    for before, after, card in zip(df.loc[changed, "doc_body"], out.loc[changed, "doc_body"], df.loc[changed, "card_title"]):
        added = [s for s in MENTION_SENTENCES if s.format(card=card) in after]
        assert len(added) == 1 and after.replace(added[0].format(card=card), "").split() == before.split()
    assert "compared with" not in " ".join(MENTION_SENTENCES)  # the probe's own sentence stays unseen
    assert insert_mentions(df, 0.0, seed=5) is df


def test_the_teacher_learns_the_labels_of_the_viewed_rows(tiny_bert):
    from aboutness.models import load_tokenizer
    from aboutness.params import load_params
    from aboutness.teacher import training_set

    params = load_params()
    params.teacher.mention_share, params.teacher.class_weight = 1.0, None
    df = pairs(300)
    ds = training_set(load_tokenizer(tiny_bert), df, params, seed=1)
    learnt = np.asarray(ds.targets).argmax(1)
    # every not-about row became a mention: no not-about target is left
    assert (learnt == 1).sum() == 200 and (learnt == 2).sum() == 0 and len(ds) == 300


def test_layout_lays_bodies_out_under_headings_at_the_share_whatever_the_label_and_keeps_every_sentence():
    df = pairs()
    df.iloc[:30, df.columns.get_loc("doc_body")] = ""  # an emptied body stays empty
    out = layout_bodies(df, 0.3, seed=5)
    changed = out["doc_body"].ne(df["doc_body"])
    assert changed.mean() == pytest.approx(0.3, abs=0.03)
    assert changed.groupby(df["label"]).mean().between(0.25, 0.35).all()  # drawn by the seed, not the label
    heading = "|".join(TRAIN_HEADINGS)
    stripped = out.loc[changed, "doc_body"].str.replace(rf"(?:{heading}): ", "", regex=True)
    assert stripped.equals(df.loc[changed, "doc_body"])  # every sentence kept, in order, and no name added
    assert out.loc[changed, "doc_body"].str.count(rf"(?:{heading}): ").gt(1).mean() > 0.4  # often several sections
    assert (out["doc_body"].iloc[:30] == "").all()
    assert out.drop(columns="doc_body").equals(df.drop(columns="doc_body"))
    assert layout_bodies(df, 0.0, seed=5) is df and out.equals(layout_bodies(df, 0.3, seed=5))
