"""Stage `ingest`: read label exports (or build the demo), validate, quarantine bad rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aboutness import demo
from aboutness.elements import build_elements
from aboutness.params import load_params, stage, write_json, write_parquet, write_quarantine
from aboutness.schema import REJECT_REASONS, InputError, expand_paths, load_labels, reason_counts
from aboutness.tables import TableStats, count_records

DEMO_DIR = Path("data/demo")
OUT = Path("data/labels/ingested.parquet")
QUARANTINE = Path("data/quarantine/ingest.tsv")
METRICS = Path("metrics/ingest.json")


def uses_demo(params: dict) -> bool:
    eval_sets = (params.get("eval", {}).get("sets") or {}).values()
    return "demo" in (params["ingest"]["labels"], params["ecom"]["labels"], params["pools"]["corpus"], *eval_sets)


def write_demo(params: dict, out_dir: Path = DEMO_DIR) -> None:
    cfg = params["ingest"]
    pools = params.get("pools", {})
    # the demo draws each card's documents from its own side of build_pools' card split (docs/data.md)
    fractions = pools.get("fractions") if pools.get("split") == "card" else None
    files = demo.build_demo(params["seed"], cfg["demo_cards"], cfg["demo_ecom_cards"], cfg["demo_junk_share"], fractions)
    files["elements"] = build_elements(params["seed"])  # the out-of-domain eval set (eval.sets: elements: demo)
    for name, df in files.items():
        write_parquet(df, out_dir / f"{name}.parquet")


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


@stage
def main() -> None:
    params = load_params()
    cfg = params["ingest"]
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    if uses_demo(params):
        write_demo(params)
    kept, quarantined, metrics = ingest(label_files(cfg["labels"], "labels.parquet"), cfg["tsv_format"])
    write_parquet(kept, OUT)
    write_quarantine(quarantined, QUARANTINE)
    write_json(METRICS, metrics)
    print(f"ingest: {metrics['rows_in']} rows in, {metrics['rows_kept']} kept, "
          f"{metrics['rows_quarantined']} quarantined ({QUARANTINE}); {metrics['records_over_several_lines']} records "
          "ran over several lines")
    check_reject_share(metrics, cfg["max_reject_share"], "ingest.max_reject_share", QUARANTINE)


if __name__ == "__main__":
    main()
