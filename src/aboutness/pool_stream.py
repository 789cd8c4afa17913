"""A distillation pool streamed to parquet in memory that does not grow with the pool (issue 15).

Rows pass in chunks through the trash filter and the leakage guards. What needs the whole pool
(repeated pairs, distinct cards, the overlap of two pools) needs only the pairs' keys, so those are
64-bit hashes kept in bucket files on disk and read one bucket at a time: a 10M-pair pool holds 160 MB
of keys on disk and a 64th of that in memory, not 10M tuples of strings.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from aboutness.columns import POOL_COLUMNS
from aboutness.label_rows import canonical_url

N_BUCKETS = 64  # the top 6 bits of a key pick its bucket
KEY_ROW = np.dtype([("key", "<u8"), ("row", "<i8")])
# `label` for an eval set's rejected rows: for a repeat or a tie, the row's own label is what to see
QUARANTINE_COLUMNS = (*POOL_COLUMNS, "pool", "reason", "label", "_source", "_row", "column", "detail")
POOL_SCHEMA = pa.schema([(c, pa.float64() if c == "weight" else pa.string()) for c in POOL_COLUMNS])


def hash_keys(*columns: pd.Series) -> np.ndarray:
    """One 64-bit key per row from its values (pandas' own hashing). Among 10M distinct pairs, two share
    a key with a probability of about 3e-6."""
    frame = pd.DataFrame({i: np.asarray(c, dtype=object) for i, c in enumerate(columns)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


class KeyBuckets:
    """(key, row) records appended to N_BUCKETS files by the key's top bits."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.files = [root / f"{b:02d}.bin" for b in range(N_BUCKETS)]
        for f in self.files:
            f.write_bytes(b"")

    def add(self, keys: np.ndarray, rows: np.ndarray | None = None) -> None:
        records = np.empty(len(keys), KEY_ROW)
        records["key"], records["row"] = keys, -1 if rows is None else rows
        bucket = (records["key"] >> np.uint64(64 - 6)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(N_BUCKETS + 1))
        for b in np.flatnonzero(np.diff(bounds)):
            with open(self.files[b], "ab") as f:
                records[order[bounds[b]:bounds[b + 1]]].tofile(f)

    def bucket(self, b: int) -> np.ndarray:
        return np.fromfile(self.files[b], KEY_ROW)

    def repeats(self) -> np.ndarray:
        """Sorted row numbers whose key an earlier row already had."""
        out = []
        for b in range(N_BUCKETS):
            rec = self.bucket(b)
            rec = rec[np.lexsort((rec["row"], rec["key"]))]
            later = np.zeros(len(rec), bool)
            later[1:] = rec["key"][1:] == rec["key"][:-1]
            out.append(rec["row"][later])
        return np.sort(np.concatenate(out))

    def distinct(self) -> int:
        return sum(len(np.unique(self.bucket(b)["key"])) for b in range(N_BUCKETS))

    def shared(self, other: KeyBuckets) -> int:
        """Distinct keys both hold."""
        return sum(len(np.intersect1d(self.bucket(b)["key"], other.bucket(b)["key"])) for b in range(N_BUCKETS))


class QuarantineWriter:
    """Rejected rows appended to one TSV under a fixed header, so that 7M trash rows never sit in memory."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "w", encoding="utf-8", newline="")
        self.rows = 0
        pd.DataFrame(columns=list(QUARANTINE_COLUMNS)).to_csv(self.file, sep="\t", index=False)

    def write(self, df: pd.DataFrame) -> None:
        if len(df):
            df.reindex(columns=list(QUARANTINE_COLUMNS)).to_csv(self.file, sep="\t", index=False, header=False)
            self.rows += len(df)

    def close(self) -> None:
        self.file.close()


def stream_pool(name: str, chunks: Iterable[pd.DataFrame], dst: Path, workdir: Path,
                trash: Callable[[pd.DataFrame, pd.Series], pd.Series],
                guard: Callable[[str, pd.DataFrame], tuple[pd.DataFrame, dict[str, int]]],
                quarantine: QuarantineWriter) -> tuple[dict, KeyBuckets]:
    """Write pool `name` from `chunks` to `dst`: trash (`trash` gives a reason per row from the rows and
    their canonical urls, '' = keep; repeats are found here, over the whole pool) to `quarantine`, rows
    `guard` drops counted, the rest kept with canonical urls. Two passes: the first writes each chunk to
    `workdir` with its reasons and buckets its pair keys, the second marks the repeats, which only the
    whole pool's keys can tell.
    Returns the stats and the kept pairs' keys, for the overlap between pools."""
    if workdir.exists():
        shutil.rmtree(workdir)
    parts, pairs = workdir / "parts", KeyBuckets(workdir / "pairs")
    parts.mkdir(parents=True)
    n = 0
    for i, chunk in enumerate(chunks):
        chunk = chunk.reset_index(drop=True)
        urls = chunk["doc_url"].map(canonical_url)
        rows = np.arange(n, n + len(chunk))
        has_url = urls.notna().to_numpy()
        pairs.add(hash_keys(chunk["card_id"][has_url], urls[has_url]), rows[has_url])
        chunk = chunk.assign(_n=rows, _reason=trash(chunk, urls).to_numpy(), _url=urls)
        chunk.to_parquet(parts / f"{i:06d}.parquet", index=False)
        n += len(chunk)
    repeats = pairs.repeats()
    kept_keys, cards = KeyBuckets(workdir / "kept"), KeyBuckets(workdir / "cards")
    stats = {"rows_in": n, "trash": 0, "trash_by_reason": {}, "removed": {}, "rows": 0}
    with pq.ParquetWriter(dst, POOL_SCHEMA) as writer:
        for part in sorted(parts.iterdir()):
            chunk = pd.read_parquet(part)
            rows = chunk["_n"].to_numpy()
            mine = repeats[np.searchsorted(repeats, rows[0]):np.searchsorted(repeats, rows[-1], "right")] if len(rows) else repeats[:0]
            repeat = np.isin(rows, mine, assume_unique=True) & (chunk["_reason"] == "").to_numpy()
            chunk.loc[repeat, "_reason"] = "duplicate"
            bad = chunk["_reason"] != ""
            quarantine.write(chunk[bad].assign(pool=name, reason=chunk.loc[bad, "_reason"]))
            for reason, count in chunk.loc[bad, "_reason"].value_counts().items():
                stats["trash_by_reason"][reason] = stats["trash_by_reason"].get(reason, 0) + int(count)
            stats["trash"] += int(bad.sum())
            chunk = chunk[~bad].assign(doc_url=lambda d: d["_url"])
            chunk, removed = guard(name, chunk)
            for k, v in removed.items():
                stats["removed"][k] = stats["removed"].get(k, 0) + v
            writer.write_table(pa.Table.from_pandas(chunk[list(POOL_COLUMNS)], schema=POOL_SCHEMA, preserve_index=False))
            kept_keys.add(hash_keys(chunk["card_id"], chunk["doc_url"]))
            cards.add(hash_keys(chunk["card_id"]))
            stats["rows"] += len(chunk)
            part.unlink()
    stats["trash_by_reason"] = dict(sorted(stats["trash_by_reason"].items()))
    stats["trash_share"] = round(stats["trash"] / max(1, n), 6)
    stats["cards"] = cards.distinct()
    return stats, kept_keys
