"""Pools at production scale: `build_pools` and the data side of `distill` at 100k, 1M and 10M pairs.

For each size, a user pool file is generated in chunks: train cards of the default data against the
demo corpus's real documents (with its crawl junk, 3% repeated pairs and test documents the leakage
guard must drop), as parquet. Then, each in a fresh process so that it has its own peak RSS:

1. `build_pools` with `pools.runtime` set to that file: the stage's own main() in a scratch workspace;
2. the data side of `distill`: the built pool gets random teacher logits (scoring this many pairs needs
   a GPU; `bench/gpu.sh` measures it), is tokenised into a `datasets` cache (`scored_dataset`), then a
   tiny random student trains `--steps` steps through `PairTrainer` with length grouping and row weights.

Peak RSS is the process's high-water mark (VmHWM), reset once the random logits are written: the
stand-in for `score_pools` reads whole rows, bodies included, and is not what is measured (its own peak
is printed beside; `score_pools` streams, bench/memory.py). The `datasets` cache is memory-mapped, and pages
of a mapped file the process has read count in RSS while they stay cached, though the kernel can drop
them at any time; so the table also gives the peak of anonymous memory (RssAnon, sampled every 50 ms),
which is what the process itself holds.

    python bench/scale.py [--sizes 100000 1000000 10000000] [--steps 20]

Run `dvc repro build_pools` first (the default data and the demo corpus).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from common import ROOT, tiny_model
from tabulate import tabulate

CHUNK = 100_000

# Both children: a thread samples RssAnon; the high-water mark of all RSS is the kernel's VmHWM.
PEAK = r"""
import threading, time
def _status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
_peak = [0.0]
def _sample():
    while True:
        _peak[0] = max(_peak[0], _status("RssAnon:"))
        time.sleep(0.05)
threading.Thread(target=_sample, daemon=True).start()
def peaks():
    _peak[0] = max(_peak[0], _status("RssAnon:"))
    return {"peak_rss_mb": _status("VmHWM:"), "peak_anon_mb": _peak[0]}
def reset_peaks():
    # writing 5 to clear_refs resets VmHWM (Linux 4.0+): what follows gets its own high-water mark
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    _peak[0] = _status("RssAnon:")
"""

BUILD = PEAK + r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[2])
from aboutness.stages.build_pools import main
start = time.perf_counter()
main()
print(json.dumps({"seconds": time.perf_counter() - start, **peaks()}))
"""

DISTILL = PEAK + r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import numpy as np, pyarrow as pa, pyarrow.parquet as pq, datasets
from aboutness.data import scored_dataset
from aboutness.models import load_tokenizer
from aboutness.training import PairTrainer, collator
from transformers import BertForSequenceClassification, TrainingArguments
pool, model_dir, work, steps = Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
# random teacher logits, written batch by batch beside the pool (the stand-in for score_pools)
scored = work / "runtime_scored.parquet"
rng = np.random.default_rng(0)
t = time.perf_counter()
with pq.ParquetWriter(scored, pq.read_schema(pool).append(pa.field("teacher_logit_0", pa.float32()))) as w:
    for batch in pq.ParquetFile(pool).iter_batches(batch_size=100_000):
        w.write_batch(batch.append_column("teacher_logit_0", pa.array(rng.normal(-2, 2, batch.num_rows).astype(np.float32))))
logits_s = time.perf_counter() - t
# the stand-in for score_pools above reads whole pool rows, bodies included: it is not the distill code, so its
# memory must not count (score_pools' own is measured in bench/memory.py)
logits_peak = peaks()
reset_peaks()
datasets.config.HF_DATASETS_CACHE = str(work / "datasets")
tok = load_tokenizer(model_dir)
text = {"card_fields": ["title", "main_type"], "doc_fields": ["title", "url"], "seq_len": 64}
def targets(df):
    p = 1 / (1 + np.exp(-df["teacher_logit_0"].to_numpy(np.float32)))
    return p, df["weight"].to_numpy(np.float32) * (1 + 2 * p)
t = time.perf_counter()
ds = scored_dataset([scored], tok, text, targets, batch_rows=10_000)
tokenise_s = time.perf_counter() - t
tokenise_peak = peaks()
model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=1)
args = TrainingArguments(output_dir=str(work / "ckpt"), max_steps=steps, per_device_train_batch_size=32,
                         train_sampling_strategy="group_by_length", remove_unused_columns=False, report_to="none",
                         save_strategy="no", eval_strategy="no", disable_tqdm=True, seed=0)
t = time.perf_counter()
PairTrainer(model=model, args=args, train_dataset=ds, data_collator=collator(tok), head="vital", loss="ce").train()
train_s = time.perf_counter() - t
print(json.dumps({"rows": len(ds), "logits_s": logits_s, "tokenise_s": tokenise_s, "train_s": train_s,
                  "tokenise_peak_anon_mb": tokenise_peak["peak_anon_mb"], "tokenise_peak_rss_mb": tokenise_peak["peak_rss_mb"],
                  "logits_peak_anon_mb": logits_peak["peak_anon_mb"], "logits_peak_rss_mb": logits_peak["peak_rss_mb"],
                  **peaks()}))
