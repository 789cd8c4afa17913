"""Stage `score_pools`: the teacher scores every pair the students learn from.

A stage of its own so that changing only student params never rescores:
DVC keeps `data/pools/*_scored.parquet` in its cache.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from tqdm.auto import tqdm

from aboutness.models import (
    best_device,
    head_outputs,
    load_classifier,
    load_meta,
    load_tokenizer,
    predict_logits,
    scoring_batch_size,
)
from aboutness.params import load_params, stage, write_json
from aboutness.schema import InputError

TEACHER = Path("models/teacher")
POOLS = Path("data/pools")
METRICS = Path("metrics/scoring.json")
SPEED = Path("metrics/timing/scoring_speed.json")


def scored_path(name: str) -> Path:
    return POOLS / f"{name}_scored.parquet"


def teacher_logits(model_dir: Path, batch_size: int | str, int8_on_cpu: bool,
                   workdir: Path) -> tuple[Callable[[pd.DataFrame], np.ndarray], str]:
    """The teacher as a function from rows to logits, and what runs it: PyTorch (bf16 on a GPU), or on
    CPU, if asked, an int8 ONNX Runtime export written to `workdir` (1.6x faster, see BENCHMARKS.md)."""
    meta = load_meta(model_dir)
    device = best_device()
    batch_size = scoring_batch_size(batch_size, device, meta["text"]["seq_len"], "distill.score_batch_size")
    if int8_on_cpu and device.type == "cpu":
        try:
            from aboutness.export import OnnxScorer, export_onnx
        except ImportError as e:
            raise InputError(f"distill.score_int8 needs ONNX Runtime: pip install 'aboutness[onnx]' ({e})") from None
        scorer = OnnxScorer(export_onnx(model_dir, workdir / "teacher_int8", int8=True).parent, threads=torch.get_num_threads())
        return (lambda df: scorer.logits(df, batch_size)), "onnxruntime int8"
    model = load_classifier(model_dir, head_outputs(meta)).to(device)
    tokenizer = load_tokenizer(model_dir)
    return (lambda df: predict_logits(model, tokenizer, df, meta["text"], batch_size=batch_size)), str(device)


def score_file(src: Path, dst: Path, logits_of: Callable[[pd.DataFrame], np.ndarray], chunk_rows: int) -> int:
    """Stream `src` in chunks (memory stays flat for millions of rows) and append teacher logits."""
    reader = pq.ParquetFile(src)
    writer = None
    n = 0
    with tqdm(total=reader.metadata.num_rows, desc=f"teacher scores {src.name}", unit="pair") as bar:
        for batch in reader.iter_batches(batch_size=chunk_rows):
            df = batch.to_pandas()
            logits = logits_of(df)
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
    torch.set_grad_enabled(False)
    stats, speed = {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        logits_of, runtime = teacher_logits(TEACHER, cfg["score_batch_size"], cfg["score_int8"], Path(workdir))
        for name in cfg["pools"]:
            start = time.perf_counter()
            rows = score_file(POOLS / f"{name}.parquet", scored_path(name), logits_of, cfg["score_chunk_rows"])
            secs = time.perf_counter() - start
            stats[name] = {"rows": rows}
            speed[name] = {"seconds": round(secs, 1), "pairs_per_s": round(rows / max(secs, 1e-9), 1), "device": runtime}
    write_json(METRICS, stats)
    write_json(SPEED, speed)
    print("score_pools: " + ", ".join(f"{k} {stats[k]['rows']} pairs at {v['pairs_per_s']}/s" for k, v in speed.items()))


if __name__ == "__main__":
    main()
