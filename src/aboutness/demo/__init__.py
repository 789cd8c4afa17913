"""The default data: labels, e-commerce groups, corpus, pools and eval sets, built from packaged data
(Wikipedia summaries, the periodic table) when a setting in params.yaml says `demo`."""

from __future__ import annotations

from pathlib import Path

from aboutness.demo.elements import build_elements
from aboutness.demo.wiki import build_demo
from aboutness.files import write_parquet
from aboutness.paths import DEMO_DIR


def uses_demo(params: dict) -> bool:
    eval_sets = (params.get("eval", {}).get("sets") or {}).values()
    return "demo" in (params["ingest"]["labels"], params["ecom"]["labels"], params["pools"]["corpus"], *eval_sets)


def write_demo(params: dict, out_dir: Path = DEMO_DIR) -> None:
    cfg = params["ingest"]
    pools = params.get("pools", {})
    # the demo draws each card's documents from its own side of build_pools' card split (docs/data.md)
    fractions = pools.get("fractions") if pools.get("split") == "card" else None
    files = build_demo(params["seed"], cfg["demo_cards"], cfg["demo_ecom_cards"], cfg["demo_junk_share"], fractions)
    files["elements"] = build_elements(params["seed"])  # the out-of-domain eval set (eval.sets: elements: demo)
    for name, df in files.items():
        write_parquet(df, out_dir / f"{name}.parquet")
