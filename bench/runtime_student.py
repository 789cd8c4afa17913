"""The runtime student on CPU: latency at batch 1 and throughput at batch 64, by depth
and runtime (PyTorch fp32, ONNX Runtime fp32 and int8), against the fp32 PyTorch
teacher on the same student inputs (card + doc title and url). Also the parity of the
ONNX exports with PyTorch and the int8 model's vital F1 change on test.

    python bench/runtime_student.py [--pairs 512] [--latency-pairs 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from common import ROOT, machine, model_gflop, onnx_matmul_gops
from sklearn.metrics import f1_score
from tabulate import tabulate

from aboutness.data import encode
from aboutness.export import OnnxScorer, export_onnx
from aboutness.heads import class_scores
from aboutness.inference import predict_logits
from aboutness.models import head_outputs, load_classifier, load_meta, load_saved, load_tokenizer, save_meta, set_pooling, truncate_layers


def timed(score, df: pd.DataFrame, latency_pairs: int) -> tuple[float, float, float]:
    """(p50 ms, p99 ms) at batch 1 and pairs/s at batch 64 (median of 3 passes)."""
    lat = []
    for i in range(latency_pairs):
        start = time.perf_counter()
        score(df.iloc[[i % len(df)]], 1)
        lat.append((time.perf_counter() - start) * 1000)
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        score(df, 64)
        rates.append(len(df) / (time.perf_counter() - start))
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), float(np.median(rates))


def torch_scorer(path: Path):
    model, meta = load_saved(path)  # with the student's own pooling (mean or match), as evaluate and predict load it
    tok = load_tokenizer(path)
    return lambda df, bs: predict_logits(model, tok, df, meta["text"], batch_size=bs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=512)
    ap.add_argument("--latency-pairs", type=int, default=200)
    args = ap.parse_args()
    test = pd.read_parquet(ROOT / "data/pools/test.parquet")
    df = test.head(args.pairs)
    student_dir, teacher_dir = ROOT / "models/student", ROOT / "models/teacher"
    student_text = load_meta(student_dir)["text"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # the fp32 teacher on the student's inputs: the reference the goal is measured against
        teacher_on_student = tmp / "teacher_student_inputs"
        shutil_copy_model(teacher_dir, teacher_on_student, {"text": student_text})
        ref = timed(torch_scorer(teacher_on_student), df, args.latency_pairs)
        rows.append(["teacher (6 layers), PyTorch fp32", *ref])
        meta = load_meta(student_dir)
        for depth in (6, 3, 2):
            d = tmp / f"student{depth}"
            source = load_saved(student_dir)[0] if depth <= meta["layers"] else \
                set_pooling(load_classifier(teacher_dir, head_outputs(meta)), meta.get("pooling", "cls"),
                            load_tokenizer(teacher_dir).sep_token_id)
            truncate_layers(source, depth).save_pretrained(d)
            load_tokenizer(student_dir).save_pretrained(d)
            save_meta(d, {**meta, "layers": depth})
            rows.append([f"student {depth} layers, PyTorch fp32, {meta.get('pooling', 'cls')} pooling",
                         *timed(torch_scorer(d), df, args.latency_pairs)])
        # what the pooling costs: the same weights with mean pooling alone (no MaxSim)
        if meta.get("pooling") == "match":
            shutil_copy_model(student_dir, tmp / "mean", {"pooling": "mean"})
            rows.append([f"student {meta['layers']} layers, PyTorch fp32, mean pooling",
                         *timed(torch_scorer(tmp / "mean"), df, args.latency_pairs)])
        onnx32 = OnnxScorer(export_onnx(student_dir, tmp / "onnx32").parent, threads=torch.get_num_threads())
        onnx8 = OnnxScorer(export_onnx(student_dir, tmp / "onnx8", int8=True).parent, threads=torch.get_num_threads())
        depth = load_meta(student_dir)["layers"]
        rows.append([f"student {depth} layers, ONNX Runtime fp32", *timed(lambda x, bs: onnx32.logits(x, bs), df, args.latency_pairs)])
        rows.append([f"student {depth} layers, ONNX Runtime int8", *timed(lambda x, bs: onnx8.logits(x, bs), df, args.latency_pairs)])
        # parity and quality on the whole test split
        pt = predict_logits(load_saved(student_dir)[0], load_tokenizer(student_dir), test, student_text, batch_size=64)
        p_pt, pred_pt = class_scores(pt, meta)
        p_32, _ = class_scores(onnx32.logits(test), meta)
        p_8, pred_8 = class_scores(onnx8.logits(test), meta)
    table = [[name, f"{p50:.1f}", f"{p99:.1f}", f"{tput:,.0f}", f"{tput / rows[0][3]:.1f}x"] for name, p50, p99, tput in rows]
    print(f"\nRuntime student on CPU, {len(df)} test pairs, student inputs (seq_len {student_text['seq_len']}); {machine()}\n")
    print(tabulate(table, ["model", "p50 ms (batch 1)", "p99 ms (batch 1)", "pairs/s (batch 64)", "vs fp32 teacher"],
                   tablefmt="github"))
    by_name = {r[0]: r for r in rows}
    match, mean = (by_name.get(f"student {depth} layers, PyTorch fp32, {p} pooling") for p in ("match", "mean"))
    if match and mean:
        print(f"\nMatch pooling (MaxSim) against mean pooling, same {depth}-layer weights: p50 latency {match[1] / mean[1]:.2f}x, "
              f"pairs/s at batch 64 {match[3] / mean[3]:.2f}x")
    # how far int8 can go here: the student's matmul work at ONNX Runtime's int8 matmul speed, all else free
    lengths = [len(x) for x in encode(load_tokenizer(student_dir), df, student_text)["input_ids"]]
    student = load_classifier(student_dir, 1)
    fp32_ort, int8_ort = onnx_matmul_gops(64 * int(np.mean(lengths)), student.config.hidden_size,
                                          student.config.intermediate_size, torch.get_num_threads())
    bound = len(df) / model_gflop(student, lengths) * int8_ort
    print(f"\nONNX Runtime matmul at batch 64's feed-forward shape: int8 {int8_ort:.1f} GOP/s, fp32 {fp32_ort:.1f} GFLOP/s "
          f"({int8_ort / fp32_ort:.2f}x). The depth-{depth} student's matmuls alone at that int8 speed: at most {bound:,.0f} "
          f"pairs/s = {bound / rows[0][3]:.1f}x the fp32 teacher; the int8 export reaches {rows[-1][3] / bound:.0%} of that")
    gold = test["label"] == "about"
    f1_pt, f1_8 = f1_score(gold, pred_pt == "about"), f1_score(gold, pred_8 == "about")
    print(f"\nONNX fp32 parity: max |dP(about)| = {np.abs(p_32 - p_pt).max():.2e} over {len(test)} test pairs")
    print(f"int8: max |dP(about)| = {np.abs(p_8 - p_pt).max():.3f}; vital F1 {100 * f1_pt:.2f} -> {100 * f1_8:.2f} "
          f"({100 * (f1_8 - f1_pt):+.2f} points)")


def shutil_copy_model(src: Path, dst: Path, meta_update: dict) -> None:
    import shutil

    shutil.copytree(src, dst)
    save_meta(dst, {**load_meta(src), **meta_update})


if __name__ == "__main__":
    main()
