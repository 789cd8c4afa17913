"""Train/valid/test splits, the eval sets, the unlabelled distillation pools (`runtime`, `url_try`), the
trash filter and the leakage guard. The stage `build_pools` runs `build_pools`."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from aboutness.columns import CARD_FIELDS, POOL_COLUMNS
from aboutness.errors import InputError
from aboutness.files import write_parquet
from aboutness.label_rows import bad_weight, canonical_url, clean_text, expand_paths, load_labels
from aboutness.paths import DEMO_DIR
from aboutness.pool_stream import QuarantineWriter, stream_pool
from aboutness.splits import SPLITS, split_labels
from aboutness.tables import count_records, iter_table, read_table

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Params, Pools, Trash

POOLS = ("runtime", "url_try")
BUILDERS = {"runtime": "retrieve", "url_try": "url_words"}  # the setting that builds a pool from the corpus
CHUNK_ROWS = 100_000


def cards_of(labels: pd.DataFrame) -> pd.DataFrame:
    return labels.drop_duplicates("card_id").set_index("card_id")[list(CARD_FIELDS) + ["group"]]


def retrieve_pool(cards: pd.DataFrame, corpus: pd.DataFrame, k: int) -> pd.DataFrame:
    """Top-k corpus docs per card by TF-IDF cosine over doc title+body."""
    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    docs = vec.fit_transform(corpus["doc_title"] + " " + corpus["doc_body"])
    queries = vec.transform(cards["card_title"] + " " + cards["card_subtitle"] + " " + cards["card_definition"])
    rows = []
    for start in range(0, queries.shape[0], 512):
        sims = (queries[start:start + 512] @ docs.T).toarray()
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        for i, doc_rows in enumerate(top):
            rows += [(cards.index[start + i], d) for d in doc_rows if sims[i, d] > 0]
    return _pairs(cards, corpus, rows)


def _words(text: str) -> set[str]:
    """Words of three or more letters or digits in any script ("москва", "zürich"), percent-encoding decoded
    (a url path holds /wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0), English stop words left out."""
    return {w for w in re.findall(r"[^\W_]+", unquote(text).casefold()) if len(w) > 2 and w not in ENGLISH_STOP_WORDS}


def url_try_pool(cards: pd.DataFrame, corpus: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """Docs whose url shares a word with the card title; most shared words first, at most k per card."""
    index: dict[str, list[int]] = {}
    for d, url in enumerate(corpus["doc_url"]):
        for w in _words(url.split("://", 1)[-1].split("/", 1)[-1]):
            index.setdefault(w, []).append(d)
    rng = np.random.default_rng(seed)
    rows = []
    for card_id, title in zip(cards.index, cards["card_title"]):
        hits: dict[int, int] = {}
        for w in sorted(_words(title)):
            for d in index.get(w, ()):
                hits[d] = hits.get(d, 0) + 1
        docs = np.array(sorted(hits), dtype=int)
        if len(docs):
            order = np.lexsort((rng.random(len(docs)), -np.array([hits[d] for d in docs])))
            rows += [(card_id, d) for d in docs[order][:k]]
    return _pairs(cards, corpus, rows)


def _pairs(cards: pd.DataFrame, corpus: pd.DataFrame, rows: list[tuple[str, int]]) -> pd.DataFrame:
    card_ids = [c for c, _ in rows]
    docs = corpus.iloc[[d for _, d in rows]].reset_index(drop=True)
    out = cards.loc[card_ids].reset_index().rename(columns={"index": "card_id"})
    out = pd.concat([out, docs[["doc_url", "doc_title", "doc_body"]]], axis=1)
    out["weight"] = 1.0
    return out[list(POOL_COLUMNS)]


def trash_reasons(pool: pd.DataFrame, cfg: Trash, duplicates: bool = True, urls: pd.Series | None = None) -> pd.Series:
    """Why each pool row is trash ('' = keep). Rules, first match wins: non_http url, a weight that
    is not a positive finite number, empty or near-empty title, boilerplate/error page, duplicate pair
    (with `duplicates=False` that last rule is left to the caller: a streamed pool finds repeats over
    the whole pool, not one chunk; it passes the canonical `urls` it computed already)."""
    title_re = re.compile("|".join(cfg.title_patterns), re.IGNORECASE)
    body_re = re.compile("|".join(cfg.body_patterns), re.IGNORECASE)
    urls = pool["doc_url"].map(canonical_url) if urls is None else urls
    reason = pd.Series("", index=pool.index)
    title_chars = pool["doc_title"].str.count(r"\w")
    rules = [
        ("non_http", urls.isna()),
        ("bad_weight", bad_weight(pool["weight"])),  # a negative weight would train the student backwards
        ("empty_title", title_chars < cfg.min_title_chars),
        ("boilerplate", pool["doc_title"].str.contains(title_re) | pool["doc_body"].str.contains(body_re)),
    ]
    if duplicates:
        rules.append(("duplicate", pd.DataFrame({"c": pool["card_id"], "u": urls}).duplicated()))
    for name, mask in rules:
        reason[mask & (reason == "")] = name
    return reason


def pool_file_chunks(setting: list[str], rows: int = CHUNK_ROWS, tsv_format: str = "quoted") -> Iterator[pd.DataFrame]:
    """User pool files in chunks of at most `rows`: the pool schema without `label`, text normalised
    here, urls and weights judged by the trash filter; `_source` and `_row` name each row's origin."""
    for path in expand_paths(setting):
        for df in iter_table(path, rows, tsv_format):
            missing = [c for c in ("card_id", "card_title", "doc_url", "doc_title") if c not in df.columns]
            if missing:
                raise InputError(f"{path}: missing required pool column(s) {', '.join(missing)} (header row 1)")
            for col in POOL_COLUMNS:
                df[col] = df[col].map(clean_text) if col in df.columns else ""
            df["group"] = df["group"].replace("", "main")
            # an unreadable weight is NaN, not 1: the trash filter quarantines it as bad_weight
            df["weight"] = pd.to_numeric(df["weight"].replace("", "1"), errors="coerce")
            yield df[[*POOL_COLUMNS, "_source", "_row"]]


