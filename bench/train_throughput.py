"""Training throughput: our Trainer path against Hugging Face run_glue.py's defaults.

run_glue.py by default pads every pair to max_seq_length, trains in fp32 and samples
at random. Ours pads per batch (DataCollatorWithPadding) and groups pairs of similar
length. Same model, data, seq_len, batch size and number of steps; medians of --repeats
alternating runs.

    python bench/train_throughput.py [--steps 20] [--repeats 3] [--student]
"""

from __future__ import annotations

import argparse
import time

import torch
from common import machine, ratio_table, train_pairs
from transformers import TrainingArguments, default_data_collator

from aboutness.models import PairDataset, encode, load_classifier, load_tokenizer, truncate_layers
from aboutness.text import card_text, doc_text
from aboutness.train_teacher import targets
from aboutness.training import PairTrainer, collator, head_optimizer


def run(df, text_cfg, layers, batch_size, steps, ours: bool, seed: int = 0) -> float:
    """Pairs per second over `steps` optimizer steps."""
    torch.manual_seed(seed)
    model = load_classifier("default", 3)
    if layers:
        truncate_layers(model, layers)
    tok = load_tokenizer("default")
    y = targets(df["label"], {"head": "onetarget"})
    if ours:
        enc = encode(tok, df, text_cfg)
        data_collator = collator(tok)
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
        dataloader_num_workers=4 if cuda else 0,
    )
    trainer = PairTrainer(model=model, args=args, train_dataset=PairDataset(enc, y), data_collator=data_collator,
                          optimizers=(head_optimizer(model, 1e-4, 0.01, 20 if ours else 1), None), head="onetarget")
    start = time.perf_counter()
    trainer.train()
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--pairs", type=int, default=None, help="rows of train data to use (default: all)")
    args = ap.parse_args()
    df = train_pairs(args.pairs)
    cases = [
        ("teacher, 6 layers, title+url+body, seq_len 192",
         {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url", "body"], "seq_len": 192}, None),
        ("student, 3 layers, title+url, seq_len 64",
         {"card_fields": ["title", "subtitle", "main_type", "definition"], "doc_fields": ["title", "url"], "seq_len": 64}, 3),
    ]
    rows = []
    for name, text_cfg, layers in cases:
        ours, base = [], []
        for _ in range(args.repeats):
            ours.append(run(df, text_cfg, layers, args.batch_size, args.steps, ours=True))
            base.append(run(df, text_cfg, layers, args.batch_size, args.steps, ours=False))
            print(f"{name}: ours {ours[-1]:.1f}, run_glue default {base[-1]:.1f} pairs/s", flush=True)
        rows.append((name, ours, base))
    print(f"\nTraining throughput, batch {args.batch_size}, {args.steps} steps; {machine()}\n")
    print(ratio_table(rows, "pairs/s", "ours", "run_glue default"))


if __name__ == "__main__":
    main()
