"""Peak RSS of `build_pools` reading one pool as plain TSV and as gzip'd TSV: a compressed pool is read as a
stream, so memory stays where the plain file's is (goal: within 20%).

The pool is bench/scale.py's (train cards of the default data against the demo corpus's documents, with
crawl junk, repeated pairs and test documents), written by pandas in chunks as `pool.tsv` and `pool.tsv.gz`;
`build_pools` runs in a fresh process for each, with `pools.runtime` naming the file.

    python bench/compressed_pools.py [--pairs 1000000]

Run `dvc repro build_pools` first (the default data and the demo corpus).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from scale import BUILD, child, make_pool, workspace
from tabulate import tabulate


def write_tsv(parquet: Path, out: Path) -> None:
    """The pool as pandas writes it: to_csv(sep='\\t'), quoted where a field needs it."""
    opener = gzip.open if out.suffix == ".gz" else open
    with opener(out, "wt", encoding="utf-8", newline="") as f:
        for i, batch in enumerate(pq.ParquetFile(parquet).iter_batches(batch_size=100_000)):
            batch.to_pandas().to_csv(f, sep="\t", index=False, header=i == 0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    rows, peaks = [], {}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        tmp = Path(tmp)
        source = tmp / "pool.parquet"
        make_pool(source, args.pairs)
        for name in ("pool.tsv", "pool.tsv.gz"):
            repo = workspace(tmp / name.replace(".", "_"))
            write_tsv(source, repo / "labels" / name)
            raw = yaml.safe_load((repo / "params.yaml").read_text())
            raw["pools"]["runtime"] = [f"labels/{name}"]
            (repo / "params.yaml").write_text(yaml.safe_dump(raw))
            result = child(BUILD, str(repo))
            kept = json.loads((repo / "reports/pools.json").read_text())["pools"]["runtime"]["rows"]
            size = (repo / "labels" / name).stat().st_size / 2**20
            peaks[name] = result["peak_rss_mb"]
            rows.append([name, f"{size:,.0f}", f"{kept:,}", f"{result['seconds']:.0f}", f"{result['peak_rss_mb']:.0f}"])
            print(rows[-1], flush=True)
    print(f"\n`build_pools` on a {args.pairs:,}-pair pool ({cpu}, 2 cores)\n")
    print(tabulate(rows, ["file", "size (MB)", "kept", "seconds", "peak RSS (MB)"], tablefmt="github"))
    print(f"\npeak RSS, .tsv.gz / .tsv: {peaks['pool.tsv.gz'] / peaks['pool.tsv']:.3f} (goal: at most 1.20)")


if __name__ == "__main__":
    main()