def guard_leaks(frames: dict[str, pd.DataFrame], test: pd.DataFrame, how: str, allow_test_docs: bool) -> dict[str, int]:
    """Drop rows that would leak the test split; returns counts removed per frame.

    card split: no test card anywhere else, no test doc in train or the pools.
    pair split: no test (card, doc) pair anywhere else.
    """
    test_cards, test_docs = set(test["card_id"]), set(test["doc_url"])
    test_pairs = set(zip(test["card_id"], test["doc_url"]))
    removed = {}
    for name, df in frames.items():
        if how == "card":
            leak = df["card_id"].isin(test_cards)
            if not allow_test_docs and name != "valid":
                leak |= df["doc_url"].isin(test_docs)
        else:
            leak = pd.Series([p in test_pairs for p in zip(df["card_id"], df["doc_url"])], index=df.index, dtype=bool)
        removed[name] = int(leak.sum())
        frames[name] = df.loc[~leak].reset_index(drop=True)
    return removed


def check_no_leaks(frames: dict[str, pd.DataFrame], held_out: pd.DataFrame, how: str, allow_test_docs: bool) -> None:
    """Fail loudly if anything held out reached what is written; set arithmetic on the final frames,
    apart from guard_leaks, so that a guard that misses a case is caught here."""
    cards, docs = set(held_out["card_id"]), set(held_out["doc_url"])
    pairs = set(zip(held_out["card_id"], held_out["doc_url"]))
    for name, df in frames.items():
        if how == "card":
            found = set(df["card_id"]) & cards
            if not allow_test_docs and name != "valid":
                found |= set(df["doc_url"]) & docs
        else:
            found = set(zip(df["card_id"], df["doc_url"])) & pairs
        if found:
            raise AssertionError(f"held-out cards or documents leak into {name}: {sorted(map(str, found))[:5]}")


