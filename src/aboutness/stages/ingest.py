"""Stage `ingest`: read label exports (or build the demo), validate, quarantine bad rows."""

from __future__ import annotations

from pathlib import Path

from aboutness.demo import uses_demo, write_demo
from aboutness.files import write_json, write_parquet, write_quarantine
from aboutness.labels import check_reject_share, ingest, label_files
from aboutness.params import load_params
from aboutness.paths import DEMO_DIR, INGESTED, REPORTS
from aboutness.runner import stage

QUARANTINE = Path("data/quarantine/ingest.tsv")
DETAIL = REPORTS / "ingest.json"


@stage
def main() -> None:
    params = load_params()
    cfg = params.ingest
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    if uses_demo(params):
        write_demo(params)
    kept, quarantined, metrics = ingest(label_files(cfg.labels, "labels.parquet"), cfg.tsv_format)
    write_parquet(kept, INGESTED)
    write_quarantine(quarantined, QUARANTINE)
    write_json(DETAIL, metrics)
    print(f"ingest: {metrics['rows_in']} rows in, {metrics['rows_kept']} kept, "
          f"{metrics['rows_quarantined']} quarantined ({QUARANTINE}); {metrics['records_over_several_lines']} records "
          "ran over several lines")
    check_reject_share(metrics, cfg.max_reject_share, "ingest.max_reject_share", QUARANTINE)


if __name__ == "__main__":
    main()
