"""aboutness.splits: the train/valid/test split, by card or by pair."""


from aboutness.splits import split_labels
from conftest import grouped_labels as labels


def test_card_split_keeps_cards_whole_and_reaches_every_group():
    df = labels()
    split = split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)
    assert (df.assign(s=split).groupby("card_id")["s"].nunique() == 1).all()
    assert set(df.loc[split == "test", "group"]) == {"main", "DIY", "CEHAC"}
    assert split.eq("").sum() == 0
    assert (split == split_labels(df, "card", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)).all()


def test_pair_split_puts_a_card_in_several_splits():
    df = labels()
    split = split_labels(df, "pair", {"train": 0.6, "valid": 0.2, "test": 0.2}, seed=1)
    assert df.assign(s=split).groupby("card_id")["s"].nunique().max() > 1
