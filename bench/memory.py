"""Peak RSS of pool scoring and of `predict` at 10k, 100k and 200k pairs: streaming keeps it flat.

Each measurement runs in a fresh process (peak RSS is per process). The model is a tiny
random BERT so the run takes minutes, not hours; memory is about the data path.

    python bench/memory.py [--sizes 10000 100000 200000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, tiny_model, train_pairs
from tabulate import tabulate

CHILD = r"""
import json, resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from aboutness.cli.predict import predict_file
from aboutness.pool_scoring import TeacherScorer, score_file
what, model, src, dst = sys.argv[2:6]
if what == "score":
    score_file(Path(src), Path(dst), TeacherScorer(Path(model), 64), 4096)
else:
    predict_file(Path(model), Path(src), Path(dst), 64, 4096)
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    from aboutness.models import save_meta

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 200_000])
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tiny_model(tmp / "model")
        save_meta(model, {"head": "onetarget", "layers": 2, "text": {
            "card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url", "body"], "seq_len": 192}})
        for n in args.sizes:
            pool = train_pairs(n).drop(columns="label")
            pool["card_id"] = pool["card_id"] + "#" + (pool.index // 2000).astype(str)  # distinct pairs
            pool.to_parquet(tmp / f"pool{n}.parquet", index=False)
            pool.to_csv(tmp / f"pool{n}.tsv", sep="\t", index=False)
            result = {}
            for what, src, dst in (("score", f"pool{n}.parquet", f"scored{n}.parquet"), ("predict", f"pool{n}.tsv", f"pred{n}.tsv")):
                out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "src"), what, str(model), str(tmp / src), str(tmp / dst)],
                                     capture_output=True, text=True, check=True).stdout
                result[what] = json.loads(out.strip().splitlines()[-1])["peak_rss_mb"]
            rows.append([f"{n:,}", f"{result['score']:.0f}", f"{result['predict']:.0f}"])
            print(rows[-1], flush=True)
    print("\nPeak RSS (MB) by pool size\n")
    print(tabulate(rows, ["pairs", "pool scoring", "predict"], tablefmt="github"))
    first = rows[0]
    for i, name in ((1, "pool scoring"), (2, "predict")):
        print(f"{name}: " + ", ".join(f"{float(r[i]) / float(first[i]) - 1:+.1%} at {r[0]}" for r in rows[1:])
              + f" against {first[0]} pairs")


if __name__ == "__main__":
    main()