def groups_off(labels: pd.DataFrame, ecom_enabled: bool) -> tuple[set[str], set[str]]:
    """(cards, canonical doc urls) that training must not see: with `ecom.enabled: false`, those of every group
    but main. Test keeps them, split as with true, so the old and the new model meet the same test pairs."""
    if ecom_enabled:
        return set(), set()
    rows = labels[labels["group"] != "main"]
    return set(rows["card_id"]), {canonical_url(u) or u for u in rows["doc_url"]}


def label_mix(df: pd.DataFrame) -> dict:
    return {g: {k: int(v) for k, v in part["label"].value_counts().sort_index().items()}
            for g, part in df.groupby("group", sort=True)}


def eval_set(name: str, setting: str | list[str], labels: pd.DataFrame, test: pd.DataFrame,
             how: str, tsv_format: str = "quoted") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A named eval set, validated like labels (bad rows to quarantine), kept to what training never
    sees: rows of test cards (test pairs for the pair split), and rows of cards the labels do not hold
    at all (an out-of-domain set has cards of its own). An empty set is an error, not a 0/0 later."""
    paths = [DEMO_DIR / f"{name}.parquet"] if setting == "demo" else expand_paths(setting)
    df, quarantined = load_labels(paths, tsv_format=tsv_format)
    new_card = ~df["card_id"].isin(set(labels["card_id"]))
    if how == "card":
        keep = df["card_id"].isin(set(test["card_id"])) | new_card
    else:
        test_pairs = set(zip(test["card_id"], test["doc_url"]))
        keep = pd.Series([p in test_pairs for p in zip(df["card_id"], df["doc_url"])], index=df.index) | new_card
    if not keep.any():
        raise InputError(f"params.yaml eval.sets.{name}: none of its {len(df)} valid rows ({', '.join(map(str, paths))}) is "
                         f"of a test card or of a card the labels lack, so the set would be empty")
    return df.loc[keep, [c for c in df.columns if not c.startswith("_")]].reset_index(drop=True), quarantined


def pool_chunks(name: str, cfg: Pools, train_cards: pd.DataFrame, corpus: pd.DataFrame | None,
                seed: int) -> tuple[Iterable[pd.DataFrame], int | None]:
    """Pool `name` as chunks, and its records counted apart from the parser (None for a pool built here):
    built from the corpus (one chunk, as big as the train cards times k), or read from the user's files."""
    setting, builder = getattr(cfg, name), BUILDERS[name]
    if setting != builder:
        fmt = cfg.tsv_format
        return pool_file_chunks(setting, tsv_format=fmt), sum(count_records(p, fmt) for p in expand_paths(setting))
    if corpus is None:
        raise InputError(f"params.yaml pools.{name}: {builder!r} needs pools.corpus (a docs file or 'demo')")
    k = getattr(cfg, f"{name}_k")
    return [retrieve_pool(train_cards, corpus, k) if name == "runtime" else url_try_pool(train_cards, corpus, k, seed)], None


