"""aboutness.pool_stream: the pair keys kept on disk in buckets (repeats, distinct pairs, the overlap of two pools)
and the quarantine written as it goes. Streaming a whole pool is in tests/test_pools.py."""

import numpy as np
import pandas as pd

from aboutness.pool_stream import QUARANTINE_COLUMNS, KeyBuckets, QuarantineWriter, hash_keys


def test_keys_are_equal_for_equal_rows_only():
    keys = hash_keys(pd.Series(["c1", "c1", "c2", "c1"]), pd.Series(["u1", "u2", "u1", "u1"]))
    assert keys.dtype == np.uint64 and keys[0] == keys[3] and len(set(keys[:3].tolist())) == 3


def test_buckets_find_repeats_across_chunks_and_count_shared_keys(tmp_path):
    a = KeyBuckets(tmp_path / "a")
    rows = [("c1", "u1"), ("c2", "u2"), ("c1", "u1"), ("c3", "u3"), ("c2", "u2"), ("c1", "u1")]
    keys = hash_keys(pd.Series([c for c, _ in rows]), pd.Series([u for _, u in rows]))
    a.add(keys[:3], np.arange(3))  # two chunks, as a streamed pool adds them
    a.add(keys[3:], np.arange(3, 6))
    assert a.repeats().tolist() == [2, 4, 5]  # every row whose pair an earlier row had
    assert a.distinct() == 3
    b = KeyBuckets(tmp_path / "b")
    b.add(hash_keys(pd.Series(["c3", "c9"]), pd.Series(["u3", "u9"])))
    assert a.shared(b) == b.shared(a) == 1
    assert KeyBuckets(tmp_path / "a").distinct() == 0  # a new instance starts empty


def test_the_quarantine_has_one_header_and_every_rejected_row(tmp_path):
    q = QuarantineWriter(tmp_path / "q/trash.tsv")
    q.write(pd.DataFrame({"card_id": ["c1"], "reason": ["non_http"], "_row": [4]}))
    q.write(pd.DataFrame(columns=["card_id"]))
    q.write(pd.DataFrame({"card_id": ["c2"], "reason": ["duplicate"], "_row": [9]}))
    q.close()
    out = pd.read_csv(tmp_path / "q/trash.tsv", sep="\t", dtype=str)
    assert list(out.columns) == list(QUARANTINE_COLUMNS) and q.rows == 2
    assert out[["card_id", "reason", "_row"]].values.tolist() == [["c1", "non_http", "4"], ["c2", "duplicate", "9"]]
