"""params.yaml access and small I/O helpers shared by the stages."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from aboutness.config import validate_params
from aboutness.schema import InputError


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """params.yaml, every key validated (aboutness.config) before a stage does any work."""
    with open(path, encoding="utf-8") as f:
        return validate_params(yaml.safe_load(f), str(path))


def section_seed(params: dict[str, Any], section: str) -> int:
    """`<section>.seed`, or the top-level seed when it is null. The top-level seed also draws the demo
    data, the splits and the pools; teacher.seed and distill.seed change one model alone, for seed studies."""
    seed = params[section].get("seed")
    return params["seed"] if seed is None else seed


def write_json(path: str | Path, obj: Any) -> None:
    """Stable JSON (sorted keys) so that identical results give identical files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.reset_index(drop=True).to_parquet(path, index=False)


def write_quarantine(df: pd.DataFrame, path: str | Path) -> None:
    """Quarantine files are TSV: people read them to fix their exports."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, sep="\t", index=False)


def stage(main: Callable[..., None]) -> Callable[..., None]:
    """Run a stage's main(), time it into metrics/timing/<stage>.json; bad input ends it
    with a one-line message, not a traceback."""

    module = sys.modules[main.__module__]
    # under `python -m aboutness.x` the module is __main__; its spec still knows the real name
    name = (module.__spec__.name if module.__spec__ else main.__module__).rsplit(".", 1)[-1]

    @functools.wraps(main)
    def run(*args: Any, **kwargs: Any) -> None:
        # a foreach stage (evaluate@teacher) runs main("teacher"): one timing file per item
        label = "_".join([name, *map(str, args)])
        start = time.perf_counter()
        try:
            main(*args, **kwargs)
        except InputError as e:
            print(f"error: {e}", file=sys.stderr)
            raise SystemExit(1) from None
        if int(os.environ.get("RANK", "0")) != 0:  # one timing file per stage, from rank 0
            return
        seconds = round(time.perf_counter() - start, 1)
        # Timings live apart from quality metrics, which must be identical run to run.
        write_json(Path("metrics/timing") / f"{label}.json", {"seconds": seconds})
        print(f"{label}: stage took {seconds}s")

    return run