def build_pools(labels: pd.DataFrame, params: Params, out: Path, quarantine: Path) -> dict:
    """Write all splits, pools and eval sets under `out` and the rejected rows to `quarantine`;
    returns the metrics. The pools stream (pool_stream.py); splits and eval sets are the labels' size."""
    cfg = params.pools
    seed = params.seed
    labels = labels.assign(split=split_labels(labels, cfg.split, cfg.fractions.model_dump(), seed))
    frames = {s: labels[labels["split"] == s].drop(columns="split").reset_index(drop=True) for s in SPLITS}
    test = frames.pop("test")
    off_cards, off_docs = groups_off(labels, params.ecom.enabled)
    groups_removed = {s: int(frames[s]["card_id"].isin(off_cards).sum()) for s in ("train", "valid")}
    frames = {s: df[~df["card_id"].isin(off_cards)].reset_index(drop=True) for s, df in frames.items()}
    train_cards = cards_of(frames["train"])
    test_docs = set(test["doc_url"])
    corpus = None
    if cfg.corpus == "demo":
        corpus = pd.read_parquet(DEMO_DIR / "corpus.parquet")
    elif cfg.corpus:
        corpus = pd.concat([read_table(p, cfg.tsv_format) for p in expand_paths(cfg.corpus)], ignore_index=True)
    if corpus is not None:
        held = off_docs | (set() if cfg.allow_test_docs else test_docs)
        corpus = corpus[~corpus["doc_url"].map(lambda u: canonical_url(u) or u).isin(held)].reset_index(drop=True)
    eval_sets, rejected = {}, []
    for name, setting in (params.eval.sets or {}).items():
        eval_sets[name], bad = eval_set(name, setting, labels, test, cfg.split, params.ingest.tsv_format)
        rejected.append(bad.assign(pool=f"eval/{name}"))
    # Eval sets are held out like test: their cards and documents never reach training or the pools.
    held_out = pd.concat([test, *eval_sets.values()], ignore_index=True)
    how, allow = cfg.split, cfg.allow_test_docs
    removed = guard_leaks(frames, held_out, how, allow)
    check_no_leaks(frames, held_out, how, allow)
    valid = frames["valid"]

    def guard(name: str, chunk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
        part = {name: chunk}
        leaks = guard_leaks(part, held_out, how, allow)[name]
        # Pool rows of valid cards (valid pairs for the pair split) go too: the student picks its checkpoint on
        # valid, so it must not have learnt those cards from the pools. The guard's card rule does exactly that.
        valid_rows = guard_leaks(part, valid, how, allow_test_docs=True)[name]
        check_no_leaks(part, held_out, how, allow)
        off = part[name]["card_id"].isin(off_cards)  # a user's pool file may hold group cards
        return part[name][~off].reset_index(drop=True), {"leaks": leaks, "valid_cards": valid_rows, "groups_off": int(off.sum())}

    out.mkdir(parents=True, exist_ok=True)
    pool_stats, keys, valid_removed = {}, {}, {}
    sink = QuarantineWriter(quarantine)
    try:
        for name in POOLS:
            chunks, counted = pool_chunks(name, cfg, train_cards, corpus, seed)
            stats, keys[name] = stream_pool(name, chunks, out / f"{name}.parquet", out / ".parts" / name,
                                            lambda df, urls: trash_reasons(df, cfg.trash, False, urls), guard, sink)
            if counted is not None and counted != stats["rows_in"]:
                raise InputError(f"params.yaml pools.{name}: its files hold {counted} records but {stats['rows_in']} "
                                 "rows were read; see `aboutness` README, 'Bad input'")
            gone = stats.pop("removed")
            removed[name], valid_removed[name] = gone.get("leaks", 0), gone.get("valid_cards", 0)
            groups_removed[name] = gone.get("groups_off", 0)
            pool_stats[name] = stats
        for bad in rejected:
            sink.write(bad)
        shared = keys["runtime"].shared(keys["url_try"])
    finally:
        sink.close()
        shutil.rmtree(out / ".parts", ignore_errors=True)
    union = pool_stats["runtime"]["rows"] + pool_stats["url_try"]["rows"] - shared
    overlap = shared / max(1, union)
    if overlap > cfg.max_overlap:
        warnings.warn(f"pools runtime and url_try overlap (Jaccard {overlap:.2f}) above "
                      f"pools.max_overlap={cfg.max_overlap}", stacklevel=1)
    frames["test"] = test
    frames.update({f"eval/{k}": v for k, v in eval_sets.items()})
    (out / "eval").mkdir(exist_ok=True)
    for name, df in frames.items():
        write_parquet(df, out / f"{name}.parquet")
    return {
        "split": cfg.split,
        "sizes": {s: len(frames[s]) for s in SPLITS},
        "cards": {s: int(frames[s]["card_id"].nunique()) for s in SPLITS},
        "label_mix": {s: label_mix(frames[s]) for s in SPLITS},
        "pools": pool_stats,
        "pool_overlap_jaccard": round(overlap, 6),
        "leaks_removed": removed,
        "valid_cards_removed_from_pools": valid_removed,
        # ecom.enabled false: rows of group cards kept out of training (test keeps its group pairs)
        "group_rows_kept_from_training": groups_removed,
        "eval_sets": {k: len(v) for k, v in eval_sets.items()},
        "quarantined": sink.rows,
    }
