import numpy as np
import pandas as pd
import pytest
import yaml

from aboutness.errors import InputError
from aboutness.params import Params, load_params
from aboutness.pools import check_no_leaks, eval_set, guard_leaks, pool_file_chunks, split_labels, trash_reasons, url_try_pool
from conftest import ROOT, as_params, raw_params
from conftest import grouped_labels as labels

TRASH = load_params(ROOT / "params.yaml").pools.trash


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
        "weight": 1.0,
    })
    assert trash_reasons(pool, TRASH).tolist() == [
        "", "non_http", "empty_title", "boilerplate", "boilerplate", "duplicate", "empty_title"]


def test_pool_file_weights_are_read_not_defaulted(tmp_path):
    """A weight of "abc" used to become 1, and 0, negative or infinite weights were kept (issue 14, point 6)."""
    weights = ["", "2.5", "abc", "0", "-1", "inf", "nan"]
    path = tmp_path / "pool.tsv"
    pd.DataFrame({"card_id": "c", "card_title": "Mercury", "doc_url": [f"https://a.org/{i}" for i in range(7)],
                  "doc_title": "Mercury", "weight": weights}).to_csv(path, sep="\t", index=False)
    pool = pd.concat(pool_file_chunks([str(path)]))
    assert pool["weight"].iloc[:2].tolist() == [1.0, 2.5]
    assert trash_reasons(pool, TRASH).tolist() == ["", ""] + ["bad_weight"] * 5


def test_pools_lose_valid_cards_and_the_leak_check_sees_what_the_guard_missed():
    df = labels()
    split = split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=2)
    valid, test = df[split == "valid"], df[split == "test"]
    pools = {"runtime": pd.concat([df[split == "train"], valid.head(4)]).drop(columns="label")}
    assert guard_leaks(pools, valid, "card", allow_test_docs=True) == {"runtime": 4}
    assert not pools["runtime"]["card_id"].isin(valid["card_id"]).any()
    guard_leaks(pools, test, "card", allow_test_docs=False)
    leaky = {"runtime": pd.concat([pools["runtime"], test.head(1)])}
    with pytest.raises(AssertionError, match="leak into runtime"):
        check_no_leaks(leaky, test, "card", allow_test_docs=False)
    check_no_leaks(pools, test, "card", allow_test_docs=False)
    pair_pools = {"url_try": valid.head(2).drop(columns="label")}
    assert guard_leaks(pair_pools, valid, "pair", allow_test_docs=True) == {"url_try": 2}


def pool_params(runtime: list[str], url_try: list[str]) -> Params:
    params = raw_params()
    params["pools"] |= {"corpus": None, "runtime": runtime, "url_try": url_try}
    params["eval"]["sets"] = None
    return as_params(params)


def full_labels() -> pd.DataFrame:
    return labels().assign(card_title="t", card_subtitle="", card_main_type="", card_definition="", doc_title="d",
                           doc_body="", weight=1.0)


def test_build_pools_drops_pool_rows_of_valid_cards(tmp_path):
    """A user pool file holding valid cards: the student picks its checkpoint on valid, so build_pools
    drops those rows (load_pool_files used to ignore its cards argument and keep them)."""
    from aboutness import pools as bp

    df = full_labels()
    pool = df.drop(columns="label").assign(doc_url=lambda d: d["doc_url"] + "?pool", doc_title="A pool page")
    pool.to_csv(tmp_path / "pool.tsv", sep="\t", index=False)
    metrics = bp.build_pools(df, pool_params([str(tmp_path / "pool.tsv")], []), tmp_path / "out", tmp_path / "q.tsv")
    valid_cards = set(pd.read_parquet(tmp_path / "out/valid.parquet")["card_id"])
    runtime = pd.read_parquet(tmp_path / "out/runtime.parquet")
    assert valid_cards and not runtime["card_id"].isin(valid_cards).any()
    assert metrics["valid_cards_removed_from_pools"]["runtime"] == pool["card_id"].isin(valid_cards).sum() > 0
    held_out = valid_cards | set(pd.read_parquet(tmp_path / "out/test.parquet")["card_id"])
    assert set(runtime["card_id"]) == set(pool["card_id"]) - held_out  # every train card's rows stay


