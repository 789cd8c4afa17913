"""Shared set-up for the bench scripts: data, models and a markdown table of two sides."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def train_pairs(n: int | None = None) -> pd.DataFrame:
    """The default train split (run `dvc repro build_pools` first), repeated to n rows if asked."""
    path = ROOT / "data/pools/train.parquet"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `dvc repro build_pools` first")
    df = pd.read_parquet(path)
    return repeat_rows(df, n) if n else df


def repeat_rows(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The rows repeated in order until there are n."""
    return pd.concat([df] * (n // len(df) + 1), ignore_index=True).head(n)


def ours_or_run_glue(model, tok, df: pd.DataFrame, text_cfg: dict, batch_size: int, steps: int, ours: bool,
                     workers: int = 0, seed: int = 0):
    """A Trainer for `steps` steps. Ours: our training path (dynamic padding, length grouping, bf16
    on a GPU, loader workers, no per-step loss read-back, our optimizer; the caller loads the model
    with our attention dropout). Baseline: run_glue.py's defaults (pad to max length, fp32, random
    order, no loader workers, the Trainer's optimizer)."""
    import torch
    from transformers import TrainingArguments, default_data_collator

    from aboutness.data import PairDataset, encode
    from aboutness.teacher import targets
    from aboutness.text import card_text, doc_text
    from aboutness.training import PairTrainer, collator, head_optimizer

    if ours:
        enc, data_collator = encode(tok, df, text_cfg), collator(tok)
    else:
        cards, docs = card_text(df, text_cfg["card_fields"]), doc_text(df, text_cfg["doc_fields"])
        enc = tok(cards, docs, truncation="longest_first", max_length=text_cfg["seq_len"], padding="max_length")
        data_collator = default_data_collator
    cuda = torch.cuda.is_available()
    args = TrainingArguments(
        output_dir="/tmp/bench_train", max_steps=steps, per_device_train_batch_size=batch_size, learning_rate=1e-4,
        eval_strategy="no", save_strategy="no", report_to="none", disable_tqdm=True, seed=seed,
        train_sampling_strategy="group_by_length" if ours else "random",
        bf16=ours and cuda and torch.cuda.is_bf16_supported(),
        dataloader_num_workers=workers if ours else 0,
        logging_nan_inf_filter=not ours,  # ours: as in aboutness.training.training_args
    )
    dataset = PairDataset(enc, targets(df["label"], SimpleNamespace(head="onetarget")))
    # run_glue.py leaves the optimizer to the Trainer (fused AdamW with torch >= 2.8)
    optimizer = head_optimizer(model, 1e-4, 0.01, 1) if ours else None
    return PairTrainer(model=model, args=args, train_dataset=dataset, data_collator=data_collator,
                       optimizers=(optimizer, None), head="onetarget")


def ratio_table(rows: list[tuple[str, list[float], list[float]]], unit: str, ours: str = "ours", base: str = "baseline") -> str:
    """Medians of repeated runs, side by side, with the ratio of the medians and, since the runs alternate, the
    median of each round's own ratio: on a noisy machine the two can differ, and the lower one is quoted."""
    table = []
    for name, ours_runs, base_runs in rows:
        o, b = statistics.median(ours_runs), statistics.median(base_runs)
        paired = statistics.median(x / y for x, y in zip(ours_runs, base_runs))
        table.append([name, f"{o:,.1f}", f"{b:,.1f}", f"{o / b:.2f}x", f"{paired:.2f}x", len(ours_runs)])
    return tabulate(table, ["what", f"{ours} ({unit})", f"{base} ({unit})", "ratio of medians", "median round ratio", "runs"],
                    tablefmt="github")


def machine() -> str:
    import platform

    import torch

    info = open("/proc/cpuinfo").read().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), []))
    # int8 and bf16 speed on CPU hang on these: without VNNI int8 dot products take three instructions
    isa = ", ".join(f"{'' if f in flags else 'no '}{f}" for f in ("avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16"))
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu} ({isa}), {torch.get_num_threads()} threads, {gpu}; torch {torch.__version__}, "
            f"python {platform.python_version()}")


def model_gflop(model, lengths: list[int]) -> float:
    """Forward FLOPs of a BERT encoder over the given token counts (matmuls only)."""
    h, layers = model.config.hidden_size, model.config.num_hidden_layers
    inter = model.config.intermediate_size
    per_token = layers * (2 * 4 * h * h + 2 * 2 * h * inter)
    attention = sum(layers * 2 * 2 * t * t * h for t in lengths)
    return (per_token * sum(lengths) + attention) / 1e9


def onnx_matmul_gops(m: int, k: int, n: int, threads: int, repeats: int = 10) -> tuple[float, float]:
    """GOP/s of one (m x k) @ (k x n) matmul in ONNX Runtime on CPU: fp32 MatMul, and int8 MatMulInteger
    (uint8 activations, int8 weights, as the int8 exports run them). The ceilings the exports work under,
    so the best of `repeats` runs."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    out = []
    for node, a, w, out_type in (
        ("MatMul", rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32), TensorProto.FLOAT),
        ("MatMulInteger", rng.integers(0, 255, (m, k), dtype=np.uint8), rng.integers(-127, 127, (k, n), dtype=np.int8), TensorProto.INT32),
    ):
        graph = helper.make_graph([helper.make_node(node, ["a", "w"], ["y"])], "g",
                                  [helper.make_tensor_value_info("a", helper.np_dtype_to_tensor_dtype(a.dtype), [m, k])],
                                  [helper.make_tensor_value_info("y", out_type, [m, n])], [numpy_helper.from_array(w, "w")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        session.run(None, {"a": a})
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            session.run(None, {"a": a})
            times.append(time.perf_counter() - start)
        out.append(2 * m * k * n / min(times) / 1e9)
    return out[0], out[1]


def tiny_model(path: Path, num_labels: int = 3) -> Path:
    """A tiny random BERT with the default model's tokenizer, saved to `path`: for benches about the data
    path, where the model's size and quality do not matter."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from aboutness.models import load_tokenizer
    from aboutness.paths import default_base

    torch.manual_seed(0)
    tok = load_tokenizer(default_base())
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, num_labels=num_labels)
    BertForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return path
