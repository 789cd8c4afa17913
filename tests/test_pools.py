import numpy as np
import pandas as pd
import pytest
import yaml

from aboutness.build_pools import guard_leaks, split_labels, trash_reasons, url_try_pool
from aboutness.schema import InputError
from conftest import ROOT

TRASH = yaml.safe_load((ROOT / "params.yaml").read_text())["pools"]["trash"]


def labels(n_cards=40, groups=("main", "DIY", "CEHAC")):
    rows = []
    for c in range(n_cards):
        g = groups[c % len(groups)]
        for d, lab in enumerate(("about", "mention", "not_about")):
            rows.append({"card_id": f"c{c}", "doc_url": f"https://x.org/{(c + d) % n_cards}", "label": lab, "group": g})
    return pd.DataFrame(rows)


def test_card_split_keeps_cards_whole_and_reaches_every_group():
    df = labels()
    split = split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)
    assert (df.assign(s=split).groupby("card_id")["s"].nunique() == 1).all()
    assert set(df.loc[split == "test", "group"]) == {"main", "DIY", "CEHAC"}
    assert split.eq("").sum() == 0
    assert (split == split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)).all()


def test_pair_split_and_bad_split_setting():
    df = labels()
    split = split_labels(df, "pair", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)
    assert df.assign(s=split).groupby("card_id")["s"].nunique().max() > 1
    with pytest.raises(InputError, match="pools.split"):
        split_labels(df, "doc", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)


def test_leak_guard_removes_test_cards_and_docs():
    df = labels()
    split = split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=2)
    test = df[split == "test"]
    frames = {"train": df[split == "train"], "valid": df[split == "valid"],
              "runtime": pd.concat([df[split == "train"], test.head(5)]).drop(columns="label")}
    removed = guard_leaks(frames, test, "card", allow_test_docs=False)
    assert removed["runtime"] >= 5
    for name in ("train", "runtime"):
        assert not frames[name]["card_id"].isin(test["card_id"]).any()
        assert not frames[name]["doc_url"].isin(test["doc_url"]).any()
    assert not frames["valid"]["card_id"].isin(test["card_id"]).any()
    frames2 = {"train": df[split == "train"]}
    assert guard_leaks(frames2, test, "card", allow_test_docs=True)["train"] == 0


def test_trash_filter_flags_each_rule():
    pool = pd.DataFrame({
        "card_id": ["c"] * 7,
        "doc_url": ["https://a.org/1", "ftp://a.org/2", "https://a.org/3", "https://a.org/4",
                    "https://a.org/5", "https://A.org/1#x", "https://a.org/7"],
        "doc_title": ["Mercury", "Mercury", "", "404 Not Found", "Mercury facts", "Mercury", "-"],
        "doc_body": ["planet", "planet", "planet", "", "Please enable JavaScript to continue", "planet", ""],
    })
    assert trash_reasons(pool, TRASH).tolist() == [
        "", "non_http", "empty_title", "boilerplate", "boilerplate", "duplicate", "empty_title"]


def test_url_try_pool_shares_a_title_word():
    cards = pd.DataFrame({"card_title": ["Mercury", "Grand Canyon"], "card_subtitle": "", "card_main_type": "",
                          "card_definition": "", "group": "main"}, index=pd.Index(["m", "g"], name="card_id"))
    corpus = pd.DataFrame({"doc_url": ["https://w.org/wiki/Mercury_(element)", "https://w.org/wiki/Canyon",
                                       "https://w.org/wiki/Venus", "https://mercury.org/about"],
                           "doc_title": ["a", "b", "c", "d"], "doc_body": ""})
    pool = url_try_pool(cards, corpus, k=5, seed=0)
    assert sorted(zip(pool["card_id"], pool["doc_url"])) == [
        ("g", "https://w.org/wiki/Canyon"), ("m", "https://w.org/wiki/Mercury_(element)")]
    assert np.all(pool["card_title"].map({"Mercury": 1, "Grand Canyon": 1}) == 1)
