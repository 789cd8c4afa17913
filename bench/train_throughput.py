"""Training throughput: our Trainer path against Hugging Face run_glue.py's defaults.

run_glue.py by default pads every pair to max_seq_length, trains in fp32 and samples
at random. Ours pads per batch (DataCollatorWithPadding), groups pairs of similar length
and keeps the base model's dropout (params.yaml `attention_dropout: null`). A third side is
ours with `attention_dropout: 0`: no dropout on attention probabilities lets PyTorch's fused
attention kernel train. Same model, data, seq_len, batch size and number of steps; medians
of --repeats alternating runs.

Length grouping sorts "megabatches" of up to 50 batches (fewer on small data) longest
first, so a run cut inside one would time only ours's longest pairs: by default each run
is one whole megabatch, and each repeat starts from another seed, so another megabatch.

    python bench/train_throughput.py [--steps N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import torch
from common import ROOT, machine, ours_or_run_glue, ratio_table, train_pairs

from aboutness.models import load_classifier, load_tokenizer, truncate_layers
from aboutness.params import load_params


def run(df, text_cfg, layers, batch_size, steps, ours: bool, seed: int = 0,
        attention_dropout: float | None = None) -> tuple[float, float]:
    """Pairs per second over `steps` optimizer steps, and the mean width (tokens per pair) of those batches."""
    torch.manual_seed(seed)
    model = load_classifier("default", 3, attention_dropout=attention_dropout)
    if layers:
        truncate_layers(model, layers)
    trainer = ours_or_run_glue(model, load_tokenizer("default"), df, text_cfg, batch_size, steps, ours,
                               workers=4 if torch.cuda.is_available() else 0, seed=seed)
    widths = [b["input_ids"].shape[1] for _, b in zip(range(steps), trainer.get_train_dataloader())]
    start = time.perf_counter()
    trainer.train()
    return steps * batch_size / (time.perf_counter() - start), sum(widths) / len(widths)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, help="optimizer steps per run (default: one length-grouping megabatch)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--pairs", type=int, default=None, help="rows of train data to use (default: all)")
    args = ap.parse_args()
    df = train_pairs(args.pairs)
    # the Trainer's megabatch: 50 batches, or fewer so that the data holds at least four
    steps = args.steps or max(1, min(len(df) // (args.batch_size * 4), 50))
    params = load_params(ROOT / "params.yaml")
    cases = [
        ("teacher, 6 layers, title+url+body, seq_len 192",
         {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url", "body"], "seq_len": 192},
         None, params.teacher.attention_dropout),
        ("student, 3 layers, title+url, seq_len 64",
         {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url"], "seq_len": 64},
         3, params.model.attention_dropout),
    ]
    rows = []
    for name, text_cfg, layers, default_dropout in cases:
        # ours as params.yaml has it, and, unless that is already 0, ours with no dropout on attention
        # probabilities (fused attention)
        sides = {"ours": default_dropout} | ({} if default_dropout == 0 else {"ours, attention_dropout 0": 0.0})
        runs: dict[str, list[float]] = {side: [] for side in (*sides, "run_glue")}
        for seed in range(args.repeats):
            for side, dropout in sides.items():
                rate, width = run(df, text_cfg, layers, args.batch_size, steps, True, seed, dropout)
                runs[side].append(rate)
                print(f"{name}, {side}: {rate:.1f} pairs/s at {width:.0f} tokens a pair", flush=True)
            rate, width = run(df, text_cfg, layers, args.batch_size, steps, False, seed)
            runs["run_glue"].append(rate)
            print(f"{name}, run_glue default: {rate:.1f} pairs/s at {width:.0f} tokens a pair", flush=True)
        rows += [(f"{name}, {side}", runs[side], runs["run_glue"]) for side in sides]
    print(f"\nTraining throughput, batch {args.batch_size}, {steps} steps; {machine()}\n")
    print(ratio_table(rows, "pairs/s", "ours", "run_glue default"))


if __name__ == "__main__":
    main()
