"""Stage `add_ecom`: merge the e-commerce label files; each row keeps the group its file gives it.

The rows are merged whether or not training sees them (`ecom.enabled`): build_pools splits every card
the same way in both settings, so the old and the new model are tested on the same group pairs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aboutness.files import write_json, write_parquet, write_quarantine
from aboutness.label_rows import empty_quarantine, reason_counts
from aboutness.labels import add_ecom, check_reject_share, group_counts, label_files
from aboutness.params import load_params
from aboutness.paths import INGESTED, LABELS, REPORTS
from aboutness.runner import stage

QUARANTINE = Path("data/quarantine/add_ecom.tsv")
DETAIL = REPORTS / "ecom.json"


@stage
def main() -> None:
    params = load_params()
    cfg = params.ecom
    base = pd.read_parquet(INGESTED)
    counts = None
    if cfg.labels is not None:
        merged, quarantined, counts = add_ecom(base, label_files(cfg.labels, "ecom.parquet"), params.ingest.tsv_format)
    else:
        merged, quarantined = base, empty_quarantine()
    write_parquet(merged, LABELS)
    write_quarantine(quarantined, QUARANTINE)
    metrics = {"rows": len(merged), "groups": group_counts(merged),
               "quarantine": reason_counts(quarantined)}
    write_json(DETAIL, metrics)
    print("add_ecom: " + ", ".join(f"{g} {c['rows']} rows" for g, c in metrics["groups"].items()))
    if counts:  # checked after the quarantine is written, so the user can read why
        check_reject_share(counts, cfg.max_reject_share, "ecom.max_reject_share", QUARANTINE)


if __name__ == "__main__":
    main()
