"""Batched inference: a saved model's raw outputs for many pairs in row order, and the teacher scoring
pool files, in this process or on Ray Data actors."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel

from aboutness.data import tokenize_pairs
from aboutness.models import best_device, load_meta, load_saved, load_tokenizer
from aboutness.schema import InputError
from aboutness.text import card_text, doc_text


def autocast(device: torch.device):
    """bf16 autocast where the GPU supports it; plain fp32 elsewhere (parity on CPU first)."""
    enabled = device.type == "cuda" and torch.cuda.is_bf16_supported()
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


class ScoringChunks(torch.utils.data.Dataset):
    """Rows cut into chunks; each chunk gets its text built, is tokenised, sorted by length
    (less padding) and cut into padded batches. On a GPU host, loader workers build chunks in
    parallel so tokenising keeps up with the GPU; on CPU one chunk holds every row (a global sort)."""

    def __init__(self, tokenizer, df: pd.DataFrame, text_cfg: dict, batch_size: int, chunk_rows: int):
        self.tokenizer, self.df, self.text_cfg = tokenizer, df, text_cfg
        self.batch_size, self.chunk_rows = batch_size, max(1, chunk_rows)

    def __len__(self) -> int:
        return -(-len(self.df) // self.chunk_rows)

    def __getitem__(self, i: int) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
        lo = i * self.chunk_rows
        part = self.df.iloc[lo:lo + self.chunk_rows]
        cards, docs = card_text(part, self.text_cfg["card_fields"]), doc_text(part, self.text_cfg["doc_fields"])
        enc = tokenize_pairs(self.tokenizer, cards, docs, self.text_cfg["seq_len"], padding=True, return_tensors="np")
        lengths = enc["attention_mask"].sum(1)
        order = np.argsort(-lengths, kind="stable")
        left = self.tokenizer.padding_side == "left"
        batches = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            # widths in steps of 8: few distinct tensor shapes keep the heap from fragmenting, so peak RSS
            # stays flat as pools grow (bench/memory.py); GPUs also like multiples of 8
            width = min(-(-int(lengths[idx].max()) // 8) * 8, enc["input_ids"].shape[1])
            cols = slice(-width, None) if left else slice(0, width)
            batches.append((torch.from_numpy(idx + lo), {k: torch.from_numpy(np.ascontiguousarray(v[idx, cols]))
                                                         for k, v in enc.items()}))
        return batches


# Tokens per inference batch for batch size "auto", measured fastest (BENCHMARKS.md): on a CPU small
# batches whose activations stay in cache (16 teacher pairs of 192 tokens), on a GPU large ones (2048).
AUTO_BATCH_TOKENS = {"cpu": 16 * 192, "cuda": 2048 * 192}


def scoring_batch_size(setting: int | str, device: torch.device, seq_len: int, name: str = "batch size") -> int:
    """Pairs per inference batch: `setting`, or for "auto" a token budget for this kind of device."""
    if setting == "auto":
        return max(1, AUTO_BATCH_TOKENS.get(device.type, AUTO_BATCH_TOKENS["cpu"]) // seq_len)
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise InputError(f"{name}: expected a positive integer or 'auto', got {setting!r}")
    return setting


def scoring_workers(device: torch.device) -> int:
    """Tokenising processes beside the GPU; none on CPU, where the model needs every core."""
    return 0 if device.type != "cuda" else max(1, min(15, (os.cpu_count() or 2) - 1))


def _one_thread_tokenizer(_: int) -> None:
    # each loader worker is one tokenising process; the tokenizer's own thread pool would oversubscribe
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


@torch.inference_mode()
def predict_logits(model: PreTrainedModel, tokenizer, df: pd.DataFrame, text_cfg: dict, batch_size: int | str = "auto",
                   progress: bool = False, workers: int | None = None, chunk_rows: int = 4096) -> np.ndarray:
    """Raw model outputs for every row, in row order."""
    device = next(model.parameters()).device
    model.eval()
    batch_size = scoring_batch_size(batch_size, device, text_cfg["seq_len"])
    workers = scoring_workers(device) if workers is None else workers
    chunks = ScoringChunks(tokenizer, df, text_cfg, batch_size, chunk_rows if workers else len(df))
    loader = torch.utils.data.DataLoader(chunks, batch_size=None, num_workers=workers, pin_memory=device.type == "cuda",
                                         prefetch_factor=4 if workers else None, worker_init_fn=_one_thread_tokenizer)
    out = np.zeros((len(df), model.config.num_labels), dtype=np.float32)
    with tqdm(total=len(df), disable=not progress, desc="scoring", unit="pair") as bar:
        for chunk in loader:
            logits = []
            for idx, batch in chunk:
                with autocast(device):
                    logits.append(model(**{k: v.to(device, non_blocking=True) for k, v in batch.items()}).logits.float())
                bar.update(len(idx))
            if logits:  # one device-to-host copy per chunk, so the GPU is not stalled after every batch
                out[torch.cat([idx for idx, _ in chunk]).numpy()] = torch.cat(logits).cpu().numpy()
    return out


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


def score_file_ray(src: Path, dst: Path, model_dir: Path, batch_size: int | str, chunk_rows: int, ray_cfg: dict,
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
        ray.init(address=ray_cfg["address"], log_to_driver=False)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    cpus = ray_cfg["cpus_per_actor"]
    # by default one actor per GPU, or per `cpus` CPUs with one CPU left for Ray's parquet reads: actors that
    # reserve every CPU leave the read tasks unscheduled and the run waits forever
    actors = ray_cfg["actors"] or gpus or max(1, int((ray.cluster_resources().get("CPU", 1) - 1) // cpus))
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
