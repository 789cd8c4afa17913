"""aboutness.files: the pipeline's JSON is stable (sorted keys, one form), and every writer makes its folder."""

import json

import pandas as pd

from aboutness.files import write_json, write_parquet, write_quarantine


def test_write_json_is_sorted_and_the_same_whatever_the_order_of_the_keys(tmp_path):
    a, b = tmp_path / "a/deep/m.json", tmp_path / "b.json"
    write_json(a, {"z": 1, "a": {"y": [1, 2], "b": 0.5}})
    write_json(b, {"a": {"b": 0.5, "y": [1, 2]}, "z": 1})
    assert a.read_bytes() == b.read_bytes()  # the folders are made, and the order of the keys is gone
    text = a.read_text(encoding="utf-8")
    assert text == '{\n  "a": {\n    "b": 0.5,\n    "y": [\n      1,\n      2\n    ]\n  },\n  "z": 1\n}\n'
    assert json.loads(text) == {"a": {"b": 0.5, "y": [1, 2]}, "z": 1}


def test_parquet_drops_the_index_and_the_quarantine_is_a_tsv_people_read(tmp_path):
    df = pd.DataFrame({"card_id": ["c1", "c2"], "reason": ["invalid_url", "empty_field"]}, index=[7, 3])
    write_parquet(df, tmp_path / "p/x.parquet")
    back = pd.read_parquet(tmp_path / "p/x.parquet")
    assert back.index.tolist() == [0, 1] and back["card_id"].tolist() == ["c1", "c2"]
    write_quarantine(df, tmp_path / "q/x.tsv")
    assert (tmp_path / "q/x.tsv").read_text().splitlines() == ["card_id\treason", "c1\tinvalid_url", "c2\tempty_field"]