"""


def make_pool(path: Path, n: int, seed: int = 0) -> None:
    """n pairs: train cards (made distinct per pass over the corpus) x the demo corpus's documents, with
    3% of the rows repeating an earlier pair of their chunk, written CHUNK rows at a time."""
    cards = pq.read_table(ROOT / "data/pools/train.parquet").to_pandas().drop_duplicates("card_id").reset_index(drop=True)
    docs = pq.read_table(ROOT / "data/demo/corpus.parquet", columns=["doc_url", "doc_title", "doc_body"])
    card_cols = {c: pa.array(cards[c].astype(str)) for c in
                 ("card_id", "card_title", "card_subtitle", "card_main_type", "card_definition")}
    n_cards, n_docs = len(cards), docs.num_rows
    rng = np.random.default_rng(seed)
    docs = docs.take(pa.array(rng.permutation(n_docs)))  # crawl junk and test documents spread through the pool
    schema = pa.schema([(c, pa.string()) for c in (*card_cols, "doc_url", "doc_title", "doc_body", "group")]
                       + [("weight", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n, CHUNK):
            r = np.arange(start, min(n, start + CHUNK))
            repeat = rng.random(len(r)) < 0.03
            r[repeat] = r[0] + (rng.random(repeat.sum()) * (r[repeat] - r[0])).astype(int)  # an earlier row
            c, d, rnd = r % n_cards, (r // n_cards) % n_docs, r // (n_cards * n_docs)
            take = pa.array(c)
            columns = {k: v.take(take) for k, v in card_cols.items()}
            suffix = np.char.add("~", rnd.astype(str))  # another pass over the corpus: other card ids
            columns["card_id"] = pa.array(np.char.add(np.asarray(columns["card_id"].to_pylist(), dtype=str), suffix))
            for col in ("doc_url", "doc_title", "doc_body"):
                columns[col] = docs.column(col).take(pa.array(d))
            columns["group"] = pa.array(["main"] * len(r))
            columns["weight"] = pa.array(np.ones(len(r)))
            writer.write_table(pa.table(columns, schema=schema))


def workspace(root: Path) -> Path:
    """A scratch repo for build_pools: the default labels and demo data linked, params naming the pool
    file labels/pool.parquet (user files live under labels/)."""
    for sub in ("data/labels", "data/demo"):
        (root / sub).parent.mkdir(parents=True, exist_ok=True)
        (root / sub).symlink_to(ROOT / sub)
    (root / "labels").mkdir()
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["pools"]["runtime"] = ["labels/pool.parquet"]
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    return root


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "src"), *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--tmp", default=None, help="scratch directory (a 10M pool needs about 10 GB)")
    ap.add_argument("--distill-only", action="store_true",
                    help="skip build_pools: the distill side reads the generated pool as it is")
    args = ap.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    rows, results = [], {}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        tmp = Path(tmp)
        model = tiny_model(tmp / "model", num_labels=1)
        for n in args.sizes:
            size_dir = tmp / f"n{n}"
            repo = workspace(size_dir / "repo")
            pool = repo / "labels/pool.parquet"
            make_pool(pool, n)
            if args.distill_only:
                build, built = {"seconds": float("nan"), "peak_rss_mb": float("nan")}, pool
                metrics = {"rows": pq.read_metadata(pool).num_rows}
            else:
                build = child(BUILD, str(repo))
                metrics = json.loads((size_dir / "repo/reports/pools.json").read_text())["pools"]["runtime"]
                built = size_dir / "repo/data/pools/runtime.parquet"
            dist = child(DISTILL, str(built), str(model), str(size_dir), str(args.steps))
            results[n] = {"build": build, "distill": dist, "pool": metrics}
            rows.append([f"{n:,}", f"{metrics['rows']:,}", f"{build['seconds']:.0f}", f"{build['peak_rss_mb']:.0f}",
                         f"{dist['tokenise_s']:.0f}", f"{dist['train_s']:.1f}", f"{dist['peak_rss_mb']:.0f}",
                         f"{dist['peak_anon_mb']:.0f}", f"{dist['logits_peak_anon_mb']:.0f}"])
            print(rows[-1], json.dumps(results[n]), flush=True)
            for p in (pool, built, size_dir / "runtime_scored.parquet"):
                p.unlink(missing_ok=True)
    print(f"\nCPU: {cpu}; {args.steps} training steps of a tiny random student, batch 32\n")
    print(tabulate(rows, ["pool pairs", "kept", "build_pools s", "build_pools peak RSS MB", "tokenise s",
                          f"{args.steps} steps s", "distill data peak RSS MB", "distill data peak anon MB",
                          "stand-in scoring peak anon MB"],
                   tablefmt="github"))
    if len(args.sizes) > 1:
        a, b = args.sizes[-2], args.sizes[-1]
        ra, rb = results[a], results[b]
        print(f"\nfrom {a:,} to {b:,} pairs ({b / a:.0f}x):")
        print(f"  build_pools: time x{rb['build']['seconds'] / ra['build']['seconds']:.2f}, "
              f"peak RSS {rb['build']['peak_rss_mb'] / ra['build']['peak_rss_mb'] - 1:+.1%}")
        print(f"  distill data: tokenise time x{rb['distill']['tokenise_s'] / ra['distill']['tokenise_s']:.2f}, "
              f"peak RSS {rb['distill']['peak_rss_mb'] / ra['distill']['peak_rss_mb'] - 1:+.1%}, "
              f"peak anon {rb['distill']['peak_anon_mb'] / ra['distill']['peak_anon_mb'] - 1:+.1%}")


if __name__ == "__main__":
    main()
