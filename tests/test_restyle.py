import re

import numpy as np
import pandas as pd
import pytest

from aboutness.data import scored_dataset
from aboutness.models import load_tokenizer
from aboutness.paths import default_base
from aboutness.restyle import HELD_OUT, TRAIN, restyle_batch, restyle_one, restyle_rows


def pool(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "card_id": [f"c{i}" for i in range(n)], "card_title": "Mercury", "card_main_type": "Astronomy",
        "doc_title": [f"Mercury (planet) - Wikipedia {i}" for i in range(n)],
        "doc_url": [f"https://en.wikipedia.org/wiki/Mercury_{i}" for i in range(n)],
        "label": rng.choice(["about", "mention", "not_about"], n),
        "teacher_logit_about": rng.normal(size=n), "teacher_logit_mention": rng.normal(size=n),
        "teacher_logit_not_about": rng.normal(size=n), "weight": 1.0,
    })


def test_a_restyled_title_keeps_the_title_and_gets_another_site():
    seen_prefix = seen_suffix = 0
    for s in range(200):
        title, url = restyle_one("Mercury (planet)", np.random.default_rng(s))
        assert "mercury (planet)" in title.lower()                 # the page's own words all stay
        assert title.lower() != "mercury (planet)"                 # and something wraps them
        assert url.startswith("https://") and "wikipedia" not in url
        seen_prefix += not title.lower().startswith("mercury")
        seen_suffix += not title.lower().endswith("(planet)")
    assert 40 < seen_prefix < 160 and 60 < seen_suffix < 190       # prefixes, suffixes and both are all drawn
    assert restyle_one("X", np.random.default_rng(3)) == restyle_one("X", np.random.default_rng(3))


def test_rows_are_restyled_at_the_share_whatever_their_label_and_keep_every_other_column():
    df = pool(2000)
    out = restyle_rows(df, 0.5, np.random.default_rng(1))
    changed = out["doc_title"] != df["doc_title"]
    assert 0.45 < changed.mean() < 0.55
    assert (out["doc_url"] != df["doc_url"])[changed].all() and (out["doc_url"] == df["doc_url"])[~changed].all()
    by_label = changed.groupby(df["label"]).mean()
    assert by_label.max() - by_label.min() < 0.08                 # a restyle never says anything about the label
    kept = [c for c in df.columns if c not in ("doc_title", "doc_url")]
    pd.testing.assert_frame_equal(out[kept], df[kept])
    pd.testing.assert_frame_equal(restyle_rows(df, 0.0, np.random.default_rng(1)), df)
    no_url = restyle_rows(df.drop(columns="doc_url"), 1.0, np.random.default_rng(1))
    assert (no_url["doc_title"] != df["doc_title"]).all() and "doc_url" not in no_url


def test_the_held_out_styles_share_nothing_with_the_training_styles():
    assert not set(TRAIN.site_words) & set(HELD_OUT.site_words)
    assert not set(TRAIN.prefixes) & set(HELD_OUT.prefixes) and not set(TRAIN.suffixes) & set(HELD_OUT.suffixes)
    assert not set(TRAIN.topic_words) & set(HELD_OUT.topic_words) and not set(TRAIN.tlds) & set(HELD_OUT.tlds)
    held = {restyle_one("Mercury", np.random.default_rng(s), HELD_OUT)[0] for s in range(100)}
    assert not any(w in t for t in held for w in TRAIN.site_words)


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_scored_dataset_restyles_inputs_and_keeps_the_teachers_targets(tmp_path, share):
    df = pool(300)
    path = tmp_path / "runtime_scored.parquet"
    df.to_parquet(path, index=False)
    tok = load_tokenizer(default_base())
    cfg = {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"], "seq_len": 64}

    def targets(rows):
        return rows["teacher_logit_about"].to_numpy(np.float32), rows["weight"].to_numpy(np.float32)

    def build(augment):
        return scored_dataset([path], tok, cfg, targets, batch_rows=64, augment=augment)

    plain = build(None)
    restyled = build(lambda rows, key: restyle_batch(rows, key, share=share, seed=7))
    again = build(lambda rows, key: restyle_batch(rows, key, share=share, seed=7))
    np.testing.assert_array_equal(np.asarray(restyled["labels"]), np.asarray(plain["labels"]))
    same = [a == b for a, b in zip(restyled["input_ids"], plain["input_ids"])]
    assert (np.mean(same) == 1.0) if share == 0 else (0.35 < 1 - np.mean(same) < 0.65)
    assert restyled["input_ids"] == again["input_ids"]             # seeded by the run's seed and the batch


def test_invented_sites_are_made_up_words_and_leave_the_grammars_own_draws_alone():
    from aboutness.restyle import SYLLABLES

    known = [w.lower() for w in TRAIN.site_words]
    grammar_hosts = {a + b for a in known for b in known if a != b}
    made_up = re.compile(rf"(?:{'|'.join(SYLLABLES)})+(?:{'|'.join(known)})?")  # a made-up word, then maybe the grammar's
    for s in range(300):
        plain = restyle_one("Mercury (planet)", np.random.default_rng(s))
        assert restyle_one("Mercury (planet)", np.random.default_rng(s), invent=0.0) == plain  # no draw at 0
        title, url = restyle_one("Mercury (planet)", np.random.default_rng(s), invent=1.0)
        host = url.split("/")[2].removeprefix("www.").rsplit(".", 1)[0]
        assert "mercury (planet)" in title.lower() and host not in grammar_hosts and made_up.fullmatch(host)
    df = pool(2000)
    hosts = restyle_rows(df, 1.0, np.random.default_rng(1), invent=0.5)["doc_url"].str.split("/").str[2]
    assert hosts.str.removeprefix("www.").str.rsplit(".", n=1).str[0].isin(grammar_hosts).mean() == pytest.approx(0.5, abs=0.05)
