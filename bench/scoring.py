"""Pool scoring throughput: our batched scorer against transformers.pipeline.

Ours: tokenise all pairs at once, sort by length, pad per batch, inference_mode.
Baseline: pipeline("text-classification") on the same (card, doc) pairs at its best
batch size. Also the achieved GFLOP/s as a share of a large fp32 matmul measured in
the same run. Medians of --repeats runs.

    python bench/scoring.py [--model models/teacher] [--pairs 256] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import ROOT, machine, model_gflop, onnx_matmul_gops, ratio_table, train_pairs
from transformers import pipeline

from aboutness.cli import batch_size_arg
from aboutness.data import encode
from aboutness.heads import class_scores
from aboutness.inference import predict_logits, scoring_batch_size
from aboutness.models import best_device, head_outputs, load_classifier, load_meta, load_tokenizer
from aboutness.pool_scoring import teacher_logits
from aboutness.text import card_text, doc_text


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """The fp32 ceiling: the best of `repeats` large matmuls (a ceiling is what the hardware can do;
    a median would lower it on a noisy machine and flatter the share)."""
    device = best_device()
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models/teacher"))
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=batch_size_arg, default="auto")
    args = ap.parse_args()
    df = train_pairs(args.pairs)
    meta = load_meta(args.model)
    device = best_device()
    model = load_classifier(args.model, head_outputs(meta)).to(device)
    tok = load_tokenizer(args.model)
    text = meta["text"]
    lengths = [len(x) for x in encode(tok, df, text)["input_ids"]]
    pairs = [{"text": c, "text_pair": d} for c, d in zip(card_text(df, text["card_fields"]), doc_text(df, text["doc_fields"]))]
    pipe = pipeline("text-classification", model=model, tokenizer=tok, device=device, truncation="longest_first",
                    max_length=text["seq_len"], top_k=None)
    workdir = tempfile.TemporaryDirectory()
    int8_of = teacher_logits(Path(args.model), args.batch_size, True, Path(workdir.name))[0] if device.type == "cpu" else None
    ours, ours_int8, base, best_bs = [], [], [], {}
    for _ in range(args.repeats):
        start = time.perf_counter()
        fp32 = predict_logits(model, tok, df, text, batch_size=args.batch_size)
        ours.append(len(df) / (time.perf_counter() - start))
        if int8_of:
            start = time.perf_counter()
            int8 = int8_of(df)
            ours_int8.append(len(df) / (time.perf_counter() - start))
        per_bs = {}
        for bs in (8, 16, 32, 64):
            start = time.perf_counter()
            pipe(pairs, batch_size=bs)
            per_bs[bs] = len(df) / (time.perf_counter() - start)
        bs = max(per_bs, key=per_bs.get)
        best_bs[bs] = best_bs.get(bs, 0) + 1
        base.append(per_bs[bs])
        print(f"ours {ours[-1]:.1f} pairs/s; int8 {f'{ours_int8[-1]:.1f}' if ours_int8 else '-'}; pipeline {per_bs}", flush=True)
    ceiling = matmul_gflops()
    achieved = model_gflop(model, lengths) * statistics.median(ours) / len(df)
    print(f"\nPool scoring, {len(df)} pairs of mean length {sum(lengths) / len(lengths):.0f} tokens, "
          f"{meta['layers']}-layer model; {machine()}\n")
    rows = [("pool scoring, fp32", ours, base)] + ([("pool scoring, int8 ONNX Runtime", ours_int8, base)] if ours_int8 else [])
    print(ratio_table(rows, "pairs/s", "ours", f"pipeline (best batch {max(best_bs, key=best_bs.get)})"))
    if ours_int8:
        (p32, c32), (p8, c8) = class_scores(fp32, meta), class_scores(int8, meta)
        print(f"\nint8 against fp32 on these pairs: max |dP(about)| {np.abs(p32 - p8).max():.3f}, "
              f"same class {np.mean(c32 == c8):.1%}")
    print(f"\nachieved {achieved:.1f} GFLOP/s = {achieved / ceiling:.0%} of a {ceiling:.1f} GFLOP/s fp32 matmul ceiling")
    if ours_int8:
        # the int8 export's ceiling: ONNX Runtime's int8 matmul at the shape of a batch's feed-forward layer
        tokens = sum(lengths) // len(lengths) * scoring_batch_size(args.batch_size, device, text["seq_len"])
        fp32_ort, int8_ort = onnx_matmul_gops(tokens, model.config.hidden_size, model.config.intermediate_size, torch.get_num_threads())
        achieved8 = model_gflop(model, lengths) * statistics.median(ours_int8) / len(df)
        print(f"int8 export: {achieved8:.1f} GOP/s = {achieved8 / int8_ort:.0%} of ONNX Runtime's int8 matmul at "
              f"{int8_ort:.1f} GOP/s ({int8_ort / fp32_ort:.2f}x its fp32 matmul, {fp32_ort:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
