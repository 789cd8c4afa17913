"""Stage `build_pools`: train/valid/test splits, the eval sets, the unlabelled distillation pools
(`runtime`, `url_try`), the trash filter and the leakage guard (aboutness.pools)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aboutness.files import write_json
from aboutness.params import load_params
from aboutness.paths import LABELS, POOLS, REPORTS
from aboutness.pools import build_pools
from aboutness.runner import stage

QUARANTINE = Path("data/quarantine/pools_trash.tsv")
DETAIL = REPORTS / "pools.json"


@stage
def main() -> None:
    params = load_params()
    metrics = build_pools(pd.read_parquet(LABELS), params, POOLS, QUARANTINE)
    write_json(DETAIL, metrics)
    pools = ", ".join(f"{k} {v['rows']}" for k, v in metrics["pools"].items())
    print(f"build_pools: {', '.join(f'{k} {v}' for k, v in metrics['sizes'].items())}, {pools}; "
          f"quarantined {metrics['quarantined']} rows, overlap {metrics['pool_overlap_jaccard']:.3f}")


if __name__ == "__main__":
    main()
