"""GPU checks and timings in one run (bench/gpu.sh calls this on an H100/H200).

1. bf16 autocast against fp32: the probabilities must agree.
2. Pool scoring end to end (tokenisation included): ours against pipeline() fp32.
3. Teacher training: our Trainer path (bf16, length grouping, dynamic padding, loader
   workers, params.yaml's attention dropout) against run_glue.py defaults (fp32, pad to
   max length, random order, the model's own dropout).

The weights are the default model's when MODEL_DIR holds them; otherwise a randomly
initialised BERT of the same shape (6 layers, 384 hidden): throughput depends on shape,
not on weight values. Data: a parquet of (card, doc) pairs, repeated to the sizes asked.

    python bench/gpu_bench.py --data .gpu/test.parquet --model-dir .gpu/model [--small]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch
from common import ROOT, machine, ours_or_run_glue, repeat_rows
from tabulate import tabulate
from transformers import BertConfig, BertForSequenceClassification, TrainerCallback, pipeline

from aboutness.data import encode
from aboutness.inference import ScoringChunks, autocast, predict_logits, scoring_workers
from aboutness.models import best_device, load_classifier, load_tokenizer
from aboutness.params import load_params
from aboutness.text import card_text, doc_text

TEXT = {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url", "body"], "seq_len": 192}


def model_dir(src: Path, out: Path) -> Path:
    if any(src.glob("*.safetensors")):
        return src
    cfg = BertConfig.from_pretrained(src, num_labels=3)
    torch.manual_seed(0)
    BertForSequenceClassification(cfg).save_pretrained(out)
    load_tokenizer(src).save_pretrained(out)
    return out


class StepClock(TrainerCallback):
    """Steady-state pairs/s: the clock starts after `skip` steps (loader start-up, kernel warm-up).
    It syncs only at its two readings, so CPU and GPU overlap as they would in a real run."""

    def __init__(self, skip: int):
        self.skip, self.start, self.end, self.steps = skip, 0.0, 0.0, 0

    def on_step_end(self, args, state, control, **kwargs):
        self.steps += 1
        if self.steps == self.skip:
            sync()
            self.start = time.perf_counter()

    def on_train_end(self, args, state, control, **kwargs):
        sync()
        self.end = time.perf_counter()


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def bare_steps(model, optimizer, batches: list[dict], cuda: bool) -> float:
    """Forward, backward and optimizer step on ready batches: what the GPU allows without the Trainer."""
    device = torch.device("cuda" if cuda else "cpu")
    model.to(device).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    ready = [{k: v.to(device) for k, v in b.items()} for b in batches]
    for i, b in enumerate(ready * 2):
        if i == len(ready) // 2:
            sync()
            start, n = time.perf_counter(), 0
        with autocast(device):
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], token_type_ids=b.get("token_type_ids")).logits
        torch.nn.functional.cross_entropy(logits.float(), b["labels"]).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i >= len(ready) // 2:
            n += len(b["input_ids"])
    sync()
    rate = n / (time.perf_counter() - start)
    model.load_state_dict(state)
    optimizer.state.clear()
    return rate


def train_rate(path: Path, df: pd.DataFrame, batch: int, steps: int, ours: bool) -> float:
    torch.manual_seed(0)
    model = load_classifier(path, 3, attention_dropout=load_params(ROOT / "params.yaml").teacher.attention_dropout if ours else None)
    cuda = torch.cuda.is_available()
    skip = max(1, steps // 5)
    trainer = ours_or_run_glue(model, load_tokenizer(path), df, TEXT, batch, steps, ours, workers=8 if cuda else 0)
    clock = StepClock(skip)
    trainer.add_callback(clock)
    if ours:  # diagnostics: can the loader alone keep up, and what does a bare training step reach?
        start = time.perf_counter()
        batches = [b for _, b in zip(range(steps), trainer.get_train_dataloader())]
        loader = sum(len(b["input_ids"]) for b in batches) / (time.perf_counter() - start)
        bare = bare_steps(model, trainer.optimizer, batches, cuda)
        print(f"training diagnostics (ours): loader alone {loader:,.0f} pairs/s; bare bf16 steps without the Trainer {bare:,.0f} pairs/s")
    trainer.train()
    return (steps - skip) * batch / (clock.end - clock.start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--small", action="store_true", help="tiny sizes, for a CPU dry run")
    args = ap.parse_args()
    device = best_device()
    path = model_dir(args.model_dir, Path("/tmp/gpu_model"))
    df = pd.read_parquet(args.data)
    n_score, n_pipe, batch, steps, score_batch = (128, 32, 4, 5, 16) if args.small else (200_000, 8_000, 256, 60, 2048)
    model = load_classifier(path, 3).to(device)
    tok = load_tokenizer(path)
    table = []

    # 1. bf16 parity
    if device.type == "cuda":
        batch_t = tok.pad(encode(tok, repeat_rows(df, 512), TEXT), return_tensors="pt").to(device)
        with torch.inference_mode():
            fp32 = torch.softmax(model(**batch_t).logits.float(), -1)
            with autocast(device):
                bf16 = torch.softmax(model(**batch_t).logits.float(), -1)
        agree = (fp32.argmax(1) == bf16.argmax(1)).float().mean()
        print(f"bf16 vs fp32: max |dP| = {(fp32 - bf16).abs().max():.2e}, argmax agreement {agree:.4f}")
    else:
        print("bf16 parity: skipped (no GPU)")

    # 2. scoring: ours end to end, the pre-tokenised forward alone (the GPU's ceiling), the pipeline
    big = repeat_rows(df, n_score)
    predict_logits(model, tok, repeat_rows(df, min(n_score, 4 * 8192)), TEXT, batch_size=score_batch)  # warm-up: kernels, workers
    sync()
    start = time.perf_counter()
    predict_logits(model, tok, big, TEXT, batch_size=score_batch)
    sync()
    ours = len(big) / (time.perf_counter() - start)
    n_fwd = min(n_score, 16384)
    ready = ScoringChunks(tok, repeat_rows(df, n_fwd), TEXT, score_batch, n_fwd)[0]
    with torch.inference_mode(), autocast(device):
        for _, b in ready:  # warm-up for these shapes
            model(**{k: v.to(device) for k, v in b.items()})
        sync()
        start = time.perf_counter()
        for _ in range(8):
            for _, b in ready:
                model(**{k: v.to(device) for k, v in b.items()})
        sync()
    forward = 8 * n_fwd / (time.perf_counter() - start)
    for chunk_rows in (8192, 16384):
        sync()
        start = time.perf_counter()
        predict_logits(model, tok, big, TEXT, batch_size=score_batch, chunk_rows=chunk_rows)
        sync()
        print(f"scoring with chunks of {chunk_rows} rows: {len(big) / (time.perf_counter() - start):,.0f} pairs/s")
    one = repeat_rows(df, min(n_score, 4096))
    start = time.perf_counter()
    ScoringChunks(tok, one, TEXT, score_batch, len(one))[0]
    tok_rate = len(one) / (time.perf_counter() - start)
    print(f"scoring: {scoring_workers(device)} tokenising workers, batch {score_batch}; pre-tokenised forward alone "
          f"{forward:,.0f} pairs/s; text+tokenise+pad in one process {tok_rate:,.0f} pairs/s")
    small = repeat_rows(df, n_pipe)
    pipe = pipeline("text-classification", model=model, tokenizer=tok, device=device, truncation="longest_first",
                    max_length=TEXT["seq_len"], top_k=None)
    pairs = [{"text": c, "text_pair": d} for c, d in zip(card_text(small, TEXT["card_fields"]), doc_text(small, TEXT["doc_fields"]))]
    pipe(pairs[:256], batch_size=64)
    start = time.perf_counter()
    pipe(pairs, batch_size=64)
    base = len(small) / (time.perf_counter() - start)
    table.append(["pool scoring, tokenisation included", f"{ours:,.0f}", f"{base:,.0f} (pipeline fp32, batch 64)", f"{ours / base:.1f}x"])

    # 3. training
    train_df = repeat_rows(df, batch * steps)
    t_ours = train_rate(path, train_df, batch, steps, ours=True)
    t_base = train_rate(path, train_df, batch, steps, ours=False)
    table.append([f"teacher training, batch {batch}", f"{t_ours:,.0f}", f"{t_base:,.0f} (run_glue defaults)", f"{t_ours / t_base:.1f}x"])
    print(f"\n{machine()}\n")
    print(tabulate(table, ["what", "ours (pairs/s)", "baseline (pairs/s)", "ratio"], tablefmt="github"))


if __name__ == "__main__":
    main()
