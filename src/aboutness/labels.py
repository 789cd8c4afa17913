"""Label files in, validated labels out: reading exports (counted independently of the parser) and
merging the e-commerce groups. The stages `ingest` and `add_ecom` run these."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aboutness.errors import InputError
from aboutness.label_rows import REJECT_REASONS, empty_quarantine, expand_paths, load_labels, reason_counts, resolve_duplicates
from aboutness.paths import DEMO_DIR, INGESTED
from aboutness.tables import TableStats, count_records


def label_files(setting: str | list[str], demo_file: str) -> list[Path]:
    return [DEMO_DIR / demo_file] if setting == "demo" else expand_paths(setting)


def read_labels(paths: list[Path], tsv_format: str = "quoted") -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Validated labels, their quarantine and the row counts, checked against the records in the files."""
    stats = TableStats()
    kept, quarantined = load_labels(paths, tsv_format=tsv_format, stats=stats)
    counts = reason_counts(quarantined)
    rows_in = sum(count_records(p, tsv_format) for p in paths)  # counted from the files, not from what the parser returned
    if len(kept) + len(quarantined) != rows_in:
        raise InputError(f"{', '.join(map(str, paths))}: {rows_in} records in the files but {len(kept)} kept + "
                         f"{len(quarantined)} quarantined; rows were lost or invented on the way")
    rejected = sum(counts[r] for r in REJECT_REASONS)
    return kept, quarantined, {
        "rows_in": rows_in,
        "records_over_several_lines": stats.multiline,  # quoted fields with line breaks (tables.py)
        "rows_kept": len(kept),
        "rows_quarantined": len(quarantined),
        "rows_rejected": rejected,
        "reject_share": round(rejected / rows_in, 6),
        "quarantine": counts,
    }


def check_reject_share(metrics: dict, limit: float, param: str, quarantine: Path) -> None:
    if metrics["reject_share"] > limit:
        raise InputError(
            f"{metrics['rows_rejected']} of {metrics['rows_in']} rows rejected ({metrics['reject_share']:.1%}), "
            f"more than {param}={limit}; reasons are in {quarantine}"
        )


def ingest(paths: list[Path], tsv_format: str = "quoted") -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Validated labels, quarantine and counts."""
    kept, quarantined, metrics = read_labels(paths, tsv_format)
    metrics |= {
        "labels": {k: int(v) for k, v in kept["label"].value_counts().sort_index().items()},
        "cards": int(kept["card_id"].nunique()),
        "files": [str(p) for p in paths],
    }
    return kept.drop(columns=["_source", "_row"]), quarantined, metrics


def add_ecom(base: pd.DataFrame, paths: list[Path], tsv_format: str = "quoted") -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Base labels plus the ecom rows; a (card, doc) pair in both is resolved like any duplicate.
    The counts are those of the ecom files, for ecom.max_reject_share."""
    ecom, quarantined, counts = read_labels(paths, tsv_format)
    base = base.assign(_source=str(INGESTED), _row=range(1, len(base) + 1))
    merged, clashes = resolve_duplicates(pd.concat([base, ecom], ignore_index=True))
    quarantined = pd.concat([x for x in (quarantined, clashes) if len(x)] or [empty_quarantine()], ignore_index=True)
    return merged.drop(columns=["_source", "_row"]), quarantined, counts


def group_counts(df: pd.DataFrame) -> dict:
    return {
        g: {"rows": len(part), "cards": int(part["card_id"].nunique()),
            **{lab: int(n) for lab, n in part["label"].value_counts().sort_index().items()}}
        for g, part in df.groupby("group", sort=True)
    }
