"""The default data: labels, e-commerce groups, corpus, pools and eval sets, built from packaged data
(Wikipedia summaries, the periodic table) when a setting in params.yaml says `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aboutness.demo.elements import build_elements
from aboutness.demo.wiki import build_demo
from aboutness.files import write_parquet
from aboutness.paths import DEMO_DIR

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Params


def uses_demo(params: Params) -> bool:
    eval_sets = (params.eval.sets or {}).values()
    return "demo" in (params.ingest.labels, params.ecom.labels, params.pools.corpus, *eval_sets)


def write_demo(params: Params, out_dir: Path = DEMO_DIR) -> None:
    cfg = params.ingest
    # the demo draws each card's documents from its own side of build_pools' card split (docs/data.md)
    fractions = params.pools.fractions.model_dump() if params.pools.split == "card" else None
    files = build_demo(params.seed, cfg.demo_cards, cfg.demo_ecom_cards, cfg.demo_junk_share, fractions)
    files["elements"] = build_elements(params.seed)  # the out-of-domain eval set (eval.sets: elements: demo)
    for name, df in files.items():
        write_parquet(df, out_dir / f"{name}.parquet")
