"""Stage `add_ecom`: merge the e-commerce label files; each row keeps the group its file gives it.

The rows are merged whether or not training sees them (`ecom.enabled`): build_pools splits every card
the same way in both settings, so the old and the new model are tested on the same group pairs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aboutness.ingest import OUT as INGESTED
from aboutness.ingest import check_reject_share, label_files, read_labels
from aboutness.params import load_params, stage, write_json, write_parquet, write_quarantine
from aboutness.schema import empty_quarantine, reason_counts, resolve_duplicates

OUT = Path("data/labels/all.parquet")
QUARANTINE = Path("data/quarantine/add_ecom.tsv")
METRICS = Path("metrics/ecom.json")


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


@stage
def main() -> None:
    params = load_params()
    cfg = params["ecom"]
    base = pd.read_parquet(INGESTED)
    counts = None
    if cfg["labels"] is not None:
        merged, quarantined, counts = add_ecom(base, label_files(cfg["labels"], "ecom.parquet"), params["ingest"]["tsv_format"])
    else:
        merged, quarantined = base, empty_quarantine()
    write_parquet(merged, OUT)
    write_quarantine(quarantined, QUARANTINE)
    metrics = {"rows": len(merged), "groups": group_counts(merged),
               "quarantine": reason_counts(quarantined)}
    write_json(METRICS, metrics)
    print("add_ecom: " + ", ".join(f"{g} {c['rows']} rows" for g, c in metrics["groups"].items()))
    if counts:  # checked after the quarantine is written, so the user can read why
        check_reject_share(counts, cfg["max_reject_share"], "ecom.max_reject_share", QUARANTINE)


if __name__ == "__main__":
    main()
