"""A diagnosis, never a probe: valid about pages of the main group whose title names the card, re-dressed
one part at a time as the out-of-domain `elements` pages are (a numbered title with a code and a list of
topics, a url ending in a number and a code from the name), bodies as they are; each model's vital recall
per dress. It borrows the check set's own template, so no recipe may be chosen on it (docs/probes.md,
"Why `elements` stays open").

    python scripts/element_dress.py models/trained/teacher /tmp/teachers/seed1 ...
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from tabulate import tabulate

from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.params import load_params
from aboutness.paths import split_path
from aboutness.text import title_names_card

TOPICS = " - properties, uses and sources"


def dressed(pages: pd.DataFrame, title: bool, topics: bool, url: str) -> pd.DataFrame:
    """`pages` with the numbered title (with or without the topics) and a url: "code" (number and a code from
    the name), "number" (the number alone) or "" (as it is)."""
    out = pages.copy()
    n = np.arange(1, len(pages) + 1)
    if title:
        out["doc_title"] = [f"Entry {i}: {c} ({c[:2].title()}){TOPICS if topics else ''} | Fact Atlas"
                            for i, c in zip(n, pages["card_title"])]
    if url:
        out["doc_url"] = [f"https://fact-atlas.example/entry/{i:03d}" + (f"-{c[:2].lower()}" if url == "code" else "")
                          for i, c in zip(n, pages["card_title"])]
    return out


DRESSES = {
    "as they are": (False, False, ""),
    "the numbered title": (True, True, ""),
    "the numbered title without the topics": (True, False, ""),
    "the url with the code": (False, False, "code"),
    "a url with the number alone": (False, False, "number"),
    "the numbered title and the url with the code": (True, True, "code"),
    "the numbered title and the url with the number alone": (True, True, "number"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", help="saved model directories (a teacher's or a student's)")
    args = ap.parse_args()
    batch_size = load_params().eval.batch_size
    valid = pd.read_parquet(split_path("valid"))
    pages = valid[(valid["label"] == "about") & (valid["group"] == "main")].reset_index(drop=True)
    pages = pages[title_names_card(pages)].reset_index(drop=True)
    rows = {name: [name] for name in DRESSES}
    for path in args.models:
        model, meta = load_saved(path)
        model, tok = model.to(best_device()), load_tokenizer(path)
        for name, dress in DRESSES.items():
            vital = score_frame(predict_logits(model, tok, dressed(pages, *dress), meta["text"], batch_size), meta)["vital"]
            rows[name].append(f"{100 * vital.mean():.1f}")
    print(f"{len(pages)} valid about pages (main group, the title names the card); vital recall in percent")
    print(tabulate(list(rows.values()), ["the pages' …", *args.models], tablefmt="github", disable_numparse=True))


if __name__ == "__main__":
    main()
