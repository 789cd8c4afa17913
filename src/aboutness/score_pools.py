"""Stage `score_pools`: the teacher scores every pair the students learn from.

A stage of its own so that changing only student params never rescores:
DVC keeps `data/pools/*_scored.parquet` in its cache.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import torch
from tqdm.auto import tqdm

from aboutness.models import best_device, load_classifier, load_meta, load_tokenizer, predict_logits
from aboutness.params import load_params, stage, write_json

TEACHER = Path("models/teacher")
POOLS = Path("data/pools")
METRICS = Path("metrics/scoring.json")
SPEED = Path("metrics/timing/scoring_speed.json")


def scored_path(name: str) -> Path:
    return POOLS / f"{name}_scored.parquet"


def score_file(src: Path, dst: Path, model, tokenizer, meta: dict, chunk_rows: int, batch_size: int) -> int:
    """Stream `src` in chunks (memory stays flat for millions of rows) and append teacher logits."""
    reader = pq.ParquetFile(src)
    writer = None
    n = 0
    with tqdm(total=reader.metadata.num_rows, desc=f"teacher scores {src.name}", unit="pair") as bar:
        for batch in reader.iter_batches(batch_size=chunk_rows):
            df = batch.to_pandas()
            logits = predict_logits(model, tokenizer, df, meta["text"], batch_size=batch_size)
            for j in range(logits.shape[1]):
                df[f"teacher_logit_{j}"] = logits[:, j]
            table = pa.Table.from_pandas(df, preserve_index=False)
            writer = writer or pq.ParquetWriter(dst, table.schema)
            writer.write_table(table)
            n += len(df)
            bar.update(len(df))
    if writer is None:  # an empty pool still gets a file with the right columns
        pq.write_table(reader.schema_arrow.empty_table(), dst)
    else:
        writer.close()
    return n


@stage
def main() -> None:
    params = load_params()
    cfg = params["distill"]
    device = best_device()
    meta = load_meta(TEACHER)
    n_out = 1 if meta["head"] == "msetarget" else 3
    model = load_classifier(TEACHER, n_out).to(device)
    tokenizer = load_tokenizer(TEACHER)
    torch.set_grad_enabled(False)
    stats, speed = {}, {}
    for name in cfg["pools"]:
        start = time.perf_counter()
        rows = score_file(POOLS / f"{name}.parquet", scored_path(name), model, tokenizer, meta,
                          cfg["score_chunk_rows"], cfg["score_batch_size"])
        secs = time.perf_counter() - start
        stats[name] = {"rows": rows}
        speed[name] = {"seconds": round(secs, 1), "pairs_per_s": round(rows / max(secs, 1e-9), 1), "device": str(device)}
    write_json(METRICS, stats)
    write_json(SPEED, speed)
    print("score_pools: " + ", ".join(f"{k} {stats[k]['rows']} pairs at {v['pairs_per_s']}/s" for k, v in speed.items()))


if __name__ == "__main__":
    main()
