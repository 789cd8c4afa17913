"""The behavioural probes (probes.py): each transforms real demo pairs as specified and carries the label
it expects; a probe that changes nothing a model reads does not apply to it."""

import re

import numpy as np
import pandas as pd
import pytest

from aboutness import probes
from aboutness.demo import wiki as demo
from aboutness.text import SENTENCE, title_names_card

TEACHER = {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url", "body"]}
STUDENT = {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"]}


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    d = demo.build_demo(seed=3, n_cards=60, ecom_cards=4, junk_share=0.0)
    return pd.concat([d["labels"], d["ecom"]], ignore_index=True)


def test_inv_site_and_case_rewrite_the_title_and_url_only(pairs):
    site = probes.build("inv_site", pairs, seed=1, n=150)
    orig = pairs.loc[site["orig"]].reset_index(drop=True)
    assert len(site) == 150 and (site["expect"] == "unchanged").all() and (site["label"] == orig["label"]).all()
    assert all(o in t for o, t in zip(orig["doc_title"], site["doc_title"]))  # the title keeps its text
    assert site["doc_url"].str.contains("|".join(s.lower() for s in probes.SITES)).all()
    assert (site["doc_title"] != orig["doc_title"]).mean() > 0.6  # the bare style keeps it, the other three do not
    same = ["doc_body", "card_title", "card_definition"]
    assert (site[same].to_numpy() == orig[same].to_numpy()).all()
    case = probes.build("inv_case", pairs, seed=1, n=150)
    orig = pairs.loc[case["orig"]].reset_index(drop=True)
    assert all(t in (o.upper(), o.lower()) for t, o in zip(case["doc_title"], orig["doc_title"]))
    assert (case["doc_url"] == orig["doc_url"]).all()


def test_body_probes_keep_about_pages_about(pairs):
    only = probes.build("dir_title_only", pairs, seed=1)
    assert (only["label"] == "about").all() and (only["doc_body"] == "").all() and (only["expect"] == "about").all()
    assert title_names_card(only).all()  # with no body, only a title that names the card makes a page about it
    short = probes.build("dir_short_body", pairs, seed=1)
    orig = pairs.loc[short["orig"], "doc_body"].to_numpy()
    assert (short["label"] == "about").all() and all(o.startswith(s) for s, o in zip(short["doc_body"], orig))
    several = np.array([len(SENTENCE.split(o)) > 1 for o in orig])
    assert several.mean() > 0.5 and (short["doc_body"].str.len().to_numpy()[several] < pd.Series(orig).str.len()[several]).all()
    assert all(len(SENTENCE.split(b)) == 1 for b in short["doc_body"])  # one sentence left


def test_swap_gives_a_card_another_cards_about_page_of_its_main_type(pairs):
    swap = probes.build("dir_swap", pairs, seed=1)
    assert len(swap) > 20 and (swap["label"] == "not_about").all() and (swap["expect"] == "not_about").all()
    owner = pairs[pairs["label"] == "about"].set_index("doc_url")
    assert (owner.loc[swap["doc_url"], "card_id"].to_numpy() != swap["card_id"].to_numpy()).all()
    assert (owner.loc[swap["doc_url"], "card_main_type"].to_numpy() == swap["card_main_type"].to_numpy()).all()


def test_mention_insert_and_production_card(pairs):
    ins = probes.build("dir_mention_insert", pairs, seed=1)
    orig = pairs.loc[ins["orig"]].reset_index(drop=True)
    assert (orig["label"] == "not_about").all() and (ins["expect"] == "mention").all()
    assert all(b.count(c) == o.count(c) + 1 for b, o, c in zip(ins["doc_body"], orig["doc_body"], ins["card_title"]))
    prod = probes.build("inv_prod_card", pairs, seed=1)
    assert (prod["label"] == "about").all() and (prod[["card_subtitle", "card_definition"]] == "").all().all()
    assert all(c.casefold() in t.casefold() for c, t in zip(prod["card_title"], prod["doc_title"]))


def test_record_page_keeps_every_body_sentence_under_new_headings_and_names_the_card(pairs):
    rec = probes.build("dir_record_page", pairs, seed=1)
    orig = pairs.loc[rec["orig"]].reset_index(drop=True)
    assert len(rec) > 20 and (rec["label"] == "about").all() and (rec["expect"] == "about").all()
    assert title_names_card(orig).all()  # the record names the page's own subject
    assert all(t.count(c) == 1 and t != c for t, c in zip(rec["doc_title"], rec["card_title"]))
    assert rec["doc_url"].str.fullmatch(r"https://(factgrid|registrum|datapedia)\.example/r/\d{4}-[a-z]{3}").all()
    heading = "|".join(probes.PROBE_HEADINGS)
    for body, before, card in zip(rec["doc_body"], orig["doc_body"], rec["card_title"]):
        assert body.startswith(f"{card} — ")
        # the headings taken out, the page's own sentences are left, all of them and in order
        assert re.sub(rf"(?:{heading}): ", "", body.removeprefix(f"{card} — ")) == " ".join(SENTENCE.split(before.strip()))
    same = ["card_title", "card_subtitle", "card_definition", "card_main_type"]
    assert (rec[same].to_numpy() == orig[same].to_numpy()).all()
    assert rec["doc_body"].str.count(rf"(?:{heading}): ").gt(1).mean() > 0.3  # often in more than one section


def test_probes_are_seeded_and_say_where_they_apply(pairs):
    a, b, c = (probes.build("inv_site", pairs, seed=s, n=80) for s in (1, 1, 2))
    pd.testing.assert_frame_equal(a, b)
    assert not a["doc_url"].equals(c["doc_url"])
    teacher = [p.name for p in probes.PROBES if probes.applies(p, TEACHER, three_class=True)]
    student = [p.name for p in probes.PROBES if probes.applies(p, STUDENT, three_class=False)]
    assert teacher == [p.name for p in probes.PROBES]
    # it reads no body and has no mention class; a title-only page and a production card are what it always sees
    assert student == ["inv_site", "inv_case", "dir_title_only", "dir_swap", "inv_prod_card", "dir_record_page"]


def test_pass_rates_compare_with_the_original_decision_or_the_expected_label():
    probed = pd.DataFrame({"orig": [0, 1, 2, 3]})
    inv = probes.BY_NAME["inv_site"]
    assert probes.pass_rate(inv, probed, np.array([1, 0, 1, 1]), None, np.array([1, 1, 1, 0])) == 0.5
    assert probes.pass_rate(probes.BY_NAME["dir_swap"], probed, np.array([0, 0, 0, 1]), None, None) == 0.75
    mention = probes.BY_NAME["dir_mention_insert"]
    assert probes.pass_rate(mention, probed, None, np.array(["mention", "about", "mention", "mention"]), None) == 0.75