def test_build_pools_fails_when_the_guard_misses_a_leak(tmp_path, monkeypatch):
    """check_no_leaks used to re-run the guard on frames it had cleaned, so it could never fire."""
    from aboutness import pools as bp

    df = full_labels()
    pool = df.drop(columns="label").assign(doc_url=lambda d: d["doc_url"] + "?pool", doc_title="A pool page")
    pool.to_csv(tmp_path / "pool.tsv", sep="\t", index=False)
    params = pool_params([str(tmp_path / "pool.tsv")], [])
    bp.build_pools(df, params, tmp_path / "out", tmp_path / "q.tsv")  # the real guard: nothing leaks
    guard = bp.guard_leaks
    # a guard that misses the pools' leaks (the splits' guard still works): the check must see them
    monkeypatch.setattr(bp, "guard_leaks", lambda frames, *a, **kw: {k: 0 for k in frames} if "runtime" in frames
                        else guard(frames, *a, **kw))
    with pytest.raises(AssertionError, match="leak into runtime"):
        bp.build_pools(df, params, tmp_path / "out", tmp_path / "q.tsv")
    monkeypatch.setattr(bp, "guard_leaks", lambda frames, *a, **kw: {k: 0 for k in frames})
    with pytest.raises(AssertionError, match="leak into train"):
        bp.build_pools(df, params, tmp_path / "out", tmp_path / "q.tsv")


def test_streamed_pool_matches_the_whole_frame_rules_and_quarantines_with_file_and_row(tmp_path, monkeypatch):
    """A user pool streamed in chunks of 3 rows: repeats are found across chunks, including the repeat
    of a row that was itself trash, as the whole-frame rules find them; rows in = kept + trash + guarded;
    the quarantine names each trash row's file and row."""
    from aboutness import pools as bp

    df = full_labels()
    train_card = "c1"
    rows = pd.DataFrame({
        "card_id": train_card, "card_title": "Mercury",
        "doc_url": ["https://a.org/1", "ftp://a.org/2", "https://a.org/3", "https://a.org/4", "https://A.org/1#x",
                    "https://a.org/6", "https://a.org/4", "https://a.org/8", "https://a.org/3"],
        "doc_title": ["Mercury", "Mercury", "404 Not Found", "Mercury", "Mercury", "", "Mercury", "Mercury", "Mercury"],
    })
    path = tmp_path / "pool.tsv"
    rows.to_csv(path, sep="\t", index=False)
    whole = trash_reasons(pd.concat(pool_file_chunks([str(path)])), TRASH).tolist()
    assert whole == ["", "non_http", "boilerplate", "", "duplicate", "empty_title", "duplicate", "", "duplicate"]
    params = pool_params([str(path)], [])
    split = split_labels(df, "card", params.pools.fractions.model_dump(), params.seed)
    assert split[df["card_id"] == train_card].eq("train").all()
    chunks = list(pool_file_chunks([str(path)], rows=3))
    assert len(chunks) == 3
    monkeypatch.setattr(bp, "pool_file_chunks", lambda setting, **kw: iter(chunks) if setting else iter([]))
    metrics = bp.build_pools(df, params, tmp_path / "out", tmp_path / "q.tsv")
    stats = metrics["pools"]["runtime"]
    assert stats["trash_by_reason"] == {"boilerplate": 1, "duplicate": 3, "empty_title": 1, "non_http": 1}
    assert stats["rows_in"] == 9 == stats["rows"] + stats["trash"] and stats["cards"] == 1
    kept = pd.read_parquet(tmp_path / "out/runtime.parquet")
    assert kept["doc_url"].tolist() == ["https://a.org/1", "https://a.org/4", "https://a.org/8"]
    q = pd.read_csv(tmp_path / "q.tsv", sep="\t", dtype=str)
    assert q["_row"].tolist() == ["2", "3", "5", "6", "7", "9"] and set(q["_source"]) == {str(path)}
    assert q["reason"].tolist() == ["non_http", "boilerplate", "duplicate", "empty_title", "duplicate", "duplicate"]


