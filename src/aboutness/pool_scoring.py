"""The teacher scoring pool files for distillation: in this process, or on Ray Data actors, streamed
chunk by chunk into one parquet file per pool."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from tqdm.auto import tqdm

from aboutness.errors import InputError
from aboutness.inference import predict_logits, scoring_batch_size
from aboutness.models import best_device, load_meta, load_saved, load_tokenizer

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Ray


def teacher_logits(model_dir: Path, batch_size: int | str, int8_on_cpu: bool,
                   workdir: Path) -> tuple[Callable[[pd.DataFrame], np.ndarray], str]:
    """The teacher as a function from rows to logits, and what runs it: PyTorch (bf16 on a GPU), or on
    CPU, if asked, an int8 ONNX Runtime export written to `workdir` (1.6x faster, see BENCHMARKS.md)."""
    meta = load_meta(model_dir)
    device = best_device()
    batch_size = scoring_batch_size(batch_size, device, meta["text"]["seq_len"], "distill.score_batch_size")
    if int8_on_cpu and device.type == "cpu":
        from aboutness.export import OnnxScorer, export_onnx

        scorer = OnnxScorer(export_onnx(model_dir, workdir / "teacher_int8", int8=True).parent, threads=torch.get_num_threads())
        return (lambda df: scorer.logits(df, batch_size)), "onnxruntime int8"
    model = load_saved(model_dir)[0].to(device)
    tokenizer = load_tokenizer(model_dir)
    return (lambda df: predict_logits(model, tokenizer, df, meta["text"], batch_size=batch_size)), str(device)


class TeacherScorer:
    """A batch of rows in, the same rows plus `teacher_logit_<j>` columns out. It loads the teacher once:
    the local path makes one, Ray Data one per actor, so both run the same scorer."""

    def __init__(self, model_dir: str | Path, batch_size: int | str = "auto", int8_on_cpu: bool = False):
        self._workdir = tempfile.TemporaryDirectory()  # the int8 export lives as long as the scorer
        self.logits_of, self.runtime = teacher_logits(Path(model_dir), batch_size, int8_on_cpu, Path(self._workdir.name))

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        logits = self.logits_of(df)
        return df.assign(**{f"teacher_logit_{j}": logits[:, j] for j in range(logits.shape[1])})


def write_frames(frames: Iterable[pd.DataFrame], dst: Path, empty_schema: pa.Schema, progress: tqdm) -> int:
    """Append scored batches to one parquet file as they come (memory stays flat); the rows written."""
    writer, n = None, 0
    for df in frames:
        table = pa.Table.from_pandas(df, preserve_index=False)
        writer = writer or pq.ParquetWriter(dst, table.schema)
        writer.write_table(table)
        n += len(df)
        progress.update(len(df))
    if writer is None:  # an empty pool still gets a file with the pool's columns
        pq.write_table(empty_schema.empty_table(), dst)
    else:
        writer.close()
    return n


def score_file(src: Path, dst: Path, scorer: TeacherScorer, chunk_rows: int) -> int:
    """Stream `src` in chunks through the scorer in this process."""
    reader = pq.ParquetFile(src)
    with tqdm(total=reader.metadata.num_rows, desc=f"teacher scores {src.name}", unit="pair") as bar:
        frames = (scorer(batch.to_pandas()) for batch in reader.iter_batches(batch_size=chunk_rows))
        return write_frames(frames, dst, reader.schema_arrow, bar)


def score_file_ray(src: Path, dst: Path, model_dir: Path, batch_size: int | str, chunk_rows: int, ray_cfg: Ray,
                   scorer: type[TeacherScorer] = TeacherScorer) -> int:
    """Score `src` with Ray Data: one TeacherScorer per actor (one GPU each on a GPU cluster, else
    `ray.cpus_per_actor` CPUs each), batches of `chunk_rows` rows, rows kept in order; the driver writes
    the same single parquet file as the local path. A failed actor is restarted and its batch retried by Ray."""
    try:
        import ray
    except ImportError as e:
        raise InputError(f"distill.engine: ray needs Ray Data: pip install -e '.[ray]' ({e})") from None
    if not ray.is_initialized():
        # address null: start a local instance with this machine's CPUs and GPUs
        ray.init(address=ray_cfg.address, log_to_driver=False)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    cpus = ray_cfg.cpus_per_actor
    # by default one actor per GPU, or per `cpus` CPUs with one CPU left for Ray's parquet reads: actors that
    # reserve every CPU leave the read tasks unscheduled and the run waits forever
    actors = ray_cfg.actors or gpus or max(1, int((ray.cluster_resources().get("CPU", 1) - 1) // cpus))
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    src_file = pq.ParquetFile(src)
    rows = src_file.metadata.num_rows
    # one block per `chunk_rows` rows: a pool is often one file, which would otherwise feed one actor
    blocks = max(1, -(-rows // chunk_rows))
    scored = ray.data.read_parquet(str(Path(src).resolve()), override_num_blocks=blocks).map_batches(
        scorer, fn_constructor_kwargs={"model_dir": str(Path(model_dir).resolve()), "batch_size": batch_size},
        batch_size=chunk_rows, batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if gpus else 0, num_cpus=0 if gpus else cpus)
    frames = (_as_source(batch, src_file.schema_arrow) for batch in scored.iter_batches(batch_format="pyarrow", batch_size=None))
    with tqdm(total=rows, desc=f"teacher scores {src.name} (ray, {actors} actors)", unit="pair") as bar:
        return write_frames(frames, dst, src_file.schema_arrow, bar)


def _as_source(batch: pa.Table, schema: pa.Schema) -> pd.DataFrame:
    """A Ray batch with the source file's column types and pandas metadata, so that it reads back as the
    local path's output does: Ray hands strings on as large_string, with Arrow-backed pandas dtypes."""
    extra = [field for field in batch.schema if field.name not in schema.names]
    target = pa.schema([*schema, *extra], metadata=schema.metadata)
    return batch.select(target.names).cast(target).to_pandas()
