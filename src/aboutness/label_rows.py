"""The label/pool schema: validating rows, normalising values, resolving duplicates.

Every row that is not kept goes to a quarantine frame with a reason; `ingest` checks that
rows kept + rows quarantined equals the records counted in the files (tables.count_records).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import numpy as np
import pandas as pd

from aboutness.columns import COLUMNS, LABELS, POOL_COLUMNS, REQUIRED
from aboutness.errors import InputError
from aboutness.tables import TableStats, read_table

# Reasons that mean "bad row" (they count towards max_reject_share); the
# others record rows folded into a kept row.
REJECT_REASONS = ("empty_field", "unknown_label", "invalid_url", "bad_weight", "label_tie")
MERGE_REASONS = ("duplicate", "conflict_outvoted")


def clean_text(value: str) -> str:
    """Unicode NFC and collapsed whitespace."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def canonical_url(url: str) -> str | None:
    """Canonical absolute http(s) url, or None when it is not one.

    Lower-case scheme and host, an internationalised host as punycode, no default port, no fragment,
    percent-encoding made uniform (decode, then encode what must be encoded), empty path -> '/'.
    """
    url = clean_text(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or " " in url:
        return None
    host = ascii_host(parts.hostname)
    if host is None:
        return None
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    query = quote(unquote(parts.query), safe="=&/:@!$'()*+,;-._~?")
    return urlunsplit((scheme, host, path, query, ""))


def ascii_host(host: str) -> str | None:
    """A host in its one ASCII form: an internationalised name (пример.рф) as its punycode (xn--e1afmkfd.xn--p1ai),
    so that both spellings of one site are one url to the duplicate filter and the leakage guard; None when it
    cannot be encoded."""
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def bad_weight(weight: pd.Series) -> pd.Series:
    """A weight that is not a positive finite number (NaN from an unreadable value, inf, 0, negative)."""
    weight = weight.astype(float)
    return ~np.isfinite(weight) | (weight <= 0)


def validate(df: pd.DataFrame, *, require_label: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalise rows and split them into (kept, quarantined).

    A missing required column stops with an InputError; a bad value only
    quarantines its row. Quarantined rows keep their raw values plus
    `reason` and `column`.
    """
    source = df["_source"].iloc[0] if len(df) else "?"
    required = REQUIRED + (("label",) if require_label else ())
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"{source}: missing required column(s) {', '.join(missing)} (header row 1); "
            f"found {', '.join(c for c in df.columns if not c.startswith('_'))}"
        )
    out = df.copy()
    for col in COLUMNS:
        if col not in out.columns:
            out[col] = ""
    text_cols = [c for c in COLUMNS if c not in ("doc_url", "weight")]
    for col in text_cols:
        out[col] = out[col].map(clean_text)
    out["group"] = out["group"].replace("", "main")
    raw_url = out["doc_url"].copy()
    out["doc_url"] = out["doc_url"].map(canonical_url)
    out["weight"] = pd.to_numeric(out["weight"].map(clean_text).replace("", "1"), errors="coerce")
    if require_label:
        out["label"] = out["label"].str.lower().str.replace("-", "_").str.replace(" ", "_")
    reason = pd.Series("", index=out.index)
    column = pd.Series("", index=out.index)

    def flag(mask: pd.Series, why: str, col: str) -> None:
        mask = mask & (reason == "")
        reason[mask] = why
        column[mask] = col

    for col in ("card_id", "card_title", "doc_title"):
        flag(out[col] == "", "empty_field", col)
    flag(out["doc_url"].isna(), "invalid_url", "doc_url")
    flag(bad_weight(out["weight"]), "bad_weight", "weight")
    if require_label:
        flag(~out["label"].isin(LABELS), "unknown_label", "label")
    bad = reason != ""
    quarantined = df.loc[bad].copy()
    quarantined["reason"] = reason[bad]
    quarantined["column"] = column[bad]
    quarantined["detail"] = [
        _detail(r, c, df.loc[i], raw_url.loc[i]) for i, r, c in zip(quarantined.index, reason[bad], column[bad])
    ]
    cols = list(COLUMNS if require_label else POOL_COLUMNS)
    return out.loc[~bad, cols + ["_source", "_row"]].reset_index(drop=True), quarantined


def _detail(reason: str, col: str, row: pd.Series, raw_url: str) -> str:
    if reason == "unknown_label":
        return f"label {row['label']!r} is not one of {', '.join(LABELS)}"
    if reason == "invalid_url":
        return f"{raw_url!r} is not an absolute http(s) url"
    if reason == "bad_weight":
        return f"weight {row.get('weight')!r} is not a positive finite number"
    return f"{col} is empty"


def resolve_duplicates(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (card_id, doc_url): merge exact duplicates, resolve conflicts.

    Rule: the label with the largest summed weight wins; the winning label's
    first row is kept and the other rows go to quarantine as `duplicate` or
    `conflict_outvoted`. A tie between labels cannot be resolved honestly, so
    all rows of that pair are quarantined as `label_tie`.
    """
    key = ["card_id", "doc_url"]
    if "label" not in df.columns:
        dup = df.duplicated(key, keep="first")
        q = df.loc[dup].assign(reason="duplicate", column="card_id,doc_url", detail="repeats an earlier pair")
        return df.loc[~dup].reset_index(drop=True), q
    votes = df.groupby(key + ["label"], sort=False)["weight"].sum().reset_index()
    top = votes.groupby(key, sort=False)["weight"].transform("max")
    winners = votes[votes["weight"] == top]
    n_win = winners.groupby(key, sort=False)["label"].transform("size")
    winners = winners.loc[n_win == 1, key + ["label"]].rename(columns={"label": "_win"})
    merged = df.merge(winners, on=key, how="left", sort=False)
    merged.index = df.index
    is_tie = merged["_win"].isna()
    is_winner_row = merged["label"] == merged["_win"]
    first_winner = is_winner_row & ~merged.loc[:, key].assign(w=is_winner_row).duplicated(key + ["w"], keep="first")
    keep = first_winner & ~is_tie
    reason = pd.Series("", index=df.index)
    reason[is_tie] = "label_tie"
    reason[~keep & ~is_tie & is_winner_row] = "duplicate"
    reason[~keep & ~is_tie & ~is_winner_row] = "conflict_outvoted"
    q = df.loc[~keep].copy()
    q["reason"] = reason[~keep]
    q["column"] = "label"
    q["detail"] = [
        "labels for this (card_id, doc_url) tie on summed weight" if r == "label_tie"
        else ("same pair and label as a kept row" if r == "duplicate"
              else f"outvoted by label {w!r} for the same pair")
        for r, w in zip(q["reason"], merged.loc[~keep, "_win"])
    ]
    return df.loc[keep].reset_index(drop=True), q


def load_labels(paths: list[str | Path], *, require_label: bool = True, tsv_format: str = "quoted",
                stats: TableStats | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, validate and de-duplicate several files into (kept, quarantined); `stats` collects what the
    reads found (records over several lines)."""
    kept, quarantined = [], []
    for path in paths:
        ok, bad = validate(read_table(path, tsv_format, stats), require_label=require_label)
        kept.append(ok)
        quarantined.append(bad)
    rows = pd.concat(kept, ignore_index=True)
    rows, dups = resolve_duplicates(rows)
    quarantined.append(dups)
    q = pd.concat([x for x in quarantined if len(x)], ignore_index=True) if any(len(x) for x in quarantined) else empty_quarantine()
    return rows, q


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(columns=["_source", "_row", "reason", "column", "detail"])


def reason_counts(quarantined: pd.DataFrame) -> dict[str, int]:
    counts = quarantined["reason"].value_counts() if len(quarantined) else pd.Series(dtype=int)
    return {r: int(counts.get(r, 0)) for r in REJECT_REASONS + MERGE_REASONS}


def expand_paths(patterns: list[str] | str, base: Path = Path(".")) -> list[Path]:
    """Expand a list of files/globs; a glob that matches nothing is an error."""
    if isinstance(patterns, str):
        patterns = [patterns]
    out: list[Path] = []
    for pattern in patterns:
        matches = sorted(base.glob(pattern)) if any(ch in pattern for ch in "*?[") else [base / pattern]
        if not matches:
            raise InputError(f"{pattern}: glob matched no files")
        out.extend(matches)
    return out