def test_eval_sets_are_validated_and_never_empty(tmp_path):
    """A parquet eval set skipped validation: its urls were never made canonical, so under the pair split it
    matched no test pair and came out empty, and evaluate divided by zero (issue 14, point 5)."""
    test = pd.DataFrame({"card_id": ["c1", "c2"], "doc_url": ["https://a.org/1", "https://a.org/2"]})
    known = pd.DataFrame({"card_id": ["c1", "c2", "c3"]})
    rows = pd.DataFrame({"card_id": ["c1", "c2", "c3"], "card_title": "T", "doc_title": "D", "label": "about",
                         "doc_url": ["HTTPS://A.org/1#top", "https://a.org:443/2", "not a url"]})
    path = tmp_path / "mine.parquet"
    rows.to_parquet(path)
    kept, rejected = eval_set("mine", [str(path)], known, test, "pair")
    assert kept["doc_url"].tolist() == ["https://a.org/1", "https://a.org/2"]
    assert rejected["reason"].tolist() == ["invalid_url"]
    rows.assign(card_id=["c3"] * 3).to_parquet(path)
    with pytest.raises(InputError, match=r"params.yaml eval.sets.mine: none of its 2 valid rows .* would be empty"):
        eval_set("mine", [str(path)], known, test, "pair")


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


def test_groups_off_for_training_keep_their_test_pairs_and_never_leak(tmp_path, monkeypatch):
    """ecom.enabled true and false on the demo: the same test pairs (so the old and the new model are scored on
    the very same group pairs); with false no group card reaches train, valid or the pools, and no shop page the
    pools; in both, no test card of any group and no test document reaches training or the pools."""
    from aboutness import pools as bp
    from aboutness.demo import wiki as demo

    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    d = demo.build_demo(seed=3, n_cards=80, ecom_cards=12, junk_share=0.0, fractions=base["pools"]["fractions"])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/demo").mkdir(parents=True)
    d["corpus"].to_parquet(tmp_path / "data/demo/corpus.parquet")
    labels = pd.concat([d["labels"], d["ecom"]], ignore_index=True).assign(weight=1.0)
    group_rows = labels[labels["group"] != "main"]
    out = {}
    for enabled in (True, False):
        params = raw_params()
        params["ecom"]["enabled"], params["eval"]["sets"] = enabled, None
        metrics = bp.build_pools(labels, as_params(params), tmp_path / str(enabled), tmp_path / f"q{enabled}.tsv")
        out[enabled] = {n: pd.read_parquet(tmp_path / str(enabled) / f"{n}.parquet")
                        for n in ("train", "valid", "test", "runtime", "url_try")}
        out[enabled]["metrics"] = metrics
    pairs = {e: set(zip(f["test"]["card_id"], f["test"]["doc_url"])) for e, f in out.items()}
    assert pairs[True] == pairs[False]
    assert set(out[False]["test"]["group"]) == {"main", "DIY", "CEHAC", "Pharma"}
    on, off = out[True], out[False]
    assert set(on["train"]["group"]) == {"main", "DIY", "CEHAC", "Pharma"}
    assert on["runtime"]["doc_url"].isin(set(group_rows["doc_url"])).any()  # shop pages reach the pools when on
    group_cards = set(group_rows["card_id"])
    for name in ("train", "valid", "runtime", "url_try"):
        assert not off[name]["card_id"].isin(group_cards).any(), name
    for name in ("runtime", "url_try"):
        assert not off[name]["doc_url"].isin(set(group_rows["doc_url"])).any(), name
    assert off["metrics"]["group_rows_kept_from_training"]["train"] == on["train"]["card_id"].isin(group_cards).sum() > 0
    for frames in out.values():
        test_cards, test_docs = set(frames["test"]["card_id"]), set(frames["test"]["doc_url"])
        for name in ("train", "valid", "runtime", "url_try"):
            assert not frames[name]["card_id"].isin(test_cards).any(), name
        for name in ("train", "runtime", "url_try"):
            assert not frames[name]["doc_url"].isin(test_docs).any(), name
